//! Helpers shared by the topic tests.
#![allow(dead_code)]

/// A mochi with a fresh key.
pub(crate) fn mochi() -> mochi::Mochi {
    mochi_and_keys().0
}

/// A mochi with a fresh key, and that key to verify its tokens.
pub(crate) fn mochi_and_keys() -> (mochi::Mochi, mochi::Keys) {
    let key = mochi::Key::generate();
    let keys = mochi::Keys::new(key.clone(), Vec::new());
    let mochi = mochi::Mochi::builder(key)
        .build()
        .expect("mochi builds (no duplicate island names in this test binary)");
    (mochi, keys)
}

/// Renders `page` as a page under `mochi` and returns its HTML.
pub(crate) fn render(mochi: &mochi::Mochi, page: impl FnOnce() -> maud::Markup) -> String {
    mochi.render_page(|| page().into_string())
}

/// The registered island called `name`, as the macro registered it.
pub(crate) fn def(name: &str) -> &'static mochi::__private::IslandDef {
    mochi::__private::registered(name)
        .unwrap_or_else(|| panic!("island `{name}` is not registered"))
}

/// Sends `req` through an app wrapped in `mochi`: the body of a 200, or
/// `"decode: …"` for a 400 and `"render: …"` for a 500 (debug builds name
/// the cause).
pub(crate) fn send(
    mochi: &mochi::Mochi,
    req: actix_web::test::TestRequest,
) -> Result<String, String> {
    use actix_web::test as actix_test;
    actix_web::rt::System::new().block_on(async {
        let app = actix_test::init_service(actix_web::App::new().wrap(mochi.clone())).await;
        let res = actix_test::call_service(&app, req.to_request()).await;
        let status = res.status().as_u16();
        let body = actix_test::read_body(res).await;
        let body = String::from_utf8(body.to_vec()).expect("UTF-8 answer");
        let detail = |public: &str| {
            body.strip_prefix(public)
                .and_then(|rest| rest.strip_prefix(": "))
                .unwrap_or(&body)
                .to_owned()
        };
        match status {
            200 => Ok(body),
            400 => Err(format!("decode: {}", detail("bad request"))),
            500 => Err(format!("render: {}", detail("internal server error"))),
            other => Err(format!("HTTP {other}: {body}")),
        }
    })
}

/// The answer of the server island `island()` returns, requested as the
/// browser would.
pub(crate) fn answer_of<F>(
    island: impl FnOnce() -> mochi::ServerIsland<F>,
) -> Result<String, String> {
    let mochi = mochi();
    send(&mochi, mochi::testing::island_request(&mochi, island))
}

/// Island `name`'s answer for the devalue props `text`, which no call
/// would make (a token signed over it, requested as the browser would).
pub(crate) fn answer(name: &str, text: &str) -> Result<String, String> {
    let (mochi, keys) = mochi_and_keys();
    let token = mochi::__private::sign_raw(&keys, name, text.as_bytes());
    let req =
        actix_web::test::TestRequest::get().uri(&format!("/_mochi/island/{name}?p={token}&i=i0"));
    send(&mochi, req)
}

/// The value of attribute `name` in the first tag of `html` that has it.
pub(crate) fn attr<'a>(html: &'a str, name: &str) -> Option<&'a str> {
    let needle = format!(" {name}=\"");
    let start = html.find(&needle)? + needle.len();
    let len = html[start..].find('"')?;
    Some(&html[start..start + len])
}

/// Every value of attribute `name` in `html`, in order.
pub(crate) fn attrs<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(value) = attr(rest, name) {
        out.push(value);
        let end = value.as_ptr() as usize - rest.as_ptr() as usize + value.len();
        rest = &rest[end..];
    }
    out
}

/// `text` without its `signed-props="…"` value, for comparing the rest of
/// the markup exactly.
pub(crate) fn without_signed_props(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find(" signed-props=\"") {
        let start = i + " signed-props=\"".len();
        let end = start + rest[start..].find('"').expect("closed attribute");
        out.push_str(&rest[..start]);
        out.push('…');
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

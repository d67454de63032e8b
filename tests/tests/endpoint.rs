//! The island endpoint and the other routes under the asset prefix, through
//! actix's test service: every row of the "Bad input" table in
//! `docs/protocol.md` (each bad request gets its status, never cached), the
//! success headers, the request context inside islands and pages, key
//! rotation, the runtime script and client modules.

use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::http::header::{self, HeaderMap};
use actix_web::http::{Method, StatusCode};
use actix_web::test::{self, TestRequest};
use actix_web::{web, App, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use maud::{html, Markup};
use mochi::{Key, Keys, Mochi, ServerIsland};

// ---------------------------------------------------------------- islands

/// Greets `name`; the plain success case.
#[mochi::island(defer)]
fn greet(name: String) -> Markup {
    html! { p.greet { "Hello, " (name) } }
}

/// Same parameters as `Greet`: its tokens must not open `Greet`.
#[mochi::island(defer)]
fn other(name: String) -> Markup {
    html! { p.other { "Other " (name) } }
}

static COUNTED_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Counts its renders: props that do not decode must never reach it.
#[mochi::island(defer)]
fn counted(n: u32) -> Markup {
    COUNTED_CALLS.fetch_add(1, Ordering::SeqCst);
    html! { span.counted { (n) } }
}

static LONG_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Counts its renders: an over-long URL must never reach it.
#[mochi::island(defer)]
fn long_text(text: String) -> Markup {
    LONG_CALLS.fetch_add(1, Ordering::SeqCst);
    html! { span.long { (text.len()) } }
}

const ERR_SECRET: &str = "db password hunter2 leaked in an error";
const PANIC_SECRET: &str = "panic secret: connection string postgres://admin";
/// Islands one batch may carry (docs/protocol.md, "Batch requests").
const MAX_BATCH: usize = 32;

/// Always fails.
#[mochi::island(defer)]
fn failing(code: u32) -> Result<Markup, String> {
    Err(format!("{ERR_SECRET} ({code})"))
}

/// Always panics.
#[mochi::island(defer)]
async fn panicking(code: u32) -> Markup {
    tokio::task::yield_now().await;
    panic!("{PANIC_SECRET} ({code})")
}

/// Opts in to a shared cache.
#[mochi::island(defer, cache = "public, max-age=60")]
fn cached(n: u32) -> Markup {
    html! { span.cached { (n) } }
}

static HANGING_DROPPED: AtomicUsize = AtomicUsize::new(0);

/// Never finishes; counts how often its render is dropped.
#[mochi::island(defer, timeout = "100ms")]
async fn hanging(n: u32) -> Markup {
    struct Dropped;
    impl Drop for Dropped {
        fn drop(&mut self) {
            HANGING_DROPPED.fetch_add(1, Ordering::SeqCst);
        }
    }
    let _dropped = Dropped;
    std::future::pending::<()>().await;
    html! { (n) }
}

/// Past its 100 ms deadline, for the batch tests (`Hanging` counts its
/// drops for a test of its own).
#[mochi::island(defer, timeout = "100ms")]
async fn overdue(n: u32) -> Markup {
    tokio::time::sleep(std::time::Duration::from_secs(10)).await;
    html! { (n) }
}

/// Takes 300 ms: past a short global deadline, within the default.
#[mochi::island(defer)]
async fn slowish(n: u32) -> Markup {
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    html! { span.slowish { (n) } }
}

/// Shared-cacheable, and reads a cookie and a header by name.
#[mochi::island(defer, cache = "public, max-age=60")]
fn localized(n: u32) -> Markup {
    let cx = mochi::request_context();
    let lang = cx.header("accept-language").map(str::to_owned);
    let theme = cx.cookie("theme");
    html! { span { (n) " " (lang.unwrap_or_default()) " " (theme.unwrap_or_default()) } }
}

/// Shared-cacheable, but reads the whole header map.
#[mochi::island(defer, cache = "public, max-age=60")]
fn nosy(n: u32) -> Markup {
    let headers = mochi::request_context().headers().len();
    html! { span { (n) " " (headers) } }
}

/// App data the context probe reads back.
#[derive(Debug)]
struct Pool(&'static str);

/// Plain (not `web::Data`) app data.
#[derive(Debug, Clone)]
struct Settings {
    region: &'static str,
}

/// Renders what it sees of its request.
#[mochi::island(defer)]
async fn context_probe() -> Markup {
    // The context survives an await point.
    tokio::task::yield_now().await;
    let cx = mochi::request_context();
    let pool = mochi::extract::<web::Data<Pool>>()
        .await
        .map(|p| p.0)
        .unwrap_or("none");
    let req = mochi::extract::<actix_web::HttpRequest>()
        .await
        .expect("the HttpRequest inside an island");
    let region = req
        .app_data::<Settings>()
        .map(|s| s.region)
        .unwrap_or("none");
    html! {
        ul {
            li.user { (cx.cookie("user").unwrap_or_else(|| "none".into())) }
            li.theme { (cx.cookie("theme").unwrap_or_else(|| "none".into())) }
            li.header { (cx.header("x-test").unwrap_or("none")) }
            li.page { (cx.page_url().unwrap_or_else(|| "none".into())) }
            li.query { (cx.query_string()) }
            li.path { (cx.path()) }
            li.method { (cx.method().as_str()) }
            li.island { (cx.is_island_request()) }
            li.id { (mochi::island_id().unwrap_or_else(|| "none".into())) }
            li.pool { (pool) }
            li.region { (region) }
        }
    }
}

/// A hydrated island, for the client-module route.
#[mochi::island(client = "static/endpoint_widget.js")]
fn endpoint_widget(label: String) -> Markup {
    html! { button { (label) } }
}

/// A server island whose answer is a hydrated island.
#[mochi::island(defer, client = "static/endpoint_widget.js")]
fn deferred_widget(label: String) -> Markup {
    html! { button { (label) } }
}

const WIDGET_SOURCE: &str = include_str!("../static/endpoint_widget.js");

// ---------------------------------------------------------------- the app

async fn page() -> HttpResponse {
    let body = html! {
        head { (mochi::runtime_script()) }
        body {
            (greet("Ann".into()).fallback(html! { "Loading…" }))
            (cached(3))
            (endpoint_widget("Go".into()))
        }
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body.into_string())
}

/// Reports the request context of a page render.
async fn context_page() -> HttpResponse {
    let before = describe_page_context();
    // Still there after an await point.
    tokio::task::yield_now().await;
    let after = describe_page_context();
    assert_eq!(before, after);
    HttpResponse::Ok().body(after)
}

fn describe_page_context() -> String {
    let cx = mochi::request_context();
    if !cx.has_request() {
        return "no context".into();
    }
    format!(
        "user={} path={} query={} method={} island={} page={}",
        cx.cookie("user").unwrap_or_else(|| "none".into()),
        cx.path(),
        cx.query_string(),
        cx.method(),
        cx.is_island_request(),
        cx.page_url().unwrap_or_else(|| "none".into()),
    )
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::Data::new(Pool("pool-1")))
        .app_data(Settings { region: "eu-west" })
        .route("/page", web::get().to(page))
        .route("/eager", web::get().to(eager_page))
        .route("/modules/{kind}", web::get().to(modules_page))
        .route("/ctx", web::get().to(context_page));
}

/// What a request got back.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts `status` and, for errors, `Cache-Control: no-store`.
    #[track_caller]
    fn expect(&self, status: u16, what: &str) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "{what}: got {} with body {:?}",
            self.status,
            self.body
        );
        if status >= 400 {
            assert_eq!(
                self.header("cache-control"),
                Some("no-store"),
                "{what}: every error answer is no-store"
            );
        }
        self
    }
}

async fn send(mochi: &Mochi, req: TestRequest) -> Answer {
    let app = test::init_service(App::new().wrap(mochi.clone()).configure(routes)).await;
    let res = test::call_service(&app, req.to_request()).await;
    let status = res.status();
    let headers = res.headers().clone();
    let body = test::read_body(res).await;
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

async fn get(mochi: &Mochi, uri: &str) -> Answer {
    send(mochi, TestRequest::get().uri(uri)).await
}

fn mochi_with(key: &Key) -> Mochi {
    Mochi::builder(key.clone()).build().expect("mochi starts")
}

/// Under `key`, making signed (readable) tokens instead of sealed ones.
fn mochi_signing(key: &Key) -> Mochi {
    Mochi::builder(key.clone())
        .seal_props(false)
        .build()
        .expect("mochi starts")
}

/// The signed props of the island `make` builds, rendered as a page under
/// `mochi`.
fn token(mochi: &Mochi, make: impl FnOnce() -> ServerIsland) -> String {
    mochi
        .render_page(|| make().signed_props().map(str::to_owned))
        .expect("a server island rendered under mochi has signed props")
}

/// A token for hand-written devalue `text`, signed like mochi signs props.
fn sign(key: &Key, island: &str, text: &str) -> String {
    mochi::__private::sign_raw(&Keys::new(key.clone(), Vec::new()), island, text.as_bytes())
}

/// The value of the first `attr="…"` in `html`.
fn attr<'h>(html: &'h str, attr: &str) -> Option<&'h str> {
    let start = html.find(&format!(" {attr}=\""))? + attr.len() + 3;
    let len = html[start..].find('"')?;
    Some(&html[start..start + len])
}

fn island_url(name: &str, token: &str) -> String {
    format!("/_mochi/island/{name}?p={token}")
}

// ---------------------------------------------------------------- success

#[actix_web::test]
async fn page_token_renders_the_island_with_success_headers() {
    let key = Key::generate();
    let mochi = mochi_with(&key);
    let page = get(&mochi, "/page").await;
    page.expect(200, "page");
    assert!(
        page.body.contains(
            r#"<mochi-server-island component-name="Greet" island-id="i0" signed-props=""#
        ),
        "{}",
        page.body
    );
    let token = attr(&page.body, "signed-props").expect("the page carries signed props");

    let ok = get(&mochi, &island_url("Greet", token)).await;
    ok.expect(200, "island from the page's token");
    assert_eq!(ok.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(ok.header("cache-control"), Some("private, no-store"));
    assert_eq!(ok.header("x-robots-tag"), Some("noindex"));
    assert_eq!(ok.body, r#"<p class="greet">Hello, Ann</p>"#);

    // The same props give the same token (deterministic signing).
    assert_eq!(token, self::token(&mochi, || greet("Ann".into())));
}

#[actix_web::test]
async fn props_are_html_escaped_in_the_answer() {
    let key = Key::generate();
    let mochi = mochi_with(&key);
    let t = token(&mochi, || greet("<b>&\"".into()));
    let ok = get(&mochi, &island_url("Greet", &t)).await;
    ok.expect(200, "escaping");
    assert_eq!(
        ok.body,
        r#"<p class="greet">Hello, &lt;b&gt;&amp;&quot;</p>"#
    );
}

#[actix_web::test]
async fn island_id_and_unknown_query_parameters_are_accepted() {
    let key = Key::generate();
    let mochi = mochi_with(&key);
    let t = token(&mochi, || greet("Bo".into()));
    let ok = get(&mochi, &format!("/_mochi/island/Greet?v=3&p={t}&i=i12&x")).await;
    ok.expect(200, "extra parameters");
    assert!(ok.body.contains("Hello, Bo"));
}

#[actix_web::test]
async fn head_answers_like_get() {
    let key = Key::generate();
    let mochi = mochi_with(&key);
    let t = token(&mochi, || greet("Cy".into()));
    let head = send(
        &mochi,
        TestRequest::default()
            .method(Method::HEAD)
            .uri(&island_url("Greet", &t)),
    )
    .await;
    head.expect(200, "HEAD");
    assert_eq!(
        head.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(head.header("cache-control"), Some("private, no-store"));
    assert_eq!(head.header("x-robots-tag"), Some("noindex"));

    // HEAD of a bad request is the same error as GET.
    let bad = send(
        &mochi,
        TestRequest::default()
            .method(Method::HEAD)
            .uri("/_mochi/island/Greet"),
    )
    .await;
    bad.expect(400, "HEAD without p");
}

#[actix_web::test]
async fn island_may_opt_in_to_caching() {
    let key = Key::generate();
    let mochi = mochi_with(&key);
    let page = get(&mochi, "/page").await;
    let start = page
        .body
        .find(r#"component-name="Cached""#)
        .expect("Cached on the page");
    let t = attr(&page.body[start..], "signed-props").expect("Cached is signed");
    let ok = get(&mochi, &island_url("Cached", t)).await;
    ok.expect(200, "cached island");
    assert_eq!(ok.header("cache-control"), Some("public, max-age=60"));
    assert_eq!(ok.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(ok.body, r#"<span class="cached">3</span>"#);

    // Its errors stay uncacheable.
    get(&mochi, "/_mochi/island/Cached?p=nodot")
        .await
        .expect(400, "cached island, bad token");
}

// ---------------------------------------------------------------- 404

#[actix_web::test]
async fn unknown_or_invalid_names_are_404() {
    let key = Key::generate();
    let mochi = mochi_with(&key);
    let t = token(&mochi, || greet("Ann".into()));
    for name in [
        "No",
        "Nope",
        "greet",
        "a-b",
        "..%2F",
        "..%2FGreet",
        "%2E%2E",
        "Greet%00",
        "Greet.js",
        "Greet/extra",
        "",
        "1Greet",
        "Gr%C3%A9et",
        // A hydrated-only island has no endpoint.
        "EndpointWidget",
        &"A".repeat(65),
    ] {
        get(&mochi, &island_url(name, &t))
            .await
            .expect(404, &format!("island name {name:?}"));
    }
    // Nothing else under the prefix either.
    for path in [
        "/_mochi/",
        "/_mochi/nope",
        "/_mochi/island",
        "/_mochi/client/",
    ] {
        get(&mochi, path).await.expect(404, path);
    }
}

// ---------------------------------------------------------------- 400

/// Signed tokens (`seal_props(false)`), cut and spliced at their `.`.
#[actix_web::test]
async fn malformed_p_is_400() {
    let key = Key::generate();
    let mochi = mochi_signing(&key);
    let t = token(&mochi, || greet("Ann".into()));
    let (payload, tag) = t.split_once('.').unwrap();
    let cases = [
        ("missing", "/_mochi/island/Greet".to_owned()),
        (
            "missing, other params",
            "/_mochi/island/Greet?i=i1&v=2".into(),
        ),
        ("empty", "/_mochi/island/Greet?p=".into()),
        ("empty, no =", "/_mochi/island/Greet?p".into()),
        ("empty, with i", "/_mochi/island/Greet?p=&i=i1".into()),
        ("repeated", format!("/_mochi/island/Greet?p={t}&p={t}")),
        ("repeated, empty", format!("/_mochi/island/Greet?p={t}&p=")),
        (
            "not base64url payload",
            format!("/_mochi/island/Greet?p=a*b{payload}.{tag}"),
        ),
        (
            "padding",
            format!("/_mochi/island/Greet?p={payload}%3D.{tag}"),
        ),
        (
            "percent-encoded",
            format!("/_mochi/island/Greet?p=%2B%2F{payload}.{tag}"),
        ),
        (
            "not base64url tag",
            format!("/_mochi/island/Greet?p={payload}.{}!", &tag[1..]),
        ),
        ("no dot, short", "/_mochi/island/Greet?p=abc".into()),
        ("only a dot", "/_mochi/island/Greet?p=.".into()),
        ("empty payload", format!("/_mochi/island/Greet?p=.{tag}")),
        (
            "truncated by one",
            format!("/_mochi/island/Greet?p={}", &t[..t.len() - 1]),
        ),
        (
            "truncated at the tag",
            format!("/_mochi/island/Greet?p={payload}."),
        ),
        (
            "truncated mid-tag",
            format!("/_mochi/island/Greet?p={payload}.{}", &tag[..10]),
        ),
        ("extended tag", format!("/_mochi/island/Greet?p={t}AAAA")),
        (
            "bad island id",
            format!("/_mochi/island/Greet?p={t}&i=%3Cscript%3E"),
        ),
        ("empty island id", format!("/_mochi/island/Greet?p={t}&i=")),
    ];
    for (what, uri) in cases {
        let answer = get(&mochi, &uri).await;
        answer.expect(400, what);
    }
}

#[actix_web::test]
async fn props_that_do_not_decode_are_400_and_never_reach_the_island() {
    let key = Key::generate();
    let mochi = mochi_with(&key);
    let bad_texts: &[&[u8]] = &[
        br#"[{"m":1},5]"#,          // missing field
        br#"[{"n":1},"five"]"#,     // wrong type
        br#"[{"n":1},-7]"#,         // negative (a sentinel index)
        br#"[{"n":1},4294967296]"#, // out of range for u32
        br#"[{"n":1},1.5]"#,        // not an integer
        br#"[{"n":9},5]"#,          // index out of bounds
        br#"[{"n":0}]"#,            // cycle back to the root
        br#"[{"n":1},5"#,           // truncated JSON
        br#"[]"#,                   // no root
        b"null",
        b"",
        b"not json",
        br#"[["Date","x"]]"#,
        b"\xff\xfe\x00", // not UTF-8
    ];
    for text in bad_texts {
        let t = mochi::__private::sign_raw(&Keys::new(key.clone(), Vec::new()), "Counted", text);
        let answer = get(&mochi, &island_url("Counted", &t)).await;
        answer.expect(400, &format!("props {:?}", String::from_utf8_lossy(text)));
    }
    // Deep nesting is refused without overflowing the stack.
    let deep = format!("{}{}", "[".repeat(2500), "]".repeat(2500));
    let t = sign(&key, "Counted", &deep);
    get(&mochi, &island_url("Counted", &t))
        .await
        .expect(400, "deeply nested props");
    assert_eq!(
        COUNTED_CALLS.load(Ordering::SeqCst),
        0,
        "the component ran with props that do not fit"
    );

    // The hand-signed devalue text of `{n: 5}` does decode.
    let t = sign(&key, "Counted", r#"[{"n":1},5]"#);
    let ok = get(&mochi, &island_url("Counted", &t)).await;
    ok.expect(200, "hand-signed valid props");
    assert_eq!(ok.body, r#"<span class="counted">5</span>"#);
    assert_eq!(COUNTED_CALLS.load(Ordering::SeqCst), 1);
    // And it is exactly what mochi signs for `counted(5)`.
    assert_eq!(t, token(&mochi_signing(&key), || counted(5)));
}

// ---------------------------------------------------------------- 403

/// Signed tokens (`seal_props(false)`) with their payload or tag changed.
#[actix_web::test]
async fn tokens_that_do_not_verify_are_403() {
    let key = Key::generate();
    let mochi = mochi_signing(&key);
    let t = token(&mochi, || greet("Ann".into()));
    let (payload, tag) = t.split_once('.').unwrap();

    // Flip one character of the payload (still base64url).
    let flip = |s: &str, i: usize| {
        let mut b = s.as_bytes().to_vec();
        b[i] = if b[i] == b'A' { b'B' } else { b'A' };
        String::from_utf8(b).unwrap()
    };
    let other_key = Key::generate();
    let cases = [
        ("tampered payload", format!("{}.{tag}", flip(payload, 0))),
        (
            "tampered payload end",
            format!("{}.{tag}", flip(payload, payload.len() - 1)),
        ),
        ("tampered tag", format!("{payload}.{}", flip(tag, 0))),
        (
            "tampered tag middle",
            format!("{payload}.{}", flip(tag, 11)),
        ),
        (
            "payload swapped for other props",
            format!(
                "{}.{tag}",
                token(&mochi, || greet("Eve".into()))
                    .split_once('.')
                    .unwrap()
                    .0
            ),
        ),
        (
            "shortened payload",
            format!("{}.{tag}", &payload[..payload.len() - 1]),
        ),
        (
            "other key",
            Mochi::builder(other_key.clone())
                .build()
                .unwrap()
                .render_page(|| greet("Ann".into()).signed_props().unwrap().to_owned()),
        ),
        (
            "other key, hand-signed",
            sign(&other_key, "Greet", r#"[{"name":1},"Ann"]"#),
        ),
        (
            "minted for another island",
            token(&mochi, || other("Ann".into())),
        ),
        (
            "hand-signed for another island",
            sign(&key, "Other", r#"[{"name":1},"Ann"]"#),
        ),
        (
            "signed for the lowercase name",
            sign(&key, "greet", r#"[{"name":1},"Ann"]"#),
        ),
    ];
    for (what, token) in cases {
        get(&mochi, &island_url("Greet", &token))
            .await
            .expect(403, what);
    }
    // The real token still works, and the other island's token works there.
    get(&mochi, &island_url("Greet", &t))
        .await
        .expect(200, "real");
    let o = token(&mochi, || other("Ann".into()));
    let answer = get(&mochi, &island_url("Other", &o)).await;
    answer.expect(200, "Other's own token");
    assert!(answer.body.contains("Other Ann"));
}

#[actix_web::test]
async fn sealed_tokens_are_400_when_malformed_and_403_when_not_ours() {
    let key = Key::generate();
    let mochi = mochi_with(&key);
    let t = token(&mochi, || greet("Ann".into()));
    assert!(!t.contains('.'), "sealed by default: {t}");
    // Change one character (to another that keeps the text base64url and
    // canonical: positions before the last).
    let flip = |i: usize| {
        let mut b = t.as_bytes().to_vec();
        b[i] = if b[i] == b'A' { b'B' } else { b'A' };
        String::from_utf8(b).unwrap()
    };
    let whole = t.len() / 4 * 4;
    let malformed = [
        ("not base64url", format!("{t}*")),
        ("padding", format!("{t}%3D")),
        ("shorter than nonce and tag", t[..36].to_owned()),
        ("a dot added", format!("{t}.")),
        ("empty island id", format!("{t}&i=")),
    ];
    for (what, token) in malformed {
        let url = island_url("Greet", &token);
        get(&mochi, &url).await.expect(400, what);
    }
    let other_key = Key::generate();
    let ours = Keys::new(key.clone(), Vec::new());
    let forged = [
        ("nonce changed", flip(0)),
        ("ciphertext changed", flip(14)),
        ("tag changed", flip(t.len() - 2)),
        ("cut to whole bytes", t[..whole - 4].to_owned()),
        (
            "another key",
            Mochi::builder(other_key)
                .build()
                .unwrap()
                .render_page(|| greet("Ann".into()).signed_props().unwrap().to_owned()),
        ),
        (
            "sealed for another island",
            token(&mochi, || other("Ann".into())),
        ),
        (
            "sealed by hand for the lowercase name",
            mochi::__private::seal_raw(&ours, "greet", br#"[{"name":1},"Ann"]"#),
        ),
    ];
    for (what, token) in forged {
        let url = island_url("Greet", &token);
        get(&mochi, &url).await.expect(403, what);
    }
    let answer = get(&mochi, &island_url("Greet", &t)).await;
    answer.expect(200, "the real token");
    assert!(answer.body.contains("Hello, Ann"));
}

/// Nothing of sealed props can be read from the page or the island URL;
/// the same props give the same token, so the page stays cacheable.
#[actix_web::test]
async fn sealed_props_are_unreadable_and_deterministic() {
    let key = Key::generate();
    let mochi = mochi_with(&key);
    let secret = "ann.private@example.com";
    let page = mochi.render_page(|| html! { (greet(secret.into())) }.into_string());
    let again = mochi.render_page(|| html! { (greet(secret.into())) }.into_string());
    assert_eq!(page, again, "same props, same page");
    let t = attr(&page, "signed-props").expect("a token");
    let text = format!(r#"[{{"name":1}},"{secret}"]"#);
    assert!(!page.contains("ann.private"), "{page}");
    for shift in 0..3 {
        let shown = URL_SAFE_NO_PAD.encode(&text.as_bytes()[shift..]);
        assert!(!page.contains(&shown[4..20]), "{page} shows {shown}");
    }
    let answer = get(&mochi, &island_url("Greet", t)).await;
    answer.expect(200, "sealed props open at the endpoint");
    assert!(answer.body.contains(secret));
    // Signed tokens, readable, still open under sealing (and the reverse),
    // so switching modes loses no cached page.
    let signed = token(&mochi_signing(&key), || greet(secret.into()));
    assert!(signed.starts_with(&URL_SAFE_NO_PAD.encode(&text)));
    get(&mochi, &island_url("Greet", &signed))
        .await
        .expect(200, "a signed token under sealing");
    get(&mochi_signing(&key), &island_url("Greet", t))
        .await
        .expect(200, "a sealed token under signing");
}

#[actix_web::test]
async fn key_rotation_accepts_listed_fallbacks_only() {
    let key_a = Key::generate();
    let key_b = Key::generate();
    let mochi_a = mochi_with(&key_a);
    // A page rendered (and maybe cached) under key A…
    let page = get(&mochi_a, "/page").await;
    let t = attr(&page.body, "signed-props").unwrap().to_owned();
    let url = island_url("Greet", &t);
    get(&mochi_a, &url).await.expect(200, "key A");

    // …still loads after the deploy that signs with B and lists A…
    let rotated = Mochi::builder(key_b.clone())
        .fallback_keys(vec![key_a.clone()])
        .build()
        .unwrap();
    let answer = get(&rotated, &url).await;
    answer.expect(200, "key B with fallback A");
    assert!(answer.body.contains("Hello, Ann"));
    // New pages are signed with B.
    let t_b = token(&rotated, || greet("Ann".into()));
    assert_ne!(t_b, t);
    get(&rotated, &island_url("Greet", &t_b))
        .await
        .expect(200, "key B");

    // …and stops loading once A is dropped.
    let b_only = mochi_with(&key_b);
    get(&b_only, &url)
        .await
        .expect(403, "key B without fallback");
    get(&b_only, &island_url("Greet", &t_b))
        .await
        .expect(200, "key B token under key B");
    // A fallback key verifies but never signs: B tokens fail under A.
    get(&mochi_a, &island_url("Greet", &t_b))
        .await
        .expect(403, "key B token under key A");
}

// ---------------------------------------------------------------- 414

#[actix_web::test]
async fn over_long_urls_are_414_before_verification() {
    let key = Key::generate();
    let mochi = mochi_with(&key);
    let long = "a".repeat(9 * 1024);
    // A validly signed token that would decode into LongText's props.
    let valid_long = sign(&key, "LongText", &format!(r#"[{{"text":1}},"{long}"]"#));
    let cases = [
        ("validly signed", island_url("LongText", &valid_long)),
        ("garbage token", island_url("LongText", &long)),
        ("unknown island", island_url("Nope", &long)),
        ("invalid name", island_url("a-b", &long)),
        (
            "long other parameter",
            format!("/_mochi/island/LongText?p=a.b&x={long}"),
        ),
        ("long name", format!("/_mochi/island/{long}?p=a.b")),
    ];
    for (what, uri) in cases {
        assert!(uri.len() > 8 * 1024);
        get(&mochi, &uri).await.expect(414, what);
    }
    assert_eq!(
        LONG_CALLS.load(Ordering::SeqCst),
        0,
        "an over-long URL reached the component"
    );

    // The same kind of token under the cap is fine.
    let short = "a".repeat(4 * 1024);
    let valid = sign(&key, "LongText", &format!(r#"[{{"text":1}},"{short}"]"#));
    let uri = island_url("LongText", &valid);
    assert!(uri.len() < 8 * 1024);
    let ok = get(&mochi, &uri).await;
    ok.expect(200, "long-ish but under the cap");
    assert_eq!(ok.body, r#"<span class="long">4096</span>"#);
    assert_eq!(LONG_CALLS.load(Ordering::SeqCst), 1);
}

// ---------------------------------------------------------------- 405

#[actix_web::test]
async fn other_methods_are_405_with_allow() {
    let key = Key::generate();
    let mochi = mochi_with(&key);
    let t = token(&mochi, || greet("Ann".into()));
    let url = island_url("Greet", &t);
    for method in [
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
    ] {
        for uri in [url.as_str(), mochi.runtime_url(), "/_mochi/island/Nope"] {
            let answer = send(
                &mochi,
                TestRequest::default()
                    .method(method.clone())
                    .uri(uri)
                    .set_payload("x=1"),
            )
            .await;
            let island = uri.contains("/island/");
            if method == Method::POST && island {
                continue; // large props go by POST: see the POST tests
            }
            answer.expect(405, &format!("{method} {uri}"));
            let allow = if island {
                "GET, HEAD, POST"
            } else {
                "GET, HEAD"
            };
            assert_eq!(answer.header("allow"), Some(allow), "{method} {uri}");
            assert_eq!(
                answer.header("content-type"),
                Some("text/plain; charset=utf-8"),
                "{method} {uri}"
            );
        }
    }
}

// ---------------------------------------------------------------- 500

fn assert_500_names_no_internals(answer: &Answer, secret: &str, what: &str) {
    answer.expect(500, what);
    assert!(
        !answer.body.contains(PANIC_SECRET),
        "{what}: a panic message reached the client: {:?}",
        answer.body
    );
    assert!(
        answer.body.starts_with("internal server error"),
        "{what}: {:?}",
        answer.body
    );
    // Details are on by default in debug builds only; both settings are
    // checked in every build by the test after this one.
    if !cfg!(debug_assertions) {
        assert!(
            !answer.body.contains(secret),
            "{what}: internals outside a debug build: {:?}",
            answer.body
        );
        assert_eq!(answer.body, "internal server error", "{what}");
    }
}

/// With details off (the release default), in any build: the body is the
/// bare status word.
#[actix_web::test]
async fn without_error_details_no_internals_reach_the_client() {
    let key = Key::generate();
    let mochi = Mochi::builder(key.clone())
        .error_details(false)
        .build()
        .unwrap();
    let err = get(
        &mochi,
        &island_url("Failing", &token(&mochi, || failing(7))),
    )
    .await;
    err.expect(500, "Err");
    assert_eq!(err.body, "internal server error");
    let panic = get(
        &mochi,
        &island_url("Panicking", &token(&mochi, || panicking(1))),
    )
    .await;
    panic.expect(500, "panic");
    assert_eq!(panic.body, "internal server error");
    let bad = get(
        &mochi,
        &island_url("Counted", &sign(&key, "Counted", "[\"x\"]")),
    )
    .await;
    bad.expect(400, "props that do not fit");
    assert_eq!(bad.body, "bad request");
    // And with details on, the cause is named (what debug builds do).
    let verbose = Mochi::builder(key.clone())
        .error_details(true)
        .build()
        .unwrap();
    let err = get(
        &verbose,
        &island_url("Failing", &token(&verbose, || failing(7))),
    )
    .await;
    assert!(err.body.contains(ERR_SECRET), "{}", err.body);
}

#[actix_web::test]
async fn island_err_is_500() {
    let key = Key::generate();
    let mochi = mochi_with(&key);
    let t = token(&mochi, || failing(7));
    let answer = get(&mochi, &island_url("Failing", &t)).await;
    assert_500_names_no_internals(&answer, ERR_SECRET, "island returning Err");
}

#[actix_web::test]
async fn island_panic_is_500_and_the_server_keeps_serving() {
    let key = Key::generate();
    let mochi = mochi_with(&key);
    let app = test::init_service(App::new().wrap(mochi.clone()).configure(routes)).await;
    let panic_token = token(&mochi, || panicking(1));
    let greet_token = token(&mochi, || greet("Ann".into()));
    for round in 0..3 {
        let res = test::call_service(
            &app,
            TestRequest::get()
                .uri(&island_url("Panicking", &panic_token))
                .to_request(),
        )
        .await;
        let answer = Answer {
            status: res.status(),
            headers: res.headers().clone(),
            body: String::from_utf8_lossy(&test::read_body(res).await).into_owned(),
        };
        assert_500_names_no_internals(&answer, PANIC_SECRET, "panicking island");

        // The same service answers the next request to another island.
        let res = test::call_service(
            &app,
            TestRequest::get()
                .uri(&island_url("Greet", &greet_token))
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "round {round}");
        let body = test::read_body(res).await;
        assert_eq!(&body[..], br#"<p class="greet">Hello, Ann</p>"#);
        // And pages still render.
        let res = test::call_service(&app, TestRequest::get().uri("/page").to_request()).await;
        assert_eq!(res.status(), StatusCode::OK, "round {round}");
    }
}

// ---------------------------------------------------------------- context

#[actix_web::test]
async fn request_context_inside_an_island() {
    let key = Key::generate();
    let mochi = mochi_with(&key);
    let t = token(&mochi, context_probe);
    let answer = send(
        &mochi,
        TestRequest::get()
            .uri(&format!("/_mochi/island/ContextProbe?p={t}&i=i4&trace=42"))
            .insert_header((header::COOKIE, "user=ann; theme=dark"))
            .insert_header(("x-test", "hello"))
            .insert_header((header::HOST, "shop.example"))
            .insert_header((header::REFERER, "http://shop.example/products/7?ref=mail")),
    )
    .await;
    answer.expect(200, "context probe");
    let b = &answer.body;
    for expected in [
        r#"<li class="user">ann</li>"#,
        r#"<li class="theme">dark</li>"#,
        r#"<li class="header">hello</li>"#,
        r#"<li class="page">http://shop.example/products/7?ref=mail</li>"#,
        &format!(r#"<li class="query">p={t}&amp;i=i4&amp;trace=42</li>"#),
        r#"<li class="path">/_mochi/island/ContextProbe</li>"#,
        r#"<li class="method">GET</li>"#,
        r#"<li class="island">true</li>"#,
        r#"<li class="id">i4</li>"#,
        r#"<li class="pool">pool-1</li>"#,
        r#"<li class="region">eu-west</li>"#,
    ] {
        assert!(b.contains(expected), "missing {expected} in {b}");
    }

    // A Referer from another origin is no page URL of this site.
    for referer in [
        "https://shop.example/products/7",
        "http://shop.example.evil.test/x",
        "http://evil.test/",
        "javascript:alert(1)",
    ] {
        let answer = send(
            &mochi,
            TestRequest::get()
                .uri(&island_url("ContextProbe", &t))
                .insert_header((header::HOST, "shop.example"))
                .insert_header((header::REFERER, referer)),
        )
        .await;
        assert!(
            answer.body.contains(r#"<li class="page">none</li>"#),
            "{referer}: {}",
            answer.body
        );
    }

    // Without cookies, headers or a Referer.
    let bare = get(&mochi, &island_url("ContextProbe", &t)).await;
    bare.expect(200, "bare context probe");
    for expected in [
        r#"<li class="user">none</li>"#,
        r#"<li class="header">none</li>"#,
        r#"<li class="page">none</li>"#,
        r#"<li class="pool">pool-1</li>"#,
    ] {
        assert!(
            bare.body.contains(expected),
            "missing {expected} in {}",
            bare.body
        );
    }
}

#[actix_web::test]
async fn request_context_inside_a_page_handler() {
    let key = Key::generate();
    let mochi = mochi_with(&key);
    let answer = send(
        &mochi,
        TestRequest::get()
            .uri("/ctx?tab=2")
            .insert_header((header::COOKIE, "user=zoe"))
            .insert_header((header::HOST, "shop.example")),
    )
    .await;
    answer.expect(200, "context page");
    assert_eq!(
        answer.body,
        "user=zoe path=/ctx query=tab=2 method=GET island=false page=http://shop.example/ctx?tab=2"
    );
}

#[test]
fn an_empty_request_outside_a_request() {
    let cx = mochi::request_context();
    assert!(!cx.has_request());
    assert_eq!((cx.method().as_str(), cx.path()), ("GET", "/"));
    assert_eq!((cx.cookie("user"), cx.header("host")), (None, None));
    assert_eq!(cx.page_url(), None);
    assert!(mochi::island_id().is_none());
    // Inside render_page there is a page scope but no request.
    let mochi = mochi_with(&Key::generate());
    assert!(!mochi.render_page(mochi::request_context).has_request());
}

// ---------------------------------------------------------------- assets

#[actix_web::test]
async fn runtime_script_is_served_immutable_under_its_hash() {
    let mochi = mochi_with(&Key::generate());
    let url = mochi.runtime_url().to_owned();
    assert!(
        url.starts_with("/_mochi/runtime-") && url.ends_with(".js"),
        "{url}"
    );
    let ok = get(&mochi, &url).await;
    ok.expect(200, "runtime");
    assert!(
        ok.header("content-type")
            .is_some_and(|c| c.starts_with("text/javascript")),
        "{:?}",
        ok.header("content-type")
    );
    assert!(ok
        .header("cache-control")
        .is_some_and(|c| c.contains("immutable")));
    assert!(ok.body.contains("mochi-server-island"));

    // The page links exactly that URL.
    let page = get(&mochi, "/page").await;
    assert!(
        page.body.contains(&format!(
            r#"<script type="module" async src="{url}"></script>"#
        )),
        "{}",
        page.body
    );

    let head = send(
        &mochi,
        TestRequest::default().method(Method::HEAD).uri(&url),
    )
    .await;
    head.expect(200, "HEAD runtime");

    for stale in [
        "/_mochi/runtime-0000000000000000.js".to_owned(),
        "/_mochi/runtime.js".into(),
        url.replace(".js", ""),
        format!("{url}x"),
    ] {
        get(&mochi, &stale).await.expect(404, &stale);
    }
}

#[actix_web::test]
async fn client_modules_are_served_immutable_under_their_hash() {
    let mochi = mochi_with(&Key::generate());
    let page = get(&mochi, "/page").await;
    let start = page
        .body
        .find(r#"<mochi-island component-name="EndpointWidget""#)
        .expect("the widget on the page");
    let url = attr(&page.body[start..], "client")
        .expect("the widget names its module")
        .to_owned();
    assert!(
        url.starts_with("/_mochi/client/EndpointWidget-") && url.ends_with(".js"),
        "{url}"
    );
    let ok = get(&mochi, &url).await;
    ok.expect(200, "client module");
    assert!(ok
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/javascript")));
    assert!(ok
        .header("cache-control")
        .is_some_and(|c| c.contains("immutable")));
    assert_eq!(ok.body, WIDGET_SOURCE);

    let (_, hash) = url.strip_suffix(".js").unwrap().rsplit_once('-').unwrap();
    let stale_hash = "0".repeat(hash.len());
    for stale in [
        url.replace(hash, &stale_hash),
        "/_mochi/client/EndpointWidget.js".into(),
        url.replace("EndpointWidget", "Nope"),
        // A server island has no client module.
        url.replace("EndpointWidget", "Greet"),
    ] {
        get(&mochi, &stale).await.expect(404, &stale);
    }
}

// ---------------------------------------------------------------- 504

#[actix_web::test]
async fn an_island_past_its_deadline_is_504_and_its_render_is_dropped() {
    let key = Key::generate();
    let mochi = mochi_with(&key);
    let before = HANGING_DROPPED.load(Ordering::SeqCst);
    let started = std::time::Instant::now();
    let answer = get(
        &mochi,
        &island_url("Hanging", &token(&mochi, || hanging(1))),
    )
    .await;
    answer.expect(504, "hanging island");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "the deadline is the island's own 100 ms"
    );
    assert_eq!(
        HANGING_DROPPED.load(Ordering::SeqCst),
        before + 1,
        "render dropped"
    );
    assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
}

#[actix_web::test]
async fn the_global_deadline_applies_to_islands_without_their_own() {
    let key = Key::generate();
    let short = Mochi::builder(key.clone())
        .island_timeout(std::time::Duration::from_millis(50))
        .build()
        .unwrap();
    let t = token(&short, || slowish(2));
    get(&short, &island_url("Slowish", &t))
        .await
        .expect(504, "50 ms deadline");
    let default = mochi_with(&key);
    let ok = get(&default, &island_url("Slowish", &t)).await;
    ok.expect(200, "10 s deadline");
    assert_eq!(ok.body, r#"<span class="slowish">2</span>"#);
}

// ---------------------------------------------------------------- POST

fn post_form(uri: &str, body: &str) -> TestRequest {
    TestRequest::post()
        .uri(uri)
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .set_payload(body.to_owned())
}

#[actix_web::test]
async fn post_answers_like_get_and_is_never_cacheable() {
    let key = Key::generate();
    let mochi = mochi_with(&key);
    let t = token(&mochi, || greet("Ann".into()));
    let answer = send(
        &mochi,
        post_form("/_mochi/island/Greet", &format!("p={t}&i=i2")),
    )
    .await;
    answer.expect(200, "POST");
    assert_eq!(answer.body, r#"<p class="greet">Hello, Ann</p>"#);
    assert_eq!(answer.header("cache-control"), Some("private, no-store"));

    // An island that opted into a shared cache: not by POST.
    let t = token(&mochi, || cached(3));
    let answer = send(
        &mochi,
        post_form("/_mochi/island/Cached", &format!("p={t}")),
    )
    .await;
    answer.expect(200, "POST to a cacheable island");
    assert_eq!(answer.header("cache-control"), Some("private, no-store"));

    // Same verification as GET.
    let forged = send(
        &mochi,
        post_form(
            "/_mochi/island/Greet",
            &format!(
                "p={}",
                sign(&Key::generate(), "Greet", "[{\"name\":1},\"x\"]")
            ),
        ),
    )
    .await;
    forged.expect(403, "POST, other key");
    send(&mochi, post_form("/_mochi/island/Greet", "i=i1"))
        .await
        .expect(400, "POST without p");
    send(&mochi, post_form("/_mochi/island/Greet", ""))
        .await
        .expect(400, "empty POST");
}

#[actix_web::test]
async fn post_bodies_over_the_cap_are_413_before_decoding() {
    let key = Key::generate();
    let mochi = Mochi::builder(key.clone())
        .max_body_len(256)
        .build()
        .unwrap();
    let before = COUNTED_CALLS.load(Ordering::SeqCst);
    let big = format!(
        "p={}&pad={}",
        sign(&key, "Counted", "[{\"n\":1},1]"),
        "x".repeat(300)
    );
    send(&mochi, post_form("/_mochi/island/Counted", &big))
        .await
        .expect(413, "declared length over the cap");
    // Without a Content-Length the cap still holds while reading.
    let chunked = TestRequest::post()
        .uri("/_mochi/island/Counted")
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .set_payload(big.clone());
    let mut req = chunked.to_request();
    req.headers_mut().remove(header::CONTENT_LENGTH);
    let app = test::init_service(App::new().wrap(mochi.clone()).configure(routes)).await;
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        COUNTED_CALLS.load(Ordering::SeqCst),
        before,
        "never reached the island"
    );

    let wrong_type = TestRequest::post()
        .uri("/_mochi/island/Counted")
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .set_payload("{}");
    send(&mochi, wrong_type).await.expect(415, "not a form");
    let put = send(&mochi, TestRequest::put().uri("/_mochi/island/Counted")).await;
    put.expect(405, "PUT");
    assert_eq!(put.header("allow"), Some("GET, HEAD, POST"));
}

// ---------------------------------------------------------------- cross-site

#[actix_web::test]
async fn cross_site_island_requests_are_403_unless_allowed() {
    let key = Key::generate();
    let mochi = mochi_with(&key);
    let url = island_url("Greet", &token(&mochi, || greet("Ann".into())));
    let with_site = |site: &'static str| {
        TestRequest::get()
            .uri(&url)
            .insert_header(("sec-fetch-site", site))
    };
    send(&mochi, with_site("cross-site"))
        .await
        .expect(403, "cross-site");
    for site in ["same-origin", "same-site", "none"] {
        send(&mochi, with_site(site)).await.expect(200, site);
    }
    get(&mochi, &url).await.expect(200, "no Sec-Fetch-* at all");
    let open = Mochi::builder(key.clone())
        .allow_cross_site(true)
        .build()
        .unwrap();
    send(&open, with_site("cross-site"))
        .await
        .expect(200, "allowed");
}

#[actix_web::test]
async fn island_answers_are_neither_sniffed_nor_framed() {
    let key = Key::generate();
    let mochi = mochi_with(&key);
    let ok = get(
        &mochi,
        &island_url("Greet", &token(&mochi, || greet("Ann".into()))),
    )
    .await;
    let forbidden = get(
        &mochi,
        &island_url("Greet", &sign(&Key::generate(), "Greet", "[1]")),
    )
    .await;
    for (answer, what) in [(&ok, "200"), (&forbidden, "403")] {
        assert_eq!(
            answer.header("x-content-type-options"),
            Some("nosniff"),
            "{what}"
        );
        assert_eq!(
            answer.header("content-security-policy"),
            Some("frame-ancestors 'self'"),
            "{what}"
        );
        assert_eq!(
            answer.header("x-frame-options"),
            Some("SAMEORIGIN"),
            "{what}"
        );
    }
}

// ---------------------------------------------------------------- Vary

#[actix_web::test]
async fn a_shared_cacheable_island_varies_on_what_it_read() {
    let key = Key::generate();
    let mochi = mochi_with(&key);
    let answer = send(
        &mochi,
        TestRequest::get()
            .uri(&island_url("Localized", &token(&mochi, || localized(1))))
            .insert_header(("accept-language", "de"))
            .insert_header((header::COOKIE, "theme=dark")),
    )
    .await;
    answer.expect(200, "localized");
    assert_eq!(answer.body, "<span>1 de dark</span>");
    assert_eq!(answer.header("cache-control"), Some("public, max-age=60"));
    assert_eq!(answer.header("vary"), Some("accept-language, cookie"));

    // Reading every header: nothing to vary on, so not shared.
    let nosy = get(&mochi, &island_url("Nosy", &token(&mochi, || nosy(1)))).await;
    nosy.expect(200, "nosy");
    assert_eq!(nosy.header("cache-control"), Some("private, no-store"));
    assert_eq!(nosy.header("vary"), None);

    // Reading nothing: shared as it opted in, no Vary.
    let cached = get(&mochi, &island_url("Cached", &token(&mochi, || cached(2)))).await;
    assert_eq!(cached.header("cache-control"), Some("public, max-age=60"));
    assert_eq!(cached.header("vary"), None);
}

// ---------------------------------------------------------------- batch

/// `{index} {status} {length}\n{body}` parts, in the order they came.
fn parts(body: &str) -> Vec<(usize, u16, String)> {
    let mut rest = body;
    let mut parts = Vec::new();
    while !rest.is_empty() {
        let (head, tail) = rest.split_once('\n').expect("a part's header line");
        let fields: Vec<usize> = head
            .split(' ')
            .map(|f| f.parse().expect("numeric header"))
            .collect();
        let [index, status, len] = fields[..] else {
            panic!("bad part header {head:?}");
        };
        parts.push((index, status as u16, tail[..len].to_owned()));
        rest = &tail[len..];
    }
    parts
}

/// `n=…&i=…&p=…` for each `(name, id, token)`.
fn batch_url(entries: &[(&str, &str, &str)]) -> String {
    let query: Vec<String> = entries
        .iter()
        .map(|(name, id, token)| format!("n={name}&i={id}&p={token}"))
        .collect();
    format!("/_mochi/batch?{}", query.join("&"))
}

#[actix_web::test]
async fn a_batch_answers_each_island_as_its_own_request_would() {
    let key = Key::generate();
    let mochi = mochi_with(&key);
    let ann = token(&mochi, || greet("Ann".into()));
    let bo = token(&mochi, || other("Bo".into()));
    let answer = get(
        &mochi,
        &batch_url(&[("Greet", "i0", &ann), ("Other", "i1", &bo)]),
    )
    .await;
    answer.expect(200, "batch");
    assert_eq!(
        answer.header("content-type"),
        Some("application/x-mochi-batch")
    );
    assert_eq!(answer.header("cache-control"), Some("private, no-store"));
    assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
    let mut got = parts(&answer.body);
    got.sort();
    let single = get(&mochi, &island_url("Greet", &ann)).await;
    assert_eq!(
        got,
        [
            (0, 200, single.body),
            (1, 200, r#"<p class="other">Other Bo</p>"#.to_owned())
        ]
    );
}

#[actix_web::test]
async fn a_bad_island_fails_only_its_own_part() {
    let key = Key::generate();
    let mochi = mochi_with(&key);
    let good = token(&mochi, || greet("Ann".into()));
    let crossed = token(&mochi, || other("Ann".into()));
    let foreign = token(&mochi_with(&Key::generate()), || greet("Ann".into()));
    let before = COUNTED_CALLS.load(Ordering::SeqCst);
    let bad_props = sign(&key, "Counted", r#"["x"]"#);
    let entries = [
        ("Greet", "i0", good.as_str()),
        ("Greet", "i1", crossed.as_str()),
        ("Greet", "i2", foreign.as_str()),
        ("NoSuchIsland", "i3", good.as_str()),
        ("Greet", "i4", "no-dot"),
        ("Counted", "i5", bad_props.as_str()),
        ("Failing", "i6", &token(&mochi, || failing(1))),
        ("Panicking", "i7", &token(&mochi, || panicking(2))),
        ("Overdue", "i8", &token(&mochi, || overdue(3))),
        ("Greet", "i9", good.as_str()),
    ];
    let answer = get(&mochi, &batch_url(&entries)).await;
    answer.expect(200, "a batch with bad islands");
    let mut statuses: Vec<(usize, u16)> = parts(&answer.body)
        .into_iter()
        .map(|(index, status, _)| (index, status))
        .collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [
            (0, 200),
            (1, 403),
            (2, 403),
            (3, 404),
            (4, 400),
            (5, 400),
            (6, 500),
            (7, 500),
            (8, 504),
            (9, 200)
        ]
    );
    assert_eq!(
        COUNTED_CALLS.load(Ordering::SeqCst),
        before,
        "props that do not decode never reach the island"
    );
}

#[actix_web::test]
async fn parts_are_written_in_the_order_islands_finish() {
    let key = Key::generate();
    let mochi = mochi_with(&key);
    let slow = token(&mochi, || slowish(1));
    let fast = token(&mochi, || greet("Ann".into()));
    let answer = get(
        &mochi,
        &batch_url(&[("Slowish", "i0", &slow), ("Greet", "i1", &fast)]),
    )
    .await;
    answer.expect(200, "batch");
    let order: Vec<usize> = parts(&answer.body).into_iter().map(|p| p.0).collect();
    assert_eq!(order, [1, 0], "the fast island's part first");
}

#[actix_web::test]
async fn malformed_batches_are_400() {
    let key = Key::generate();
    let mochi = mochi_with(&key);
    let t = token(&mochi, || greet("Ann".into()));
    let too_many: Vec<(&str, String, &str)> = (0..=MAX_BATCH)
        .map(|n| ("Greet", format!("i{n}"), t.as_str()))
        .collect();
    let too_many: Vec<(&str, &str, &str)> = too_many
        .iter()
        .map(|(n, i, t)| (*n, i.as_str(), *t))
        .collect();
    for query in [
        String::new(),
        format!("i=i0&p={t}"),
        "n=Greet&i=i0".into(),
        format!("n=Greet&p={t}"),
        format!("n=Greet&i=i0&i=i1&p={t}"),
        format!("n=Greet&i=%3C&p={t}"),
        batch_url(&too_many)["/_mochi/batch?".len()..].to_owned(),
    ] {
        get(&mochi, &format!("/_mochi/batch?{query}"))
            .await
            .expect(400, &format!("batch {query:.60}"));
    }
    let full = &too_many[..MAX_BATCH];
    get(&mochi, &batch_url(full))
        .await
        .expect(200, "a full batch");
}

#[actix_web::test]
async fn batches_are_checked_like_island_requests() {
    let key = Key::generate();
    let mochi = mochi_with(&key);
    let t = token(&mochi, || greet("Ann".into()));
    let url = batch_url(&[("Greet", "i0", &t), ("Greet", "i1", &t)]);
    send(
        &mochi,
        TestRequest::get()
            .uri(&url)
            .insert_header(("sec-fetch-site", "cross-site")),
    )
    .await
    .expect(403, "a cross-site batch");
    let long = format!("{url}&x={}", "a".repeat(mochi::DEFAULT_MAX_URL));
    get(&mochi, &long)
        .await
        .expect(414, "an over-long batch URL");
    let put = send(&mochi, TestRequest::put().uri(&url)).await;
    put.expect(405, "PUT on the batch");
    assert_eq!(put.header("allow"), Some("GET, HEAD, POST"));

    // By POST, the same triples in a form body.
    let query = &url["/_mochi/batch?".len()..];
    let posted = send(&mochi, post_form("/_mochi/batch", query)).await;
    posted.expect(200, "a POST batch");
    assert_eq!(parts(&posted.body).len(), 2);
    let json = TestRequest::post()
        .uri("/_mochi/batch")
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .set_payload(query.to_owned());
    send(&mochi, json).await.expect(415, "a JSON batch body");
    let big = format!("{query}&x={}", "a".repeat(mochi::DEFAULT_MAX_BODY));
    send(&mochi, post_form("/_mochi/batch", &big))
        .await
        .expect(413, "a batch body over the cap");
}

/// A page of one kind of island (`kind`), with the runtime script or not.
async fn modules_page(kind: web::Path<String>) -> HttpResponse {
    let island = match kind.as_str() {
        "deferred" | "no-runtime" => html! { (greet("Ann".into())) },
        "streamed" => html! { (greet("Ann".into()).stream()) },
        "live" => html! { (greet("Ann".into()).reload_on("x:changed")) },
        "hydrated" => html! { (endpoint_widget("go".into())) },
        "deferred-hydrated" => html! { (deferred_widget("go".into())) },
        _ => html! {},
    };
    let body = html! {
        head { @if kind.as_str() != "no-runtime" { (mochi::runtime_script()) } }
        body { (island) }
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body.into_string())
}

/// A page preloads the runtime modules its islands run on, and only
/// those; none if it does not load the runtime.
#[actix_web::test]
async fn a_page_preloads_the_modules_its_islands_use() {
    let mochi = mochi_with(&Key::generate());
    let base = mochi.runtime_url().trim_end_matches("mochi.js").to_owned();
    for (kind, modules) in [
        ("deferred", &["island"][..]),
        ("streamed", &["island", "stream"]),
        ("live", &["island", "live"]),
        ("hydrated", &["hydrate"]),
        ("deferred-hydrated", &["island", "hydrate"]),
        ("none", &[]),
        ("no-runtime", &[]),
    ] {
        let page = get(&mochi, &format!("/modules/{kind}")).await;
        page.expect(200, kind);
        let preloaded: Vec<String> = links(&page)
            .into_iter()
            .filter(|l| l.ends_with("; rel=modulepreload"))
            .collect();
        let want: Vec<String> = modules
            .iter()
            .map(|m| format!("<{base}{m}.js>; rel=modulepreload"))
            .collect();
        assert_eq!(preloaded, want, "{kind}");
        for url in &want {
            let url = &url[1..url.find('>').expect("url end")];
            get(&mochi, url).await.expect(200, url);
        }
    }
}

async fn eager_page() -> HttpResponse {
    let body = html! {
        head { (mochi::runtime_script()) }
        body {
            (greet("Ann".into()))
            (cached(3))
            (other("Bo".into()))
            (greet("Cy".into()).defer_on_visible())
        }
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body.into_string())
}

fn links(answer: &Answer) -> Vec<String> {
    answer
        .headers
        .get_all(header::LINK)
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn a_page_preloads_the_batch_its_runtime_will_fetch() {
    let key = Key::generate();
    let mochi = mochi_with(&key);
    let page = get(&mochi, "/eager").await;
    page.expect(200, "eager page");
    let tokens: Vec<&str> = page
        .body
        .match_indices(" signed-props=\"")
        .map(|(at, m)| {
            let rest = &page.body[at + m.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect();
    let [ann, cached, bo, _visible] = tokens[..] else {
        panic!("four islands: {}", page.body);
    };
    assert!(page.body.contains(r#"island-id="i1" signed-props=""#));
    assert!(
        page.body.contains(r#" transport="get">"#),
        "the cacheable island keeps its own GET: {}",
        page.body
    );
    let link = |url: String| format!("<{url}>; rel=preload; as=fetch; crossorigin=anonymous");
    // The page's trace ends the private batch URL, as the runtime ends it
    // (the cacheable island's URL stays the same for every page).
    let trace = attr(&page.body, "content").expect("the page's traceparent");
    assert_eq!(
        links(&page),
        [
            link(format!("/_mochi/island/Cached?p={cached}&i=i1")),
            link(format!(
                "{}&tp={trace}",
                batch_url(&[("Greet", "i0", ann), ("Other", "i2", bo)])
            )),
            // Then the runtime module its server islands run on.
            format!(
                "<{}>; rel=modulepreload",
                mochi.runtime_url().replace("/mochi.js", "/island.js")
            ),
        ]
    );
    // And that URL answers both islands.
    let batch = get(
        &mochi,
        &batch_url(&[("Greet", "i0", ann), ("Other", "i2", bo)]),
    )
    .await;
    assert_eq!(parts(&batch.body).len(), 2);

    let unbatched = Mochi::builder(key.clone())
        .batch_islands(false)
        .build()
        .unwrap();
    let page = get(&unbatched, "/eager").await;
    let island_links = |page: &Answer| {
        let links = links(page).into_iter();
        links
            .filter(|l| !l.ends_with("; rel=modulepreload"))
            .count()
    };
    assert_eq!(island_links(&page), 3, "one preload per eager island");
    assert_eq!(page.body.matches(r#" transport="get""#).count(), 4);

    // Without island preloads, the runtime's modules are still preloaded.
    let quiet = Mochi::builder(key).preload_islands(false).build().unwrap();
    let page = get(&quiet, "/eager").await;
    assert_eq!(island_links(&page), 0);
    assert_eq!(links(&page).len(), 1);
}

/// Answers with the status its props name, through `IslandError`.
#[mochi::island(defer)]
async fn with_status(status: u16) -> Result<Markup, mochi::IslandError> {
    let missing = std::io::Error::new(std::io::ErrorKind::NotFound, "no row 7");
    Err(mochi::IslandError::from_source(missing).with_status(status))
}

/// An island error carries its status to the island's answer and to its
/// batch part; the message is a detail, as for a 500.
#[actix_web::test]
async fn island_errors_answer_with_their_status() {
    let mochi = mochi_with(&Key::generate());
    for status in [404u16, 403, 503, 500] {
        let t = token(&mochi, || with_status(status));
        let answer = get(&mochi, &island_url("WithStatus", &t)).await;
        answer.expect(status, "island error status");
        assert!(answer.body.ends_with(": no row 7"), "{}", answer.body);
        let batch = get(
            &mochi,
            &batch_url(&[
                ("WithStatus", "i0", &t),
                ("Greet", "i1", &token(&mochi, || greet("x".into()))),
            ]),
        )
        .await;
        let got = parts(&batch.body);
        assert!(
            got.iter()
                .any(|(index, part_status, _)| *index == 0 && *part_status == status),
            "{got:?}"
        );
    }
}

/// A `POST` whose body stops arriving is answered 408 at the island
/// timeout, for an island and for a batch (tests/tests/security.rs does
/// the same over a real socket).
#[actix_web::test]
async fn a_stalled_post_body_is_answered_408() {
    let mochi = Mochi::builder(Key::generate())
        .island_timeout(std::time::Duration::from_millis(200))
        .build()
        .unwrap();
    let app = test::init_service(App::new().wrap(mochi.clone()).configure(routes)).await;
    for path in ["/_mochi/island/Greet", "/_mochi/batch"] {
        let req = TestRequest::post()
            .uri(path)
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .insert_header((header::CONTENT_LENGTH, "100"))
            .to_request();
        let first = futures_util::stream::once(async {
            Ok::<_, actix_http::error::PayloadError>(actix_web::web::Bytes::from_static(b"p=012"))
        });
        let stalled: actix_http::BoxedPayloadStream = Box::pin(futures_util::StreamExt::chain(
            first,
            futures_util::stream::pending(),
        ));
        let (req, _) = req.replace_payload(actix_http::Payload::from(stalled));
        let res = test::call_service(&app, req).await;
        let status = res.status();
        let headers = res.headers().clone();
        let body = String::from_utf8_lossy(&test::read_body(res).await).into_owned();
        Answer {
            status,
            headers,
            body,
        }
        .expect(408, path);
    }
}

/// A mount may hold `~`: the page's trace still ends its private preload
/// URL, and nothing else of a link changes.
#[actix_web::test]
async fn a_mount_with_a_tilde_keeps_its_preload_links_whole() {
    let mochi = mochi_with(&Key::generate());
    let app = test::init_service(
        App::new().service(web::scope("/~shop").wrap(mochi.clone()).configure(routes)),
    )
    .await;
    for _ in 0..2 {
        // Twice: the second page's links come from the per-thread cache.
        let req = TestRequest::get().uri("/~shop/eager").to_request();
        let res = test::call_service(&app, req).await;
        let links: Vec<String> = res
            .headers()
            .get_all(header::LINK)
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let body = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
        let trace = attr(&body, "content").expect("the page's traceparent");
        assert_eq!(links.len(), 3, "{links:?}");
        assert!(
            links[2].starts_with("</~shop/_mochi/runtime-")
                && links[2].ends_with("/island.js>; rel=modulepreload"),
            "{links:?}"
        );
        assert!(
            links[0].starts_with("</~shop/_mochi/island/Cached?"),
            "{links:?}"
        );
        assert!(
            !links[0].contains("tp="),
            "a cacheable island's URL: {links:?}"
        );
        assert!(
            links[1].starts_with("</~shop/_mochi/batch?n=Greet"),
            "{links:?}"
        );
        assert!(links[1].contains(&format!("&tp={trace}>")), "{links:?}");
    }
}

//! Helpers shared by the topic tests.
#![allow(dead_code)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

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

/// Polls `future` to completion. Islands in these tests never wait on
/// anything, so a no-op waker is enough.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1000 {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
    panic!("future did not complete");
}

/// The registered island called `name`.
pub(crate) fn def(name: &str) -> &'static mochi::registry::IslandDef {
    mochi::islands()
        .expect("no duplicate island names")
        .into_iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("island `{name}` is not registered"))
}

/// Renders island `name`'s answer from the devalue props `text`, as the
/// endpoint does after verifying the signature.
pub(crate) fn answer(name: &str, text: &str) -> Result<String, String> {
    let endpoint = def(name).endpoint.expect("a server island has an endpoint");
    let rendered = match endpoint(text).map_err(|e| format!("decode: {e}"))? {
        mochi::__private::IslandRender::Ready(rendered) => rendered,
        mochi::__private::IslandRender::Pending(future) => block_on(future),
    };
    rendered
        .map(|m| m.into_string())
        .map_err(|e| format!("render: {e}"))
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

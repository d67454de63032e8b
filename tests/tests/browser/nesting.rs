//! Nested server islands in the browser: a server island whose answer
//! holds two more makes one island request in all (none when streamed),
//! its nested islands are loaded when they arrive, and nothing of the
//! sealed props shows in the page's source or its DOM. Island requests
//! carry the page's trace (`<meta name="traceparent">`).

use futures_util::FutureExt as _;
use maud::{html, Markup};
use serde_json::json;

use super::harness::{Ctx, TestResult};
use super::server::{Answer, Req, Route};
use super::{ensure, ensure_eq, fresh, page, K};

/// The props text no page may show: only its length is rendered.
const SECRET: &str = "sealed-secret-7f3a";

#[mochi::island(defer)]
fn secret_pair(secret: String) -> Markup {
    html! {
        div.pair {
            "pair of " (secret.len())
            (secret_child(secret.clone(), 1).fallback(html! { "child 1…" }))
            (secret_child(secret, 2).fallback(html! { "child 2…" }))
        }
    }
}

#[mochi::island(defer)]
fn secret_child(secret: String, n: u32) -> Markup {
    html! { span.child { "child " (n) " of " (secret.len()) } }
}

async fn nested_inline_page(req: Req) -> Answer {
    let k = &req.query::<K>().k;
    let secret = format!("{SECRET}-{k}");
    page(
        "nested inline",
        true,
        html! { (secret_pair(secret).fallback(html! { "pair…" })) },
    )
}

async fn nested_inline_stream_page(req: Req) -> Answer {
    let k = &req.query::<K>().k;
    let secret = format!("{SECRET}-{k}");
    page(
        "nested inline, streamed",
        true,
        html! { (secret_pair(secret).stream().fallback(html! { "pair…" })) },
    )
}

pub(crate) const ROUTES: &[Route] = &[
    Route::get("/test/nested-inline", |r| nested_inline_page(r).boxed()),
    Route::get("/test/nested-inline-stream", |r| {
        nested_inline_stream_page(r).boxed()
    }),
];

/// Loads `path` and checks the pair and both children are loaded, with
/// `requests` island requests in all, and no trace of the secret.
async fn check_pair(cx: &Ctx, path: &str, requests: usize) -> TestResult {
    cx.goto(path).await?;
    cx.wait_for(
        "the pair and its two children loaded",
        "document.querySelectorAll('mochi-server-island[mochi-state=loaded]').length === 3",
    )
    .await?;
    ensure_eq(
        cx.text("span.child").await?,
        format!(
            "child 1 of {}",
            SECRET.len() + 1 + path.split("k=").nth(1).unwrap_or("").len()
        ),
        "the first child's HTML",
    )?;
    let made: Vec<String> = serde_json::from_value(
        cx.eval(
            "window.__mochiRec.requests.map(r => r.url)\
             .filter(u => u.includes('/_mochi/island/') || u.includes('/_mochi/batch'))",
        )
        .await?,
    )?;
    ensure(made.len() == requests, || {
        format!("{requests} island request(s): {made:?}")
    })?;
    // Each carries the page's trace, in its URL and in its header.
    let trace = cx
        .eval("document.querySelector('meta[name=traceparent]').content")
        .await?;
    let carried = cx
        .eval(
            "window.__mochiRec.requests\
             .filter(r => r.url.includes('/_mochi/island/') || r.url.includes('/_mochi/batch'))\
             .map(r => [r.tp, r.traceparent])",
        )
        .await?;
    ensure_eq(
        carried,
        json!(vec![[trace.clone(), trace]; requests]),
        "the page's traceparent on its island requests",
    )?;
    // The children say they arrived inline.
    let inline: Vec<bool> = serde_json::from_value(
        cx.eval(
            "window.__mochiRec.events.filter(e => e.type === 'mochi:island-load' \
             && e.name === 'SecretChild').map(e => e.detail.inline === true)",
        )
        .await?,
    )?;
    ensure_eq(
        inline,
        vec![true, true],
        "inline load events of the children",
    )?;
    // Neither the page as sent nor the DOM now shows the props, as text or
    // as base64url at any alignment.
    let source = cx
        .eval("fetch(location.href).then(r => r.text())")
        .await?
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let dom = cx
        .eval("document.documentElement.outerHTML")
        .await?
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for text in [&source, &dom] {
        ensure(!text.contains("sealed-secret"), || {
            format!("the props show: {text}")
        })?;
        for shift in 0..3 {
            let shown = base64url(&SECRET.as_bytes()[shift..]);
            ensure(!text.contains(&shown[4..12]), || {
                format!("the props show in base64url ({shown}): {text}")
            })?;
        }
    }
    ensure_eq(
        cx.eval("document.querySelectorAll('mochi-server-island[inline]').length")
            .await?,
        json!(2),
        "the two children rendered inline",
    )
}

/// RFC 4648 base64url, unpadded: what a signed token would show.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// One server island holding two: one island request in all; streamed,
/// none.
pub(crate) async fn nested_inline_one_request(cx: &Ctx) -> TestResult {
    let k = fresh("ni");
    check_pair(cx, &format!("/test/nested-inline?k={k}"), 1).await?;
    let k = fresh("ns");
    check_pair(cx, &format!("/test/nested-inline-stream?k={k}"), 0).await
}

//! Streamed and batched islands in the browser: each island's HTML is shown
//! as its part arrives, not when the response ends; an island past its
//! deadline is fetched instead; a panic keeps the fallback or shows the
//! error fallback; a page's eager islands load in one preloaded batch, and
//! a tampered entry fails alone with 403. The actix test server compresses
//! every answer (`Compress` outside mochi), so these also show that
//! compression does not hold parts back; the axum one does not compress.
//!
//! Progress is proven causally, not by timing: a gated island's render
//! waits until the browser has loaded an image that only another island's
//! HTML contains. If that HTML were held back (a buffered stream, a batch
//! answered all at once), the gate would never open in time and the gated
//! island would miss its deadline.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use futures_util::FutureExt as _;
use maud::{html, Markup};
use serde_json::{json, Value as Json};

use super::harness::{Ctx, TestResult};
use super::server::{answer, Answer, Req, Route};
use super::{ensure, ensure_eq, fresh, page, probe, sign_in, tamper, K};

/// Gates the browser has opened, by key.
static OPEN: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// Keys of `StreamLate` islands asked for once already.
static LATE_SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);

fn is_open(key: &str) -> bool {
    OPEN.lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .any(|k| k == key)
}

/// Opens the gate `key` when the browser loads its image.
async fn open_gate(req: Req) -> Answer {
    OPEN.lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(req.param("key").to_owned());
    // A 1x1 transparent GIF.
    answer(
        "image/gif",
        &b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"[..],
    )
}

/// Its HTML opens the gate `key` once the browser shows it.
#[mochi::island(defer)]
fn gate_opener(key: String) -> Markup {
    html! { p.opener { "opener " (key) img alt="" src={ "/test/gate/" (key) }; } }
}

/// Renders only once the gate `key` is open; gives up at its deadline.
#[mochi::island(defer, timeout = "5s")]
async fn gated(key: String) -> Markup {
    while !is_open(&key) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    html! { p.gated { "gated " (key) } }
}

/// Renders of `Held` dropped before they finished, by key.
static HELD_DROPPED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Never finishes: its deadline ends its render (actix does not notice a
/// client that hung up while an answer is pending). Notes the drop.
#[mochi::island(defer, timeout = "1s")]
async fn held(key: String) -> Markup {
    struct Dropped(String);
    impl Drop for Dropped {
        fn drop(&mut self) {
            HELD_DROPPED
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(std::mem::take(&mut self.0));
        }
    }
    let _dropped = Dropped(key);
    std::future::pending::<()>().await;
    html! { "never" }
}

/// Slow the first time (past its deadline, so the stream gives up on
/// it), fast when fetched.
#[mochi::island(defer, timeout = "300ms")]
async fn stream_late(key: String) -> Markup {
    let first = LATE_SEEN
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_or_insert_with(HashSet::new)
        .insert(key.clone());
    if first {
        tokio::time::sleep(Duration::from_secs(5)).await;
    } else {
        // Fetched: the runtime's island module is running in the page.
        OPEN.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(format!("{key}-fetched"));
    }
    html! { p.late { "late " (key) } }
}

/// A server island inside a streamed one: rendered inline in its part.
#[mochi::island(defer)]
fn stream_leaf(key: String) -> Markup {
    html! { span.leaf { "leaf " (key) } }
}

/// Streamed, holding a hydrated island, a deferred one and one that fails:
/// each must work from the part. It renders once the runtime has fetched
/// the late island, so the runtime's modules are running when its part
/// arrives (and its elements connect before their children, as the
/// browser puts the part in place while parsing it).
#[mochi::island(defer, timeout = "5s")]
async fn stream_holder(key: String) -> Markup {
    while !is_open(&format!("{key}-fetched")) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    html! {
        div.holder {
            (probe(format!("{key}-held"), 9))
            (stream_leaf(key).fallback(html! { "leaf…" }))
            (super::boom().fallback(html! { "boom…" }).error_fallback(html! { span.boomed { "boom failed" } }))
        }
    }
}

/// Panics while streaming.
#[mochi::island(defer)]
async fn stream_panics() -> Markup {
    tokio::task::yield_now().await;
    panic!("on purpose, while streaming")
}

/// Streamed: an opener, the island it gates, one past its deadline, two
/// that panic (one with an error fallback).
async fn stream_page(req: Req) -> Answer {
    let k = &req.query::<K>().k;
    page(
        "stream",
        true,
        html! {
            (gated(k.clone()).stream().fallback(html! { "gated…" }))
            (gate_opener(k.clone()).stream().fallback(html! { "opener…" }))
            (stream_late(k.clone()).stream().fallback(html! { "late…" }))
            (stream_panics().stream().fallback(html! { "panics…" }))
            (stream_panics().stream().fallback(html! { "panics too…" }).error_fallback(html! { "could not load" }))
            (stream_holder(k.clone()).stream().fallback(html! { "holder…" }))
        },
    )
}

/// Deferred, batched: the opener and the island it gates; and tokens for
/// the scenario to add two more islands with, one of them tampered.
async fn batch_page(req: Req) -> Answer {
    let k = &req.query::<K>().k;
    let opener = gate_opener(format!("{k}-b"));
    let good = opener.signed_props().expect("signed").to_owned();
    page(
        "batch",
        true,
        html! {
            (gated(format!("{k}-b")).fallback(html! { "gated…" }))
            (opener.fallback(html! { "opener…" }))
            div #tokens data-good=(good) data-tampered=(tamper(&good))
                data-held=(held(format!("{k}-held")).signed_props().expect("signed")) {}
        },
    )
}

/// A streamed page as a browser without Declarative Partial Updates
/// parses it: its `<?start>` and `<?end>` are comments, and the part's
/// `<template for>` stays in the document for the runtime to move in.
async fn stream_polyfill_page(req: Req) -> Answer {
    let k = &req.query::<K>().k;
    let token = gate_opener(format!("{k}-p"))
        .signed_props()
        .expect("signed")
        .to_owned();
    let island = format!(
        r#"<mochi-server-island component-name="GateOpener" island-id="p1" signed-props="{token}" stream><!--?start name="mochi-p1"-->polyfill…<!--?end--></mochi-server-island>"#
    );
    let part = r#"<mochi-stream-start></mochi-stream-start><template for="mochi-p1"><p class="polyfilled">moved in</p></template><mochi-swap island-id="p1"></mochi-swap>"#;
    page(
        "stream polyfill",
        true,
        html! { (maud::PreEscaped(island)) p { "page end" } (maud::PreEscaped(part)) },
    )
}

/// The gate, the streamed page and the batched page.
pub(crate) const ROUTES: &[Route] = &[
    Route::get("/test/gate/{key}", |r| open_gate(r).boxed()),
    Route::get("/test/stream", |r| stream_page(r).boxed()),
    Route::get("/test/stream-polyfill", |r| stream_polyfill_page(r).boxed()),
    Route::get("/test/batch", |r| batch_page(r).boxed()),
];

/// The island requests the page made (`/_mochi/island/…` and
/// `/_mochi/batch`), as URLs.
async fn island_requests(cx: &Ctx) -> TestResult<Vec<String>> {
    let v = cx
        .eval(
            "window.__mochiRec.requests.map(r => r.url)\
             .filter(u => u.includes('/_mochi/island/') || u.includes('/_mochi/batch'))",
        )
        .await?;
    Ok(serde_json::from_value(v)?)
}

/// `/account` streams all its islands in the page's own response (the
/// cart count inline in the account summary's part): they
/// show under the strict CSP with no island request and no violation; the
/// slow one (perks, 300 ms) shows its fallback while the others are
/// already in place.
pub(crate) async fn stream_account(cx: &Ctx) -> TestResult {
    sign_in(cx, "ada").await?;
    cx.goto("/account").await?;
    cx.wait_for(
        "six streamed islands loaded",
        "document.querySelectorAll('mochi-server-island[mochi-state=loaded]').length === 6",
    )
    .await?;
    ensure_eq(
        island_requests(cx).await?,
        Vec::<String>::new(),
        "island requests",
    )?;
    ensure_eq(cx.csp_violations().await?, vec![], "CSP violations")?;
    let text = cx.text("div.member-perks").await?;
    ensure(text.contains("points"), || format!("perks: {text}"))?;
    ensure(cx.text(".user-name").await? == "ada", || "user name".into())?;
    let events = cx.events().await?;
    let streamed = events
        .iter()
        .filter(|e| e["type"] == "mochi:island-load" && e["detail"]["stream"] == json!(true))
        .count();
    ensure_eq(streamed, 5, "load events from the stream")?;
    // The cart count came inline, inside the account summary's part.
    let inline: Vec<&Json> = events
        .iter()
        .filter(|e| e["type"] == "mochi:island-load" && e["detail"]["inline"] == json!(true))
        .collect();
    ensure(
        inline.len() == 1 && inline[0]["name"] == "CartCount",
        || format!("one inline load, the cart count: {inline:?}"),
    )?;
    ensure(
        cx.text("div.account-summary a.cart")
            .await?
            .ends_with("items"),
        || "the cart count inside the summary".into(),
    )?;

    // The perks were still on their fallback when the summary was in: the
    // page went out before its slow island was done.
    let states: Json = cx
        .eval(
            "window.__mochiRec.states.map(s => [s.name, s.state, s.text])\
             .filter(s => s[0] === 'AccountSummary' || s[0] === 'MemberPerks')",
        )
        .await?;
    let states: Vec<(String, String, String)> = serde_json::from_value(states)?;
    let at = |name: &str, state: &str| states.iter().position(|s| s.0 == name && s.1 == state);
    ensure(
        states.contains(&(
            "MemberPerks".into(),
            "streaming".into(),
            "Loading your perks…".into(),
        )),
        || format!("the perks' fallback showed: {states:?}"),
    )?;
    ensure(
        at("AccountSummary", "loaded") < at("MemberPerks", "loaded"),
        || format!("summary before perks: {states:?}"),
    )?;
    let timing: Json = cx
        .eval(
            "(() => { const n = performance.getEntriesByType('navigation')[0]; \
               return { ttfb: n.responseStart, end: n.responseEnd, encoded: n.encodedBodySize, decoded: n.decodedBodySize }; })()",
        )
        .await?;
    eprintln!("    /account timing (ms, bytes): {timing}");
    // Compressed by the server that compresses (actix); as sent by the
    // one that does not (axum).
    ensure(
        (timing["encoded"].as_f64() < timing["decoded"].as_f64()) == cx.compresses,
        || {
            format!(
                "the page arrived compressed iff the server compresses ({}): {timing}",
                cx.compresses
            )
        },
    )
}

/// Progress, deadlines and failures of streamed islands: the gated island
/// renders only after the browser shows its opener, which only a part that
/// arrived before the end of the response can do; the late one is fetched
/// after the stream gives up; panics keep the fallback or show the error
/// fallback.
pub(crate) async fn stream_parts(cx: &Ctx) -> TestResult {
    let k = fresh("st");
    cx.goto(&format!("/test/stream?k={k}")).await?;
    cx.wait_for(
        "gated, opener, late, holder and leaf loaded",
        "document.querySelectorAll('mochi-server-island[mochi-state=loaded]').length === 5",
    )
    .await?;
    ensure_eq(cx.text("p.gated").await?, format!("gated {k}"), "gated")?;
    ensure_eq(cx.text("p.late").await?, format!("late {k}"), "late")?;
    let by_stream: Json = cx
        .eval(
            "Object.fromEntries(window.__mochiRec.events.filter(e => e.type === 'mochi:island-load')\
             .map(e => [e.name, e.detail.stream]))",
        )
        .await?;
    ensure_eq(
        by_stream,
        json!({ "Gated": true, "GateOpener": true, "StreamHolder": true, "StreamLate": false, "StreamLeaf": false }),
        "which islands came from the stream",
    )?;
    let inline: Json = cx
        .eval(
            "window.__mochiRec.events.filter(e => e.type === 'mochi:island-load' && e.detail.inline)\
             .map(e => e.name)",
        )
        .await?;
    ensure_eq(
        inline,
        json!(["StreamLeaf"]),
        "the held leaf came inline in its part",
    )?;
    let requests = island_requests(cx).await?;
    ensure(
        requests.len() == 1 && requests[0].contains("/island/StreamLate?"),
        || format!("only the late island was fetched: {requests:?}"),
    )?;
    // The hydrated island inside the streamed part hydrated with its own
    // props (its block travelled in the part).
    cx.wait_state("div.holder mochi-island", "hydrated").await?;
    let held: Json = cx
        .eval(
            "(() => { const el = document.querySelector('div.holder mochi-island'); \
               return [el.getAttribute('island-id'), window.__probe[el.getAttribute('island-id')]?.props]; })()",
        )
        .await?;
    ensure_eq(
        held,
        json!(["i5-i0", { "label": format!("{k}-held"), "n": 9 }]),
        "the held island's id and props",
    )?;
    ensure_eq(cx.text("span.leaf").await?, format!("leaf {k}"), "leaf")?;
    // A nested island that failed inline shows its error fallback, though
    // the browser put the part in place as it parsed it (the island
    // connected before its children).
    cx.wait_state(
        "div.holder mochi-server-island[component-name=Boom]",
        "error",
    )
    .await?;
    ensure_eq(
        cx.text("span.boomed").await?,
        "boom failed".into(),
        "nested error fallback",
    )?;
    cx.wait_for(
        "both panicking islands failed",
        "document.querySelectorAll('mochi-server-island[component-name=StreamPanics][mochi-state=error]').length === 2",
    )
    .await?;
    let texts: Json = cx
        .eval("[...document.querySelectorAll('mochi-server-island[component-name=StreamPanics]')].map(e => e.textContent.trim())")
        .await?;
    ensure_eq(
        texts,
        json!(["panics…", "could not load"]),
        "fallback kept, error fallback shown",
    )?;
    ensure_eq(cx.csp_violations().await?, vec![], "CSP violations")
}

/// The page's eager islands load in one request, the one its `Link`
/// header preloaded; its parts stream (the gated island waits for the
/// opener's HTML to be shown). Two islands added in one task load in one
/// more request, where the tampered one fails alone with 403.
pub(crate) async fn batch_one_request(cx: &Ctx) -> TestResult {
    let k = fresh("bt");
    cx.goto(&format!("/test/batch?k={k}")).await?;
    cx.wait_for(
        "gated and opener loaded",
        "document.querySelectorAll('mochi-server-island[mochi-state=loaded]').length === 2",
    )
    .await?;
    ensure_eq(cx.text("p.gated").await?, format!("gated {k}-b"), "gated")?;
    let requests = island_requests(cx).await?;
    ensure(
        requests.len() == 1 && requests[0].contains("/_mochi/batch?"),
        || format!("one batch request: {requests:?}"),
    )?;
    let resources: Json = cx
        .eval(
            "performance.getEntriesByType('resource').filter(e => e.name.includes('/_mochi/'))\
             .filter(e => !e.name.includes('/runtime-')).map(e => [new URL(e.name).pathname, e.initiatorType])",
        )
        .await?;
    ensure_eq(
        resources,
        json!([["/_mochi/batch", "link"]]),
        "the batch was fetched once, by the preload",
    )?;

    cx.exec(
        "const t = document.getElementById('tokens').dataset; \
         for (const [id, token] of [['t0', t.tampered], ['t1', t.good]]) { \
           const el = document.createElement('mochi-server-island'); \
           el.setAttribute('component-name', 'GateOpener'); el.setAttribute('island-id', id); \
           el.setAttribute('signed-props', token); el.textContent = id + '…'; document.body.append(el); } \
         return true;",
        vec![],
    )
    .await?;
    cx.wait_for(
        "t1 loaded, t0 failed",
        "document.querySelector('[island-id=t1]').getAttribute('mochi-state') === 'loaded' && \
         document.querySelector('[island-id=t0]').getAttribute('mochi-state') === 'error'",
    )
    .await?;
    let requests = island_requests(cx).await?;
    ensure(
        requests.len() == 2 && requests[1].contains("&i=t0&") && requests[1].contains("&i=t1&"),
        || format!("the two added islands in one batch: {requests:?}"),
    )?;
    let error = cx.events_for("mochi:island-error", "t0").await?;
    ensure_eq(
        error.first().map(|e| e["detail"]["status"].clone()),
        Some(json!(403)),
        "the tampered island's status",
    )?;

    // Two islands that never finish, removed while their batch is in
    // flight: with nobody left to wait for it, the browser aborts the
    // batch; the server drops the render by its deadline (one render: the
    // two entries have the same name and token, and an answer without ids
    // is rendered once for both).
    cx.exec(
        "const t = document.getElementById('tokens').dataset; window.__gone = []; \
         for (const id of ['h0', 'h1']) { \
           const el = document.createElement('mochi-server-island'); \
           el.setAttribute('component-name', 'Held'); el.setAttribute('island-id', id); \
           el.setAttribute('signed-props', t.held); document.body.append(el); window.__gone.push(el); } \
         setTimeout(() => window.__gone.forEach((el) => el.remove()), 300); return true;",
        vec![],
    )
    .await?;
    let held = format!("{k}-held");
    let dropped = || {
        HELD_DROPPED
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|key| **key == held)
            .count()
    };
    let start = std::time::Instant::now();
    while dropped() < 1 && start.elapsed() < super::harness::WAIT {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Let a second (wrong) render's drop show up if there were one.
    tokio::time::sleep(Duration::from_millis(200)).await;
    ensure_eq(dropped(), 1, "held renders dropped")?;
    cx.wait_for(
        "the abandoned batch aborted",
        "window.__mochiRec.requests[2]?.aborted === true",
    )
    .await?;
    let requests = island_requests(cx).await?;
    ensure(
        requests.len() == 3 && requests[2].contains("&i=h0&") && requests[2].contains("&i=h1&"),
        || format!("one batch for the two held islands: {requests:?}"),
    )?;
    let states: Json = cx
        .eval("window.__gone.map(el => [el.getAttribute('mochi-state'), el.textContent])")
        .await?;
    ensure_eq(
        states,
        json!([["loading", ""], ["loading", ""]]),
        "nothing swapped into removed islands",
    )?;
    ensure_eq(cx.csp_violations().await?, vec![], "CSP violations")
}

/// With JavaScript off, the browser itself puts each streamed island's
/// HTML in place of its fallback (Declarative Partial Updates): the gated
/// island and its opener show; the one past its deadline, the holder
/// (which waits for the runtime to fetch that one, so passes its own) and
/// the panicking ones keep their fallbacks, as nothing fetches them.
pub(crate) async fn stream_without_javascript(cx: &Ctx) -> TestResult {
    let k = fresh("nojs");
    cx.cdp(
        "Emulation.setScriptExecutionDisabled",
        json!({ "value": true }),
    )
    .await?;
    let seen = async {
        cx.goto(&format!("/test/stream?k={k}")).await?;
        let root = cx.cdp("DOM.getDocument", json!({ "depth": 0 })).await?;
        let node = root["root"]["nodeId"].clone();
        let html = cx
            .cdp("DOM.getOuterHTML", json!({ "nodeId": node }))
            .await?;
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(
            html["outerHTML"].as_str().unwrap_or("").to_owned(),
        )
    }
    .await;
    cx.cdp(
        "Emulation.setScriptExecutionDisabled",
        json!({ "value": false }),
    )
    .await?;
    let html = seen?;
    for shown in [
        format!(r#"<p class="gated">gated {k}</p>"#),
        format!(r#"<p class="opener">opener {k}"#),
    ] {
        ensure(html.contains(&shown), || {
            format!("{shown} not shown: {html}")
        })?;
    }
    for gone in ["gated…", "opener…", "<template for="] {
        ensure(!html.contains(gone), || {
            format!("{gone} still there: {html}")
        })?;
    }
    for kept in ["late…", "holder…", "panics…"] {
        ensure(html.contains(kept), || format!("{kept} not kept: {html}"))?;
    }
    // No runtime ran: no island has a state.
    ensure(!html.contains("mochi-state="), || {
        format!("states set: {html}")
    })
}

/// Where the browser lacks Declarative Partial Updates, the runtime moves
/// the part in itself: same state, same event, no request.
pub(crate) async fn stream_polyfill(cx: &Ctx) -> TestResult {
    let k = fresh("poly");
    cx.goto(&format!("/test/stream-polyfill?k={k}")).await?;
    cx.wait_state("mochi-server-island[island-id=p1]", "loaded")
        .await?;
    ensure_eq(
        cx.text("p.polyfilled").await?,
        "moved in".into(),
        "moved part",
    )?;
    let left: Json = cx
        .eval(
            "[document.querySelectorAll('template[for]').length,               document.querySelector('mochi-server-island[island-id=p1]').childNodes.length]",
        )
        .await?;
    ensure_eq(
        left,
        json!([0, 1]),
        "templates left, and the island's children",
    )?;
    let loads = cx.events_for("mochi:island-load", "p1").await?;
    ensure(
        loads.len() == 1 && loads[0]["detail"]["stream"] == json!(true),
        || format!("one streamed load event: {loads:?}"),
    )?;
    ensure_eq(
        island_requests(cx).await?,
        Vec::<String>::new(),
        "island requests",
    )
}

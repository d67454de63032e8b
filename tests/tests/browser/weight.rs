//! The runtime a page pays for: a page fetches the modules of the features
//! its islands use and no others, within the byte goals (compressed
//! bodies, every module counted): 3,072 bytes for a page of deferred
//! server islands, 512 for a page with none; a page of hydrated islands
//! fetches no server-island code.

use futures_util::FutureExt as _;
use maud::{html, Markup};

use super::harness::{Ctx, TestResult};
use super::server::{Answer, Req, Route};
use super::{ensure, ensure_eq, page};

/// JavaScript bytes a page with only deferred server islands may fetch.
const DEFERRED_BUDGET: u64 = 3072;
/// JavaScript bytes a page with no islands may fetch.
const NO_ISLANDS_BUDGET: u64 = 512;

#[mochi::island(defer)]
fn weighed(n: u32) -> Markup {
    html! { span.weighed { "island " (n) } }
}

/// Three eager server islands and nothing else, as the benchmark page.
async fn deferred_page(_: Req) -> Answer {
    page(
        "deferred only",
        true,
        html! {
            @for n in 1..=3 {
                (weighed(n).fallback(html! { "island " (n) "…" }))
            }
        },
    )
}

/// Three streamed server islands.
async fn streamed_page(_: Req) -> Answer {
    page(
        "streamed only",
        true,
        html! {
            @for n in 1..=3 {
                (weighed(n).stream().fallback(html! { "island " (n) "…" }))
            }
        },
    )
}

/// Three live server islands.
async fn live_page(_: Req) -> Answer {
    page(
        "live only",
        true,
        html! {
            @for n in 1..=3 {
                (weighed(n).reload_on("weight:changed").fallback(html! { "island " (n) "…" }))
            }
        },
    )
}

/// One hydrated island and nothing else.
async fn hydrated_page(_: Req) -> Answer {
    page(
        "hydrated only",
        true,
        html! { (super::probe("weight".into(), 1)) },
    )
}

pub(crate) const ROUTES: &[Route] = &[
    Route::get("/test/weight/deferred", |r| deferred_page(r).boxed()),
    Route::get("/test/weight/hydrated", |r| hydrated_page(r).boxed()),
    Route::get("/test/weight/streamed", |r| streamed_page(r).boxed()),
    Route::get("/test/weight/live", |r| live_page(r).boxed()),
];

/// The runtime modules the page fetched, sorted, and their compressed
/// bytes in all.
async fn runtime_fetched(cx: &Ctx) -> TestResult<(Vec<String>, u64)> {
    let entries = cx
        .eval(
            "performance.getEntriesByType('resource')\
             .filter(e => new URL(e.name).pathname.includes('/runtime-'))\
             .map(e => [new URL(e.name).pathname.split('/').pop(), e.encodedBodySize])",
        )
        .await?;
    let mut names = Vec::new();
    let mut bytes = 0;
    for entry in entries.as_array().into_iter().flatten() {
        names.push(entry[0].as_str().unwrap_or("?").to_owned());
        bytes += entry[1].as_u64().unwrap_or(0);
    }
    names.sort();
    Ok((names, bytes))
}

/// Waits until the page has loaded and its entry has had time to import
/// whatever it was going to.
async fn settled(cx: &Ctx) -> TestResult {
    cx.wait_for(
        "the page loaded and the runtime ran a while",
        "document.readyState === 'complete' && \
         performance.getEntriesByType('resource').some(e => e.name.endsWith('/mochi.js')) && \
         new Promise(r => setTimeout(() => r(true), 300))",
    )
    .await?;
    Ok(())
}

/// Loads `path`, waits for `loaded` (a JavaScript condition) and the
/// runtime to settle, checks that the page fetched exactly the runtime
/// `modules`, and returns the bytes it fetched (printed for `kind`).
async fn weigh(
    cx: &Ctx,
    kind: &str,
    path: &str,
    loaded: &str,
    modules: &[&str],
) -> TestResult<u64> {
    cx.goto(path).await?;
    cx.wait_for(&format!("the {kind} page's islands"), loaded)
        .await?;
    settled(cx).await?;
    let (fetched, bytes) = runtime_fetched(cx).await?;
    let mut want: Vec<String> = modules.iter().map(|m| m.to_string()).collect();
    want.sort();
    ensure_eq(fetched, want, &format!("the modules of a {kind} page"))?;
    println!("runtime bytes, {kind}: {bytes}");
    Ok(bytes)
}

pub(crate) async fn runtime_pay_per_use(cx: &Ctx) -> TestResult {
    let three_loaded =
        "document.querySelectorAll('mochi-server-island[mochi-state=loaded]').length === 3";
    let path = "/test/weight/deferred";
    let bytes = weigh(
        cx,
        "deferred islands only",
        path,
        three_loaded,
        &["mochi.js", "island.js"],
    )
    .await?;
    ensure(bytes > 0 && bytes <= DEFERRED_BUDGET, || {
        format!("a page of deferred islands fetched {bytes} bytes of JavaScript, over {DEFERRED_BUDGET}")
    })?;

    // A page of hydrated islands only fetches their module, not the
    // server islands'.
    let hydrated = "document.querySelector('mochi-island[mochi-state=hydrated]') !== null";
    let path = "/test/weight/hydrated";
    weigh(
        cx,
        "hydrated islands only",
        path,
        hydrated,
        &["mochi.js", "hydrate.js"],
    )
    .await?;

    // Streamed and live islands add their own module to the loader's.
    for (kind, module) in [("streamed", "stream.js"), ("live", "live.js")] {
        let path = format!("/test/weight/{kind}");
        let modules = ["mochi.js", "island.js", module];
        weigh(
            cx,
            &format!("{kind} islands only"),
            &path,
            three_loaded,
            &modules,
        )
        .await?;
    }

    let bytes = weigh(cx, "no islands", "/test/blank", "true", &["mochi.js"]).await?;
    ensure(bytes > 0 && bytes <= NO_ISLANDS_BUDGET, || {
        format!(
            "a page without islands fetched {bytes} bytes of JavaScript, over {NO_ISLANDS_BUDGET}"
        )
    })
}

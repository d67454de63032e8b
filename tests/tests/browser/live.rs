//! Live islands in the browser: `reload()`, `mochi:reload`,
//! `reload-on`, `refresh-every`, the error fallback, aborting on removal,
//! cancelled hydration triggers and the POST transport. The islands, pages
//! and scenarios live here; browser.rs only registers them.
//!
//! Every scenario takes fresh keys (`?k=`), so server-side counters start
//! at zero whatever ran before.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use futures_util::FutureExt as _;
use http::header::{HeaderValue, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use http::Method;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde_json::{json, Value as Json};

use super::harness::{Ctx, TestResult};
use super::server::{answer, Answer, Req, Route};
use super::{by_id, ensure, ensure_eq, fresh, page, shop_loaded, tamper, CSP, K};

// ---------------------------------------------------------------------------
// Server-side state: request counts per key
// ---------------------------------------------------------------------------

static HITS: Mutex<BTreeMap<String, u32>> = Mutex::new(BTreeMap::new());
/// Per key: (requests being answered now, the most ever at once).
static IN_FLIGHT: Mutex<BTreeMap<String, (u32, u32)>> = Mutex::new(BTreeMap::new());

/// Counts one more request for `key`; returns the count.
fn hit(key: &str) -> u32 {
    let mut hits = HITS.lock().unwrap_or_else(|p| p.into_inner());
    let n = hits.entry(key.to_owned()).or_default();
    *n += 1;
    *n
}

/// Marks a request for `key` in flight until dropped (also when the
/// browser aborts and the server drops the render).
struct InFlight(String);

impl InFlight {
    fn enter(key: &str) -> InFlight {
        let mut all = IN_FLIGHT.lock().unwrap_or_else(|p| p.into_inner());
        let (now, max) = all.entry(key.to_owned()).or_default();
        *now += 1;
        *max = (*max).max(*now);
        InFlight(key.to_owned())
    }

    fn max(&self) -> u32 {
        let all = IN_FLIGHT.lock().unwrap_or_else(|p| p.into_inner());
        all.get(&self.0).map_or(0, |&(_, max)| max)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut all = IN_FLIGHT.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((now, _)) = all.get_mut(&self.0) {
            *now -= 1;
        }
    }
}

// ---------------------------------------------------------------------------
// Islands
// ---------------------------------------------------------------------------

/// Shows how many requests it has had for `key`; answers 503 (a failure
/// worth a retry) for the first `fail_first` of them, and whenever the
/// `live-fail` cookie is set.
#[mochi::island(defer)]
fn live_count(key: String, fail_first: u32) -> Result<Markup, mochi::IslandError> {
    let n = hit(&key);
    let cookie = mochi::request_context().cookie("live-fail");
    if n <= fail_first || cookie.is_some() {
        let why = format!("failing on purpose (request {n})");
        return Err(mochi::IslandError::unavailable(why));
    }
    Ok(html! { span.live-count { (key) " #" (n) } })
}

/// Answers after `ms`; says how many of its requests were ever in flight
/// at once. Its own GET, never in a batch, so removing one element aborts
/// that element's request (batch-mates are dropped from their batch
/// instead: see `batch_one_request`).
#[mochi::island(defer, cache = "private, no-store")]
async fn live_slow(key: String, ms: u64) -> Markup {
    let n = hit(&key);
    let flight = InFlight::enter(&key);
    tokio::time::sleep(Duration::from_millis(ms)).await;
    html! { span.live-slow { (key) " #" (n) " max " (flight.max()) } }
}

/// A server island hydrated after each swap (by probe.js).
#[mochi::island(defer, client = "static/probe.js")]
fn live_probe(key: String) -> Markup {
    let n = hit(&key);
    html! { span.label { (key) " #" (n) } " " button type="button" { "0" } }
}

/// A hydrated island for the trigger checks (probe.js).
#[mochi::island(client = "static/probe.js")]
fn live_hydrated(label: String) -> Markup {
    html! { span.label { (label) } }
}

// ---------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------

async fn reload_page(req: Req) -> Answer {
    let k = &req.query::<K>().k;
    page(
        "live reload",
        true,
        html! {
            (live_count(k.clone(), 0)
                .retries(0)
                .fallback(html! { "count loading" })
                .error_fallback(html! { span.ef { "count failed" } }))
            (live_probe(format!("{k}-probe")).fallback(html! { "probe loading" }))
        },
    )
}

async fn coalesce_page(req: Req) -> Answer {
    let k = &req.query::<K>().k;
    page(
        "live coalesce",
        true,
        html! {
            div.fast { (live_slow(format!("{k}-fast"), 400).fallback(html! { "fast loading" })) }
            div.slow { (live_slow(format!("{k}-slow"), 1500).fallback(html! { "slow loading" })) }
        },
    )
}

async fn reload_on_page(req: Req) -> Answer {
    let k = &req.query::<K>().k;
    page(
        "live reload-on",
        true,
        html! {
            div.on {
                (live_count(format!("{k}-on"), 0)
                    .reload_on(["live:poke"])
                    .reload_on(["cart:changed", "bad name", ""]))
            }
            div.control { (live_count(format!("{k}-control"), 0)) }
        },
    )
}

async fn poll_page(req: Req) -> Answer {
    let k = &req.query::<K>().k;
    let fast = live_count(format!("{k}-fast"), 0);
    let token = fast.signed_props().expect("signed").to_owned();
    page(
        "live poll",
        true,
        html! {
            div.poll {
                (live_count(format!("{k}-poll"), 0).refresh_every(Duration::from_secs(1)))
            }
            // Asks for 10 ms: the client holds it to its 1 s floor. Its
            // own GET: batched with the other, the page's preload (of the
            // other alone) would go unused and count a request more.
            div.fast {
                (PreEscaped(format!(
                    r#"<mochi-server-island component-name="LiveCount" island-id="poll-fast" signed-props="{token}" refresh-every="10" transport="get">fast</mochi-server-island>"#
                )))
            }
            div style="height: 5000px" {}
        },
    )
}

async fn fallback_page(req: Req) -> Answer {
    let k = &req.query::<K>().k;
    let token = live_count(format!("{k}-b"), 0)
        .signed_props()
        .expect("signed")
        .to_owned();
    let tampered = tamper(&token);
    page(
        "live error fallback",
        true,
        html! {
            div style="height: 3000px" {}
            div.row {
                // Always 503, one retry: the error fallback after two requests.
                (live_count(format!("{k}-a"), 99)
                    .retries(1)
                    .defer_on_visible()
                    .fallback(html! { "a loading" })
                    .error_fallback(html! { span.ef { "a failed" } }))
                // 403: final at once.
                (PreEscaped(format!(
                    r#"<mochi-server-island component-name="LiveCount" island-id="fb-b" signed-props="{tampered}" defer-on="visible">b loading<template mochi-error-fallback><span class="ef">b failed</span></template></mochi-server-island>"#
                )))
                // Fails once, then succeeds on its retry: never the error fallback.
                (live_count(format!("{k}-c"), 1)
                    .retries(2)
                    .defer_on_visible()
                    .fallback(html! { "c loading" })
                    .error_fallback(html! { span.ef { "c failed" } }))
                // No error fallback: the fallback stays.
                (live_count(format!("{k}-d"), 99)
                    .retries(0)
                    .defer_on_visible()
                    .fallback(html! { "d loading" }))
            }
        },
    )
}

async fn slow_page(req: Req) -> Answer {
    let k = &req.query::<K>().k;
    page(
        "live slow",
        true,
        html! {
            div.removed { (live_slow(format!("{k}-removed"), 1500).fallback(html! { "removed loading" })) }
            div.moved { (live_slow(format!("{k}-moved"), 1500).fallback(html! { "moved loading" })) }
            div.reloaded { (live_slow(format!("{k}-reloaded"), 800).fallback(html! { "reloaded loading" })) }
            div.target {}
        },
    )
}

async fn triggers_page(_: Req) -> Answer {
    page(
        "live triggers",
        true,
        html! {
            (live_hydrated("idle".into()).hydrate(mochi::Hydrate::Idle))
            (live_hydrated("media".into()).hydrate(mochi::Hydrate::Media("(max-width: 700px)".into())))
        },
    )
}

/// Props too large for a URL: rendered with `transport="post"`.
#[mochi::island(defer)]
fn big_props_echo(text: String) -> Markup {
    html! { span.big { (text.len()) " bytes by " (mochi::request_context().method().to_string()) } }
}

/// `transport="post"` against mochi's own endpoint: written by hand, and
/// chosen by mochi for props too large for a URL.
async fn post_real_page(req: Req) -> Answer {
    let island = live_count(req.query::<K>().k, 0);
    let token = island.signed_props().expect("signed");
    page(
        "live post (mochi prefix)",
        true,
        html! {
            (PreEscaped(format!(
                r#"<mochi-server-island component-name="LiveCount" island-id="post-real" signed-props="{token}" transport="post">post loading</mochi-server-island>"#
            )))
            (big_props_echo("y".repeat(2500)).fallback("big loading"))
        },
    )
}

/// The same runtime served from `/test-live/post/`: its island requests go
/// to `/test-live/post/island/{Name}`, where [`echo`] answers.
async fn post_echo_page(req: Req) -> Answer {
    let token = live_count(req.query::<K>().k, 0)
        .signed_props()
        .expect("signed")
        .to_owned();
    let doc = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "live post (echo)" }
                script type="module" src="/test-live/post/runtime/mochi.js" {}
            }
            body {
                (PreEscaped(format!(
                    r#"<mochi-server-island component-name="PostEcho" island-id="post-1" signed-props="{token}" transport="post">post loading</mochi-server-island>"#
                )))
                (PreEscaped(format!(
                    r#"<mochi-server-island component-name="PostEcho" island-id="get-1" signed-props="{token}">get loading</mochi-server-island>"#
                )))
            }
        }
    };
    let mut res = answer("text/html; charset=utf-8", doc.into_string());
    let value = HeaderValue::from_static(CSP);
    res.headers_mut().insert(CONTENT_SECURITY_POLICY, value);
    res
}

async fn post_runtime(req: Req) -> Answer {
    let name = req.param("module");
    let source = name
        .strip_suffix(".js")
        .and_then(mochi::__private::runtime_module);
    answer("text/javascript; charset=utf-8", source.unwrap_or(""))
}

/// Answers any method with what it received: method, name, content type
/// and the body (POST) or query (otherwise).
async fn echo(req: Req) -> Answer {
    let content_type = req
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    let payload = if req.method == Method::POST {
        String::from_utf8_lossy(&req.body).into_owned()
    } else {
        req.query.clone()
    };
    let echoed = html! {
        span.echo { (req.method.as_str()) " " (req.param("name")) " " (content_type) " " (payload) }
    };
    answer("text/html; charset=utf-8", echoed.into_string())
}

/// The live pages and the echo endpoint.
pub(crate) const ROUTES: &[Route] = &[
    Route::get("/test/live/reload", |r| reload_page(r).boxed()),
    Route::get("/test/live/coalesce", |r| coalesce_page(r).boxed()),
    Route::get("/test/live/reload-on", |r| reload_on_page(r).boxed()),
    Route::get("/test/live/poll", |r| poll_page(r).boxed()),
    Route::get("/test/live/fallback", |r| fallback_page(r).boxed()),
    Route::get("/test/live/slow", |r| slow_page(r).boxed()),
    Route::get("/test/live/triggers", |r| triggers_page(r).boxed()),
    Route::get("/test/live/post-real", |r| post_real_page(r).boxed()),
    Route::get("/test-live/post/page", |r| post_echo_page(r).boxed()),
    Route::get("/test-live/post/runtime/{module}", |r| {
        post_runtime(r).boxed()
    }),
    Route::any("/test-live/post/island/{name}", |r| echo(r).boxed()),
];

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Waits `ms` in the page.
async fn pause(cx: &Ctx, ms: u64) -> TestResult {
    cx.wait_for(
        &format!("a pause of {ms} ms"),
        &format!("new Promise(r => setTimeout(() => r(true), {ms}))"),
    )
    .await?;
    Ok(())
}

/// `fetch()` calls for island id `id` (GET URLs end with `&i={id}`).
async fn fetches_of(cx: &Ctx, id: &str) -> TestResult<u64> {
    let v = cx
        .exec(
            "return window.__mochiRec.fetches.filter(e => e.url.endsWith('&i=' + arguments[0])).length;",
            vec![json!(id)],
        )
        .await?;
    Ok(v.as_u64().unwrap_or(0))
}

/// Waits until `id` has had at least `n` fetches.
async fn wait_fetches(cx: &Ctx, id: &str, n: u64) -> TestResult {
    cx.wait_for(
        &format!("{n} fetches of {id}"),
        &format!(
            "window.__mochiRec.fetches.filter(e => e.url.endsWith('&i=' + {})).length >= {n}",
            json!(id)
        ),
    )
    .await?;
    Ok(())
}

/// `island-id` of the first match of `selector`.
async fn id_of(cx: &Ctx, selector: &str) -> TestResult<String> {
    cx.attr(selector, "island-id")
        .await?
        .ok_or_else(|| format!("{selector} has no island-id").into())
}

/// Calls `reload()` on the first match of `selector`; its result.
async fn reload(cx: &Ctx, selector: &str) -> TestResult<Json> {
    cx.exec(
        "return document.querySelector(arguments[0]).reload();",
        vec![json!(selector)],
    )
    .await
}

/// Waits until the first match of `selector` has text `text`.
async fn wait_text(cx: &Ctx, selector: &str, text: &str) -> TestResult {
    cx.wait_for(
        &format!("{selector} to read {text:?}"),
        &format!(
            "document.querySelector({})?.textContent.trim() === {}",
            json!(selector),
            json!(text)
        ),
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------

/// `reload()` shows `reloading` and `aria-busy` over the old content, then
/// swaps the new HTML in, resolves `true` and fires `mochi:island-load`
/// again.
pub(crate) async fn live_reload_method(cx: &Ctx) -> TestResult {
    let k = fresh("reload");
    cx.goto(&format!("/test/live/reload?k={k}")).await?;
    let sel = "mochi-server-island[component-name=LiveCount]";
    cx.wait_state(sel, "loaded").await?;
    ensure_eq(cx.text(sel).await?, format!("{k} #1"), "first answer")?;
    let got = cx
        .exec(
            "const el = document.querySelector(arguments[0]); \
             const look = () => ({ state: el.getAttribute('mochi-state'), busy: el.getAttribute('aria-busy'), text: el.textContent.trim() }); \
             const p = el.reload(); const during = look(); \
             return p.then(swapped => ({ swapped, during, after: look() }));",
            vec![json!(sel)],
        )
        .await?;
    ensure_eq(
        got,
        json!({
            "swapped": true,
            "during": { "state": "reloading", "busy": "true", "text": format!("{k} #1") },
            "after": { "state": "loaded", "busy": null, "text": format!("{k} #2") },
        }),
        "reload(): while in flight, and after",
    )?;
    let id = id_of(cx, sel).await?;
    let states: Vec<_> = cx
        .states_for(&id)
        .await?
        .into_iter()
        .map(|s| (s["state"].clone(), s["text"].clone()))
        .collect();
    ensure_eq(
        states,
        vec![
            (json!("loading"), json!("count loading")),
            (json!("loaded"), json!(format!("{k} #1"))),
            (json!("reloading"), json!(format!("{k} #1"))),
            (json!("loaded"), json!(format!("{k} #2"))),
        ],
        "state history (state, text)",
    )?;
    let loads = cx.events_for("mochi:island-load", &id).await?;
    let reloads: Vec<_> = loads
        .iter()
        .map(|e| e["detail"]["reload"].clone())
        .collect();
    ensure_eq(
        reloads,
        vec![json!(false), json!(true)],
        "load events' reload flags",
    )?;
    ensure_eq(fetches_of(cx, &id).await?, 2, "fetches")
}

/// A `defer` + `client` island hydrates again after a reload: the answer's
/// `<mochi-island>` is a new node, hydrated as such.
pub(crate) async fn live_reload_rehydrates(cx: &Ctx) -> TestResult {
    let k = fresh("rehydrate");
    cx.goto(&format!("/test/live/reload?k={k}")).await?;
    let outer = "mochi-server-island[component-name=LiveProbe]";
    let inner = format!("{outer} mochi-island[component-name=LiveProbe]");
    cx.wait_state(outer, "loaded").await?;
    cx.wait_state(&inner, "hydrated").await?;
    cx.exec(
        "window.__oldInner = document.querySelector(arguments[0]); \
         window.__oldInner.querySelector('button').click(); return true;",
        vec![json!(inner)],
    )
    .await?;
    ensure_eq(reload(cx, outer).await?, json!(true), "reload() result")?;
    cx.wait_state(&inner, "hydrated").await?;
    let got = cx
        .exec(
            "const el = document.querySelector(arguments[0]); const id = el.getAttribute('island-id'); \
             return { fresh: el !== window.__oldInner, label: el.querySelector('.label').textContent, \
                      button: el.querySelector('button').textContent, \
                      hydrations: Object.values(window.__probe).reduce((n, p) => n + p.hydrations, 0), \
                      props: window.__probe[id].props };",
            vec![json!(inner)],
        )
        .await?;
    ensure_eq(
        got,
        json!({
            "fresh": true,
            "label": format!("{k}-probe #2"),
            "button": "0",
            "hydrations": 2,
            "props": { "key": format!("{k}-probe") },
        }),
        "the inner island after the reload",
    )?;
    let hydrates = cx
        .events()
        .await?
        .into_iter()
        .filter(|e| e["type"] == "mochi:island-hydrate" && e["name"] == "LiveProbe")
        .count();
    ensure_eq(hydrates, 2, "hydrate events")?;
    cx.client
        .find(fantoccini::Locator::Css(&format!("{inner} button")))
        .await?
        .click()
        .await?;
    wait_text(cx, &format!("{inner} button"), "1").await
}

/// `mochi:reload` with a name reloads that component's islands only;
/// without one, every server island (but not one still waiting to be
/// scrolled to).
pub(crate) async fn live_reload_event(cx: &Ctx) -> TestResult {
    cx.goto("/product/1").await?;
    shop_loaded(cx).await?;
    let cart = "mochi-server-island[component-name=CartCount]";
    let avatar = "mochi-server-island[component-name=UserAvatar]";
    // Four items into the cart of a new guest session, behind the page's
    // back (no `cart-changed` event).
    cx.exec(
        "(async () => { for (let i = 0; i < 4; i++) await fetch('/cart', { method: 'POST', \
         body: new URLSearchParams({ product_id: '1' }), headers: { Accept: 'application/json' } }); \
         window.__added = true; })();",
        vec![],
    )
    .await?;
    cx.wait_for("four items added", "window.__added === true")
        .await?;
    cx.eval("document.dispatchEvent(new CustomEvent('mochi:reload', { detail: { name: 'CartCount' } }))")
        .await?;
    wait_text(cx, cart, "4 items").await?;
    pause(cx, 300).await?;
    ensure_eq(cx.fetches("/island/UserAvatar").await?, 1, "avatar fetches")?;
    ensure_eq(cx.fetches("/island/CartCount").await?, 2, "cart fetches")?;

    cx.eval("document.dispatchEvent(new CustomEvent('mochi:reload'))")
        .await?;
    cx.wait_for(
        "the avatar to reload too",
        "window.__mochiRec.fetches.filter(f => f.url.includes('/island/UserAvatar')).length === 2",
    )
    .await?;
    cx.wait_state(avatar, "loaded").await?;
    cx.wait_state(cart, "loaded").await?;
    ensure_eq(cx.fetches("/island/CartCount").await?, 3, "cart fetches")?;
    let recs = "mochi-server-island[component-name=Recommendations]";
    ensure_eq(
        cx.attr(recs, "mochi-state").await?,
        Some("waiting".into()),
        "an island waiting for the viewport",
    )?;
    ensure_eq(
        cx.fetches("/island/Recommendations").await?,
        0,
        "Recommendations fetches",
    )
}

/// Reloads asked for during a load run once after it, never alongside:
/// four calls → two requests, the last three calls sharing one promise;
/// two calls during the first load → one more request.
pub(crate) async fn live_reload_coalesces(cx: &Ctx) -> TestResult {
    let k = fresh("coalesce");
    cx.goto(&format!("/test/live/coalesce?k={k}")).await?;
    let slow = "div.slow mochi-server-island";
    let during_first = cx
        .exec(
            "const el = document.querySelector(arguments[0]); const state = el.getAttribute('mochi-state'); \
             const a = el.reload(), b = el.reload(); \
             return Promise.all([a, b]).then(r => ({ state, same: a === b, results: r }));",
            vec![json!(slow)],
        )
        .await?;
    ensure_eq(
        during_first,
        json!({ "state": "loading", "same": true, "results": [true, true] }),
        "two reloads during the first load",
    )?;
    ensure_eq(
        cx.text(slow).await?,
        format!("{k}-slow #2 max 1"),
        "after the first load and one reload",
    )?;

    let fast = "div.fast mochi-server-island";
    cx.wait_state(fast, "loaded").await?;
    let got = cx
        .exec(
            "const el = document.querySelector(arguments[0]); \
             const ps = [el.reload(), el.reload(), el.reload(), el.reload()]; \
             return Promise.all(ps).then(r => ({ results: r, \
               shared: ps[1] === ps[2] && ps[2] === ps[3], first: ps[0] !== ps[1] }));",
            vec![json!(fast)],
        )
        .await?;
    ensure_eq(
        got,
        json!({ "results": [true, true, true, true], "shared": true, "first": true }),
        "four reloads at once",
    )?;
    // Let a wrong extra reload show up, if there were one.
    pause(cx, 800).await?;
    let fast_id = id_of(cx, fast).await?;
    let slow_id = id_of(cx, slow).await?;
    ensure_eq(fetches_of(cx, &fast_id).await?, 3, "fast island fetches")?;
    ensure_eq(fetches_of(cx, &slow_id).await?, 2, "slow island fetches")?;
    ensure_eq(
        cx.text(fast).await?,
        format!("{k}-fast #3 max 1"),
        "never two requests in flight",
    )?;
    ensure_eq(
        cx.events_for("mochi:island-load", &fast_id).await?.len(),
        3,
        "load events",
    )
}

/// A failed reload keeps the old content (not the error fallback), fires
/// `mochi:island-error` and resolves `false`; the next one succeeds.
pub(crate) async fn live_reload_failure_keeps_content(cx: &Ctx) -> TestResult {
    let k = fresh("fail");
    cx.goto(&format!("/test/live/reload?k={k}")).await?;
    let sel = "mochi-server-island[component-name=LiveCount]";
    cx.wait_state(sel, "loaded").await?;
    let id = id_of(cx, sel).await?;
    cx.eval("document.cookie = 'live-fail=1; path=/'").await?;
    ensure_eq(reload(cx, sel).await?, json!(false), "failed reload()")?;
    ensure_eq(cx.text(sel).await?, format!("{k} #1"), "content kept")?;
    ensure_eq(
        cx.attr(sel, "mochi-state").await?,
        Some("error".into()),
        "state",
    )?;
    ensure_eq(cx.attr(sel, "aria-busy").await?, None, "aria-busy after")?;
    let errors = cx.events_for("mochi:island-error", &id).await?;
    ensure_eq(errors.len(), 1, "error events")?;
    ensure_eq(&errors[0]["detail"]["status"], &json!(503), "error status")?;
    ensure_eq(
        &errors[0]["detail"]["reload"],
        &json!(true),
        "error's reload flag",
    )?;
    ensure_eq(
        cx.eval(&format!("document.querySelector('{sel} .ef') === null"))
            .await?,
        json!(true),
        "no error fallback after a failed reload",
    )?;
    cx.eval("document.cookie = 'live-fail=; max-age=0; path=/'")
        .await?;
    ensure_eq(reload(cx, sel).await?, json!(true), "next reload()")?;
    ensure_eq(cx.text(sel).await?, format!("{k} #3"), "content after")?;
    ensure_eq(
        cx.attr(sel, "mochi-state").await?,
        Some("loaded".into()),
        "state after",
    )
}

/// `reload-on` reloads on its events reaching `document`, not on others;
/// its listeners go with the element and come back, once, with it.
pub(crate) async fn live_reload_on_event(cx: &Ctx) -> TestResult {
    let k = fresh("on");
    cx.goto(&format!("/test/live/reload-on?k={k}")).await?;
    let on = "div.on mochi-server-island";
    let control = "div.control mochi-server-island";
    ensure_eq(
        cx.attr(on, "reload-on").await?,
        Some("live:poke cart:changed".into()),
        "reload-on (names with whitespace and empty ones skipped)",
    )?;
    cx.wait_state(on, "loaded").await?;
    cx.wait_state(control, "loaded").await?;
    let (on_id, control_id) = (id_of(cx, on).await?, id_of(cx, control).await?);
    cx.eval("document.dispatchEvent(new Event('live:poke'))")
        .await?;
    wait_text(cx, on, &format!("{k}-on #2")).await?;
    cx.eval("document.body.dispatchEvent(new CustomEvent('cart:changed', { bubbles: true }))")
        .await?;
    wait_text(cx, on, &format!("{k}-on #3")).await?;
    cx.eval("document.dispatchEvent(new Event('live:other'))")
        .await?;
    pause(cx, 300).await?;
    ensure_eq(
        fetches_of(cx, &on_id).await?,
        3,
        "fetches after an unrelated event",
    )?;

    // Detached: no reload. Back: one listener per name, not two.
    cx.exec(
        "window.__on = document.querySelector(arguments[0]); window.__on.remove(); \
         document.dispatchEvent(new Event('live:poke')); return true;",
        vec![json!(on)],
    )
    .await?;
    pause(cx, 300).await?;
    ensure_eq(fetches_of(cx, &on_id).await?, 3, "fetches while detached")?;
    cx.eval("document.querySelector('div.on').append(window.__on)")
        .await?;
    cx.eval("document.dispatchEvent(new Event('live:poke'))")
        .await?;
    wait_text(cx, on, &format!("{k}-on #4")).await?;
    pause(cx, 500).await?;
    ensure_eq(
        fetches_of(cx, &on_id).await?,
        4,
        "fetches after one event, reattached",
    )?;
    ensure_eq(
        fetches_of(cx, &control_id).await?,
        1,
        "control island fetches",
    )
}

/// `refresh-every` polls while the element is in view and the page
/// visible, at no less than 1 s, and stops on disconnect.
pub(crate) async fn live_polling(cx: &Ctx) -> TestResult {
    let k = fresh("poll");
    cx.goto(&format!("/test/live/poll?k={k}")).await?;
    let sel = "div.poll mochi-server-island";
    ensure_eq(
        cx.attr(sel, "refresh-every").await?,
        Some("1000".into()),
        "refresh-every",
    )?;
    let id = id_of(cx, sel).await?;
    wait_fetches(cx, &id, 3).await?;
    wait_text(cx, sel, &format!("{k}-poll #3")).await?;
    let fast = fetches_of(cx, "poll-fast").await?;
    ensure(fast <= 4, || {
        format!("refresh-every=\"10\" polled {fast} times in the ~2 s of three 1 s polls")
    })?;

    // Out of view: no polling.
    cx.eval("window.scrollTo(0, document.body.scrollHeight)")
        .await?;
    pause(cx, 400).await?;
    let out_of_view = fetches_of(cx, &id).await?;
    pause(cx, 2500).await?;
    ensure_eq(
        fetches_of(cx, &id).await?,
        out_of_view,
        "fetches out of view",
    )?;

    // Back in view: polling again.
    cx.eval("window.scrollTo(0, 0)").await?;
    wait_fetches(cx, &id, out_of_view + 1).await?;

    // Hidden: another tab in front (headless Chromium reports the page
    // `hidden` then).
    cx.exec(
        "const id = arguments[0]; window.__vis = []; \
         document.addEventListener('visibilitychange', () => window.__vis.push({ state: document.visibilityState, \
           fetches: window.__mochiRec.fetches.filter(e => e.url.endsWith('&i=' + id)).length })); return true;",
        vec![json!(id)],
    )
    .await?;
    let original = cx.client.window().await?;
    let tab = cx.client.new_window(true).await?;
    cx.client.switch_to_window(tab.handle).await?;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    cx.client.close_window().await?;
    cx.client.switch_to_window(original).await?;
    let vis = cx.eval("window.__vis").await?;
    let hidden = vis
        .as_array()
        .and_then(|v| v.first())
        .cloned()
        .unwrap_or_default();
    let shown = vis
        .as_array()
        .and_then(|v| v.get(1))
        .cloned()
        .unwrap_or_default();
    ensure(
        hidden["state"] == "hidden" && shown["state"] == "visible",
        || format!("visibility changes while another tab was in front: {vis}"),
    )?;
    ensure_eq(
        &shown["fetches"],
        &hidden["fetches"],
        "fetches while hidden",
    )?;

    // Disconnected: no polling.
    cx.eval("document.querySelector('div.poll mochi-server-island').remove()")
        .await?;
    pause(cx, 400).await?;
    let removed = fetches_of(cx, &id).await?;
    pause(cx, 2500).await?;
    ensure_eq(fetches_of(cx, &id).await?, removed, "fetches after removal")
}

/// The error fallback is inert until the first load fails for good, then
/// replaces the fallback: after the last retry of a 503, at once for a
/// 403, never when a retry succeeds; without one the fallback stays.
pub(crate) async fn live_error_fallback(cx: &Ctx) -> TestResult {
    let k = fresh("fb");
    cx.goto(&format!("/test/live/fallback?k={k}")).await?;
    let row = "div.row mochi-server-island";
    let ids: Vec<String> = serde_json::from_value(
        cx.exec(
            "return [...document.querySelectorAll(arguments[0])].map(e => e.getAttribute('island-id'));",
            vec![json!(row)],
        )
        .await?,
    )?;
    ensure_eq(ids.len(), 4, "islands")?;
    // Before loading: the template is in the page, its content nowhere.
    let before = cx
        .exec(
            "return [...document.querySelectorAll(arguments[0])].map(e => ({ state: e.getAttribute('mochi-state'), \
               text: e.textContent.trim(), templates: e.querySelectorAll(':scope > template[mochi-error-fallback]').length, \
               shown: e.querySelector('.ef') !== null }));",
            vec![json!(row)],
        )
        .await?;
    ensure_eq(
        before,
        json!([
            { "state": "waiting", "text": "a loading", "templates": 1, "shown": false },
            { "state": "waiting", "text": "b loading", "templates": 1, "shown": false },
            { "state": "waiting", "text": "c loading", "templates": 1, "shown": false },
            { "state": "waiting", "text": "d loading", "templates": 0, "shown": false },
        ]),
        "islands before loading",
    )?;
    // Record each change of each island's text with its fetch count then.
    cx.exec(
        "window.__texts = {}; \
         for (const el of document.querySelectorAll(arguments[0])) { \
           const id = el.getAttribute('island-id'); const seen = window.__texts[id] = []; \
           new MutationObserver(() => { const text = el.textContent.trim(); \
             if (seen.length && seen[seen.length - 1].text === text) return; \
             seen.push({ text, fetches: window.__mochiRec.fetches.filter(f => f.url.endsWith('&i=' + id)).length }); \
           }).observe(el, { childList: true, subtree: true, characterData: true }); } return true;",
        vec![json!(row)],
    )
    .await?;
    cx.scroll_to("div.row").await?;
    for (id, state) in ids.iter().zip(["error", "error", "loaded", "error"]) {
        cx.wait_state(&by_id(id), state).await?;
    }
    let texts = cx
        .exec(
            "return arguments[0].map(id => window.__texts[id]);",
            vec![json!(ids)],
        )
        .await?;
    ensure_eq(
        texts,
        json!([
            [{ "text": "a failed", "fetches": 2 }],
            [{ "text": "b failed", "fetches": 1 }],
            [{ "text": format!("{k}-c #2"), "fetches": 2 }],
            [],
        ]),
        "each island's text changes (with its fetch count at the time)",
    )?;
    ensure_eq(
        cx.text(&by_id(&ids[3])).await?,
        "d loading".into(),
        "fallback kept",
    )?;
    for (id, status) in [(&ids[0], 503), (&ids[1], 403), (&ids[3], 503)] {
        let errors = cx.events_for("mochi:island-error", id).await?;
        ensure_eq(errors.len(), 1, &format!("error events of {id}"))?;
        ensure_eq(
            &errors[0]["detail"]["status"],
            &json!(status),
            "error status",
        )?;
    }
    ensure_eq(
        cx.events_for("mochi:island-error", &ids[2]).await?.len(),
        0,
        "error events of the island that succeeded on a retry",
    )
}

/// Removing an island aborts its fetch: nothing is swapped in, no event
/// fires, and put back it loads again. A move keeps the fetch; a removed
/// reload resolves `false` and leaves the old content and state.
pub(crate) async fn live_removal_aborts(cx: &Ctx) -> TestResult {
    let k = fresh("rm");
    cx.goto(&format!("/test/live/slow?k={k}")).await?;
    let (removed, moved, reloaded) = (
        "div.removed mochi-server-island",
        "div.moved mochi-server-island",
        "div.reloaded mochi-server-island",
    );
    let removed_id = id_of(cx, removed).await?;
    let moved_id = id_of(cx, moved).await?;
    wait_fetches(cx, &removed_id, 1).await?;
    let at_removal = cx
        .exec(
            "const [removed, moved] = [document.querySelector(arguments[0]), document.querySelector(arguments[1])]; \
             window.__removed = removed; window.__late = []; \
             for (const t of ['mochi:island-load', 'mochi:island-error']) \
               removed.addEventListener(t, () => window.__late.push(t)); \
             const state = removed.getAttribute('mochi-state'); removed.remove(); \
             document.querySelector('div.target').append(moved); return state;",
            vec![json!(removed), json!(moved)],
        )
        .await?;
    ensure_eq(at_removal, json!("loading"), "state when removed")?;
    let moved = &format!("div.target {}", by_id(&moved_id));
    cx.wait_state(moved, "loaded").await?;
    ensure_eq(
        cx.text(moved).await?,
        format!("{k}-moved #1 max 1"),
        "moved island",
    )?;
    ensure_eq(fetches_of(cx, &moved_id).await?, 1, "moved island fetches")?;
    // Well past the removed island's answer time.
    pause(cx, 600).await?;
    let got = cx
        .exec(
            "const el = window.__removed; const f = window.__mochiRec.fetches.filter(e => e.url.endsWith('&i=' + arguments[0])); \
             return { text: el.textContent.trim(), late: window.__late, statuses: f.map(e => e.status) };",
            vec![json!(removed_id)],
        )
        .await?;
    ensure_eq(
        got,
        json!({ "text": "removed loading", "late": [], "statuses": [0] }),
        "removed island (fetch aborted: status 0)",
    )?;
    cx.eval("document.querySelector('div.removed').append(window.__removed)")
        .await?;
    cx.wait_state(removed, "loaded").await?;
    ensure_eq(
        cx.text(removed).await?,
        format!("{k}-removed #2 max 1"),
        "removed island, put back",
    )?;

    cx.wait_state(reloaded, "loaded").await?;
    let reloaded_id = id_of(cx, reloaded).await?;
    let result = cx
        .exec(
            "const el = document.querySelector(arguments[0]); window.__reloaded = el; window.__late = []; \
             for (const t of ['mochi:island-load', 'mochi:island-error']) el.addEventListener(t, () => window.__late.push(t)); \
             const p = el.reload(); el.remove(); return p;",
            vec![json!(reloaded)],
        )
        .await?;
    ensure_eq(result, json!(false), "reload() of a removed island")?;
    pause(cx, 1200).await?;
    let got = cx
        .eval(
            "({ text: window.__reloaded.textContent.trim(), late: window.__late, \
                state: window.__reloaded.getAttribute('mochi-state'), busy: window.__reloaded.getAttribute('aria-busy') })",
        )
        .await?;
    ensure_eq(
        got,
        json!({ "text": format!("{k}-reloaded #1 max 1"), "late": [], "state": "loaded", "busy": null }),
        "removed during a reload",
    )?;
    ensure_eq(
        fetches_of(cx, &reloaded_id).await?,
        2,
        "reloaded island fetches",
    )
}

/// `idle` and `media` hydration triggers are cancelled on disconnect (no
/// idle callback or media listener left behind) and armed again on
/// reconnect.
pub(crate) async fn live_hydration_triggers_cancelled(cx: &Ctx) -> TestResult {
    cx.goto("/test/live/triggers").await?;
    let idle = "mochi-island[hydrate-on=idle]";
    let media = "mochi-island[hydrate-on=media]";
    cx.wait_state(idle, "hydrated").await?;
    ensure_eq(
        cx.attr(media, "mochi-state").await?,
        Some("waiting".into()),
        "media island before",
    )?;
    let media_id = id_of(cx, media).await?;
    // Count what the runtime arms and cancels from here on.
    let got = cx
        .exec(
            "const c = window.__armed = { idle: 0, idleCancelled: 0, media: 0, mediaRemoved: 0 }; \
             const ric = window.requestIdleCallback, cic = window.cancelIdleCallback; \
             window.requestIdleCallback = (...a) => (c.idle++, ric(...a)); \
             window.cancelIdleCallback = (h) => (c.idleCancelled++, cic(h)); \
             const add = MediaQueryList.prototype.addEventListener, rm = MediaQueryList.prototype.removeEventListener; \
             MediaQueryList.prototype.addEventListener = function (...a) { c.media++; return add.apply(this, a); }; \
             MediaQueryList.prototype.removeEventListener = function (...a) { c.mediaRemoved++; return rm.apply(this, a); }; \
             const clone = document.querySelector(arguments[0]).cloneNode(true); \
             clone.setAttribute('island-id', 'idle-clone'); clone.removeAttribute('mochi-state'); \
             document.body.append(clone); clone.remove(); window.__clone = clone; \
             window.__media = document.querySelector(arguments[1]); window.__media.remove(); \
             return { ...c };",
            vec![json!(idle), json!(media)],
        )
        .await?;
    ensure_eq(
        got,
        json!({ "idle": 1, "idleCancelled": 1, "media": 0, "mediaRemoved": 1 }),
        "armed and cancelled by connect + disconnect",
    )?;
    let (w, h) = cx.client.get_window_size().await?;
    cx.client.set_window_size(600, 800).await?;
    let checked = async {
        pause(cx, 500).await?;
        ensure_eq(
            cx.eval(&format!(
                "[window.__probe['idle-clone'] ?? null, window.__probe[{}] ?? null, window.__media.getAttribute('mochi-state')]",
                json!(media_id)
            ))
            .await?,
            json!([null, null, "waiting"]),
            "detached islands stay unhydrated",
        )?;
        // Put back: the media query matches now, so it hydrates at once.
        cx.eval("document.body.append(window.__media)").await?;
        cx.wait_state(media, "hydrated").await
    }
    .await;
    cx.client.set_window_size(w as u32, h as u32).await?;
    checked?;
    ensure_eq(
        cx.eval(&format!("window.__probe[{}].hydrations", json!(media_id)))
            .await?,
        json!(1),
        "media island hydrations",
    )
}

/// `transport="post"` sends `POST {prefix}/island/{Name}` with the token
/// and island id as a form body, and no query; reloads too.
pub(crate) async fn live_post_transport(cx: &Ctx) -> TestResult {
    let k = fresh("post");
    cx.goto(&format!("/test-live/post/page?k={k}")).await?;
    let post = "mochi-server-island[island-id=post-1]";
    let get = "mochi-server-island[island-id=get-1]";
    cx.wait_state(post, "loaded").await?;
    cx.wait_state(get, "loaded").await?;
    let token = cx.attr(post, "signed-props").await?.unwrap_or_default();
    let expect_post = format!("POST PostEcho application/x-www-form-urlencoded p={token}&i=post-1");
    ensure_eq(
        cx.text(post).await?,
        expect_post.clone(),
        "POST request seen by the server",
    )?;
    ensure_eq(
        cx.text(get).await?,
        format!("GET PostEcho - p={token}&i=get-1"),
        "GET request seen by the server",
    )?;
    ensure_eq(reload(cx, post).await?, json!(true), "reload() over POST")?;
    ensure_eq(cx.text(post).await?, expect_post, "reload over POST")?;
    let urls = cx.eval("window.__mochiRec.fetches.map(f => f.url)").await?;
    let base = &cx.base;
    ensure_eq(
        urls,
        json!([
            format!("{base}/test-live/post/island/PostEcho"),
            format!("{base}/test-live/post/island/PostEcho?p={token}&i=get-1"),
            format!("{base}/test-live/post/island/PostEcho"),
        ]),
        "island URLs (no query over POST)",
    )?;

    // Against mochi's own prefix: the same request shape.
    cx.goto(&format!("/test/live/post-real?k={k}-real")).await?;
    let real = "mochi-server-island[island-id=post-real]";
    cx.wait_for(
        "the POST island to settle",
        &format!(
            "['loaded', 'error'].includes(document.querySelector({}).getAttribute('mochi-state'))",
            json!(real)
        ),
    )
    .await?;
    let big = "mochi-server-island[component-name=BigPropsEcho]";
    cx.wait_for(
        "the large-props island to settle",
        &format!(
            "['loaded', 'error'].includes(document.querySelector({}).getAttribute('mochi-state'))",
            json!(big)
        ),
    )
    .await?;
    ensure_eq(
        cx.attr(big, "transport").await?,
        Some("post".to_owned()),
        "mochi chose POST",
    )?;
    ensure_eq(
        cx.eval("window.__mochiRec.fetches.map(f => f.url).sort()")
            .await?,
        json!([
            format!("{base}/_mochi/island/BigPropsEcho"),
            format!("{base}/_mochi/island/LiveCount"),
        ]),
        "island URLs under the mochi prefix, no query",
    )?;
    ensure_eq(
        cx.attr(real, "mochi-state").await?,
        Some("loaded".to_owned()),
        "POST state",
    )?;
    ensure_eq(cx.text(real).await?, format!("{k}-real #1"), "POST answer")?;
    ensure_eq(
        cx.text(big).await?,
        "2500 bytes by POST".to_owned(),
        "large props answer",
    )?;
    Ok(())
}

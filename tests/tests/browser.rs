//! Browser tests: the client runtime in headless Chromium against the
//! example shop (plus a few test-only pages and islands), served in-process
//! on actix-web and then on axum: every scenario runs against both, and
//! each server's run must pass. The test pages are server-neutral (see
//! browser/server.rs); each server has its own key and its own in-memory
//! database, and scenarios take fresh keys (`?k=`) for any server-side
//! state. The actix server compresses its answers (`Compress`); the axum
//! one does not (the workspace has no compression layer for tower).
//!
//! One chromedriver and one browser session run every scenario in turn;
//! each scenario starts on a blank page with no cookies. Needs `chromium`
//! and `chromedriver` (Debian: `apt-get install chromium chromium-driver`);
//! without them the test says loudly that it skipped, and fails instead when
//! `MOCHI_REQUIRE_EXTERNAL=1`. Scenarios are reported as `actix/{name}` and
//! `axum/{name}`; `MOCHI_BROWSER_SCENARIOS=a,b` runs only the named
//! scenarios, on both servers by their bare name (`fallback_then_swap`), on
//! one by the server's (`axum/fallback_then_swap`).

#[path = "browser/fragments.rs"]
mod fragments;
#[path = "browser/harness.rs"]
mod harness;
#[path = "browser/live.rs"]
mod live;
#[path = "browser/nesting.rs"]
mod nesting;
#[path = "browser/server.rs"]
mod server;
#[path = "browser/streaming.rs"]
mod streaming;
#[path = "browser/weight.rs"]
mod weight;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use fantoccini::Locator;
use futures_util::FutureExt as _;
use harness::{Browser, Ctx, Report, TestResult};
use http::header::{HeaderValue, CONTENT_SECURITY_POLICY};
// Live islands' scenarios (all named `live_*`).
use fragments::{fragments_compose, preload_from_headers};
use live::*;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use nesting::nested_inline_one_request;
use serde_json::{json, Value as Json};
use server::{answer, Answer, Req, Route};
use streaming::{
    batch_one_request, stream_account, stream_parts, stream_polyfill, stream_without_javascript,
};
use weight::runtime_pay_per_use;

// ---------------------------------------------------------------------------
// Test-only islands and pages
// ---------------------------------------------------------------------------

/// Always fails: the endpoint answers 500.
#[mochi::island(defer)]
fn boom() -> Result<Markup, String> {
    Err("boom on purpose".into())
}

/// Requests `Flaky` has had, by key.
static FLAKY_CALLS: Mutex<BTreeMap<String, usize>> = Mutex::new(BTreeMap::new());

/// Unavailable (503) on its first two requests for `key`, then succeeds.
#[mochi::island(defer)]
fn flaky(key: String) -> Result<Markup, mochi::IslandError> {
    let n = {
        let mut calls = FLAKY_CALLS.lock().unwrap_or_else(|p| p.into_inner());
        let n = calls.entry(key).or_default();
        *n += 1;
        *n
    };
    match n {
        1 | 2 => Err(mochi::IslandError::unavailable("not yet")),
        n => Ok(html! { span.flaky { "flaky answered on call " (n) } }),
    }
}

/// Answers HTML with a classic and a module script in it.
#[mochi::island(defer)]
fn with_scripts() -> Markup {
    html! {
        span.scripts { "scripts island" }
        script src="/test-static/side.js" {}
        script type="module" src="/test-static/side-module.js" {}
    }
}

/// Answers 200, but the test server relabels it `text/plain` (its own
/// request, never in a batch: it has a cache policy).
#[mochi::island(defer, cache = "private, no-store")]
fn plain_text() -> Markup {
    html! { "not html" }
}

/// Answers HTML holding another server island and a hydrated island.
#[mochi::island(defer)]
fn nest(label: String) -> Markup {
    html! {
        div.nest {
            (example_shop::user_avatar().fallback(html! { "inner loading" }))
            (probe(label.clone(), 7))
            (probe(label, 7))
        }
    }
}

/// Hydrated by probe.js, which records its props in `window.__probe`.
#[mochi::island(client = "static/probe.js")]
fn probe(label: String, n: i64) -> Markup {
    html! { span.label data-label=(label) { (label) } " " button type="button" { (n) } }
}

/// Hydrated by a module that imports others (statically, relatively).
#[mochi::island(client = "static/imports/greeter.js")]
fn greeter(name: String) -> Markup {
    html! { span.greeting { "…" } }
}

/// A hydrated island without props.
#[mochi::island(client = "static/probe.js")]
fn bare_probe() -> Markup {
    html! { span.bare { "bare" } }
}

/// Props of every devalue-special kind, for the fidelity check.
#[mochi::island(client = "static/probe.js")]
fn wide_probe(
    big: u64,
    neg: i128,
    nan: f64,
    inf: f64,
    neg_zero: f64,
    text: String,
    none: Option<u8>,
) -> Markup {
    let _ = (big, neg, nan, inf, neg_zero, none);
    html! { span.wide { (text) } }
}

/// A server island hydrated after its swap.
#[mochi::island(defer, client = "static/probe.js")]
fn deferred_probe(label: String) -> Markup {
    html! { span.label data-label=(label) { "deferred " (label) } " " button type="button" { "0" } }
}

/// Hydration always throws.
#[mochi::island(client = "static/throws.js")]
fn thrower() -> Markup {
    html! { p.server-html { "server html stays" } }
}

const CSP: &str = "script-src 'self'";
const XSS: &str = "</script><script>alert(1)</script>";

fn page(title: &str, csp: bool, body: Markup) -> Answer {
    let doc = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (title) }
                (mochi::runtime_script())
            }
            body { (body) }
        }
    };
    let mut res = answer("text/html; charset=utf-8", doc.into_string());
    if csp {
        let value = HeaderValue::from_static(CSP);
        res.headers_mut().insert(CONTENT_SECURITY_POLICY, value);
    }
    res
}

/// Changes the first character of a (sealed) token: its nonce, so the
/// token no longer opens.
fn tamper(token: &str) -> String {
    let first = if token.starts_with('A') { 'B' } else { 'A' };
    format!("{first}{}", &token[1..])
}

async fn blank_page(_: Req) -> Answer {
    page("blank", true, html! { p { "blank" } })
}

async fn errors_page(_: Req) -> Answer {
    let avatar = example_shop::user_avatar();
    let cart = example_shop::cart_count();
    let good = avatar.signed_props().expect("signed").to_string();
    let cart_token = cart.signed_props().expect("signed").to_string();
    let raw = |id: &str, name: &str, token: Option<&str>, fallback: &str| {
        let mut s = format!(r#"<mochi-server-island component-name="{name}" island-id="{id}""#);
        if let Some(t) = token {
            s.push_str(&format!(r#" signed-props="{t}""#));
        }
        s.push_str(&format!(">{fallback}</mochi-server-island>"));
        PreEscaped(s)
    };
    page(
        "errors",
        true,
        html! {
            (boom().fallback(html! { span.fb { "Loading boom…" } }).retries(1))
            (raw("tampered", "UserAvatar", Some(&tamper(&good)), "Loading tampered…"))
            (raw("crossed", "UserAvatar", Some(&cart_token), "Loading crossed…"))
            (raw("unknown", "NoSuchIsland", Some(&good), "Loading unknown…"))
            (raw("unsigned", "UserAvatar", None, "Loading unsigned…"))
            (plain_text().fallback(html! { "Loading plain…" }))
        },
    )
}

/// A page's key (`?k=`): each scenario makes a fresh one (see [`fresh`]).
#[derive(serde::Deserialize)]
struct K {
    k: String,
}

async fn retry_page(req: Req) -> Answer {
    let K { k } = req.query();
    page(
        "retry",
        true,
        html! { (flaky(k).fallback(html! { "Loading flaky…" })) },
    )
}

async fn scripts_page(_: Req) -> Answer {
    page(
        "scripts",
        true,
        html! {
            (with_scripts().fallback(html! { "s1" }))
            (with_scripts().fallback(html! { "s2" }))
        },
    )
}

/// A streamed island whose HTML holds scripts.
async fn stream_scripts_page(_: Req) -> Answer {
    page(
        "stream scripts",
        true,
        html! { (with_scripts().stream().fallback(html! { "streaming…" })) },
    )
}

/// User content that names modules outside mochi's client path: same
/// origin, another origin, and a path that climbs out of the prefix.
async fn foreign_client_page(_: Req) -> Answer {
    let content = r#"
        <mochi-island component-name="Foreign" island-id="u0" client="/test-static/foreign.js" hydrate-on="load"></mochi-island>
        <mochi-island component-name="Foreign" island-id="u1" client="//evil.invalid/x.js" hydrate-on="load"></mochi-island>
        <mochi-island component-name="Foreign" island-id="u2" client="/_mochi/client/../../test-static/foreign.js" hydrate-on="load"></mochi-island>
    "#;
    page(
        "foreign client",
        true,
        html! {
            (PreEscaped(content))
            (probe("own".into(), 1))
        },
    )
}

async fn imports_page(_: Req) -> Answer {
    page(
        "imports",
        true,
        html! { (greeter("Ada".into())) (greeter("Bo".into())) },
    )
}

async fn nested_page(_: Req) -> Answer {
    page(
        "nested",
        true,
        html! {
            (probe("page".into(), 1))
            (nest("inner".into()).fallback(html! { "Loading nest…" }))
        },
    )
}

async fn hydrate_page(_: Req) -> Answer {
    page(
        "hydrate",
        true,
        html! {
            (probe("same".into(), 5))
            (probe("same".into(), 5))
            (probe("other".into(), 6))
            (bare_probe())
            (thrower())
            (wide_probe(
                u64::MAX,
                -(1i128 << 70),
                f64::NAN,
                f64::INFINITY,
                -0.0,
                format!("{XSS} <!-- \u{2028}\u{2029} \"q\" ü"),
                None,
            ))
        },
    )
}

async fn triggers_page(_: Req) -> Answer {
    page(
        "triggers",
        true,
        html! {
            (probe("idle".into(), 0).hydrate(mochi::Hydrate::Idle))
            (probe("media".into(), 0).hydrate(mochi::Hydrate::Media("(max-width: 700px)".into())))
            div style="height: 3000px" {}
            (probe("visible".into(), 0).hydrate(mochi::Hydrate::Visible { root_margin: Some("50px".into()) }))
        },
    )
}

async fn deferred_page(_: Req) -> Answer {
    page(
        "deferred",
        true,
        html! { (deferred_probe("d".into()).fallback(html! { "Loading deferred…" })) },
    )
}

/// The search page's islands again, without CSP: if escaping failed, the
/// injected script would really run here.
async fn xss_page(_: Req) -> Answer {
    page(
        "xss",
        false,
        html! {
            (example_shop::query_echo(XSS.into()))
            (example_shop::search_results(XSS.into()).fallback(html! { "Searching…" }))
            (probe(XSS.into(), 1))
        },
    )
}

/// Control: an inline script, which the CSP must block and the checks see.
async fn inline_script_page(_: Req) -> Answer {
    page(
        "inline",
        true,
        html! { script { (PreEscaped("window.__inlineRan = true;")) } },
    )
}

async fn test_static(req: Req) -> Answer {
    let body = match req.param("file") {
        "side.js" => include_str!("../static/side.js"),
        "side-module.js" => include_str!("../static/side-module.js"),
        "foreign.js" => include_str!("../static/foreign.js"),
        _ => {
            let mut res = Answer::default();
            *res.status_mut() = http::StatusCode::NOT_FOUND;
            return res;
        }
    };
    answer("text/javascript; charset=utf-8", body)
}

/// This file's test pages.
const ROUTES: &[Route] = &[
    Route::get("/test/blank", |r| blank_page(r).boxed()),
    Route::get("/test/errors", |r| errors_page(r).boxed()),
    Route::get("/test/retry", |r| retry_page(r).boxed()),
    Route::get("/test/scripts", |r| scripts_page(r).boxed()),
    Route::get("/test/stream-scripts", |r| stream_scripts_page(r).boxed()),
    Route::get("/test/foreign-client", |r| foreign_client_page(r).boxed()),
    Route::get("/test/nested", |r| nested_page(r).boxed()),
    Route::get("/test/imports", |r| imports_page(r).boxed()),
    Route::get("/test/hydrate", |r| hydrate_page(r).boxed()),
    Route::get("/test/triggers", |r| triggers_page(r).boxed()),
    Route::get("/test/deferred", |r| deferred_page(r).boxed()),
    Route::get("/test/xss", |r| xss_page(r).boxed()),
    Route::get("/test/inline-script", |r| inline_script_page(r).boxed()),
    Route::get("/test-static/{file}", |r| test_static(r).boxed()),
];

/// Every test page: this file's and its modules'.
fn test_routes() -> Vec<Route> {
    [
        ROUTES,
        live::ROUTES,
        fragments::ROUTES,
        streaming::ROUTES,
        nesting::ROUTES,
        weight::ROUTES,
    ]
    .concat()
}

/// A key no earlier scenario used, on either server: server-side state
/// kept by key starts afresh.
fn fresh(name: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("{name}{}", N.fetch_add(1, Ordering::SeqCst))
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn ensure(cond: bool, msg: impl FnOnce() -> String) -> TestResult {
    if cond {
        Ok(())
    } else {
        Err(msg().into())
    }
}

fn ensure_eq<T: PartialEq + std::fmt::Debug>(left: T, right: T, what: &str) -> TestResult {
    ensure(left == right, || {
        format!("{what}: got {left:?}, expected {right:?}")
    })
}

/// `island-id`s of the islands matching `selector`, in document order.
async fn island_ids(cx: &Ctx, selector: &str) -> TestResult<Vec<String>> {
    let v = cx
        .exec(
            "return [...document.querySelectorAll(arguments[0])].map(e => e.getAttribute('island-id'));",
            vec![json!(selector)],
        )
        .await?;
    Ok(serde_json::from_value(v)?)
}

fn by_id(id: &str) -> String {
    format!("[island-id=\"{id}\"]")
}

/// The one `mochi:island-error` event of island `id`.
async fn one_error_event(cx: &Ctx, id: &str) -> TestResult<Json> {
    let events = cx.events_for("mochi:island-error", id).await?;
    ensure_eq(events.len(), 1, &format!("error events of {id}"))?;
    let e = events.into_iter().next().unwrap_or_default();
    ensure_eq(&e["bubbles"], &json!(true), "error event bubbles")?;
    Ok(e)
}

/// Signs `name` in through the sign-in form, as a user would.
async fn sign_in(cx: &Ctx, name: &str) -> TestResult {
    cx.goto("/signin").await?;
    cx.client
        .find(Locator::Css("form.signin input[name=name]"))
        .await?
        .send_keys(name)
        .await?;
    cx.client
        .find(Locator::Css("form.signin button[type=submit]"))
        .await?
        .click()
        .await?;
    cx.wait_for(
        "the account page after sign-in",
        "location.pathname === '/account'",
    )
    .await?;
    Ok(())
}

/// Waits for the shop's top-of-page islands to settle.
async fn shop_loaded(cx: &Ctx) -> TestResult {
    cx.wait_state("mochi-server-island[component-name=UserAvatar]", "loaded")
        .await?;
    cx.wait_state("mochi-server-island[component-name=CartCount]", "loaded")
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Scenarios: server islands (issue 3)
// ---------------------------------------------------------------------------

/// The fallback is in the page and on screen while the island loads, then
/// the guest's `Sign in` link replaces `Loading…`.
async fn fallback_then_swap(cx: &Ctx) -> TestResult {
    cx.goto("/").await?;
    shop_loaded(cx).await?;
    let sel = "mochi-server-island[component-name=UserAvatar]";
    ensure_eq(cx.text(sel).await?, "Sign in".into(), "avatar text")?;
    ensure_eq(
        cx.attr(&format!("{sel} a"), "href").await?,
        Some("/signin".into()),
        "sign-in link",
    )?;
    ensure_eq(
        cx.text("mochi-server-island[component-name=CartCount]")
            .await?,
        "0 items".into(),
        "cart text",
    )?;
    let id = cx.attr(sel, "island-id").await?.unwrap_or_default();
    let states = cx.states_for(&id).await?;
    let seen: Vec<_> = states
        .iter()
        .map(|s| (s["state"].clone(), s["text"].clone()))
        .collect();
    ensure_eq(
        seen,
        vec![
            (json!("loading"), json!("Loading…")),
            (json!("loaded"), json!("Sign in")),
        ],
        "avatar state history (state, text)",
    )?;
    let loads = cx.events_for("mochi:island-load", &id).await?;
    ensure_eq(loads.len(), 1, "load events")?;
    ensure_eq(
        &loads[0]["detail"]["status"],
        &json!(200),
        "load event status",
    )?;
    ensure_eq(&loads[0]["bubbles"], &json!(true), "load event bubbles")?;
    ensure_eq(cx.fetches("/island/UserAvatar").await?, 1, "avatar fetches")?;
    Ok(())
}

/// Signing in through the form sets the session cookie (`HttpOnly`,
/// `SameSite=Lax`: invisible to scripts), which travels with the island
/// requests; items added with the buttons show in the cart island; signing
/// out forgets it all.
async fn user_cookie_reaches_island(cx: &Ctx) -> TestResult {
    sign_in(cx, "ada").await?;
    let cookies = cx.client.get_all_cookies().await?;
    let session = cookies
        .iter()
        .find(|c| c.name() == example_shop::SESSION_COOKIE)
        .ok_or_else(|| format!("no session cookie after sign-in: {cookies:?}"))?;
    ensure_eq(session.http_only(), Some(true), "HttpOnly")?;
    ensure_eq(
        format!("{:?}", session.same_site()),
        "Some(Lax)".into(),
        "SameSite",
    )?;
    ensure_eq(
        cx.eval("document.cookie").await?,
        json!(""),
        "document.cookie",
    )?;

    cx.goto("/").await?;
    shop_loaded(cx).await?;
    ensure_eq(
        cx.text("mochi-server-island[component-name=UserAvatar]")
            .await?,
        "Welcome back, ada!".into(),
        "avatar text",
    )?;
    // Three items with today's pick's button.
    let pick = by_id(&island_ids(cx, "mochi-island[component-name=AddToCart]").await?[0]);
    cx.wait_state(&pick, "hydrated").await?;
    let button = cx
        .client
        .find(Locator::Css(&format!("{pick} button")))
        .await?;
    for _ in 0..3 {
        button.click().await?;
    }
    cx.wait_for(
        "the third item to be added",
        &format!("document.querySelector('{pick} .status').textContent === '3 in cart'"),
    )
    .await?;
    cx.goto("/").await?;
    shop_loaded(cx).await?;
    ensure_eq(
        cx.text("mochi-server-island[component-name=CartCount]")
            .await?,
        "3 items".into(),
        "cart text",
    )?;

    cx.goto("/account").await?;
    let summary = "mochi-server-island[component-name=AccountSummary]";
    cx.wait_state(summary, "loaded").await?;
    ensure_eq(
        cx.text(&format!("{summary} .user-name")).await?,
        "ada".into(),
        "account name",
    )?;
    cx.client
        .find(Locator::Css(&format!("{summary} button")))
        .await?
        .click()
        .await?;
    cx.wait_for("the shop after sign-out", "location.pathname === '/'")
        .await?;
    shop_loaded(cx).await?;
    ensure_eq(
        cx.text("mochi-server-island[component-name=UserAvatar]")
            .await?,
        "Sign in".into(),
        "avatar after sign-out",
    )?;
    ensure_eq(
        cx.text("mochi-server-island[component-name=CartCount]")
            .await?,
        "0 items".into(),
        "cart after sign-out",
    )
}

/// Recommendations (defer-on visible, below the fold of a product page) is
/// not fetched until it is scrolled to; it is the slow (200 ms) island.
async fn visible_island_waits_for_scroll(cx: &Ctx) -> TestResult {
    cx.goto("/product/1").await?;
    shop_loaded(cx).await?;
    let sel = "mochi-server-island[component-name=Recommendations]";
    ensure_eq(
        cx.attr(sel, "defer-on").await?,
        Some("visible".into()),
        "defer-on",
    )?;
    ensure_eq(
        cx.attr(sel, "root-margin").await?,
        Some("100px".into()),
        "root-margin",
    )?;
    let below = cx
        .eval(&format!(
            "document.querySelector('{sel}').getBoundingClientRect().top > innerHeight + 150"
        ))
        .await?;
    ensure_eq(below, json!(true), "Recommendations starts below the fold")?;
    // Give an eager fetch every chance to happen before checking it did not.
    cx.wait_for(
        "a settled frame",
        "new Promise(r => requestAnimationFrame(() => setTimeout(() => r(true), 300)))",
    )
    .await?;
    ensure_eq(
        cx.attr(sel, "mochi-state").await?,
        Some("waiting".into()),
        "state before scrolling",
    )?;
    ensure_eq(
        cx.text(sel).await?,
        "Loading recommendations…".into(),
        "fallback before scrolling",
    )?;
    ensure_eq(
        cx.fetches("/island/Recommendations").await?,
        0,
        "fetches before scrolling",
    )?;
    cx.scroll_to(sel).await?;
    cx.wait_state(sel, "loaded").await?;
    let text = cx.text(sel).await?;
    ensure(
        text.contains("Matcha daifuku")
            && text.contains("Sakura mochi")
            && text.contains("Mitarashi dango"),
        || format!("recommendations text: {text:?}"),
    )?;
    ensure_eq(
        cx.fetches("/island/Recommendations").await?,
        1,
        "fetches after scrolling",
    )
}

/// An island whose component fails answers 500; the runtime does not retry
/// it (it would fail again, whatever `retries` says), keeps the fallback
/// and fires `mochi:island-error`.
async fn island_500_keeps_fallback(cx: &Ctx) -> TestResult {
    cx.goto("/test/errors").await?;
    let sel = "mochi-server-island[component-name=Boom]";
    cx.wait_state(sel, "error").await?;
    ensure_eq(cx.text(sel).await?, "Loading boom…".into(), "fallback kept")?;
    ensure_eq(
        cx.fetches("/island/Boom").await?,
        1,
        "requests (a 500 is final, retries(1) notwithstanding)",
    )?;
    let id = cx.attr(sel, "island-id").await?.unwrap_or_default();
    let e = one_error_event(cx, &id).await?;
    ensure_eq(&e["detail"]["status"], &json!(500), "error status")?;
    ensure(e["detail"]["error"].is_string(), || {
        format!("error message in {e}")
    })
}

/// Tampered and cross-island tokens answer 403, unknown islands 404, and a
/// missing token fails at once: none is retried, all keep their fallback.
async fn island_4xx_keeps_fallback(cx: &Ctx) -> TestResult {
    cx.goto("/test/errors").await?;
    for (id, status, fallback) in [
        ("tampered", 403, "Loading tampered…"),
        ("crossed", 403, "Loading crossed…"),
        ("unknown", 404, "Loading unknown…"),
        ("unsigned", 0, "Loading unsigned…"),
    ] {
        cx.wait_state(&by_id(id), "error").await?;
        ensure_eq(
            cx.text(&by_id(id)).await?,
            fallback.into(),
            &format!("{id} fallback"),
        )?;
        let e = one_error_event(cx, id).await?;
        ensure_eq(
            &e["detail"]["status"],
            &json!(status),
            &format!("{id} status"),
        )?;
    }
    // Settle the 500 island so no request is still in flight.
    cx.wait_state("mochi-server-island[component-name=Boom]", "error")
        .await?;
    ensure_eq(
        cx.fetches("/island/UserAvatar").await?,
        2,
        "4xx requests (tampered, crossed; none retried)",
    )?;
    ensure_eq(cx.fetches("/island/NoSuchIsland").await?, 1, "404 requests")
}

/// A 200 answer that is not `text/html` is not swapped in, nor retried.
async fn non_html_answer_keeps_fallback(cx: &Ctx) -> TestResult {
    cx.goto("/test/errors").await?;
    let sel = "mochi-server-island[component-name=PlainText]";
    cx.wait_state(sel, "error").await?;
    ensure_eq(
        cx.text(sel).await?,
        "Loading plain…".into(),
        "fallback kept",
    )?;
    let id = cx.attr(sel, "island-id").await?.unwrap_or_default();
    let e = one_error_event(cx, &id).await?;
    ensure_eq(&e["detail"]["status"], &json!(200), "error status")?;
    ensure_eq(cx.fetches("/island/PlainText").await?, 1, "requests")
}

/// 503 answers (like 502, 504 and network errors) are retried with backoff
/// until one succeeds.
async fn retry_then_success(cx: &Ctx) -> TestResult {
    cx.goto(&format!("/test/retry?k={}", fresh("flaky")))
        .await?;
    let sel = "mochi-server-island[component-name=Flaky]";
    cx.wait_state(sel, "loaded").await?;
    ensure_eq(
        cx.text(sel).await?,
        "flaky answered on call 3".into(),
        "text after retries",
    )?;
    ensure_eq(cx.fetches("/island/Flaky").await?, 3, "requests")?;
    let id = cx.attr(sel, "island-id").await?.unwrap_or_default();
    ensure_eq(
        cx.events_for("mochi:island-error", &id).await?.len(),
        0,
        "error events",
    )
}

/// Scripts in an island's answer run: classic ones per insertion, module
/// ones once per page.
async fn response_scripts_run(cx: &Ctx) -> TestResult {
    cx.goto("/test/scripts").await?;
    for id in island_ids(cx, "mochi-server-island").await? {
        cx.wait_state(&by_id(&id), "loaded").await?;
    }
    cx.wait_for("classic script ran twice", "window.__sideRuns === 2")
        .await?;
    cx.wait_for("module script ran", "window.__sideModuleRuns === 1")
        .await?;
    // Let a second (wrong) module evaluation show up if there were one.
    cx.wait_for(
        "a pause",
        "new Promise(r => setTimeout(() => r(true), 200))",
    )
    .await?;
    ensure_eq(
        cx.eval("window.__sideModuleRuns").await?,
        json!(1),
        "module evaluations",
    )
}

/// Scripts in a streamed part run when the part is moved in, as in a
/// fetched answer (docs/protocol.md, "Streamed islands").
async fn streamed_part_scripts_run(cx: &Ctx) -> TestResult {
    cx.goto("/test/stream-scripts").await?;
    cx.wait_state("mochi-server-island", "loaded").await?;
    cx.wait_for("classic script ran", "window.__sideRuns === 1")
        .await?;
    cx.wait_for("module script ran", "window.__sideModuleRuns === 1")
        .await?;
    Ok(())
}

/// Hydration imports only mochi's own client modules: elements from user
/// content that name another module fail without fetching it, and the
/// page's real hydrated island still hydrates.
async fn foreign_client_not_imported(cx: &Ctx) -> TestResult {
    cx.goto("/test/foreign-client").await?;
    for id in ["u0", "u1", "u2"] {
        cx.wait_state(&by_id(id), "error").await?;
    }
    cx.wait_state("mochi-island[component-name=Probe]", "hydrated")
        .await?;
    ensure_eq(
        cx.eval("window.__foreignRuns ?? 0").await?,
        json!(0),
        "foreign module runs",
    )?;
    ensure_eq(cx.fetches("foreign.js").await?, 0, "foreign module fetches")?;
    ensure_eq(cx.fetches("evil.invalid").await?, 0, "other-origin fetches")
}

/// A client module's imports load from mochi, content-hashed, and run once
/// however many islands share them; the module's code that uses them
/// hydrates both islands.
async fn client_module_imports_load(cx: &Ctx) -> TestResult {
    cx.goto("/test/imports").await?;
    cx.wait_for(
        "both greeters hydrated",
        "document.querySelectorAll('mochi-island[component-name=Greeter][mochi-state=hydrated]').length === 2",
    )
    .await?;
    let texts: Json = cx
        .eval("[...document.querySelectorAll('.greeting')].map(e => e.textContent)")
        .await?;
    ensure_eq(texts, json!(["Hello, Ada!", "Hello, Bo!"]), "greetings")?;
    ensure_eq(
        cx.eval("window.__markRan").await?,
        json!(1),
        "side-effect import runs",
    )?;
    let urls: Json = cx
        .eval(
            "performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)\
             .filter(p => p.startsWith('/_mochi/client/')).sort()",
        )
        .await?;
    let urls: Vec<String> = serde_json::from_value(urls)?;
    ensure_eq(urls.len(), 4, "the module and its three imports")?;
    for stem in ["Greeter-", "greet-", "punctuation-", "mark-"] {
        ensure(
            urls.iter()
                .any(|u| u.starts_with(&format!("/_mochi/client/{stem}"))),
            || format!("{stem}… among {urls:?}"),
        )?;
    }
    Ok(())
}

/// The shop sends `script-src 'self'` and everything works under it; the
/// after-scenario checks find no violation.
async fn strict_csp_shop(cx: &Ctx) -> TestResult {
    for path in ["/", "/product/1"] {
        cx.goto(path).await?;
        let csp = cx
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1]; \
                 fetch(location.href).then(r => done(r.headers.get('content-security-policy')), e => done(String(e)));",
                vec![],
            )
            .await?;
        ensure_eq(
            csp,
            json!(CSP),
            &format!("Content-Security-Policy of {path}"),
        )?;
        shop_loaded(cx).await?;
        for id in island_ids(cx, "mochi-island[hydrate-on=load]").await? {
            cx.wait_state(&by_id(&id), "hydrated").await?;
        }
        for id in island_ids(cx, "mochi-server-island").await? {
            cx.scroll_to(&by_id(&id)).await?;
            cx.wait_state(&by_id(&id), "loaded").await?;
        }
        for id in island_ids(cx, "mochi-island").await? {
            cx.scroll_to(&by_id(&id)).await?;
            cx.wait_state(&by_id(&id), "hydrated").await?;
        }
        ensure_eq(cx.csp_violations().await?, vec![], "CSP violations")?;
    }
    Ok(())
}

/// Control for the CSP checks: an inline script is blocked and seen.
async fn csp_check_sees_inline_script(cx: &Ctx) -> TestResult {
    cx.allow_csp_violations();
    cx.goto("/test/inline-script").await?;
    cx.wait_for("a CSP violation", "window.__mochiRec.csp.length > 0")
        .await?;
    ensure_eq(
        cx.eval("window.__inlineRan === undefined").await?,
        json!(true),
        "inline script blocked",
    )?;
    let logs = cx.console_log().await?;
    ensure(
        logs.iter().any(|l| {
            l["message"]
                .as_str()
                .is_some_and(|m| m.contains("Content Security Policy"))
        }),
        || format!("console shows the violation: {logs:?}"),
    )
}

/// Server and hydrated islands inside a server island's answer work, and
/// their props ids do not collide with the page's.
async fn nested_islands_in_response(cx: &Ctx) -> TestResult {
    cx.goto("/test/nested").await?;
    let outer = "mochi-server-island[component-name=Nest]";
    cx.wait_state(outer, "loaded").await?;
    let inner = format!("{outer} mochi-server-island[component-name=UserAvatar]");
    cx.wait_state(&inner, "loaded").await?;
    ensure_eq(
        cx.text(&inner).await?,
        "Sign in".into(),
        "nested server island",
    )?;
    let probes = island_ids(cx, "mochi-island[component-name=Probe]").await?;
    ensure_eq(probes.len(), 3, "probe islands")?;
    for id in &probes {
        cx.wait_state(&by_id(id), "hydrated").await?;
    }
    let all_ids = island_ids(cx, "mochi-island, mochi-server-island").await?;
    let unique: std::collections::HashSet<_> = all_ids.iter().collect();
    ensure_eq(unique.len(), all_ids.len(), "island ids unique in the page")?;
    let blocks = cx
        .eval("[...document.querySelectorAll('script[type=\"application/json\"]')].map(s => s.id)")
        .await?;
    let blocks: Vec<String> = serde_json::from_value(blocks)?;
    let unique: std::collections::HashSet<_> = blocks.iter().collect();
    ensure_eq(
        unique.len(),
        blocks.len(),
        "props block ids unique in the page",
    )?;
    ensure_eq(
        blocks.len(),
        2,
        "props blocks (page probe; one shared by the two inner probes)",
    )?;
    let props = cx
        .exec(
            "return arguments[0].map(id => window.__probe[id] && window.__probe[id].props);",
            vec![json!(probes)],
        )
        .await?;
    ensure_eq(
        props,
        json!([{ "label": "page", "n": 1 }, { "label": "inner", "n": 7 }, { "label": "inner", "n": 7 }]),
        "props each probe received",
    )
}

// ---------------------------------------------------------------------------
// Scenarios: hydrated islands (issue 4)
// ---------------------------------------------------------------------------

/// Clicking an add-to-cart button posts with `fetch`, shows the line's
/// quantity on that button only, and fires `cart-changed` on `document`
/// once per item; the cart page then holds the items.
async fn add_to_cart_click_adds(cx: &Ctx) -> TestResult {
    cx.goto("/product/4").await?;
    let ids = island_ids(
        cx,
        "mochi-island[component-name=AddToCart][hydrate-on=load]",
    )
    .await?;
    ensure_eq(ids.len(), 1, "load-hydrated buttons on a product page")?;
    let top = by_id(&ids[0]);
    cx.wait_state(&top, "hydrated").await?;
    cx.eval(
        "(window.__cartChanged = 0, document.addEventListener('cart-changed', () => window.__cartChanged++), true)",
    )
    .await?;
    ensure_eq(
        cx.text(&format!("{top} .status")).await?,
        "".into(),
        "status before",
    )?;
    let button = cx
        .client
        .find(Locator::Css(&format!("{top} button")))
        .await?;
    button.click().await?;
    button.click().await?;
    cx.wait_for(
        "the line to reach 2",
        &format!("document.querySelector('{top} .status').textContent === '2 in cart'"),
    )
    .await?;
    ensure_eq(
        cx.eval("window.__cartChanged").await?,
        json!(2),
        "cart-changed events",
    )?;
    // The header's cart island reloads on `cart-changed`, on this page.
    cx.wait_for(
        "the header's cart island to follow",
        "document.querySelector('mochi-server-island[component-name=CartCount]').textContent.trim() === '2 items'",
    )
    .await?;
    ensure_eq(
        cx.eval("location.pathname").await?,
        json!("/product/4"),
        "no navigation (fetch, not a form post)",
    )?;
    let bottom = by_id(
        &island_ids(
            cx,
            "mochi-island[component-name=AddToCart][hydrate-on=visible]",
        )
        .await?[0],
    );
    ensure_eq(
        cx.text(&format!("{bottom} .status")).await?,
        "".into(),
        "the other button",
    )?;
    // The posts started a guest session; the cart has the items.
    cx.goto("/cart").await?;
    ensure_eq(
        cx.text("tr[data-product-id=\"4\"] .quantity").await?,
        "2".into(),
        "quantity on the cart page",
    )?;
    shop_loaded(cx).await?;
    ensure_eq(
        cx.text("mochi-server-island[component-name=CartCount]")
            .await?,
        "2 items".into(),
        "cart island",
    )
}

/// A `visible` hydrated island (a product page's second button, below the
/// fold) hydrates only once scrolled to, and then works.
async fn visible_hydration_waits_for_scroll(cx: &Ctx) -> TestResult {
    cx.goto("/product/2").await?;
    let ids = island_ids(
        cx,
        "mochi-island[component-name=AddToCart][hydrate-on=visible]",
    )
    .await?;
    ensure_eq(ids.len(), 1, "visible buttons")?;
    let sel = by_id(&ids[0]);
    shop_loaded(cx).await?;
    cx.wait_for(
        "a settled frame",
        "new Promise(r => requestAnimationFrame(() => setTimeout(() => r(true), 300)))",
    )
    .await?;
    ensure_eq(
        cx.attr(&sel, "mochi-state").await?,
        Some("waiting".into()),
        "state before scrolling",
    )?;
    cx.scroll_to(&sel).await?;
    cx.wait_state(&sel, "hydrated").await?;
    cx.client
        .find(Locator::Css(&format!("{sel} button")))
        .await?
        .click()
        .await?;
    cx.wait_for(
        "the visible button to add",
        &format!("document.querySelector('{sel} .status').textContent === '1 in cart'"),
    )
    .await?;
    let hydrates = cx.events_for("mochi:island-hydrate", &ids[0]).await?;
    ensure_eq(hydrates.len(), 1, "hydrate events")
}

/// Two islands with byte-identical props share one props block and both
/// receive the props; different props get their own block.
async fn shared_props_block(cx: &Ctx) -> TestResult {
    // The shop: today's pick and its card are AddToCart(1, "Strawberry
    // daifuku") and share a block; the next card, AddToCart(2, …), not.
    cx.goto("/").await?;
    let ids = island_ids(
        cx,
        "mochi-island[component-name=AddToCart][hydrate-on=load]",
    )
    .await?;
    ensure(ids.len() >= 3, || format!("add-to-cart buttons: {ids:?}"))?;
    let refs = cx
        .exec(
            "return arguments[0].map(id => document.querySelector(`[island-id=\"${id}\"]`).getAttribute('props-ref'));",
            vec![json!(ids)],
        )
        .await?;
    let refs: Vec<String> = serde_json::from_value(refs)?;
    ensure_eq(&refs[0], &refs[1], "identical props share a props-ref")?;
    ensure(refs[0] != refs[2], || {
        format!("different props, different refs: {refs:?}")
    })?;
    let blocks = cx
        .exec(
            "return document.querySelectorAll(`script[id=\"${arguments[0]}\"]`).length;",
            vec![json!(refs[0])],
        )
        .await?;
    ensure_eq(blocks, json!(1), "blocks with the shared id")?;
    // add_to_cart.js writes the product id it got in its props onto the
    // element: each island received its own props.
    for (id, product) in [(&ids[0], "1"), (&ids[1], "1"), (&ids[2], "2")] {
        let sel = by_id(id);
        cx.wait_state(&sel, "hydrated").await?;
        ensure_eq(
            cx.attr(&sel, "data-product-id").await?,
            Some(product.into()),
            &format!("product id in the props of {id}"),
        )?;
    }

    // The probe page: both "same" probes got exactly the props.
    cx.goto("/test/hydrate").await?;
    let probes = island_ids(cx, "mochi-island[component-name=Probe]").await?;
    ensure_eq(probes.len(), 3, "probes")?;
    for id in &probes {
        cx.wait_state(&by_id(id), "hydrated").await?;
    }
    let got = cx
        .exec(
            "return arguments[0].map(id => [document.querySelector(`[island-id=\"${id}\"]`).getAttribute('props-ref'), \
             window.__probe[id].props, window.__probe[id].hydrations]);",
            vec![json!(probes)],
        )
        .await?;
    ensure_eq(&got[0][0], &got[1][0], "shared props-ref")?;
    ensure(got[0][0] != got[2][0], || {
        format!("different props-ref: {got}")
    })?;
    ensure_eq(
        got.as_array().map(|a| {
            a.iter()
                .map(|x| (x[1].clone(), x[2].clone()))
                .collect::<Vec<_>>()
        }),
        Some(vec![
            (json!({"label": "same", "n": 5}), json!(1)),
            (json!({"label": "same", "n": 5}), json!(1)),
            (json!({"label": "other", "n": 6}), json!(1)),
        ]),
        "(props, hydrations) of each probe",
    )?;
    let bare = by_id(&island_ids(cx, "mochi-island[component-name=BareProbe]").await?[0]);
    cx.wait_state(&bare, "hydrated").await?;
    ensure_eq(
        cx.attr(&bare, "props-ref").await?,
        None,
        "no props-ref without props",
    )?;
    ensure_eq(
        cx.eval(&format!(
            "JSON.stringify(window.__probe[document.querySelector('{}').getAttribute('island-id')].props)",
            bare.replace('\'', "\\'")
        ))
        .await?,
        json!("{}"),
        "props of an island without props",
    )
}

/// A module that throws leaves the server HTML and fires the error event.
async fn throwing_module_keeps_html(cx: &Ctx) -> TestResult {
    cx.goto("/test/hydrate").await?;
    let sel = "mochi-island[component-name=Thrower]";
    cx.wait_state(sel, "error").await?;
    ensure_eq(
        cx.text(sel).await?,
        "server html stays".into(),
        "server HTML kept",
    )?;
    let id = cx.attr(sel, "island-id").await?.unwrap_or_default();
    let e = one_error_event(cx, &id).await?;
    let msg = e["detail"]["error"].as_str().unwrap_or_default();
    ensure(msg.contains("thrower module failed on purpose"), || {
        format!("error detail: {e}")
    })?;
    ensure_eq(
        cx.events_for("mochi:island-hydrate", &id).await?.len(),
        0,
        "hydrate events",
    )
}

/// A `defer` + `client` island is fetched, swapped, then hydrated.
async fn deferred_hydrated_after_swap(cx: &Ctx) -> TestResult {
    cx.goto("/test/deferred").await?;
    let outer = "mochi-server-island[component-name=DeferredProbe]";
    cx.wait_state(outer, "loaded").await?;
    let inner = format!("{outer} mochi-island[component-name=DeferredProbe]");
    cx.wait_state(&inner, "hydrated").await?;
    let outer_id = cx.attr(outer, "island-id").await?.unwrap_or_default();
    let inner_id = cx.attr(&inner, "island-id").await?.unwrap_or_default();
    let events = cx.events().await?;
    let order: Vec<_> = events
        .iter()
        .filter(|e| e["id"] == outer_id.as_str() || e["id"] == inner_id.as_str())
        .map(|e| e["type"].clone())
        .collect();
    ensure_eq(
        order,
        vec![json!("mochi:island-load"), json!("mochi:island-hydrate")],
        "event order (swap, then hydrate)",
    )?;
    let props = cx
        .exec(
            "return window.__probe[arguments[0]].props;",
            vec![json!(inner_id)],
        )
        .await?;
    ensure_eq(props, json!({"label": "d"}), "props after the swap")?;
    cx.client
        .find(Locator::Css(&format!("{inner} button")))
        .await?
        .click()
        .await?;
    cx.wait_for(
        "the deferred probe to count",
        &format!("document.querySelector('{inner} button').textContent === '1'"),
    )
    .await?;
    Ok(())
}

/// Moving an island in the DOM (disconnect + connect) neither refetches a
/// server island nor hydrates a hydrated one again.
async fn reconnect_does_not_rerun(cx: &Ctx) -> TestResult {
    cx.goto("/test/nested").await?;
    let outer = "mochi-server-island[component-name=Nest]";
    cx.wait_state(outer, "loaded").await?;
    let probes = island_ids(cx, "mochi-island[component-name=Probe]").await?;
    for id in &probes {
        cx.wait_state(&by_id(id), "hydrated").await?;
    }
    cx.eval(&format!(
        "(() => {{ const outer = document.querySelector('{outer}'); \
           const probe = document.querySelector('mochi-island[component-name=Probe]'); \
           document.body.append(outer); document.body.prepend(probe); return true; }})()"
    ))
    .await?;
    cx.wait_for(
        "a pause",
        "new Promise(r => setTimeout(() => r(true), 300))",
    )
    .await?;
    ensure_eq(
        cx.fetches("/island/Nest").await?,
        1,
        "Nest fetches after a move",
    )?;
    let hydrations = cx
        .exec(
            "return arguments[0].map(id => window.__probe[id].hydrations);",
            vec![json!(probes)],
        )
        .await?;
    ensure_eq(hydrations, json!([1, 1, 1]), "hydrations after a move")?;
    ensure_eq(
        cx.attr(outer, "mochi-state").await?,
        Some("loaded".into()),
        "state after a move",
    )
}

/// `idle` and `media` triggers; `visible` with a root margin.
async fn idle_media_visible_triggers(cx: &Ctx) -> TestResult {
    cx.goto("/test/triggers").await?;
    let ids = island_ids(cx, "mochi-island[component-name=Probe]").await?;
    ensure_eq(ids.len(), 3, "probes")?;
    let (idle, media, visible) = (by_id(&ids[0]), by_id(&ids[1]), by_id(&ids[2]));
    cx.wait_state(&idle, "hydrated").await?;
    ensure_eq(
        cx.attr(&media, "mochi-state").await?,
        Some("waiting".into()),
        "media before",
    )?;
    ensure_eq(
        cx.attr(&visible, "mochi-state").await?,
        Some("waiting".into()),
        "visible before",
    )?;
    let (w, h) = cx.client.get_window_size().await?;
    cx.client.set_window_size(600, 800).await?;
    let waited = cx.wait_state(&media, "hydrated").await;
    cx.client.set_window_size(w as u32, h as u32).await?;
    waited?;
    cx.scroll_to(&visible).await?;
    cx.wait_state(&visible, "hydrated").await
}

/// Searching for `</script><script>alert(1)</script>` shows it as text
/// everywhere and runs nothing (with the shop's CSP, and without any CSP).
async fn search_xss_is_text(cx: &Ctx) -> TestResult {
    let q: String = url::form_urlencoded::byte_serialize(XSS.as_bytes()).collect();
    for path in [format!("/search?q={q}"), "/test/xss".to_string()] {
        cx.goto(&path).await?;
        let results = "mochi-server-island[component-name=SearchResults]";
        cx.wait_state(results, "loaded").await?;
        ensure_eq(
            cx.text(&format!("{results} .results-for")).await?,
            format!("Results for {XSS}"),
            "server island text",
        )?;
        ensure_eq(
            cx.text(&format!("{results} .results-for q")).await?,
            XSS.into(),
            "the query, as text",
        )?;
        let echo = "mochi-island[component-name=QueryEcho]";
        cx.wait_state(echo, "hydrated").await?;
        ensure_eq(
            cx.text(&format!("{echo} q")).await?,
            XSS.into(),
            "hydrated island text",
        )?;
        ensure_eq(
            cx.attr(echo, "data-query").await?,
            Some(XSS.into()),
            "props seen by the module",
        )?;
        let scripts = cx
            .eval("[...document.scripts].filter(s => s.textContent.includes('alert(1)') && s.type !== 'application/json').length")
            .await?;
        ensure_eq(
            scripts,
            json!(0),
            &format!("{path}: script elements made from the query"),
        )?;
        ensure_eq(cx.alerts().await?, vec![], &format!("{path}: alerts"))?;
        ensure(!cx.dialog_open().await, || {
            format!("{path}: a dialog is open")
        })?;
    }
    // Without CSP, the probe's props block carries the payload too.
    let probe = by_id(&island_ids(cx, "mochi-island[component-name=Probe]").await?[0]);
    cx.wait_state(&probe, "hydrated").await?;
    ensure_eq(
        cx.text(&format!("{probe} .label")).await?,
        XSS.into(),
        "probe label",
    )
}

/// devalue specials survive the trip from Rust props to the JS module.
async fn props_fidelity(cx: &Ctx) -> TestResult {
    cx.goto("/test/hydrate").await?;
    let sel = "mochi-island[component-name=WideProbe]";
    cx.wait_state(sel, "hydrated").await?;
    let id = cx.attr(sel, "island-id").await?.unwrap_or_default();
    let got = cx
        .exec(
            "const p = window.__probe[arguments[0]].props; return { \
               big: typeof p.big === 'bigint' && p.big === 18446744073709551615n, \
               neg: typeof p.neg === 'bigint' && p.neg === -(2n ** 70n), \
               nan: Number.isNaN(p.nan), inf: p.inf === Infinity, \
               negZero: Object.is(p.neg_zero, -0), text: p.text, none: p.none };",
            vec![json!(id)],
        )
        .await?;
    ensure_eq(
        got,
        json!({
            "big": true, "neg": true, "nan": true, "inf": true, "negZero": true,
            "text": format!("{XSS} <!-- \u{2028}\u{2029} \"q\" ü"), "none": null,
        }),
        "decoded props",
    )
}

/// Runs each named scenario function, under its own name.
macro_rules! scenarios {
    ($report:expr, $cx:expr; $($name:ident),* $(,)?) => {
        $( $report.run($cx, stringify!($name), $name($cx)).await; )*
    };
}

/// Every scenario, against the server `cx` drives.
async fn all_scenarios(report: &mut Report, cx: &Ctx) {
    scenarios!(report, cx;
        // Server islands.
        fallback_then_swap,
        user_cookie_reaches_island,
        visible_island_waits_for_scroll,
        island_500_keeps_fallback,
        island_4xx_keeps_fallback,
        non_html_answer_keeps_fallback,
        retry_then_success,
        response_scripts_run,
        streamed_part_scripts_run,
        foreign_client_not_imported,
        client_module_imports_load,
        strict_csp_shop,
        csp_check_sees_inline_script,
        nested_islands_in_response,
        nested_inline_one_request,
        // Hydrated islands.
        add_to_cart_click_adds,
        visible_hydration_waits_for_scroll,
        shared_props_block,
        throwing_module_keeps_html,
        deferred_hydrated_after_swap,
        reconnect_does_not_rerun,
        idle_media_visible_triggers,
        search_xss_is_text,
        props_fidelity,
        // Live islands.
        live_reload_method,
        live_reload_rehydrates,
        live_reload_event,
        live_reload_coalesces,
        live_reload_failure_keeps_content,
        live_reload_on_event,
        live_polling,
        live_error_fallback,
        live_removal_aborts,
        live_hydration_triggers_cancelled,
        live_post_transport,
        fragments_compose,
        preload_from_headers,
        // Streamed and batched islands.
        stream_account,
        stream_parts,
        stream_without_javascript,
        stream_polyfill,
        batch_one_request,
        // The runtime's weight.
        runtime_pay_per_use,
    );
}

#[test]
fn browser() {
    let Some(browser) = Browser::start() else {
        return;
    };
    let mut report = Report::new();
    // The same scenarios against actix-web (which compresses its
    // answers), then against axum (which does not).
    let actix = server::start_actix(test_routes());
    let cx = browser.ctx("actix", &format!("http://{actix}"), true);
    browser.block_on(all_scenarios(&mut report, &cx));
    let axum = server::start_axum(test_routes());
    let cx = browser.ctx("axum", &format!("http://{axum}"), false);
    browser.block_on(all_scenarios(&mut report, &cx));
    drop(browser);
    report.finish();
}

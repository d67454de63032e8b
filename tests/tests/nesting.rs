//! Server islands nested in a server island's answer render inline in
//! that answer (its own, each batch part, each streamed part): the cap,
//! the opt-outs, failures, deadlines, `Vary` and the cache policy.

use std::time::{Duration, Instant};

use actix_web::http::header::HeaderMap;
use actix_web::test::{self, TestRequest};
use actix_web::{web, App, HttpResponse};
use maud::{html, Markup, DOCTYPE};
use mochi::{IslandError, Key, Mochi, ServerIsland};

// ---------------------------------------------------------------- islands

/// Holds two children, one of them twice as deep.
#[mochi::island(defer)]
fn outer(label: String) -> Markup {
    html! { section.outer { (label) (leaf("a".into())) (middle("b".into())) } }
}

#[mochi::island(defer)]
async fn middle(label: String) -> Markup {
    tokio::task::yield_now().await;
    html! { div.middle { (label) (leaf(format!("{label}/deep"))) } }
}

#[mochi::island(defer)]
fn leaf(label: String) -> Markup {
    html! { span.leaf { "leaf " (label) } }
}

/// `depth` islands inside each other.
#[mochi::island(defer)]
fn chain(depth: u32) -> Markup {
    html! {
        i { (depth) }
        @if depth > 0 { (chain(depth - 1)) }
    }
}

/// Children that opted out, or load when visible.
#[mochi::island(defer)]
fn opting_out() -> Markup {
    html! {
        (leaf("no".into()).inline(false))
        (leaf("seen".into()).defer_on_visible())
        (leaf("yes".into()))
    }
}

#[mochi::island(defer)]
async fn failing() -> Result<Markup, IslandError> {
    Err(IslandError::new("on purpose"))
}

#[mochi::island(defer)]
async fn panicking() -> Markup {
    tokio::task::yield_now().await;
    panic!("on purpose, nested")
}

#[mochi::island(defer, timeout = "50ms")]
async fn late() -> Markup {
    tokio::time::sleep(Duration::from_secs(30)).await;
    html! { "never" }
}

static ESCAPED_RENDERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[mochi::island(defer)]
fn counted_leaf() -> Markup {
    ESCAPED_RENDERS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    html! { "counted" }
}

/// Writes a nested island's HTML as text: it never reaches the answer as
/// an element.
#[mochi::island(defer)]
fn escaping() -> Markup {
    let kept = html! { (counted_leaf()) }.into_string();
    html! { pre { (kept) } }
}

#[mochi::island(defer)]
async fn unavailable() -> Result<Markup, IslandError> {
    Err(IslandError::unavailable("down for now"))
}

/// One child of each outcome.
#[mochi::island(defer)]
fn outcomes() -> Markup {
    html! {
        (failing().fallback(html! { "failing…" }).error_fallback(html! { "failed!" }))
        (panicking().fallback(html! { "panicking…" }))
        (late().fallback(html! { "late…" }))
        (leaf("fine".into()))
        (unavailable().fallback(html! { "unavailable…" }))
    }
}

/// A child that takes 30 s with the default deadline, in a parent whose
/// own is 300 ms.
#[mochi::island(defer, timeout = "300ms")]
fn hurried() -> Markup {
    html! { (slow_child().fallback(html! { "slow…" })) }
}

#[mochi::island(defer)]
async fn slow_child() -> Markup {
    tokio::time::sleep(Duration::from_secs(30)).await;
    html! { "never" }
}

/// Cacheable, holding a child with the same policy that reads a header.
#[mochi::island(defer, cache = "public, max-age=60")]
fn shared_parent() -> Markup {
    html! { (header_child()) }
}

#[mochi::island(defer, cache = "public, max-age=60")]
fn header_child() -> Markup {
    let lang = mochi::request_context()
        .header("accept-language")
        .unwrap_or("none")
        .to_owned();
    html! { span.lang { (lang) } }
}

/// Cacheable, holding a child without a cache policy (private).
#[mochi::island(defer, cache = "public, max-age=60")]
fn mixed_parent() -> Markup {
    html! { (leaf("private".into())) }
}

// ---------------------------------------------------------------- harness

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

fn mochi() -> Mochi {
    Mochi::builder(Key::generate())
        .build()
        .expect("mochi starts")
}

async fn streamed_page() -> HttpResponse {
    let page = html! {
        (DOCTYPE)
        html { body { (outer("streamed".into()).stream()) (mochi::runtime_script()) } }
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(page.into_string())
}

async fn send(mochi: &Mochi, req: TestRequest) -> Answer {
    let app = test::init_service(
        App::new()
            .wrap(mochi.clone())
            .route("/streamed", web::get().to(streamed_page)),
    )
    .await;
    let res = test::call_service(&app, req.to_request()).await;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = test::read_body(res).await;
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// The island `make` builds, as a page under `mochi` would write it: its
/// name, token and id.
fn island(mochi: &Mochi, make: impl FnOnce() -> ServerIsland) -> (String, String, String) {
    mochi.render_page(|| {
        let island = make();
        (
            island.name().to_owned(),
            island.signed_props().expect("a token").to_owned(),
            island.island_id().to_owned(),
        )
    })
}

/// The answer of the island `make` builds, from its own request.
async fn answer(mochi: &Mochi, make: impl FnOnce() -> ServerIsland) -> Answer {
    let (name, token, id) = island(mochi, make);
    let uri = format!("/_mochi/island/{name}?p={token}&i={id}");
    send(mochi, TestRequest::get().uri(&uri)).await
}

/// The `<mochi-server-island>` open tags of `html`, in order.
fn elements(html: &str) -> Vec<&str> {
    html.match_indices("<mochi-server-island ")
        .map(|(at, _)| &html[at..at + html[at..].find('>').expect("a whole tag") + 1])
        .collect()
}

fn assert_no_placeholder(html: &str) {
    assert!(
        !html.contains("mochi-inline"),
        "a placeholder is left: {html}"
    );
}

// ---------------------------------------------------------------- tests

#[actix_web::test]
async fn nested_islands_render_inline_at_every_level_with_unique_ids() {
    let mochi = mochi();
    let a = answer(&mochi, || outer("top".into())).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_no_placeholder(&a.body);
    assert!(
        a.body.contains("leaf a") && a.body.contains("leaf b/deep"),
        "{}",
        a.body
    );
    let tags = elements(&a.body);
    assert_eq!(tags.len(), 3, "{tags:?}");
    assert!(tags.iter().all(|t| t.ends_with(" inline>")), "{tags:?}");
    let ids: Vec<&str> = tags
        .iter()
        .map(|t| {
            t.split("island-id=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(
        ids,
        ["i0-i0", "i0-i1", "i0-i1-i0"],
        "ids nest inside their parent's"
    );
    // The element keeps its token: it reloads like any other.
    assert!(tags.iter().all(|t| t.contains(" signed-props=\"")));
    // Each nested island's HTML is inside its own element.
    let middle = a.body.find("component-name=\"Middle\"").unwrap();
    let deep = a.body.find("leaf b/deep").unwrap();
    assert!(middle < deep);
}

#[actix_web::test]
async fn batch_parts_and_streamed_parts_render_nested_islands_inline() {
    let mochi = mochi();
    let (name, token, _) = island(&mochi, || outer("batched".into()));
    let uri = format!("/_mochi/batch?n={name}&i=i4&p={token}&n={name}&i=i5&p={token}");
    let batch = send(&mochi, TestRequest::get().uri(&uri)).await;
    assert_eq!(batch.status, 200);
    assert_no_placeholder(&batch.body);
    for id in ["i4-i0", "i4-i1-i0", "i5-i0", "i5-i1-i0"] {
        let tag = format!("island-id=\"{id}\"");
        let at = batch
            .body
            .find(&tag)
            .unwrap_or_else(|| panic!("{id}: {}", batch.body));
        assert!(batch.body[at..]
            .split('>')
            .next()
            .unwrap()
            .ends_with(" inline"));
    }

    let page = send(&mochi, TestRequest::get().uri("/streamed")).await;
    assert_eq!(page.status, 200);
    assert_no_placeholder(&page.body);
    let part = page
        .body
        .find("<template for=\"mochi-")
        .expect("a streamed part");
    let part = &page.body[part..];
    assert!(part.contains("leaf b/deep"), "{part}");
    assert_eq!(
        elements(part)
            .iter()
            .filter(|t| t.ends_with(" inline>"))
            .count(),
        3
    );
}

#[actix_web::test]
async fn at_most_32_islands_render_inline_per_answer() {
    let mochi = mochi();
    let a = answer(&mochi, || chain(40)).await;
    assert_eq!(a.status, 200);
    assert_no_placeholder(&a.body);
    let tags = elements(&a.body);
    assert_eq!(tags.len(), 33, "32 inline, then the next deferred");
    assert_eq!(tags.iter().filter(|t| t.ends_with(" inline>")).count(), 32);
    assert!(!tags[32].contains(" inline"), "{}", tags[32]);
    // The deferred one loads by its own request, and renders its own
    // nested islands inline there.
    let field = |tag: &str, name: &str| -> String {
        let value = tag.split(&format!("{name}=\"")).nth(1).unwrap();
        value.split('"').next().unwrap().to_owned()
    };
    let (token, id) = (
        field(tags[32], "signed-props"),
        field(tags[32], "island-id"),
    );
    // Its id, 33 levels deep, is still one an island request may carry.
    assert_eq!(id.len(), 2 + 3 * 33, "{id}");
    let uri = format!("/_mochi/island/Chain?p={token}&i={id}");
    let rest = send(&mochi, TestRequest::get().uri(&uri)).await;
    assert_eq!(rest.status, 200);
    assert_eq!(elements(&rest.body).len(), 7, "depths 6 to 0 inline");
}

#[actix_web::test]
async fn inline_false_and_visible_islands_stay_deferred() {
    let mochi = mochi();
    let a = answer(&mochi, opting_out).await;
    let tags = elements(&a.body);
    assert_eq!(tags.len(), 3, "{}", a.body);
    assert!(!tags[0].contains(" inline"), "{}", tags[0]);
    assert!(!tags[1].contains(" inline") && tags[1].contains("defer-on=\"visible\""));
    assert!(tags[2].ends_with(" inline>"));
    assert!(!a.body.contains("leaf no") && !a.body.contains("leaf seen"));
    assert!(a.body.contains("leaf yes"));
}

#[actix_web::test]
async fn a_nested_island_that_fails_keeps_its_fallback_and_the_parent_answers_200() {
    let mochi = mochi();
    let a = answer(&mochi, outcomes).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_no_placeholder(&a.body);
    let tags = elements(&a.body);
    assert_eq!(tags.len(), 5, "{}", a.body);
    assert!(tags[0].ends_with(" inline=\"failed\">"), "{}", tags[0]);
    assert!(a
        .body
        .contains("failing…<template mochi-error-fallback>failed!</template>"));
    assert!(
        tags[1].ends_with(" inline=\"failed\">"),
        "a panic: {}",
        tags[1]
    );
    assert!(a.body.contains("panicking…"));
    assert!(
        tags[2].ends_with('>') && !tags[2].contains(" inline"),
        "late: deferred"
    );
    assert!(a.body.contains("late…"));
    assert!(tags[3].ends_with(" inline>") && a.body.contains("leaf fine"));
    // What the runtime would retry (503), it fetches.
    assert!(
        !tags[4].contains(" inline"),
        "unavailable: deferred: {}",
        tags[4]
    );
    assert!(a.body.contains("unavailable…"));
}

#[actix_web::test]
async fn a_nested_island_kept_aside_is_not_rendered() {
    let mochi = mochi();
    let a = answer(&mochi, escaping).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        ESCAPED_RENDERS.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "rendered for nothing: {}",
        a.body
    );
    assert!(a.body.contains("&lt;mochi-server-island"), "{}", a.body);
}

#[actix_web::test]
async fn the_answers_deadline_bounds_its_nested_islands() {
    let mochi = mochi();
    let started = Instant::now();
    let a = answer(&mochi, hurried).await;
    let took = started.elapsed();
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("slow…"), "{}", a.body);
    assert!(
        !elements(&a.body)[0].contains(" inline"),
        "deferred: {}",
        a.body
    );
    // The child's own deadline is 10 s and it sleeps 30 s: only the
    // parent's 300 ms can have ended it.
    assert!(took < Duration::from_secs(9), "took {took:?}");
}

#[actix_web::test]
async fn vary_joins_what_nested_islands_read_and_mixed_policies_are_private() {
    let mochi = mochi();
    let (name, token, id) = island(&mochi, shared_parent);
    let uri = format!("/_mochi/island/{name}?p={token}&i={id}");
    let req = TestRequest::get()
        .uri(&uri)
        .insert_header(("accept-language", "fr"));
    let a = send(&mochi, req).await;
    assert_eq!(a.status, 200);
    assert!(
        a.body.contains("<span class=\"lang\">fr</span>"),
        "{}",
        a.body
    );
    assert_eq!(a.header("cache-control"), Some("public, max-age=60"));
    let vary = a.header("vary").unwrap_or("").to_ascii_lowercase();
    assert!(vary.contains("accept-language"), "vary: {vary}");

    let a = answer(&mochi, mixed_parent).await;
    assert_eq!(a.status, 200);
    assert!(a.body.contains("leaf private"));
    assert_eq!(a.header("cache-control"), Some("private, no-store"));
}

/// A page is not an island's answer: its nested islands are deferred as
/// before (or streamed).
#[actix_web::test]
async fn in_a_page_server_islands_stay_deferred() {
    let mochi = mochi();
    let page = mochi.render_page(|| html! { (outer("page".into())) }.into_string());
    let tags = elements(&page);
    assert_eq!(tags.len(), 1);
    assert!(!tags[0].contains(" inline"));
}

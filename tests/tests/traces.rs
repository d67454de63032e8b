//! The `tracing` spans mochi emits, as a subscriber sees them: a page
//! render (`mochi.page`: path, status), every island answer (`mochi.island`:
//! name, id, status, duration), a batch (`mochi.batch`) whose islands are
//! its children, and a streamed page whose islands are the page's children;
//! on actix and on axum alike.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use actix_web::{test as actix_test, web, App, HttpResponse};
use maud::{html, Markup, DOCTYPE};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// A span as it closed: its name, its parent's name, its fields.
#[derive(Debug, Clone)]
struct Closed {
    name: &'static str,
    parent: Option<&'static str>,
    fields: BTreeMap<String, String>,
}

/// Keeps every closed span.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Closed>>>);

struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields(BTreeMap::new());
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            if let Some(fields) = span.extensions_mut().get_mut::<Fields>() {
                values.record(fields);
            }
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let fields = span
            .extensions()
            .get::<Fields>()
            .map(|f| f.0.clone())
            .unwrap_or_default();
        let closed = Closed {
            name: span.name(),
            parent: span.parent().map(|p| p.name()),
            fields,
        };
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(closed);
    }
}

impl Capture {
    /// A capture, the subscriber of this thread until the guard drops.
    fn installed() -> (Capture, tracing::subscriber::DefaultGuard) {
        let capture = Capture::default();
        let subscriber = tracing_subscriber::registry().with(capture.clone());
        (capture, tracing::subscriber::set_default(subscriber))
    }

    fn named(&self, name: &str) -> Vec<Closed> {
        let all = self.0.lock().unwrap_or_else(|p| p.into_inner());
        all.iter().filter(|c| c.name == name).cloned().collect()
    }
}

/// Greets by name.
#[mochi::island(defer)]
fn traced(name: String) -> Markup {
    html! { "hello " (name) }
}

/// Answers 404.
#[mochi::island(defer)]
fn traced_missing() -> Result<Markup, mochi::IslandError> {
    Err(mochi::IslandError::not_found("nothing here"))
}

fn page(streamed: bool) -> String {
    let (a, b) = (traced("a".into()), traced("b".into()));
    let (a, b) = if streamed {
        (a.stream(), b.stream())
    } else {
        (a, b)
    };
    html! { (DOCTYPE) html { head { (mochi::runtime_script()) } body { (a) (b) } } }.into_string()
}

async fn plain_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html")
        .body(page(false))
}

async fn streamed_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html")
        .body(page(true))
}

fn mochi() -> mochi::Mochi {
    mochi::Mochi::builder(mochi::Key::generate())
        .build()
        .expect("mochi")
}

/// The traced pages, for an actix app.
fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/traced", web::get().to(plain_page))
        .route("/traced/streamed", web::get().to(streamed_page));
}

/// The URL of a preload `Link` value.
fn link_url(link: &str) -> &str {
    link.trim_start_matches('<').split('>').next().unwrap_or("")
}

#[actix_web::test]
async fn pages_batches_and_islands_are_spans_on_actix() {
    let (capture, _guard) = Capture::installed();
    let mochi = mochi();
    let app = actix_test::init_service(App::new().wrap(mochi.clone()).configure(routes)).await;

    // The page, then its batch, as the browser would fetch them.
    let req = actix_test::TestRequest::get().uri("/traced").to_request();
    let res = actix_test::call_service(&app, req).await;
    let link = res
        .headers()
        .get("link")
        .expect("a preload link")
        .to_str()
        .unwrap()
        .to_owned();
    let batch = link_url(&link).to_owned();
    actix_test::read_body(res).await;
    let req = actix_test::TestRequest::get().uri(&batch).to_request();
    actix_test::read_body(actix_test::call_service(&app, req).await).await;

    let pages = capture.named("mochi.page");
    assert_eq!(pages.len(), 1, "{pages:?}");
    assert_eq!(
        pages[0].fields.get("path").map(String::as_str),
        Some("/traced")
    );
    assert_eq!(
        pages[0].fields.get("status").map(String::as_str),
        Some("200")
    );
    assert_eq!(capture.named("mochi.batch").len(), 1);
    let islands = capture.named("mochi.island");
    assert_eq!(islands.len(), 2, "{islands:?}");
    for island in &islands {
        assert_eq!(island.parent, Some("mochi.batch"), "{island:?}");
        assert_eq!(island.fields["island"], "Traced");
        assert_eq!(island.fields["status"], "200");
        assert!(island.fields.contains_key("duration_ms"), "{island:?}");
    }
    let mut ids: Vec<_> = islands.iter().map(|i| i.fields["id"].clone()).collect();
    ids.sort();
    assert_eq!(ids, ["i0", "i1"]);

    // An island's own request, answered 404: its status on its span.
    let req = mochi::testing::island_request(&mochi, traced_missing).to_request();
    actix_test::call_service(&app, req).await;
    let missing = capture.named("mochi.island");
    let missing = missing
        .iter()
        .find(|i| i.fields["island"] == "TracedMissing");
    let missing = missing.expect("the missing island's span");
    assert_eq!(missing.fields["status"], "404");
    assert_eq!(missing.parent, None);

    // A streamed page: its islands are the page's children.
    let req = actix_test::TestRequest::get()
        .uri("/traced/streamed")
        .to_request();
    actix_test::read_body(actix_test::call_service(&app, req).await).await;
    let streamed: Vec<_> = capture
        .named("mochi.island")
        .into_iter()
        .filter(|i| i.parent == Some("mochi.page"))
        .collect();
    assert_eq!(streamed.len(), 2, "{:?}", capture.named("mochi.island"));
}

#[tokio::test]
async fn pages_and_islands_are_spans_on_axum() {
    use tower::ServiceExt as _;
    let (capture, _guard) = Capture::installed();
    let mochi = mochi();
    let app = axum::Router::new()
        .route(
            "/traced/streamed",
            axum::routing::get(|| async { axum::response::Html(page(true)) }),
        )
        .layer(mochi.layer());
    let req = http::Request::get("/traced/streamed").body(axum::body::Body::empty());
    let res = app
        .clone()
        .oneshot(req.expect("a request"))
        .await
        .expect("infallible");
    axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .expect("the body");
    let pages = capture.named("mochi.page");
    assert_eq!(pages.len(), 1, "{pages:?}");
    assert_eq!(
        pages[0].fields.get("status").map(String::as_str),
        Some("200")
    );
    let islands = capture.named("mochi.island");
    assert_eq!(islands.len(), 2, "{islands:?}");
    assert!(
        islands.iter().all(|i| i.parent == Some("mochi.page")),
        "{islands:?}"
    );

    let req = mochi::axum::testing::island_request(&mochi, traced_missing);
    app.oneshot(req).await.expect("infallible");
    let missing = capture.named("mochi.island");
    let missing = missing
        .iter()
        .find(|i| i.fields["island"] == "TracedMissing");
    assert_eq!(missing.expect("its span").fields["status"], "404");
}

/// The page's W3C trace (its `<meta name="traceparent">`) is what its
/// preloaded batch URL carries, and the batch's and islands' spans record
/// it; a page that came with a trace keeps it.
#[actix_web::test]
async fn island_requests_join_the_pages_trace() {
    let (capture, _guard) = Capture::installed();
    let mochi = mochi();
    let app = actix_test::init_service(App::new().wrap(mochi.clone()).configure(routes)).await;

    let req = actix_test::TestRequest::get().uri("/traced").to_request();
    let res = actix_test::call_service(&app, req).await;
    let link = res.headers().get("link").expect("a preload link");
    let link = link.to_str().unwrap().to_owned();
    let body = String::from_utf8(actix_test::read_body(res).await.to_vec()).unwrap();
    let meta = body
        .split(r#"<meta name="traceparent" content=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page's traceparent")
        .to_owned();
    let page = &capture.named("mochi.page")[0];
    let (trace_id, span_id) = (&page.fields["trace_id"], &page.fields["span_id"]);
    assert_eq!(meta, format!("00-{trace_id}-{span_id}-01"));
    let batch = link_url(&link);
    assert!(batch.ends_with(&format!("&tp={meta}")), "{batch}");

    let req = actix_test::TestRequest::get().uri(batch).to_request();
    actix_test::read_body(actix_test::call_service(&app, req).await).await;
    let batch = &capture.named("mochi.batch")[0];
    assert_eq!(&batch.fields["trace_id"], trace_id);
    assert_eq!(&batch.fields["parent_span_id"], span_id);

    // An island's own request with the header alone.
    let req = mochi::testing::island_request(&mochi, traced_missing)
        .insert_header(("traceparent", meta.as_str()))
        .to_request();
    actix_test::call_service(&app, req).await;
    let islands = capture.named("mochi.island");
    let own = islands
        .iter()
        .find(|i| i.fields["island"] == "TracedMissing");
    let own = own.expect("the island's span");
    assert_eq!(&own.fields["trace_id"], trace_id);

    // A page that came with a trace carries it as it came.
    let upstream = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let req = actix_test::TestRequest::get()
        .uri("/traced")
        .insert_header(("traceparent", upstream))
        .to_request();
    let body = actix_test::read_body(actix_test::call_service(&app, req).await).await;
    let body = String::from_utf8(body.to_vec()).unwrap();
    assert!(body.contains(&format!(r#"content="{upstream}""#)), "{body}");
    let pages = capture.named("mochi.page");
    assert_eq!(
        pages[1].fields["trace_id"],
        "4bf92f3577b34da6a3ce929d0e0e4736"
    );
}

//! Hostile requests against pages and the endpoint: each case of
//! `docs/protocol.md`'s "Hostile requests beyond the endpoint" table that
//! needs no browser (the runtime's own checks are browser scenarios).

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actix_web::http::header::HeaderMap;
use actix_web::test::{self, TestRequest};
use actix_web::{web, App, HttpResponse, HttpServer};
use maud::{html, Markup, DOCTYPE};
use mochi::{Key, Mochi};

// ---------------------------------------------------------------- islands

static GREETS: AtomicUsize = AtomicUsize::new(0);

/// A plain server island; counts its renders.
#[mochi::island(defer)]
fn sec_greet(name: String) -> Markup {
    GREETS.fetch_add(1, Ordering::SeqCst);
    html! { p.greet { "Hello, " (name) } }
}

/// A server island fetched, then hydrated: its answer names a client module.
#[mochi::island(defer, client = "static/probe.js")]
fn sec_widget(label: String) -> Markup {
    html! { button { (label) } }
}

/// A hydrated island rendered inline.
#[mochi::island(client = "static/probe.js")]
fn sec_inline(label: String) -> Markup {
    html! { button { (label) } }
}

/// Shared-cacheable, and tells where it is shown.
#[mochi::island(defer, cache = "public, max-age=60")]
fn sec_where() -> Markup {
    let url = mochi::request_context().page_url();
    html! { p { "You are on " (url.unwrap_or_default()) } }
}

static NESTERS: AtomicUsize = AtomicUsize::new(0);

/// An answer that holds ids of its own: a nested server island.
#[mochi::island(defer)]
fn sec_nester() -> Markup {
    NESTERS.fetch_add(1, Ordering::SeqCst);
    html! { div { (sec_greet("inner".into())) } }
}

// ---------------------------------------------------------------- the app

fn document(body: Markup) -> String {
    html! {
        (DOCTYPE)
        html { head { (mochi::runtime_script()) } body { (body) } }
    }
    .into_string()
}

/// Every path: a page with a preloaded server island and a hydrated one.
async fn catch_all() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(document(html! {
            (sec_greet("Ann".into()))
            (sec_inline("Go".into()))
        }))
}

/// A page with no island at all.
async fn plain() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(document(html! { p { "nothing" } }))
}

/// A streamed page whose handler set `cache` (and `Expires`).
fn streamed_with(cache: &'static str) -> impl Fn() -> HttpResponse + Clone {
    move || {
        HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header(("cache-control", cache))
            .insert_header(("expires", "Thu, 01 Jan 2099 00:00:00 GMT"))
            .body(document(html! { (sec_greet("S".into()).stream()) }))
    }
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/plain", web::get().to(plain))
        .route(
            "/stream/shared",
            web::get().to(|| async { streamed_with("max-age=60")() }),
        )
        .route(
            "/stream/private",
            web::get().to(|| async { streamed_with("private, max-age=5")() }),
        )
        .default_service(web::to(catch_all));
}

fn mochi() -> Mochi {
    Mochi::builder(Key::generate())
        .build()
        .expect("mochi starts")
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn headers(&self, name: &str) -> Vec<&str> {
        let values = self.headers.get_all(name);
        values.filter_map(|v| v.to_str().ok()).collect()
    }
}

/// Sends `req` to the app, with mochi at the root or in `web::scope(scope)`.
async fn send_in(mochi: &Mochi, scope: Option<&str>, req: TestRequest) -> Answer {
    match scope {
        None => {
            let app = App::new().wrap(mochi.clone()).configure(routes);
            let app = test::init_service(app).await;
            collect(test::call_service(&app, req.to_request()).await).await
        }
        Some(scope) => {
            let scoped = web::scope(scope).wrap(mochi.clone()).configure(routes);
            let app = test::init_service(App::new().service(scoped)).await;
            collect(test::call_service(&app, req.to_request()).await).await
        }
    }
}

async fn collect<B: actix_web::body::MessageBody>(
    res: actix_web::dev::ServiceResponse<B>,
) -> Answer {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = String::from_utf8_lossy(&test::read_body(res).await).into_owned();
    Answer {
        status,
        headers,
        body,
    }
}

async fn send(mochi: &Mochi, req: TestRequest) -> Answer {
    send_in(mochi, None, req).await
}

/// The token of the island `make` builds, rendered under `mochi`.
fn token(mochi: &Mochi, make: impl FnOnce() -> mochi::ServerIsland) -> String {
    mochi
        .render_page(|| make().signed_props().map(str::to_owned))
        .expect("signed props")
}

/// Every URL mochi wrote: `src`, `client` and island-URL attributes, and
/// the preload `Link`s.
fn written_urls(answer: &Answer) -> Vec<String> {
    let mut urls = Vec::new();
    for attr in [" src=\"", " client=\""] {
        for (at, _) in answer.body.match_indices(attr) {
            let rest = &answer.body[at + attr.len()..];
            urls.push(rest[..rest.find('"').unwrap()].to_owned());
        }
    }
    for link in answer.headers("link") {
        for value in link.split(", <") {
            let value = value.trim_start_matches('<');
            urls.push(value[..value.find('>').unwrap()].to_owned());
        }
    }
    urls
}

// ---------------------------------------------------------------- the mount

/// Paths whose percent-escapes make the raw path longer than the decoded
/// one: the slice of the raw path that once became the mount.
#[actix_web::test]
async fn every_url_mochi_writes_is_same_origin_under_the_prefix() {
    let mochi = mochi();
    let widget = token(&mochi, || sec_widget("w".into()));
    let escapes = "%41".repeat(8);
    for (scope, path, mount) in [
        (None, format!("//127.0.0.1:1809{escapes}"), ""),
        (None, format!("//evil.example/{escapes}"), ""),
        (None, format!("/%5C%5Cevil.example{escapes}"), ""),
        (None, "/%70roduct/1".to_owned(), ""),
        (
            None,
            format!("/_moch%69/island/SecWidget?p={widget}&i=i0"),
            "",
        ),
        (
            None,
            format!("/_mochi/island/SecWidget?p={widget}&i=i0"),
            "",
        ),
        (Some("/shop"), "/shop/%70roduct/1".to_owned(), "/shop"),
        (Some("/shop"), "/%73hop/product/1".to_owned(), "/shop"),
        (
            Some("/shop"),
            format!("/shop/_moch%69/island/SecWidget?p={widget}&i=i0"),
            "/shop",
        ),
    ] {
        let answer = send_in(&mochi, scope, TestRequest::get().uri(&path)).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        let urls = written_urls(&answer);
        assert!(!urls.is_empty(), "{path}: mochi wrote no URL");
        let under = format!("{mount}/_mochi/");
        for url in &urls {
            assert!(
                url.starts_with(&under) && !url.starts_with("//"),
                "{path}: {url} is not under {under}"
            );
        }
    }
}

/// `/\host` reaches actix only through a raw request line.
#[test]
fn a_backslash_path_does_not_become_the_mount() {
    let server = Server::start(mochi());
    let escapes = "%41".repeat(8);
    let answer = server.raw(&format!(
        "GET /\\127.0.0.1:1809{escapes} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    ));
    if answer.starts_with("HTTP/1.1 200") {
        assert!(
            answer.contains("src=\"/_mochi/runtime-"),
            "the runtime is under the root mount: {answer}"
        );
        assert!(!answer.contains("src=\"/\\"), "{answer}");
    } else {
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    }
}

// ---------------------------------------------------------------- Vary

#[actix_web::test]
async fn page_url_in_a_cacheable_island_varies_on_host_and_referer() {
    let mochi = mochi();
    let token = token(&mochi, sec_where);
    let answer = send(
        &mochi,
        TestRequest::get()
            .uri(&format!("/_mochi/island/SecWhere?p={token}&i=i0"))
            .insert_header(("host", "shop.test"))
            .insert_header(("referer", "http://shop.test/phish?msg=call%20555-0100")),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains("call%20555-0100"), "{}", answer.body);
    assert_eq!(answer.header("cache-control"), Some("public, max-age=60"));
    let vary = answer.header("vary").unwrap_or_default();
    assert!(
        vary.contains("host") && vary.contains("referer"),
        "Vary: {vary:?}"
    );
}

#[actix_web::test]
async fn pages_with_islands_vary_on_the_fragment_headers() {
    let mochi = mochi();
    for fragment_header in [
        None,
        Some(("hx-request", "true")),
        Some(("turbo-frame", "main")),
        Some(("sec-fetch-dest", "empty")),
    ] {
        let mut req = TestRequest::get().uri("/product/1");
        if let Some(pair) = fragment_header {
            req = req.insert_header(pair);
        }
        let answer = send(&mochi, req).await;
        assert_eq!(answer.status, 200);
        let vary = answer.headers("vary").join(", ").to_ascii_lowercase();
        for name in ["hx-request", "turbo-frame", "sec-fetch-dest"] {
            assert!(vary.contains(name), "{fragment_header:?}: Vary {vary:?}");
        }
    }
    // Nothing of a page without islands depends on those headers.
    let answer = send(&mochi, TestRequest::get().uri("/plain")).await;
    assert_eq!(answer.header("vary"), None);
}

// ---------------------------------------------------------------- streamed pages

#[actix_web::test]
async fn a_streamed_page_never_goes_out_shared_cacheable() {
    let mochi = mochi();
    let answer = send(&mochi, TestRequest::get().uri("/stream/shared")).await;
    assert_eq!(answer.status, 200);
    assert!(answer.body.contains("Hello, S"), "{}", answer.body);
    assert_eq!(answer.headers("cache-control"), ["private, no-store"]);
    assert_eq!(answer.header("expires"), None);

    let answer = send(&mochi, TestRequest::get().uri("/stream/private")).await;
    assert_eq!(answer.headers("cache-control"), ["private, max-age=5"]);
    assert_eq!(answer.header("expires"), None);
}

// ---------------------------------------------------------------- origins

#[actix_web::test]
async fn a_foreign_origin_is_refused_without_sec_fetch_site() {
    let mochi = mochi();
    let token = token(&mochi, || sec_greet("o".into()));
    let island = format!("/_mochi/island/SecGreet?p={token}&i=i0");
    let batch = format!("/_mochi/batch?n=SecGreet&i=i0&p={token}&n=SecGreet&i=i1&p={token}");
    let form = format!("p={token}&i=i0");
    for origin in ["https://evil.example", "null", "http://localhost:8081"] {
        for req in [
            TestRequest::get().uri(&island),
            TestRequest::get().uri(&batch),
            TestRequest::post()
                .uri("/_mochi/island/SecGreet")
                .insert_header(("content-type", "application/x-www-form-urlencoded"))
                .set_payload(form.clone()),
        ] {
            let answer = send(&mochi, req.insert_header(("origin", origin))).await;
            assert_eq!(answer.status, 403, "Origin: {origin}: {}", answer.body);
        }
    }
    // The request's own origin (the test request's host) passes.
    for origin in ["http://localhost:8080", "https://localhost:8080"] {
        let req = TestRequest::post()
            .uri("/_mochi/island/SecGreet")
            .insert_header(("origin", origin))
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(form.clone());
        assert_eq!(send(&mochi, req).await.status, 200, "Origin: {origin}");
    }
    // With a configured public origin the scheme counts too.
    let fixed = Mochi::builder(Key::generate())
        .public_origin("https://shop.example")
        .build()
        .unwrap();
    let token = self::token(&fixed, || sec_greet("o".into()));
    for (origin, status) in [("https://shop.example", 200), ("http://shop.example", 403)] {
        let req = TestRequest::get()
            .uri(&format!("/_mochi/island/SecGreet?p={token}&i=i0"))
            .insert_header(("origin", origin));
        assert_eq!(send(&fixed, req).await.status, status, "Origin: {origin}");
    }
}

// ---------------------------------------------------------------- batches

#[actix_web::test]
async fn a_batch_refuses_cacheable_islands() {
    let mochi = mochi();
    let greet = token(&mochi, || sec_greet("b".into()));
    let cached = token(&mochi, sec_where);
    let before = GREETS.load(Ordering::SeqCst);
    let uri = format!("/_mochi/batch?n=SecGreet&i=i0&p={greet}&n=SecWhere&i=i1&p={cached}");
    let answer = send(&mochi, TestRequest::get().uri(&uri)).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.body.contains("SecWhere"), "{}", answer.body);
    assert_eq!(GREETS.load(Ordering::SeqCst), before, "nothing rendered");
}

/// The parts of a batch answer: (index, status, body).
fn parts(body: &str) -> Vec<(usize, u16, String)> {
    let mut parts = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let (head, after) = rest.split_once('\n').expect("a part head");
        let mut head = head.split(' ').map(|n| n.parse::<usize>().unwrap());
        let (index, status, len) = (
            head.next().unwrap(),
            head.next().unwrap(),
            head.next().unwrap(),
        );
        parts.push((index, status as u16, after[..len].to_owned()));
        rest = &after[len..];
    }
    parts.sort_by_key(|p| p.0);
    parts
}

#[actix_web::test]
async fn identical_batch_entries_render_once_unless_their_answer_holds_ids() {
    let mochi = mochi();
    let greet = token(&mochi, || sec_greet("dup".into()));
    let entries: String = (0..20)
        .map(|i| format!("n=SecGreet&i=i{i}&p={greet}&"))
        .collect();
    let before = GREETS.load(Ordering::SeqCst);
    let answer = send(
        &mochi,
        TestRequest::get().uri(&format!("/_mochi/batch?{entries}")),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let got = parts(&answer.body);
    assert_eq!(got.len(), 20);
    for (index, (at, status, body)) in got.iter().enumerate() {
        assert_eq!((*at, *status), (index, 200));
        assert!(body.contains("Hello, dup"), "{body}");
    }
    // Other tests render `SecGreet` too, but never with these props.
    let renders = GREETS.load(Ordering::SeqCst) - before;
    assert_eq!(renders, 1, "twenty identical entries, one render");

    // An answer with ids of its own renders under each entry's id.
    let nester = token(&mochi, sec_nester);
    let before = NESTERS.load(Ordering::SeqCst);
    let uri = format!("/_mochi/batch?n=SecNester&i=a&p={nester}&n=SecNester&i=b&p={nester}");
    let answer = send(&mochi, TestRequest::get().uri(&uri)).await;
    let got = parts(&answer.body);
    assert_eq!(NESTERS.load(Ordering::SeqCst) - before, 2);
    assert!(got[0].2.contains("island-id=\"a-i0\""), "{}", got[0].2);
    assert!(got[1].2.contains("island-id=\"b-i0\""), "{}", got[1].2);
}

// ---------------------------------------------------------------- slow bodies

/// A real server on loopback.
struct Server {
    addr: std::net::SocketAddr,
    handle: actix_web::dev::ServerHandle,
}

impl Server {
    fn start(mochi: Mochi) -> Server {
        let server = HttpServer::new(move || App::new().wrap(mochi.clone()).configure(routes))
            .workers(1)
            .disable_signals()
            .bind(("127.0.0.1", 0))
            .unwrap();
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        std::thread::spawn(move || actix_web::rt::System::new().block_on(server));
        Server { addr, handle }
    }

    /// Sends `request` as it is and reads until the server closes.
    fn raw(&self, request: &str) -> String {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

#[test]
fn a_post_body_that_stalls_is_answered_408_at_the_island_timeout() {
    let timeout = Duration::from_millis(500);
    let mochi = Mochi::builder(Key::generate())
        .island_timeout(timeout)
        .build()
        .unwrap();
    let server = Server::start(mochi);
    for path in ["/_mochi/island/SecGreet", "/_mochi/batch"] {
        let started = Instant::now();
        // Declares 100 bytes, sends 10, then nothing.
        let answer = server.raw(&format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: 100\r\n\r\np=0123456"
        ));
        let took = started.elapsed();
        assert!(answer.starts_with("HTTP/1.1 408"), "{path}: {answer:?}");
        assert!(
            took >= timeout && took < Duration::from_secs(8),
            "{path}: answered and closed after {took:?}"
        );
    }
}

//! `#[island(defer, blocking)]`: a sync island whose body runs on actix's
//! blocking pool. Over a real connection, with one worker: a blocking
//! body does not hold up the worker's other requests, and the same body
//! without `blocking` does (the control that shows the test can fail); a
//! body still waiting for a thread of the pool past its deadline never
//! starts.
//! Through actix's test service: the body's request context, island id and
//! nested islands match a worker-side render's, its reads make the `Vary`,
//! panics are 500, deadlines 504, and streamed and batched islands take
//! the same path. Times are only compared with moments the test and the
//! islands record, never with fixed budgets.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::http::header::HeaderMap;
use actix_web::test::{self as actix_test, TestRequest};
use actix_web::{web, App, HttpResponse, HttpServer};
use maud::{html, Markup, DOCTYPE};
use mochi::{Key, Mochi, ServerIsland};

// ---------------------------------------------------------------- islands

/// What the islands noted, with when: `("started", label)`,
/// `("finished", label)`.
static EVENTS: Mutex<Vec<(&'static str, String, Instant)>> = Mutex::new(Vec::new());

fn note(event: &'static str, label: &str) {
    let mut events = EVENTS.lock().unwrap_or_else(|p| p.into_inner());
    events.push((event, label.to_owned(), Instant::now()));
}

fn noted(event: &str, label: &str) -> Option<Instant> {
    let events = EVENTS.lock().unwrap_or_else(|p| p.into_inner());
    let found = events.iter().find(|(e, l, _)| *e == event && l == label);
    found.map(|(_, _, at)| *at)
}

/// Waits until `label` has noted `event`; the bound only stops a broken
/// test from hanging.
fn wait_for(event: &str, label: &str) -> Instant {
    let give_up = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(at) = noted(event, label) {
            return at;
        }
        assert!(Instant::now() < give_up, "{label} never noted {event:?}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// A synchronous call that takes 300 ms (a database driver, say).
fn slow_call(label: &str) {
    note("started", label);
    std::thread::sleep(Duration::from_millis(300));
    note("finished", label);
}

/// Blocks for 300 ms, on the blocking pool.
#[mochi::island(defer, blocking)]
fn off_worker(label: String) -> Markup {
    slow_call(&label);
    html! { p { "off " (label) } }
}

/// The same body without `blocking`: it blocks the worker thread.
#[mochi::island(defer)]
fn on_worker(label: String) -> Markup {
    slow_call(&label);
    html! { p { "on " (label) } }
}

/// A hydrated island, nested in the probes below.
#[mochi::island(client = "static/probe.js")]
fn nested_probe(label: String) -> Markup {
    html! { button { (label) } }
}

/// What a server island's body sees: the same function for both probes,
/// so their answers can be compared byte for byte.
fn describe_context() -> Markup {
    let cx = mochi::request_context();
    html! {
        ul {
            li.user { (cx.cookie("user").unwrap_or_else(|| "none".into())) }
            li.header { (cx.header("x-test").unwrap_or("none")) }
            li.page { (cx.page_url().unwrap_or_else(|| "none".into())) }
            li.query { (cx.query_string()) }
            li.path { (cx.path()) }
            li.method { (cx.method().as_str()) }
            li.island { (cx.is_island_request()) }
            li.id { (mochi::island_id().unwrap_or_else(|| "none".into())) }
        }
        // Two nested islands: ids under this answer's, one props block.
        (nested_probe("inside".into()))
        (nested_probe("inside".into()))
        // A nested server island signs its props here too.
        (greet_later("Ann".into()))
        (mochi::fragment(|| nested_probe("fragment".into())))
    }
}

/// Nested in the probes: a server island of the answer.
#[mochi::island(defer)]
fn greet_later(name: String) -> Markup {
    html! { "Hello, " (name) }
}

/// The probe, on the blocking pool.
#[mochi::island(defer, blocking)]
fn blocking_probe() -> Markup {
    html! { (describe_context()) i.detached { (detached()) } }
}

/// Whether the body runs away from the island's `HttpRequest`, which
/// stays on its worker: `extract` refuses there.
fn detached() -> bool {
    use futures_util::FutureExt as _;
    let req = mochi::extract::<actix_web::HttpRequest>().now_or_never();
    let req = req.expect("extraction does not wait");
    match req {
        Ok(req) => req.app_data::<Region>().is_none(),
        Err(e) => {
            assert!(e.to_string().contains("HttpRequest"), "{e}");
            true
        }
    }
}

/// The probe, on the worker.
#[mochi::island(defer)]
fn worker_probe() -> Markup {
    html! { (describe_context()) i.detached { (detached()) } }
}

/// Shared-cacheable, reads a header and a cookie by name, on the pool.
#[mochi::island(defer, blocking, cache = "public, max-age=60")]
fn localized(n: u32) -> Markup {
    let cx = mochi::request_context();
    let lang = cx.header("accept-language").map(str::to_owned);
    let theme = cx.cookie("theme");
    html! { (n) " " (lang.unwrap_or_default()) " " (theme.unwrap_or_default()) }
}

/// Shared-cacheable, but reads the whole header map, on the pool.
#[mochi::island(defer, blocking, cache = "public, max-age=60")]
fn nosy(n: u32) -> Markup {
    let headers = mochi::request_context().headers().len();
    html! { (n) " " (headers) }
}

/// Shared-cacheable and reads nothing, on the pool.
#[mochi::island(defer, blocking, cache = "public, max-age=60")]
fn plain_cached(n: u32) -> Markup {
    html! { (n) }
}

/// Panics on the blocking thread.
#[mochi::island(defer, blocking)]
fn panicking(code: u32) -> Markup {
    panic!("on purpose, on the blocking pool ({code})")
}

/// Returns an error whose type is not `Send`: it is made a message on the
/// blocking thread.
#[mochi::island(defer, blocking)]
fn failing(code: u32) -> Result<Markup, std::rc::Rc<str>> {
    Err(format!("failed on purpose ({code})").into())
}

/// Takes a second, past its 100 ms deadline.
#[mochi::island(defer, blocking, timeout = "100ms")]
fn overdue(label: String) -> Markup {
    note("started", &label);
    std::thread::sleep(Duration::from_secs(1));
    note("finished", &label);
    html! { "late" }
}

/// App data no blocking body can reach.
#[derive(Debug)]
struct Region;

// ---------------------------------------------------------------- the app

fn doc(body: Markup) -> String {
    html! {
        (DOCTYPE)
        html { head { (mochi::runtime_script()) } body { (body) } }
    }
    .into_string()
}

async fn plain_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(doc(html! { p { "plain" } }))
}

async fn streamed_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(doc(html! {
            (blocking_probe().stream().fallback(html! { "…" }))
            (off_worker("streamed".into()).stream())
        }))
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(Region)
        .route("/plain", web::get().to(plain_page))
        .route("/streamed", web::get().to(streamed_page));
}

fn mochi() -> Mochi {
    Mochi::builder(Key::generate())
        .build()
        .expect("mochi starts")
}

// ---------------------------------------------------- the worker is free

/// Starts a server with one worker on loopback, whose blocking pool has
/// `threads` threads.
fn start(mochi: Mochi, threads: usize) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || App::new().wrap(mochi.clone()).configure(routes))
                .workers(1)
                .worker_max_blocking_threads(threads)
                .disable_signals()
                .bind(("127.0.0.1", 0))
                .expect("bind");
            tx.send(server.addrs()[0]).expect("send address");
            server.run().await
        })
    });
    rx.recv().expect("address")
}

/// GETs `path` over HTTP/1.1 and reads to the end: the status line and
/// the whole response.
fn get(addr: SocketAddr, path: &str) -> String {
    let mut conn = TcpStream::connect(addr).expect("connect");
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    conn.read_to_string(&mut answer).expect("read");
    answer
}

/// The path the browser requests `island` at.
fn island_path(mochi: &Mochi, island: impl FnOnce() -> ServerIsland) -> String {
    let req = mochi::testing::island_request(mochi, island).to_request();
    req.uri().to_string()
}

/// Requests `island` (labelled `label`) on a one-worker server, waits
/// until its body has started, then requests a plain page: when the page
/// had fully arrived, and when the island's body finished.
fn page_while_island_runs(
    label: &str,
    island: impl FnOnce(String) -> ServerIsland,
) -> (Instant, Instant) {
    let mochi = mochi();
    let owned = label.to_owned();
    let path = island_path(&mochi, move || island(owned));
    let addr = start(mochi, 4);
    let island = std::thread::spawn(move || get(addr, &path));
    wait_for("started", label);
    let page = get(addr, "/plain");
    let page_done = Instant::now();
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("<p>plain</p>"), "{page}");
    let answer = island.join().expect("the island request");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    (page_done, wait_for("finished", label))
}

#[test]
fn a_blocking_island_leaves_the_worker_free_for_other_requests() {
    let (page_done, island_done) = page_while_island_runs("free", off_worker);
    assert!(
        page_done < island_done,
        "the page arrived {:?} after the blocking island finished, on the only worker",
        page_done - island_done
    );
}

/// The control: without `blocking`, the same body holds the only worker,
/// and the page waits for it.
#[test]
fn the_same_island_without_blocking_stalls_the_worker() {
    let (page_done, island_done) = page_while_island_runs("stalled", on_worker);
    assert!(
        island_done < page_done,
        "the page arrived {:?} before the worker-thread island finished: the control \
         does not show the stall",
        island_done - page_done
    );
}

/// With the pool's only thread taken, a body past its deadline while it
/// waits for the thread is answered 504 and never starts.
#[test]
fn a_body_still_waiting_for_the_pool_never_starts() {
    let mochi = mochi();
    let hold = island_path(&mochi, || off_worker("hold".into()));
    let queued = island_path(&mochi, || overdue("queued".into()));
    let after = island_path(&mochi, || off_worker("after".into()));
    let addr = start(mochi, 1);
    let holding = std::thread::spawn(move || get(addr, &hold));
    wait_for("started", "hold");
    let answer = get(addr, &queued);
    assert!(answer.starts_with("HTTP/1.1 504"), "{answer}");
    assert!(
        noted("finished", "hold").is_none(),
        "the 504 came once the pool's thread was free again: the test proves nothing"
    );
    assert!(holding.join().expect("hold").starts_with("HTTP/1.1 200"));
    // The pool runs bodies in the order they came: once a later one has
    // run, the queued one would have started.
    let answer = get(addr, &after);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(noted("started", "queued"), None, "the overdue body started");
}

// ------------------------------------------------------- the test service

/// What a request got back.
#[derive(Debug)]
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

async fn send(mochi: &Mochi, req: TestRequest) -> Answer {
    let app = actix_test::init_service(App::new().wrap(mochi.clone()).configure(routes)).await;
    let res = actix_test::call_service(&app, req.to_request()).await;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = actix_test::read_body(res).await;
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// The request a browser makes for `island`, with a cookie, a header and
/// a same-origin `Referer`.
fn probe_request(mochi: &Mochi, island: fn() -> ServerIsland) -> TestRequest {
    mochi::testing::island_request(mochi, island)
        .insert_header(("cookie", "user=ann; theme=dark"))
        .insert_header(("x-test", "hello"))
        .insert_header(("referer", "http://localhost:8080/shop?page=2"))
}

#[actix_web::test]
async fn the_body_sees_what_a_worker_render_sees() {
    let mochi = mochi();
    let blocking = send(&mochi, probe_request(&mochi, blocking_probe)).await;
    let worker = send(&mochi, probe_request(&mochi, worker_probe)).await;
    assert_eq!(blocking.status, 200, "{}", blocking.body);
    assert_eq!(worker.status, 200, "{}", worker.body);
    let body = &blocking.body;
    for expected in [
        r#"<li class="user">ann</li>"#,
        r#"<li class="header">hello</li>"#,
        r#"<li class="page">http://localhost:8080/shop?page=2</li>"#,
        r#"<li class="method">GET</li>"#,
        r#"<li class="path">/_mochi/island/BlockingProbe</li>"#,
        r#"<li class="island">true</li>"#,
        r#"<li class="id">i0</li>"#,
        // Nested islands: ids under the answer's, one shared props block
        // written before the first.
        r#"<script type="application/json" id="mochi-props-i0-0">"#,
        r#"island-id="i0-i0""#,
        r#"island-id="i0-i1""#,
        r#"island-id="i0-i2""#,
        r#"<mochi-server-island component-name="GreetLater""#,
        // The `HttpRequest`, and with it app data, stays on the worker.
        r#"<i class="detached">true</i>"#,
    ] {
        assert!(body.contains(expected), "{expected} missing in {body}");
    }
    assert_eq!(body.matches("mochi-props-i0-0").count(), 3, "{body}");
    // The nested islands up to the fragment (whose ids are its own in
    // every render) are the bytes the same body renders on the worker.
    let nested = |answer: &str| {
        let start = answer.find("</ul>").expect("the list");
        let fragment = answer.find("id=\"mochi-props-f").expect("the fragment");
        answer[start..fragment].to_owned()
    };
    assert_eq!(nested(body), nested(&worker.body));
    assert!(worker.body.contains(r#"<i class="detached">false</i>"#));
}

#[actix_web::test]
async fn an_answer_without_an_island_id_gets_fragment_ids() {
    let mochi = mochi();
    let req = probe_request(&mochi, blocking_probe).to_request();
    let uri = req.uri().to_string();
    let without_id = uri.split("&i=").next().expect("the path and token");
    let answer = send(&mochi, TestRequest::get().uri(without_id)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer.body.contains(r#"<li class="id">none</li>"#),
        "{}",
        answer.body
    );
    assert!(answer.body.contains("island-id=\"f"), "{}", answer.body);
}

#[actix_web::test]
async fn reads_on_the_blocking_thread_make_the_vary() {
    let mochi = mochi();
    let req = mochi::testing::island_request(&mochi, || localized(1))
        .insert_header(("accept-language", "de"))
        .insert_header(("cookie", "theme=dark"));
    let answer = send(&mochi, req).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body, "1 de dark");
    assert_eq!(answer.header("cache-control"), Some("public, max-age=60"));
    assert_eq!(answer.header("vary"), Some("accept-language, cookie"));

    let answer = send(&mochi, mochi::testing::island_request(&mochi, || nosy(1))).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.header("cache-control"),
        Some("private, no-store"),
        "the whole header map was read on the blocking thread"
    );

    let answer = send(
        &mochi,
        mochi::testing::island_request(&mochi, || plain_cached(1)),
    )
    .await;
    assert_eq!(answer.header("cache-control"), Some("public, max-age=60"));
    assert_eq!(answer.header("vary"), None, "nothing was read");
}

#[actix_web::test]
async fn a_panic_on_the_blocking_thread_is_500() {
    let mochi = mochi();
    let answer = send(
        &mochi,
        mochi::testing::island_request(&mochi, || panicking(7)),
    )
    .await;
    assert_eq!(answer.status, 500, "{}", answer.body);
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    assert!(!answer.body.contains("on purpose"), "{}", answer.body);

    let answer = send(
        &mochi,
        mochi::testing::island_request(&mochi, || failing(7)),
    )
    .await;
    assert_eq!(answer.status, 500, "{}", answer.body);
    if cfg!(debug_assertions) {
        assert!(
            answer.body.contains("failed on purpose (7)"),
            "{}",
            answer.body
        );
    }

    // The worker goes on serving.
    let answer = send(&mochi, TestRequest::get().uri("/plain")).await;
    assert_eq!(answer.status, 200);
}

#[actix_web::test]
async fn past_its_deadline_the_answer_is_504_and_the_body_runs_to_its_end() {
    let mochi = mochi();
    let req = mochi::testing::island_request(&mochi, || overdue("overdue".into()));
    let answer = send(&mochi, req).await;
    assert_eq!(answer.status, 504, "{}", answer.body);
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let answered = Instant::now();
    let started = noted("started", "overdue").expect("the body started");
    assert!(started < answered);
    // Answered before the body finished, which it still did: a deadline
    // cannot stop blocking code.
    assert!(wait_for("finished", "overdue") > answered);
}

#[actix_web::test]
async fn streamed_islands_take_the_blocking_path() {
    let mochi = mochi();
    let req = TestRequest::get()
        .uri("/streamed?q=1")
        .insert_header(("cookie", "user=bo"))
        .insert_header(("x-test", "streamed"));
    let answer = send(&mochi, req).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body = &answer.body;
    for expected in [
        r#"<template for="mochi-i0">"#,
        r#"<li class="user">bo</li>"#,
        r#"<li class="header">streamed</li>"#,
        // A streamed island's page is the page's own URL.
        r#"<li class="page">http://localhost:8080/streamed?q=1</li>"#,
        r#"<li class="island">false</li>"#,
        r#"<li class="id">i0</li>"#,
        r#"island-id="i0-i0""#,
        r#"<i class="detached">true</i>"#,
        r#"<template for="mochi-i1"><p>off streamed</p></template>"#,
    ] {
        assert!(body.contains(expected), "{expected} missing in {body}");
    }
    assert!(!body.contains("failed"), "{body}");
}

#[actix_web::test]
async fn batched_islands_take_the_blocking_path() {
    let mochi = mochi();
    let token = |island: fn() -> ServerIsland| {
        mochi.render_page(|| island().signed_props().map(str::to_owned).unwrap())
    };
    let probe = token(blocking_probe);
    let panics = token(|| panicking(1));
    let overdue_token = token(|| overdue("batched".into()));
    let url = format!(
        "/_mochi/batch?n=BlockingProbe&i=i3&p={probe}&n=Panicking&i=i4&p={panics}\
         &n=Overdue&i=i5&p={overdue_token}"
    );
    let req = TestRequest::get()
        .uri(&url)
        .insert_header(("cookie", "user=cy"));
    let answer = send(&mochi, req).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body = &answer.body;
    assert!(body.contains(r#"<li class="user">cy</li>"#), "{body}");
    assert!(body.contains(r#"<li class="id">i3</li>"#), "{body}");
    assert!(body.contains(r#"island-id="i3-i0""#), "{body}");
    for part in ["0 200 ", "1 500 ", "2 504 "] {
        assert!(body.contains(part), "{part:?} missing in {body}");
    }
}

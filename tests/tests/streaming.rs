//! Streamed islands over a real connection: the page goes out before its
//! islands are done, each island's part follows as it finishes, on the
//! page's own request, with compression too. Times are only compared with
//! moments the server itself records (an island's end), never with fixed
//! budgets.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::middleware::Compress;
use actix_web::{web, App, HttpResponse, HttpServer};
use maud::{html, Markup, DOCTYPE};

/// When the slow island finished rendering, per label.
static FINISHED: Mutex<Vec<(String, Instant)>> = Mutex::new(Vec::new());

fn finished(label: &str) -> Option<Instant> {
    let done = FINISHED.lock().unwrap_or_else(|p| p.into_inner());
    done.iter().find(|(l, _)| l == label).map(|(_, at)| *at)
}

/// Takes 400 ms, then notes when it finished.
#[mochi::island(defer)]
async fn slow_part(label: String) -> Markup {
    tokio::time::sleep(Duration::from_millis(400)).await;
    FINISHED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((label.clone(), Instant::now()));
    html! { p.slow { "slow " (label) } }
}

/// At once.
#[mochi::island(defer)]
fn fast_part(label: String) -> Markup {
    html! { p.fast { "fast " (label) } }
}

/// Past its deadline.
#[mochi::island(defer, timeout = "100ms")]
async fn stuck_part() -> Markup {
    tokio::time::sleep(Duration::from_secs(30)).await;
    html! { "never" }
}

/// Panics while streaming.
#[mochi::island(defer)]
async fn panicky_part() -> Markup {
    tokio::task::yield_now().await;
    panic!("on purpose, while streaming")
}

/// What the island sees of the page's request.
#[mochi::island(defer)]
async fn request_part() -> Markup {
    tokio::task::yield_now().await;
    let cx = mochi::request_context();
    let region = mochi::extract::<web::Data<Region>>()
        .await
        .ok()
        .map(|d| d.0);
    html! {
        p.request {
            "user=" (cx.cookie("user").unwrap_or_default())
            " data=" (region.unwrap_or("none"))
            " page=" (cx.page_url().unwrap_or_default())
            " island=" (cx.is_island_request())
        }
    }
}

/// App data the request island reads back.
struct Region(&'static str);

/// A hydrated island inside a streamed one.
#[mochi::island(client = "static/probe.js")]
fn streamed_probe(label: String) -> Markup {
    html! { span { (label) } }
}

#[mochi::island(defer)]
fn holder_part() -> Markup {
    html! { div.holder { (streamed_probe("inside".into())) } }
}

fn doc(body: Markup) -> String {
    html! {
        (DOCTYPE)
        html { head { (mochi::runtime_script()) } body { (body) } }
    }
    .into_string()
}

async fn stream_page(q: web::Query<Label>) -> HttpResponse {
    let label = &q.label;
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(doc(html! {
            (slow_part(label.clone()).stream().fallback(html! { "slow…" }))
            (fast_part(label.clone()).stream().fallback(html! { "fast…" }))
            (stuck_part().stream().fallback(html! { "stuck…" }))
            (panicky_part().stream().fallback(html! { "panicky…" }))
            (request_part().stream())
            (holder_part().stream())
            footer { "page end" }
        }))
}

async fn public_stream_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .body(doc(html! { (fast_part("public".into()).stream()) }))
}

async fn missing_stream_page() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/html; charset=utf-8")
        .body(doc(html! { (fast_part("404".into()).stream()) }))
}

#[derive(serde::Deserialize)]
struct Label {
    label: String,
}

fn start(compress: bool) -> SocketAddr {
    let mochi = mochi::Mochi::builder(mochi::Key::generate())
        .build()
        .expect("mochi starts");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                App::new()
                    .wrap(mochi.clone())
                    .wrap(actix_web::middleware::Condition::new(
                        compress,
                        Compress::default(),
                    ))
                    .app_data(web::Data::new(Region("eu-west")))
                    .route("/stream", web::get().to(stream_page))
                    .route("/public", web::get().to(public_stream_page))
                    .route("/missing", web::get().to(missing_stream_page))
            })
            .workers(1)
            .disable_signals()
            .bind(("127.0.0.1", 0))
            .expect("bind");
            tx.send(server.addrs()[0]).expect("send address");
            server.run().await
        })
    });
    rx.recv().expect("address")
}

/// A response read off the socket, each read with the moment it returned.
struct Timed {
    head: String,
    /// The body, de-chunked (and gunzipped), with when each byte arrived.
    body: Vec<u8>,
    arrived: Vec<Instant>,
}

impl Timed {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// When the body's first `needle` had fully arrived.
    fn when(&self, needle: &str) -> Instant {
        let at = self
            .text()
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not in {}", self.text()));
        self.arrived[at + needle.len() - 1]
    }
}

/// GETs `path` over HTTP/1.1 and reads to the end, timing every read.
fn timed_get(addr: SocketAddr, path: &str, extra: &str) -> Timed {
    let mut conn = TcpStream::connect(addr).expect("connect");
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{extra}\r\n"
    )
    .expect("send");
    let mut raw: Vec<u8> = Vec::new();
    let mut raw_at: Vec<Instant> = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = conn.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        let now = Instant::now();
        raw.extend_from_slice(&buf[..n]);
        raw_at.extend(std::iter::repeat_n(now, n));
    }
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head")
        + 4;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let (mut body, mut arrived) = (Vec::new(), Vec::new());
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    if chunked {
        let mut at = split;
        loop {
            let line_end = at
                + raw[at..]
                    .windows(2)
                    .position(|w| w == b"\r\n")
                    .expect("size");
            let size = usize::from_str_radix(std::str::from_utf8(&raw[at..line_end]).unwrap(), 16)
                .expect("hex size");
            at = line_end + 2;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&raw[at..at + size]);
            arrived.extend_from_slice(&raw_at[at..at + size]);
            at += size + 2;
        }
    } else {
        body.extend_from_slice(&raw[split..]);
        arrived.extend_from_slice(&raw_at[split..]);
    }
    let mut timed = Timed {
        head,
        body,
        arrived,
    };
    if timed.header("content-encoding") == Some("gzip") {
        timed = gunzip(timed);
    }
    timed
}

/// Gunzips the body piece by piece as it arrived: each decoded byte gets
/// the time of the compressed bytes that produced it.
fn gunzip(timed: Timed) -> Timed {
    use flate2::write::GzDecoder;
    let mut decoder = GzDecoder::new(Vec::new());
    let mut arrived = Vec::new();
    let mut start = 0;
    while start < timed.body.len() {
        let at = timed.arrived[start];
        let end = (start..timed.body.len())
            .find(|&i| timed.arrived[i] != at)
            .unwrap_or(timed.body.len());
        decoder.write_all(&timed.body[start..end]).expect("gzip");
        decoder.flush().expect("gzip flush");
        let len = decoder.get_ref().len();
        arrived.resize(len, at);
        start = end;
    }
    let body = decoder.finish().expect("gzip end");
    arrived.resize(body.len(), *timed.arrived.last().expect("a body"));
    Timed {
        head: timed.head,
        body,
        arrived,
    }
}

fn check_stream(addr: SocketAddr, label: &str, extra: &str) -> Timed {
    let page = timed_get(addr, &format!("/stream?label={label}"), extra);
    let text = page.text();
    assert!(page.head.starts_with("HTTP/1.1 200"), "{}", page.head);
    assert_eq!(page.header("cache-control"), Some("private, no-store"));
    assert_eq!(page.header("x-accel-buffering"), Some("no"));
    assert_eq!(page.header("content-length"), None);

    // The page, fallbacks in place, went out before the slow island was
    // done; its part came after.
    let slow_done = finished(label).expect("the slow island ran");
    let page_out = page.when("<mochi-stream-start></mochi-stream-start>");
    assert!(
        page_out < slow_done,
        "the page arrived before the slow island finished"
    );
    assert!(page.when(&format!("slow {label}")) >= slow_done);
    assert!(text.contains(
        r#"<mochi-server-island component-name="SlowPart" island-id="i0" signed-props=""#
    ));
    assert!(
        text.contains(r#" stream><?start name="mochi-i0">slow…<?end></mochi-server-island>"#),
        "{text}"
    );
    assert!(text.contains("page end"));

    // Parts after the page's own HTML, in the order the islands finished,
    // before `</body></html>`.
    let start = text.find("<mochi-stream-start>").unwrap();
    let fast = text
        .find(r#"<template for="mochi-i1"><p class="fast">"#)
        .expect("fast part");
    let stuck = text
        .find(r#"<mochi-swap island-id="i2" fetch></mochi-swap>"#)
        .expect("stuck");
    let panicky = text
        .find(r#"<mochi-swap island-id="i3" failed></mochi-swap>"#)
        .expect("panicky");
    let slow = text
        .find(r#"<template for="mochi-i0">"#)
        .expect("slow part");
    assert!(
        start < fast && fast < stuck && stuck < slow && panicky < slow,
        "{text}"
    );
    assert!(text.ends_with("</mochi-swap></body></html>"), "{text}");
    assert!(
        page.when(r#"<mochi-swap island-id="i1">"#) < slow_done,
        "fast part before the slow one ended"
    );

    // The page's own request: cookie, app data, page URL.
    assert!(
        text.contains(&format!(
            "user=ann data=eu-west page=http://127.0.0.1/stream?label={label} island=false"
        )),
        "{text}"
    );
    // A hydrated island inside: its ids and props block under the
    // streamed island's id.
    assert!(
        text.contains(r#"<template for="mochi-i5"><div class="holder"><script type="application/json" id="mochi-props-i5-0">"#),
        "{text}"
    );
    assert!(text.contains(r#"<mochi-island component-name="StreamedProbe" island-id="i5-i0" props-ref="mochi-props-i5-0""#));
    page
}

#[test]
fn a_streamed_page_goes_out_first_and_its_islands_follow() {
    let addr = start(false);
    check_stream(addr, "plain", "Cookie: user=ann\r\n");
}

#[test]
fn compressed_streams_still_arrive_part_by_part() {
    let addr = start(true);
    let page = check_stream(
        addr,
        "gzip",
        "Cookie: user=ann\r\nAccept-Encoding: gzip\r\n",
    );
    assert_eq!(page.header("content-encoding"), Some("gzip"));
}

#[test]
fn a_streamed_page_is_never_shared_and_only_200_html_streams() {
    let addr = start(false);
    let public = timed_get(addr, "/public", "");
    assert_eq!(public.header("cache-control"), Some("private, no-store"));
    assert!(public.text().contains(r#"<template for="mochi-i0">"#));

    // Not a 200 page: no parts; the element keeps its signed props, so the
    // browser fetches it when the document ends.
    let missing = timed_get(addr, "/missing", "");
    assert!(missing.head.starts_with("HTTP/1.1 404"));
    let text = missing.text();
    assert!(
        !text.contains("<template for=") && !text.contains("<mochi-stream-start>"),
        "{text}"
    );
    assert!(
        text.contains(r#" signed-props=""#) && text.contains(" stream>"),
        "{text}"
    );
}

#[test]
fn outside_a_page_response_a_streamed_island_is_deferred() {
    let mochi = mochi::Mochi::builder(mochi::Key::generate())
        .build()
        .unwrap();
    let html = mochi
        .render_page(|| html! { (fast_part("x".into()).stream()) })
        .into_string();
    assert!(html.contains(r#" signed-props=""#), "{html}");
    assert!(!html.contains(" stream"), "{html}");
}

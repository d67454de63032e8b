//! One protocol, two servers: the same islands and pages served by an
//! actix app and an axum app, each request sent to both over a real
//! socket. Statuses, headers and bodies must be the same (but for `Date`,
//! `Content-Length` and `Transfer-Encoding`, which framing sets): a
//! difference between the two integrations is a failure. Tokens minted by
//! one server are sent to the other.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use axum::response::IntoResponse as _;
use axum::Extension;
use maud::{html, Markup, DOCTYPE};
use mochi::{IslandError, Mochi};

/// App data both servers give islands: actix `web::Data`, axum `Extension`.
#[derive(Clone)]
struct Region(&'static str);

/// The region, from whichever server the island runs on.
async fn region() -> Result<&'static str, mochi::ExtractError> {
    match mochi::actix::extract::<web::Data<Region>>().await {
        Ok(data) => Ok(data.0),
        Err(_) => mochi::axum::extract::<Extension<Region>>()
            .await
            .map(|Extension(region)| region.0),
    }
}

/// Greets the `user` cookie, in the app's region.
#[mochi::island(defer)]
async fn greeting(excited: bool) -> Result<Markup, IslandError> {
    tokio::task::yield_now().await;
    let cx = mochi::request_context();
    let user = cx.cookie("user").unwrap_or_else(|| "guest".into());
    let region = region().await?;
    Ok(html! { p.greeting { "Hello, " (user) " in " (region) @if excited { "!" } } })
}

/// A public island with a cache policy (loaded alone, not in a batch).
#[mochi::island(defer, cache = "public, max-age=60")]
fn price(cents: u32) -> Markup {
    html! { span.price { (cents / 100) "." (format!("{:02}", cents % 100)) } }
}

/// An island that answers 404.
#[mochi::island(defer)]
fn missing(id: u32) -> Result<Markup, IslandError> {
    Err(IslandError::not_found(format!("no item {id}")))
}

/// An island that fails with a plain error (500).
#[mochi::island(defer)]
fn failing(id: u32) -> Result<Markup, String> {
    Err(format!("item {id} failed"))
}

/// An island whose dependency is down for now (503).
#[mochi::island(defer)]
fn down(id: u32) -> Result<Markup, IslandError> {
    Err(IslandError::unavailable(format!("stock service for {id}")))
}

/// An island that panics.
#[mochi::island(defer)]
fn exploding(id: u32) -> Markup {
    panic!("island {id} exploded")
}

/// An island past its deadline.
#[mochi::island(defer, timeout = "50ms")]
async fn sleepy(ms: u64) -> Markup {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    html! { "awake" }
}

/// An island whose props are large enough to travel by `POST`.
#[mochi::island(defer)]
fn long_text(text: String) -> Markup {
    html! { p { (text.len()) } }
}

/// A hydrated island.
#[mochi::island(client = "static/probe.js")]
fn probe(label: String) -> Markup {
    html! { span { (label) } }
}

fn document(title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html { head { title { (title) } (mochi::runtime_script()) } body { (body) } }
    }
    .into_string()
}

/// A page, rendered the same on both servers: its `Cache-Control` and
/// body.
fn render(page: &str) -> (&'static str, String) {
    match page {
        "home" => (
            "public, max-age=60",
            document(
                "home",
                html! {
                    (greeting(true).fallback(html! { "…" }))
                    (greeting(false))
                    (price(1250))
                    (probe("one".into())) (probe("one".into())) (probe("two".into()))
                    (missing(7)) (exploding(1)) (sleepy(500)) (failing(2)) (down(3))
                    (long_text("x".repeat(6000)))
                },
            ),
        ),
        "stream" => (
            "private, no-store",
            document(
                "stream",
                html! { (greeting(true).stream()) (price(99).stream()) (missing(3).stream()) },
            ),
        ),
        "where" => (
            "no-cache",
            document(
                "where",
                html! { p.where { (mochi::request_context().path()) } (greeting(true)) },
            ),
        ),
        _ => (
            "no-cache",
            mochi::fragment(|| html! { (greeting(false)) (probe("frag".into())) }).into_string(),
        ),
    }
}

async fn actix_page(path: web::Path<String>) -> HttpResponse {
    let (cache, body) = render(&path);
    assert!(path.as_str() != "panic", "the page panics");
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("cache-control", cache))
        .body(body)
}

async fn axum_page(
    axum::extract::Path(page): axum::extract::Path<String>,
) -> axum::response::Response {
    let (cache, body) = render(&page);
    assert!(page != "panic", "the page panics");
    (
        [
            ("content-type", "text/html; charset=utf-8"),
            ("cache-control", cache),
        ],
        body,
    )
        .into_response()
}

/// A mount's index page: the home page.
async fn actix_index() -> HttpResponse {
    actix_page(web::Path::from("home".to_owned())).await
}

async fn axum_index() -> axum::response::Response {
    axum_page(axum::extract::Path("home".to_owned())).await
}

async fn not_found() -> axum::http::StatusCode {
    axum::http::StatusCode::NOT_FOUND
}

fn mochi() -> Mochi {
    let key =
        mochi::Key::from_base64url("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8").expect("key");
    // A short island timeout: a stalled `POST` body is answered 408 soon.
    Mochi::builder(key)
        .island_timeout(Duration::from_secs(1))
        .build()
        .expect("mochi starts")
}

fn start_actix(mochi: Mochi) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                App::new()
                    // As the shop runs: outside mochi, which answers its
                    // assets precompressed; `Compress` must leave them alone.
                    .wrap(actix_web::middleware::Compress::default())
                    .app_data(web::Data::new(Region("eu-west")))
                    .service(
                        web::scope("/shop")
                            .wrap(mochi.clone())
                            .route("", web::get().to(actix_index))
                            .route("/p/{page}", web::get().to(actix_page)),
                    )
                    .service(
                        web::scope("")
                            .wrap(mochi.clone())
                            .route("/p/{page}", web::get().to(actix_page)),
                    )
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

fn start_axum(mochi: Mochi) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let pages = || axum::Router::new().route("/p/{page}", axum::routing::get(axum_page));
            let shop = pages().route("/", axum::routing::get(axum_index));
            let app = pages()
                // A nested router's layer sees only what the router answers:
                // its own fallback keeps `/shop/_mochi/…` inside it.
                .nest("/shop", shop.fallback(not_found).layer(mochi.layer()))
                .layer(mochi.layer())
                .layer(Extension(Region("eu-west")));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("address"))
                .expect("send address");
            axum::serve(listener, app).await.expect("serve");
        })
    });
    rx.recv().expect("address")
}

/// A response as it came off the socket.
#[derive(Debug, PartialEq)]
struct Raw {
    status: u16,
    /// Lowercase names, sorted, without the ones framing sets.
    headers: Vec<(String, String)>,
    body: String,
    /// The body's bytes (an encoded one is not text).
    bytes: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        let mut all = self.headers.iter();
        all.find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Sends `head` (its lines, without the request line's `HTTP/1.1`) and
/// `body` to `addr` and reads the whole answer.
/// The W3C spec's example trace, sent with every request here.
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn send(addr: SocketAddr, method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> Raw {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut req = format!("{method} {target} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n");
    // One trace for every request, so a page's trace (its meta, its
    // preload URLs) is the same on both servers.
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("traceparent"))
    {
        req.push_str(&format!("traceparent: {TRACEPARENT}\r\n"));
    }
    for (name, value) in headers {
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        req.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines.next().expect("status line")[9..12]
        .parse()
        .expect("status");
    let mut headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    if headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v == "chunked")
    {
        body = dechunk(&body);
    }
    headers.retain(|(n, _)| !matches!(n.as_str(), "date" | "content-length" | "transfer-encoding"));
    headers.sort();
    Raw {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        bytes: body,
    }
}

fn dechunk(mut chunked: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = chunked
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size");
        let size = std::str::from_utf8(&chunked[..line_end]).expect("hex");
        let size =
            usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16).expect("hex");
        chunked = &chunked[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&chunked[..size]);
        chunked = &chunked[size + 2..];
    }
}

/// The two servers, started once for the whole suite.
struct Servers {
    actix: SocketAddr,
    axum: SocketAddr,
}

fn servers() -> &'static Servers {
    static SERVERS: std::sync::OnceLock<Servers> = std::sync::OnceLock::new();
    SERVERS.get_or_init(|| {
        let mochi = mochi();
        Servers {
            actix: start_actix(mochi.clone()),
            axum: start_axum(mochi),
        }
    })
}

/// Sends the same request to both servers, asserts that they answer the
/// same, and returns the answer.
fn same(method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> Raw {
    let servers = servers();
    let mut actix = send(servers.actix, method, target, headers, body);
    let mut axum = send(servers.axum, method, target, headers, body);
    // A fragment's ids are random by design (no other response may use
    // them): compare where they are, not what they say.
    for raw in [&mut actix, &mut axum] {
        raw.body = mask_fragment_ids(&raw.body);
        if std::str::from_utf8(&raw.bytes).is_ok() {
            raw.bytes = raw.body.clone().into_bytes();
        }
    }
    assert_eq!(
        actix, axum,
        "{method} {target} answers differently on actix (left) and axum (right)"
    );
    actix
}

/// `html` with the random part of each fragment id (`f` and 8 letters or
/// digits, after `"` or `mochi-props-`) replaced by `*`.
fn mask_fragment_ids(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find(['"', '-']) {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let id = rest.as_bytes();
        let random = id.len() > 10
            && id[0] == b'f'
            && id[1..9].iter().all(u8::is_ascii_alphanumeric)
            && id[9] == b'-';
        if random {
            out.push_str("f*");
            rest = &rest[9..];
        }
    }
    out.push_str(rest);
    out
}

/// The first `attr="…"` value after `after` in `html`.
fn attr<'a>(html: &'a str, after: &str, attr: &str) -> &'a str {
    let from = html
        .find(after)
        .unwrap_or_else(|| panic!("{after} in {html}"));
    let rest = &html[from..];
    let start = rest.find(&format!("{attr}=\"")).expect("attribute") + attr.len() + 2;
    let end = rest[start..].find('"').expect("closing quote");
    &rest[start..start + end]
}

fn island_target(page: &str, name: &str) -> String {
    let at = format!("component-name=\"{name}\"");
    let token = attr(page, &at, "signed-props");
    let id = attr(page, &at, "island-id");
    format!("/_mochi/island/{name}?p={token}&i={id}")
}

#[test]
fn a_page_is_finished_the_same() {
    let page = same("GET", "/p/home", &[], "");
    assert_eq!(page.status, 200);
    assert!(
        page.header("link")
            .is_some_and(|l| l.contains("rel=preload")),
        "{page:?}"
    );
    assert!(page
        .header("vary")
        .is_some_and(|v| v.contains("HX-Request")));
    assert!(page.body.contains("mochi-props-"));
}

#[test]
fn a_fragment_is_finished_the_same() {
    let page = same("GET", "/p/fragment", &[("hx-request", "true")], "");
    assert!(page.body.contains("island-id=\"f*-i0\""), "{}", page.body);
}

#[test]
fn islands_answer_the_same_and_tokens_cross_servers() {
    let servers = servers();
    // Minted by actix, verified by both.
    let page = send(servers.actix, "GET", "/p/home", &[], "").body;
    let cookie = [("cookie", "user=ann"), ("accept", "text/html")];
    let answer = same("GET", &island_target(&page, "Greeting"), &cookie, "");
    assert_eq!(answer.status, 200);
    assert!(
        answer.body.contains("Hello, ann in eu-west!"),
        "{}",
        answer.body
    );
    // Minted by axum.
    let page = send(servers.axum, "GET", "/p/home", &[], "").body;
    let answer = same("GET", &island_target(&page, "Price"), &[], "");
    assert_eq!(answer.header("cache-control"), Some("public, max-age=60"));
    assert_eq!(answer.body, r#"<span class="price">12.50</span>"#);
    // HEAD answers as GET does, without a body.
    let head = same("HEAD", &island_target(&page, "Price"), &[], "");
    assert_eq!((head.status, head.body.as_str()), (200, ""));
}

#[test]
fn island_errors_answer_the_same() {
    let page = send(servers().actix, "GET", "/p/home", &[], "").body;
    assert_eq!(
        same("GET", &island_target(&page, "Missing"), &[], "").status,
        404
    );
    assert_eq!(
        same("GET", &island_target(&page, "Exploding"), &[], "").status,
        500
    );
    assert_eq!(
        same("GET", &island_target(&page, "Sleepy"), &[], "").status,
        504
    );
    let tampered = island_target(&page, "Price").replace("p=", "p=x");
    assert_eq!(same("GET", &tampered, &[], "").status, 403);
    let other = island_target(&page, "Price").replace("/Price?", "/Missing?");
    assert_eq!(same("GET", &other, &[], "").status, 403);
    assert_eq!(
        same("GET", "/_mochi/island/NoSuchIsland?p=a&i=i0", &[], "").status,
        404
    );
    assert_eq!(same("GET", "/_mochi/island/Price", &[], "").status, 400);
    let refused = same("DELETE", &island_target(&page, "Price"), &[], "");
    assert_eq!(
        (refused.status, refused.header("allow")),
        (405, Some("GET, HEAD, POST"))
    );
    assert_eq!(same("GET", "/_mochi/nothing-here", &[], "").status, 404);
}

#[test]
fn posted_islands_and_cross_site_refusals_answer_the_same() {
    let page = send(servers().axum, "GET", "/p/home", &[], "").body;
    let at = "component-name=\"LongText\"";
    assert_eq!(attr(&page, at, "transport"), "post");
    let form = format!(
        "p={}&i={}",
        attr(&page, at, "signed-props"),
        attr(&page, at, "island-id")
    );
    let form_type = ("content-type", "application/x-www-form-urlencoded");
    let answer = same("POST", "/_mochi/island/LongText", &[form_type], &form);
    assert_eq!((answer.status, answer.body.as_str()), (200, "<p>6000</p>"));
    let cross = [form_type, ("sec-fetch-site", "cross-site")];
    assert_eq!(
        same("POST", "/_mochi/island/LongText", &cross, &form).status,
        403
    );
}

#[test]
fn batches_answer_the_same() {
    let page = same("GET", "/p/home", &[], "");
    let link = page.header("link").expect("preload links");
    let batch = link
        .split(',')
        .find_map(|l| {
            l.trim()
                .strip_prefix('<')?
                .split_once('>')
                .map(|(url, _)| url)
        })
        .filter(|url| url.contains("/batch"))
        .unwrap_or_else(|| panic!("a batch URL in {link}"));
    let answer = same("GET", batch, &[("cookie", "user=bo")], "");
    assert_eq!(answer.status, 200);
    assert!(
        answer.body.contains("Hello, bo in eu-west"),
        "{}",
        answer.body
    );
}

#[test]
fn streamed_islands_arrive_the_same() {
    let page = same("GET", "/p/stream", &[("cookie", "user=cy")], "");
    assert_eq!(page.header("cache-control"), Some("private, no-store"));
    assert_eq!(page.header("x-accel-buffering"), Some("no"));
    assert!(page.body.contains("Hello, cy in eu-west!"), "{}", page.body);
    assert!(page.body.trim_end().ends_with("</html>"));
}

#[test]
fn assets_answer_the_same() {
    let page = same("GET", "/p/home", &[], "").body;
    let runtime = attr(&page, "<script", "src").to_owned();
    let js = same("GET", &runtime, &[], "");
    assert_eq!(js.status, 200);
    assert!(js
        .header("content-type")
        .is_some_and(|t| t.contains("javascript")));
    let module = attr(&page, "component-name=\"Probe\"", "client").to_owned();
    assert_eq!(same("GET", &module, &[], "").status, 200);
    // Precompressed, as the request prefers; each decodes to the text.
    for asset in [&runtime, &module] {
        let plain = same("GET", asset, &[], "");
        assert_eq!(plain.header("content-encoding"), None);
        assert_eq!(plain.header("vary"), Some("Accept-Encoding"));
        let br = same(
            "GET",
            asset,
            &[("accept-encoding", "gzip, deflate, br")],
            "",
        );
        assert_eq!(br.header("content-encoding"), Some("br"));
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut &br.bytes[..], &mut decoded).expect("brotli");
        assert_eq!(decoded, plain.bytes, "{asset} by brotli");
        assert!(br.bytes.len() < plain.bytes.len(), "{asset} smaller");
        let gzip = same("GET", asset, &[("accept-encoding", "gzip")], "");
        assert_eq!(gzip.header("content-encoding"), Some("gzip"));
        let mut decoded = Vec::new();
        let mut decoder = flate2::read::GzDecoder::new(&gzip.bytes[..]);
        std::io::Read::read_to_end(&mut decoder, &mut decoded).expect("gzip");
        assert_eq!(decoded, plain.bytes, "{asset} by gzip");
        let refused = [("accept-encoding", "br;q=0, gzip;q=0")];
        assert_eq!(same("GET", asset, &refused, "").bytes, plain.bytes);
    }
}

#[test]
fn limits_answer_the_same() {
    let long = format!("/_mochi/island/Price?p={}&i=i0", "a".repeat(9000));
    assert_eq!(same("GET", &long, &[], "").status, 414);
    let form_type = ("content-type", "application/x-www-form-urlencoded");
    let big = "p=".to_owned() + &"a".repeat(70 * 1024);
    let answer = same("POST", "/_mochi/island/LongText", &[form_type], &big);
    assert_eq!(answer.status, 413);
}

#[test]
fn a_page_that_panics_answers_the_same() {
    let answer = same("GET", "/p/panic", &[], "");
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (500, "internal server error")
    );
}

#[test]
fn a_mounted_app_writes_and_answers_its_own_urls() {
    let page = same("GET", "/shop/p/home", &[], "");
    let runtime = attr(&page.body, "<script", "src");
    assert!(runtime.starts_with("/shop/_mochi/runtime-"), "{runtime}");
    assert!(page
        .header("link")
        .is_some_and(|l| l.contains("</shop/_mochi/batch?")));
    let target = format!("/shop{}", island_target(&page.body, "Greeting"));
    let answer = same("GET", &target, &[("cookie", "user=di")], "");
    assert!(
        answer.body.contains("Hello, di in eu-west!"),
        "{}",
        answer.body
    );
    // The path a page sees is the one the browser asked for.
    let page = same("GET", "/shop/p/where", &[], "");
    assert!(
        page.body.contains(r#"<p class="where">/shop/p/where</p>"#),
        "{}",
        page.body
    );
    // The mount's own index page points at the mount's URLs too.
    let index = same("GET", "/shop", &[], "");
    let runtime = attr(&index.body, "<script", "src");
    assert!(runtime.starts_with("/shop/_mochi/runtime-"), "{runtime}");
}

/// Every other row of the bad-input table in `docs/protocol.md`, on both
/// servers.
#[test]
fn bad_input_answers_the_same() {
    let page = send(servers().actix, "GET", "/p/home", &[], "").body;
    let price = island_target(&page, "Price");
    let status = |method: &str, target: &str, headers: &[(&str, &str)], body: &str| {
        same(method, target, headers, body).status
    };
    // Methods, names and paths.
    let other = same("DELETE", "/_mochi/runtime-0.js", &[], "");
    assert_eq!(
        (other.status, other.header("allow")),
        (405, Some("GET, HEAD"))
    );
    assert_eq!(
        status("GET", "/_mochi/island/1bad?p=a.b&i=i0", &[], ""),
        404
    );
    let hydrated_only = price.replace("/Price?", "/Probe?");
    assert_eq!(status("GET", &hydrated_only, &[], ""), 404);
    assert_eq!(
        status("GET", "/_mochi/runtime-0000000000000000.js", &[], ""),
        404
    );
    // Cross-site, by `Origin`.
    let foreign = [("origin", "https://evil.test")];
    assert_eq!(status("GET", &price, &foreign, ""), 403);
    let own = [("origin", "http://localhost")];
    assert_eq!(status("GET", &price, &own, ""), 200);
    // Bodies.
    let text = [("content-type", "text/plain")];
    assert_eq!(
        status("POST", "/_mochi/island/LongText", &text, "p=a&i=i0"),
        415
    );
    // Parameters and tokens.
    let (path, query) = price.split_once('?').expect("a query");
    let token = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("p="))
        .expect("p");
    assert_eq!(status("GET", &format!("{path}?i=i0"), &[], ""), 400);
    assert_eq!(
        status("GET", &format!("{path}?p={token}&p={token}&i=i0"), &[], ""),
        400
    );
    assert_eq!(
        status("GET", &format!("{path}?p={token}&i=bad*id"), &[], ""),
        400
    );
    assert_eq!(
        status("GET", &format!("{path}?p=no-dot&i=i0"), &[], ""),
        400
    );
    assert_eq!(
        status("GET", &format!("{path}?p={token}=&i=i0"), &[], ""),
        400
    );
    // Batches.
    assert_eq!(status("GET", "/_mochi/batch", &[], ""), 400);
    assert_eq!(
        status("GET", "/_mochi/batch?i=i0&n=Price&p=a.b", &[], ""),
        400
    );
    let cacheable = format!("/_mochi/batch?n=Price&i=i0&p={token}&n=Price&i=i1&p={token}");
    assert_eq!(status("GET", &cacheable, &[], ""), 400);
    let many: String = (0..33)
        .map(|n| format!("n=Greeting&i=i{n}&p=a.b&"))
        .collect();
    assert_eq!(
        status("GET", &format!("/_mochi/batch?{many}"), &[], ""),
        400
    );
    // What the island itself says.
    assert_eq!(
        same("GET", &island_target(&page, "Failing"), &[], "").status,
        500
    );
    let down = same("GET", &island_target(&page, "Down"), &[], "");
    assert_eq!(down.status, 503);
    assert!(
        down.body.starts_with("service unavailable"),
        "{}",
        down.body
    );
}

/// A `POST` body that stalls is answered 408 at the island timeout, and
/// the connection closed, on both servers.
#[test]
fn a_stalled_body_answers_the_same() {
    let servers = servers();
    let mut answers = Vec::new();
    for addr in [servers.actix, servers.axum] {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let head = "POST /_mochi/island/LongText HTTP/1.1\r\nhost: localhost\r\n\
                    content-type: application/x-www-form-urlencoded\r\n\
                    content-length: 100\r\n\r\np=a";
        stream.write_all(head.as_bytes()).expect("write");
        let mut raw = Vec::new();
        // The server closes the connection after its answer.
        stream.read_to_end(&mut raw).expect("read to the close");
        let raw = String::from_utf8_lossy(&raw).into_owned();
        answers.push(raw.lines().next().unwrap_or_default().to_owned());
    }
    assert_eq!(answers, ["HTTP/1.1 408 Request Timeout"; 2]);
}

//! Setup that cannot fail silently: middleware order, scopes, the builder
//! that starts from `MOCHI_KEY`, and warnings a flood of requests cannot
//! turn into a flood of log lines.

use actix_web::http::header;
use actix_web::middleware::{Compress, Logger};
use actix_web::test::{self as actix_test, TestRequest};
use actix_web::{web, App, HttpResponse};
use maud::{html, Markup};
use mochi::{Key, Mochi};

use mochi_tests::log_capture::{install, records_with};

/// Greets; the island every test here loads.
#[mochi::island(defer)]
fn setup_greeting(name: String) -> Markup {
    html! { p { "Hello, " (name) } }
}

async fn page() -> HttpResponse {
    let page = html! {
        head { (mochi::runtime_script()) }
        body { (setup_greeting("Ann".into())) }
    };
    HttpResponse::Ok().body(page.into_string())
}

fn mochi() -> Mochi {
    Mochi::builder(Key::generate()).build().unwrap()
}

/// The value of the first `attr="…"` in `html`.
fn attr<'h>(html: &'h str, attr: &str) -> &'h str {
    let start = html.find(&format!(" {attr}=\"")).expect("attribute") + attr.len() + 3;
    let len = html[start..].find('"').expect("closed");
    &html[start..start + len]
}

/// mochi wrapped first (innermost): Compress compresses its runtime and
/// Logger logs its island requests.
#[actix_web::test]
async fn wrapped_first_mochi_answers_pass_through_the_other_middleware() {
    install();
    let mochi = mochi();
    let app = actix_test::init_service(
        App::new()
            .wrap(mochi.clone())
            .wrap(Compress::default())
            .wrap(Logger::new("logged %r %s"))
            .route("/", web::get().to(page)),
    )
    .await;
    let res = actix_test::call_service(
        &app,
        TestRequest::get()
            .uri(mochi.runtime_url())
            .insert_header((header::ACCEPT_ENCODING, "gzip"))
            .to_request(),
    )
    .await;
    assert!(res.status().is_success());
    assert_eq!(
        res.headers()
            .get(header::CONTENT_ENCODING)
            .map(|v| v.as_bytes()),
        Some(&b"gzip"[..]),
        "the runtime is compressed"
    );

    let html = actix_test::call_and_read_body(&app, TestRequest::get().uri("/").to_request()).await;
    let html = String::from_utf8(html.to_vec()).unwrap();
    let uri = format!(
        "/_mochi/island/SetupGreeting?p={}&i={}",
        attr(&html, "signed-props"),
        attr(&html, "island-id")
    );
    let res = actix_test::call_service(&app, TestRequest::get().uri(&uri).to_request()).await;
    assert!(res.status().is_success());
    // Logger writes its line once the body has gone out.
    assert_eq!(&actix_test::read_body(res).await[..], b"<p>Hello, Ann</p>");
    let logged = records_with("logged GET /_mochi/island/SetupGreeting");
    assert_eq!(logged.len(), 1, "the island request is logged: {logged:?}");
}

/// In a scope, mochi serves under the scope and the page points there.
#[actix_web::test]
async fn a_scoped_mochi_serves_under_its_scope() {
    let mochi = mochi();
    let app = actix_test::init_service(
        App::new().service(
            web::scope("/shop")
                .wrap(mochi.clone())
                .route("/", web::get().to(page)),
        ),
    )
    .await;
    let html =
        actix_test::call_and_read_body(&app, TestRequest::get().uri("/shop/").to_request()).await;
    let html = String::from_utf8(html.to_vec()).unwrap();
    let runtime = format!("/shop{}", mochi.runtime_url());
    assert!(html.contains(&format!(r#"src="{runtime}""#)), "{html}");

    let res = actix_test::call_service(&app, TestRequest::get().uri(&runtime).to_request()).await;
    assert!(
        res.status().is_success(),
        "runtime under the scope: {}",
        res.status()
    );
    let uri = format!(
        "/shop/_mochi/island/SetupGreeting?p={}&i=i0",
        attr(&html, "signed-props")
    );
    let answer =
        actix_test::call_and_read_body(&app, TestRequest::get().uri(&uri).to_request()).await;
    assert_eq!(&answer[..], b"<p>Hello, Ann</p>");
}

/// `MochiBuilder::from_env` keeps `Mochi::from_env`'s warning about a
/// random key, and reads `MOCHI_KEY` when it is set. (The only test in this
/// binary that touches the environment.)
#[test]
fn the_env_builder_warns_about_a_random_key() {
    install();
    std::env::remove_var("MOCHI_KEY");
    std::env::remove_var("MOCHI_KEY_FALLBACKS");
    let before = records_with("MOCHI_KEY is not set").len();
    let random = mochi::MochiBuilder::from_env()
        .unwrap()
        .asset_prefix("/assets/m")
        .build()
        .unwrap();
    assert_eq!(random.asset_prefix(), "/assets/m");
    let warnings = records_with("MOCHI_KEY is not set");
    assert_eq!(warnings.len(), before + 1, "{warnings:?}");
    assert!(warnings[before].starts_with("WARN"), "{}", warnings[before]);
    assert!(
        warnings[before].contains("/dev/urandom"),
        "says how to make a key"
    );

    std::env::set_var("MOCHI_KEY", Key::generate().to_base64url());
    mochi::MochiBuilder::from_env().unwrap().build().unwrap();
    assert_eq!(records_with("MOCHI_KEY is not set").len(), before + 1);

    std::env::set_var("MOCHI_KEY", "A".repeat(43));
    let err = mochi::MochiBuilder::from_env().unwrap_err().to_string();
    assert!(
        err.contains("MOCHI_KEY") && err.contains("all the same"),
        "{err}"
    );
    std::env::remove_var("MOCHI_KEY");
}

/// Oversized props on every request: one warning, not one per request.
#[mochi::island(defer)]
fn flood(q: String) -> Markup {
    html! { (q) }
}

async fn search(q: web::Query<std::collections::HashMap<String, String>>) -> HttpResponse {
    let q = q.get("q").cloned().unwrap_or_default();
    let page = html! { (mochi::runtime_script()) (flood(q)) };
    HttpResponse::Ok().body(page.into_string())
}

#[actix_web::test]
async fn a_request_flood_logs_each_warning_once() {
    install();
    let app = actix_test::init_service(
        App::new()
            .wrap(mochi())
            .route("/search", web::get().to(search)),
    )
    .await;
    for n in 0..200 {
        let uri = format!("/search?q={n}{}", "x".repeat(1500));
        let res = actix_test::call_service(&app, TestRequest::get().uri(&uri).to_request()).await;
        assert!(res.status().is_success());
    }
    let warnings = records_with("island `Flood`");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
}

/// Fails on every request.
#[mochi::island(defer)]
fn flood_failing(n: u32) -> Result<Markup, String> {
    Err(format!("failing on purpose ({n})"))
}

#[actix_web::test]
async fn a_flood_of_failing_island_requests_logs_a_line_per_interval() {
    install();
    let mochi = mochi();
    let app = actix_test::init_service(App::new().wrap(mochi.clone())).await;
    let token = mochi.render_page(|| flood_failing(1).signed_props().unwrap().to_owned());
    for _ in 0..200 {
        let uri = format!("/_mochi/island/FloodFailing?p={token}");
        let res = actix_test::call_service(&app, TestRequest::get().uri(&uri).to_request()).await;
        assert_eq!(res.status().as_u16(), 500);
    }
    // 200 failures within a few seconds: the first is logged, the rest are
    // counted into the next line, due after the interval.
    let errors = records_with("island `FloodFailing` failed");
    assert_eq!(errors.len(), 1, "{errors:?}");
}

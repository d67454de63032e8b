//! Warnings mochi owes its users: oversized signed props (and props too
//! large to ever load, an error at render), and a page that renders
//! islands without the client runtime.

use actix_web::{test as actix_test, web, App, HttpResponse};
use maud::{html, Markup};

use mochi_tests::log_capture::{install, records_with};

/// Renders whatever text it is given.
#[mochi::island(defer)]
fn big_props(text: String) -> Markup {
    html! { (text) }
}

fn mochi() -> mochi::Mochi {
    mochi::Mochi::builder(mochi::Key::generate())
        .build()
        .unwrap()
}

#[test]
fn oversized_signed_props_warn_with_name_and_size() {
    install();
    let m = mochi();
    let small = m.render_page(|| big_props("a".repeat(100)).signed_props().map(str::len));
    assert!(small.unwrap() < 1800);
    assert!(
        records_with("BigProps").is_empty(),
        "no warning under the limit"
    );

    let big = m.render_page(|| big_props("a".repeat(2000)).signed_props().map(str::len));
    let len = big.expect("signed");
    let warnings = records_with("island `BigProps`");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with("WARN"), "{}", warnings[0]);
    assert!(
        warnings[0].contains(&format!("{len} bytes")),
        "{}",
        warnings[0]
    );
}

/// Renders whatever text it is given; its own name, so the records of the
/// test above stay its own.
#[mochi::island(defer)]
fn huge_props(text: String) -> Markup {
    html! { (text) }
}

#[test]
fn props_too_large_to_load_are_an_error_at_render() {
    install();
    let m = mochi();
    // 2 KB: a warning, no error.
    m.render_page(|| huge_props("b".repeat(2_000)).signed_props().map(str::len));
    // 100 KB: a token of ~133 KB, over the 64 KiB body limit. Logged at
    // render, with the island, its size and the limit; and warned about
    // again despite the first warning (another size class).
    let (len, post) = m.render_page(|| {
        let island = huge_props("c".repeat(100_000));
        (island.signed_props().map(str::len), island.is_post())
    });
    assert!(post, "too large for a URL");
    let len = len.expect("signed");
    let records = records_with("island `HugeProps`");
    let errors: Vec<_> = records.iter().filter(|r| r.starts_with("ERROR")).collect();
    assert_eq!(errors.len(), 1, "{records:?}");
    let body = len + "p=&i=i0".len();
    assert!(
        errors[0].contains(&format!("{body}-byte POST body")),
        "{}",
        errors[0]
    );
    assert!(errors[0].contains("65536-byte limit (MochiBuilder::max_body_len)"));
    assert!(errors[0].contains("413"), "{}", errors[0]);
    let warnings = records.iter().filter(|r| r.starts_with("WARN")).count();
    assert_eq!(warnings, 2, "one per size class: {records:?}");
}

async fn forgetful_page() -> HttpResponse {
    HttpResponse::Ok().body(html! { (big_props("x".into())) }.into_string())
}

async fn careful_page() -> HttpResponse {
    HttpResponse::Ok()
        .body(html! { (mochi::runtime_script()) (big_props("x".into())) }.into_string())
}

#[actix_web::test]
async fn a_page_without_the_runtime_is_not_silent() {
    install();
    let app = actix_test::init_service(
        App::new()
            .wrap(mochi())
            .route("/forgot", web::get().to(forgetful_page))
            .route("/careful", web::get().to(careful_page)),
    )
    .await;
    for path in ["/careful", "/forgot", "/forgot"] {
        let res =
            actix_test::call_service(&app, actix_test::TestRequest::get().uri(path).to_request())
                .await;
        assert!(res.status().is_success());
    }
    let warnings = records_with("not the client runtime");
    assert_eq!(warnings.len(), 1, "once per path: {warnings:?}");
    assert!(warnings[0].contains("/forgot"), "{}", warnings[0]);
    assert!(
        warnings[0].contains("mochi::runtime_script()"),
        "{}",
        warnings[0]
    );
}

/// A page whose island is to stream.
async fn streamed_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html! { (mochi::runtime_script()) (big_props("s".into()).stream()) }.into_string())
}

/// The same, answered 404.
async fn streamed_not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/html; charset=utf-8")
        .body(html! { (mochi::runtime_script()) (big_props("n".into()).stream()) }.into_string())
}

/// mochi wrapped after `Compress` (outside it): pages reach mochi already
/// encoded, which it says once per page, with the order to use; a page
/// that asked to stream and could not says why.
#[actix_web::test]
async fn compression_inside_mochi_and_pages_that_cannot_stream_are_not_silent() {
    install();
    let app = actix_test::init_service(
        App::new()
            .wrap(actix_web::middleware::Compress::default())
            .wrap(mochi())
            .route("/order/streamed", web::get().to(streamed_page))
            .route("/order/missing", web::get().to(streamed_not_found)),
    )
    .await;
    for path in ["/order/streamed", "/order/streamed", "/order/missing"] {
        let req = actix_test::TestRequest::get()
            .uri(path)
            .insert_header(("accept-encoding", "gzip"))
            .to_request();
        actix_test::call_service(&app, req).await;
    }
    let encoded = records_with("/order/streamed reached mochi already encoded");
    assert_eq!(encoded.len(), 1, "once per page: {encoded:?}");
    assert!(
        encoded[0].contains("Content-Encoding: gzip"),
        "{}",
        encoded[0]
    );
    assert!(encoded[0].contains("wrap mochi first"), "{}", encoded[0]);
    let refused = records_with("/order/streamed asked to stream 1 island(s) but cannot");
    assert_eq!(refused.len(), 1, "{refused:?}");
    let missing = records_with("/order/missing asked to stream 1 island(s) but cannot");
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(missing[0].contains("it answered 404"), "{}", missing[0]);
}

/// On axum: an encoding layer inside mochi's (added before it) is
/// detected the same way.
#[tokio::test]
async fn on_axum_compression_inside_mochi_is_not_silent() {
    use tower::ServiceExt as _;
    install();
    let mochi = mochi();
    // Stands in for a compression layer: it labels every answer encoded.
    let encode = axum::middleware::map_response(|mut res: axum::response::Response| async {
        let br = http::HeaderValue::from_static("br");
        res.headers_mut().insert(http::header::CONTENT_ENCODING, br);
        res
    });
    let page = || async {
        let body = html! { (mochi::runtime_script()) (big_props("a".into()).stream()) };
        axum::response::Html(body.into_string())
    };
    let app = axum::Router::new()
        .route("/axum-order", axum::routing::get(page))
        .layer(encode)
        .layer(mochi.layer());
    let req = http::Request::get("/axum-order").body(axum::body::Body::empty());
    let res = app
        .oneshot(req.expect("a request"))
        .await
        .expect("infallible");
    assert_eq!(res.headers().get("x-accel-buffering"), None, "not streamed");
    let encoded = records_with("/axum-order reached mochi already encoded");
    assert_eq!(encoded.len(), 1, "{encoded:?}");
    assert!(encoded[0].contains(".layer(mochi.layer()).layer(CompressionLayer::new())"));
}

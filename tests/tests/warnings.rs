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

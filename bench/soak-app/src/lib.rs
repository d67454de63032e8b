//! The app the soak loads (`bench/soak.py`, method and results in
//! `RELIABILITY.md`): the benchmark page and its three fast server islands
//! from `example-bench-page`, plus three islands that fail on purpose.
//!
//! Run it with `cargo run --release -p example-soak` (`PORT` picks the
//! port, default 8080; `MOCHI_KEY` the signing key; `WORKERS` the number of
//! actix workers, default one per usable core).
//!
//! | route | what it is | answer |
//! |---|---|---|
//! | `/` | the benchmark page: a ~5 KB article, three server islands | `200` |
//! | `/_mochi/island/{Avatar,CartCount,Greeting}` | the fast islands | `200` |
//! | `/faults` | a page with one of each faulty island | `200` |
//! | `/_mochi/island/Slow` | answers after [`SLOW`] (a slow backend) | `200` |
//! | `/_mochi/island/Panicking` | panics (a bug) | `500` |
//! | `/_mochi/island/Overdue` | waits [`OVERDUE_SLEEP`], past its 200 ms deadline | `504` |
//!
//! Any island request with `Sec-Fetch-Site: cross-site` gets `403`: mochi's
//! default, nothing here asks for it.

use std::time::Duration;

use actix_web::{web, HttpResponse};
use maud::{html, Markup, DOCTYPE};
use mochi::island;

/// How long [`slow`] takes.
pub const SLOW: Duration = Duration::from_millis(300);
/// How long [`overdue`] would take: well past its deadline.
pub const OVERDUE_SLEEP: Duration = Duration::from_secs(2);

/// A slow backend: answers after [`SLOW`].
#[island(defer)]
pub async fn slow(n: u32) -> Markup {
    actix_web::rt::time::sleep(SLOW).await;
    html! { span.slow { "slow " (n) } }
}

/// A bug: panics on every render. mochi answers `500` and the worker keeps
/// serving.
#[island(defer)]
pub fn panicking(n: u32) -> Markup {
    if n < u32::MAX {
        panic!("example-soak: the Panicking island panics on purpose");
    }
    html! { (n) }
}

/// Waits longer than its deadline allows: mochi answers `504` at 200 ms and
/// drops the render.
#[island(defer, timeout = "200ms")]
pub async fn overdue(n: u32) -> Markup {
    actix_web::rt::time::sleep(OVERDUE_SLEEP).await;
    html! { span.overdue { (n) } }
}

/// The page holding one of each faulty island, from which the soak takes
/// their signed props.
pub fn faults_page() -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "Faults" }
                (mochi::runtime_script())
            }
            body {
                h1 { "Islands that fail on purpose" }
                p { (slow(1).fallback(html! { "slow…" })) }
                p { (panicking(2).fallback(html! { "this one panics" })) }
                p { (overdue(3).fallback(html! { "this one is never on time" })) }
            }
        }
    }
}

fn html_response(body: Markup) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body.into_string())
}

async fn index() -> HttpResponse {
    html_response(example_bench_page::mochi_page())
}

async fn faults() -> HttpResponse {
    html_response(faults_page())
}

/// The soak app: every route under `mochi`.
pub fn app(
    mochi: mochi::Mochi,
) -> actix_web::App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    actix_web::App::new()
        .wrap(mochi)
        .route("/", web::get().to(index))
        .route("/faults", web::get().to(faults))
}

//! The shop: mochi's main example, a product page whose personal parts are
//! server islands and whose interactive parts are hydrated islands.
//!
//! Run it with `cargo run -p example-shop` and open <http://127.0.0.1:8080/>
//! (`PORT` changes the port, `MOCHI_KEY` sets the signing key).
//!
//! The app is a library so the browser tests can serve exactly this app;
//! `main.rs` only adds the server around [`app`].

use std::time::Duration;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use maud::{html, Markup, DOCTYPE};
use mochi::island;
use serde::Deserialize;

/// Greets the user named by the `user` cookie.
#[island(defer)]
pub fn user_avatar() -> Markup {
    let user = mochi::request_context()
        .and_then(|cx| cx.cookie("user"))
        .unwrap_or_else(|| "guest".into());
    html! { span.avatar { "Welcome back, " (user) "!" } }
}

/// The number of items in the `cart` cookie.
#[island(defer)]
pub fn cart_count() -> Markup {
    let n: u32 = mochi::request_context()
        .and_then(|cx| cx.cookie("cart"))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    html! { span.cart { (n) " items" } }
}

/// Products bought together with `product_id`, from a slow backend.
#[island(defer)]
pub async fn recommendations(product_id: u32) -> Markup {
    // Stands in for a recommendation service call.
    tokio::time::sleep(Duration::from_millis(200)).await;
    html! {
        ul.recommendations {
            @for n in 1..=3 {
                li { "Product " (product_id * 10 + n) }
            }
        }
    }
}

/// Search results for `q`, rendered per user after the page.
#[island(defer)]
pub fn search_results(q: String) -> Markup {
    html! { p.results { "Results for " (q) } }
}

/// A button that counts clicks, starting at `start`.
#[island(client = "static/counter.js")]
pub fn counter(start: i64, label: String) -> Markup {
    html! { button.counter type="button" { (label) ": " span.count { (start) } } }
}

/// Shows the search query; the client module copies it into the page title.
#[island(client = "static/query.js")]
pub fn query_echo(q: String) -> Markup {
    html! { p.query-echo { "You searched for " q { (q) } } }
}

/// Just enough CSS to look like a shop (styles are not scripts: the strict
/// `script-src` policy leaves them alone).
const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;\
padding:0 1rem;color:#222}header{display:flex;gap:.5rem;align-items:baseline;flex-wrap:wrap}\
header h1{flex:1 0 100%}button{font:inherit;padding:.3rem .8rem;margin:.2rem;border-radius:1rem;\
border:1px solid #c99;background:#fff5f5;cursor:pointer}.skeleton{color:#999}";

fn layout(title: &str, body: Markup) -> HttpResponse {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (title) }
                style { (STYLE) }
                (mochi::runtime_script())
            }
            body { (body) }
        }
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        // Strict CSP: mochi needs no inline script.
        .insert_header((header::CONTENT_SECURITY_POLICY, "script-src 'self'"))
        .body(page.into_string())
}

async fn index() -> HttpResponse {
    layout(
        "Mochi Shop",
        html! {
            header {
                h1 { "Mochi Shop" }
                (user_avatar().fallback(html! { span.skeleton { "Loading…" } }))
                " · "
                (cart_count().fallback(html! { "… items" }))
            }
            main {
                h2 { "Strawberry daifuku" }
                p { "Soft mochi around sweet bean paste and a whole strawberry. 4.50 €" }
                (counter(0, "Add to cart".into()))
                (counter(0, "Add to cart".into()))
                (counter(10, "Likes".into()))
                // Room enough that what follows starts below the fold.
                div.spacer style="height: 3000px" {}
                (recommendations(42)
                    .fallback(html! { p { "Loading recommendations…" } })
                    .root_margin("100px"))
                (counter(100, "Visible".into()).hydrate(mochi::Hydrate::visible()))
            }
        },
    )
}

/// The search page's query.
#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    /// What was searched for.
    #[serde(default)]
    pub q: String,
}

async fn search(query: web::Query<SearchQuery>) -> HttpResponse {
    let q = &query.q;
    layout(
        "Search · Mochi Shop",
        html! {
            h1 { "Search" }
            (query_echo(q.clone()))
            (search_results(q.clone()).fallback(html! { p { "Searching…" } }))
        },
    )
}

/// Registers the shop's pages; wrap the `App` with a [`mochi::Mochi`] too.
pub fn app(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
        .route("/search", web::get().to(search));
}

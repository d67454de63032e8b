//! The pages of the time-to-islands benchmark (issue 13): one small
//! document with 3 or 20 server islands, one of them taking [`SLOW`], in
//! each of the ways mochi can deliver them, and the plain page they are
//! measured against.
//!
//! Run it with `cargo run --release -p example-bench-latency` (`PORT`
//! picks the port, default 8080; `MOCHI_KEY` the signing key; `WORKERS`
//! the number of actix workers), then open e.g.
//! <http://127.0.0.1:8080/deferred/3>. The benchmark itself is
//! `node bench/latency.mjs`, which builds and starts this binary and the
//! Astro peer (`bench/astro-peer`) on its own; `BENCHMARKS.md` ("Time to
//! islands") has the method and the results.
//!
//! # Pages
//!
//! Every page is `/{variant}/{n}` with `n` islands, 3 to 100: `User` and
//! `Cart` in the header, `Slow` (which sleeps [`SLOW`] before it answers)
//! in the article, and `n − 3` `Item`s in a list.
//!
//! | variant | mochi | what the browser gets |
//! |---|---|---|
//! | `plain` | none | the final HTML of every island, once the handler has slept [`SLOW`]; no script |
//! | `streamed` | defaults | every island `.stream()`: the page at once with each fallback in place, then each island's `<template for>` at the end of the same response as it is rendered |
//! | `batched` | defaults | each island's fallback in a `<mochi-server-island>`, the runtime script, and one `Link: <…/batch?…>; rel=preload; as=fetch` naming every eager island (mochi's defaults) |
//! | `batched-nopreload` | `preload_islands(false)` | the `batched` page without its `Link` |
//! | `batched-runtimefirst` | defaults | an experiment: the `batched` page with `rel=modulepreload` of the runtime ahead of the batch's `Link` |
//! | `deferred` | `batch_islands(false)` | one request per island, and one preload `Link` per eager island (at most 16) |
//! | `nopreload` | `batch_islands(false)` | the `deferred` page without its `Link` headers |
//! | `runtimefirst` | `batch_islands(false)` | an experiment: the `deferred` page with `rel=modulepreload` of the runtime ahead of the islands' `Link`s |
//!
//! Each Mochi configuration is mounted in its own `web::scope`, so its
//! assets are served under it: `/batched/_mochi/…`,
//! `/batched-nopreload/_mochi/…`; the one-request-per-island pages sit at
//! the root with `/_mochi/…`. See [`Mochis`].
//!
//! The `runtimefirst` experiments ask whether the runtime, which every swap
//! waits for, should be preloaded ahead of the islands: over HTTP/1.1 the
//! browser opens six connections per host, and a page with more island
//! preloads than that queues the runtime's request behind them.
//!
//! The final HTML of every island carries a `data-done` attribute, every
//! fallback the class `fallback`, and the head `<meta name="bench-islands"
//! content="{n}">`: the harness counts a page done when its document holds
//! `n` `[data-done]` elements and no `.fallback` (a streamed part's HTML is
//! in a `<template>`'s content until the runtime moves it, and a template's
//! content is not part of the document). The Astro peer serves the same
//! document, islands and markers.

use actix_web::body::MessageBody;
use actix_web::dev::{Service as _, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::{web, App, HttpResponse};
use maud::{html, Markup, DOCTYPE};
use mochi::{island, Mochi, MochiBuilder, ServerIsland, StartupError};
use std::time::Duration;

/// How long the slow island (and the plain page) works before answering.
pub const SLOW: Duration = Duration::from_millis(300);
/// The user the `User` island greets.
pub const USER: &str = "Ada";
/// The `Cart` island's count.
pub const CART: u32 = 3;
/// The most islands a page may ask for.
pub const MAX_ISLANDS: u32 = 100;

// ---------------------------------------------------------------------------
// The islands' final HTML, shared by the islands and the plain page.

/// `<span class="user" data-done>Welcome back, {name}!</span>`
pub fn user_html(name: &str) -> Markup {
    html! { span.user data-done { "Welcome back, " (name) "!" } }
}

/// `<span class="cart" data-done>{count} items</span>`
pub fn cart_html(count: u32) -> Markup {
    html! { span.cart data-done { (count) " items" } }
}

/// The slow island's recommendation.
pub fn slow_html() -> Markup {
    html! { p.recommend data-done { "Recommended for you: kusa mochi." } }
}

/// One item of the list.
pub fn item_html(n: u32) -> Markup {
    html! { span.item data-done { "Item " (n) ": " (n * 100) " g of kirimochi" } }
}

// ---------------------------------------------------------------------------
// The islands.

/// Greets `name`.
#[island(defer)]
pub fn user(name: String) -> Markup {
    user_html(&name)
}

/// `count` items in the cart.
#[island(defer)]
pub fn cart(count: u32) -> Markup {
    cart_html(count)
}

/// The slow one: sleeps [`SLOW`] (without blocking the worker), then
/// answers.
#[island(defer)]
pub async fn slow() -> Markup {
    tokio::time::sleep(SLOW).await;
    slow_html()
}

/// Item `n` of the list.
#[island(defer)]
pub fn item(n: u32) -> Markup {
    item_html(n)
}

// ---------------------------------------------------------------------------
// The page.

/// How a page delivers its islands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The islands' final HTML is in the page itself.
    Plain,
    /// Server islands, fetched by the runtime (batched or not, preloaded or
    /// not: that is the Mochi configuration and the response's `Link`
    /// headers, not the HTML).
    Deferred,
    /// Streamed islands: rendered on the page's own request, their HTML
    /// written to the end of the same response.
    Streamed,
}

/// One island slot of the page.
#[derive(Debug, Clone, Copy)]
enum Slot {
    User,
    Cart,
    Slow,
    Item(u32),
}

impl Slot {
    fn done(self) -> Markup {
        match self {
            Slot::User => user_html(USER),
            Slot::Cart => cart_html(CART),
            Slot::Slow => slow_html(),
            Slot::Item(n) => item_html(n),
        }
    }

    fn fallback(self) -> Markup {
        match self {
            Slot::User => html! { span.fallback { "Loading…" } },
            Slot::Cart => html! { span.fallback { "… items" } },
            Slot::Slow => html! { p.fallback { "Loading recommendations…" } },
            Slot::Item(n) => html! { span.fallback { "Item " (n) "…" } },
        }
    }

    fn island(self) -> ServerIsland {
        match self {
            Slot::User => user(USER.into()),
            Slot::Cart => cart(CART),
            Slot::Slow => slow(),
            Slot::Item(n) => item(n),
        }
    }

    fn render(self, mode: Mode) -> Markup {
        match mode {
            Mode::Plain => self.done(),
            Mode::Deferred => html! { (self.island().fallback(self.fallback())) },
            Mode::Streamed => html! { (self.island().stream().fallback(self.fallback())) },
        }
    }
}

/// The page with `islands` islands (at least 3) delivered as `mode` says.
/// Deferred and streamed pages must be rendered under mochi (a request
/// through its middleware, or [`mochi::Mochi::render_page`], where streamed
/// islands are deferred ones).
pub fn page(islands: u32, mode: Mode) -> Markup {
    let items = islands.saturating_sub(3);
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Time to islands" }
                meta name="bench-islands" content=(islands);
                @if mode != Mode::Plain { (mochi::runtime_script()) }
            }
            body {
                header.site {
                    a.brand href="/" { "The Mochi Journal" }
                    div.account { (Slot::User.render(mode)) " · " (Slot::Cart.render(mode)) }
                }
                main {
                    article {
                        h1 { "A short history of rice cakes" }
                        p.lede {
                            "Mochi is made from glutinous rice that is steamed, then pounded "
                            "until it turns into a smooth, elastic dough. The result is soft, "
                            "chewy and mild, and it carries sweet and savoury fillings equally well."
                        }
                        (Slot::Slow.render(mode))
                        @if items > 0 {
                            ul.items {
                                @for n in 1..=items { li { (Slot::Item(n).render(mode)) } }
                            }
                        }
                        p {
                            "At New Year, two stacked discs of mochi topped with a bitter orange, "
                            "the kagami mochi, are set on the household altar and eaten in the "
                            "second week of January."
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Handlers.

fn islands(n: u32) -> Option<u32> {
    (3..=MAX_ISLANDS).contains(&n).then_some(n)
}

fn html_response(body: Markup) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(body.into_string())
}

fn not_found() -> HttpResponse {
    HttpResponse::NotFound().body(format!("pages have 3 to {MAX_ISLANDS} islands"))
}

/// `/plain/{n}`: waits as long as the slow island, then sends the final
/// HTML of every island.
async fn plain(n: web::Path<u32>) -> HttpResponse {
    let Some(n) = islands(*n) else {
        return not_found();
    };
    tokio::time::sleep(SLOW).await;
    html_response(page(n, Mode::Plain))
}

/// The pages whose islands load from the browser (every variant but
/// `plain` and `streamed`).
async fn deferred(n: web::Path<u32>) -> HttpResponse {
    match islands(*n) {
        Some(n) => html_response(page(n, Mode::Deferred)),
        None => not_found(),
    }
}

/// `/streamed/{n}`: mochi sends the page at once and each island's part as
/// it is rendered.
async fn streamed(n: web::Path<u32>) -> HttpResponse {
    match islands(*n) {
        Some(n) => html_response(page(n, Mode::Streamed)),
        None => not_found(),
    }
}

/// The Mochi configurations of the variants (see [Pages](crate#pages)),
/// all with the same key.
#[derive(Debug, Clone)]
pub struct Mochis {
    /// mochi's defaults, batched and preloaded: `/streamed`, `/batched`,
    /// `/batched-runtimefirst`.
    pub batched: Mochi,
    /// Batched, `preload_islands(false)`: `/batched-nopreload`.
    pub batched_nopreload: Mochi,
    /// `batch_islands(false)`, one request per island: `/deferred`,
    /// `/nopreload`, `/runtimefirst`.
    pub per_island: Mochi,
}

impl Mochis {
    /// Builds each configuration from a fresh `builder()` (a
    /// [`MochiBuilder`] is not `Clone`).
    pub fn new(mut builder: impl FnMut() -> MochiBuilder) -> Result<Mochis, StartupError> {
        Ok(Mochis {
            batched: builder().build()?,
            batched_nopreload: builder().preload_islands(false).build()?,
            per_island: builder().batch_islands(false).build()?,
        })
    }
}

/// The path prefix of pages whose preload `Link` headers are removed.
pub const NO_PRELOAD: &str = "/nopreload/";
/// The path prefix of the one-request-per-island pages whose runtime is
/// preloaded before their islands.
pub const RUNTIME_FIRST: &str = "/runtimefirst/";
/// The scope of the batched pages whose runtime is preloaded before their
/// batch.
pub const BATCHED_RUNTIME_FIRST: &str = "/batched-runtimefirst";

/// What the outer `wrap_fn` does to a page's `Link` headers.
#[derive(Debug, Clone)]
enum Links {
    Keep,
    Remove,
    /// Puts this `rel=modulepreload` value ahead of the others.
    RuntimeFirst(header::HeaderValue),
}

/// `Link: <{scope}{runtime}>; rel=modulepreload` for `mochi` mounted at
/// `scope`.
fn modulepreload(scope: &str, mochi: &Mochi) -> header::HeaderValue {
    header::HeaderValue::try_from(format!(
        "<{scope}{}>; rel=modulepreload",
        mochi.runtime_url()
    ))
    .expect("the runtime URL is a valid header value")
}

/// The benchmark app. The plain pages never pass through mochi's
/// middleware; each Mochi configuration wraps scopes of its own (the root
/// scope last: it matches every path). The `Link` headers of
/// `/nopreload/…` and the `runtimefirst` pages are changed by a `wrap_fn`
/// around the whole app: mochi adds them once the page's handler has
/// answered, so a middleware inside mochi's would not see them yet.
pub fn app(
    mochis: Mochis,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let per_island_runtime = modulepreload("", &mochis.per_island);
    let batched_runtime = modulepreload(BATCHED_RUNTIME_FIRST, &mochis.batched);
    let links_for = move |path: &str| {
        if path.starts_with(NO_PRELOAD) {
            Links::Remove
        } else if path.starts_with(RUNTIME_FIRST) {
            Links::RuntimeFirst(per_island_runtime.clone())
        } else if path.starts_with(BATCHED_RUNTIME_FIRST) {
            Links::RuntimeFirst(batched_runtime.clone())
        } else {
            Links::Keep
        }
    };
    App::new()
        .wrap_fn(move |req, srv| {
            let links = links_for(req.path());
            let res = srv.call(req);
            async move {
                let mut res = res.await?;
                match links {
                    Links::Keep => {}
                    Links::Remove => {
                        res.headers_mut().remove(header::LINK);
                    }
                    Links::RuntimeFirst(runtime) => {
                        let headers = res.headers_mut();
                        let islands: Vec<_> = headers.get_all(header::LINK).cloned().collect();
                        headers.insert(header::LINK, runtime);
                        for link in islands {
                            headers.append(header::LINK, link);
                        }
                    }
                }
                Ok(res)
            }
        })
        .route("/plain/{n}", web::get().to(plain))
        .service(
            web::scope("/streamed")
                .wrap(mochis.batched.clone())
                .route("/{n}", web::get().to(streamed)),
        )
        .service(
            web::scope("/batched")
                .wrap(mochis.batched.clone())
                .route("/{n}", web::get().to(deferred)),
        )
        .service(
            web::scope(BATCHED_RUNTIME_FIRST)
                .wrap(mochis.batched)
                .route("/{n}", web::get().to(deferred)),
        )
        .service(
            web::scope("/batched-nopreload")
                .wrap(mochis.batched_nopreload)
                .route("/{n}", web::get().to(deferred)),
        )
        .service(
            web::scope("")
                .wrap(mochis.per_island)
                .route("/deferred/{n}", web::get().to(deferred))
                .route("/nopreload/{n}", web::get().to(deferred))
                .route("/runtimefirst/{n}", web::get().to(deferred)),
        )
}

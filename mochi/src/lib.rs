//! # mochi: islands for maud, on actix-web or axum
//!
//! Components are functions returning [`maud::Markup`]. The [`island`]
//! attribute turns one into an *island*:
//!
//! - `#[island(defer)]` makes a **server island**: the page carries only a
//!   fallback and the island's signed props; the browser fetches the real
//!   HTML from `/_mochi/island/{Name}?p=…` after the page has loaded, with
//!   the user's cookies. The page stays cacheable; the personal parts come
//!   a moment later.
//! - `#[island(client = "static/counter.js")]` makes a **hydrated island**:
//!   rendered inline, then handed to a JavaScript module in the browser with
//!   its props, which travel in a de-duplicated props table.
//!
//! ## A server island
//!
//! ```
//! use maud::{html, Markup};
//! use mochi::island;
//!
//! /// Rendered in its own request, after the page.
//! #[island(defer)]
//! fn user_avatar(size: u32) -> Markup {
//!     let user = mochi::request_context()
//!         .cookie("user")
//!         .unwrap_or_else(|| "guest".into());
//!     html! { img src={"/avatars/" (user) ".png"} width=(size) alt=(user); }
//! }
//!
//! fn page() -> Markup {
//!     html! {
//!         head { (mochi::runtime_script()) }
//!         (user_avatar(64).fallback(html! { span.skeleton { "Loading…" } }))
//!     }
//! }
//!
//! let mochi = mochi::Mochi::builder(mochi::Key::generate()).build().unwrap();
//! let html = mochi.render_page(page).into_string();
//! assert!(html.contains(r#"<mochi-server-island component-name="UserAvatar""#));
//! assert!(html.contains("Loading…"));
//! ```
//!
//! ## Wiring
//!
//! One `wrap` serves the island endpoint, the runtime script and client
//! modules, and gives handlers their [`request_context`]:
//!
//! ```no_run
//! use actix_web::{App, HttpServer};
//!
//! # async fn run() -> std::io::Result<()> {
//! let mochi = mochi::Mochi::from_env().unwrap_or_else(|e| panic!("{e}"));
//! HttpServer::new(move || App::new().wrap(mochi.clone()))
//!     .bind(("127.0.0.1", 8080))?
//!     .run()
//!     .await
//! # }
//! ```
//!
//! On axum, `Mochi::layer` (the `axum` feature) is a tower layer:
//! `Router::new().route(…).layer(mochi.layer())`; see `mochi::axum` (with that
//! feature) and the README's "On axum".
//!
//! ## Fragments
//!
//! HTML that is spliced into a page already in the browser (htmx, Turbo
//! Frames, `fetch` + `innerHTML`) is a *fragment*: render it inside
//! [`fragment`] (requests carrying `HX-Request`, `Turbo-Frame` or
//! `Sec-Fetch-Dest: empty` are fragments already) and its islands get ids
//! that no other response uses.
//!
//! ## Testing
//!
//! [`testing::island_request`] gives the request a browser would make for
//! a server island, to send through `actix_web::test`.
//!
//! ## Keys
//!
//! Server-island props are sealed with AES-256-GCM-SIV under a key
//! derived from `MOCHI_KEY` (base64url of 32 random bytes; `head -c 32
//! /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'` prints one): the page
//! cannot read them, and the same props give the same token, so pages stay
//! cacheable. [`MochiBuilder::seal_props`]`(false)` signs them instead
//! (readable by anyone who sees the page). Either way a token can be
//! replayed by whoever has the page: read what is private from the request
//! context inside the island.
//!
//! The wire contract (elements, attributes, URLs, statuses, events) is in
//! `docs/protocol.md` in the repository.

// Without a server integration the core renders pages, and what serves
// requests (the answer pipeline, batches, streamed parts) waits for one.
#![cfg_attr(not(any(feature = "actix", feature = "axum")), allow(dead_code))]

#[cfg(feature = "actix")]
pub mod actix;
mod answer;
mod assets;
#[cfg(feature = "axum")]
pub mod axum;
mod batch;
mod compress;
mod config;
mod context;
mod endpoint;
mod error;
mod island_call;
mod keyed_cache;
mod page;
mod preload;
mod protocol;
mod registry;
mod render;
mod sealing;
mod setup;
mod signing;
mod stream;
#[cfg(feature = "actix")]
pub use actix::testing;
mod token_cache;
mod trace;
pub mod typescript;
mod verified;
mod warn_once;

#[doc(hidden)]
pub mod __private;

/// The props wire format: serde for
/// [devalue](https://github.com/sveltejs/devalue), byte-identical to npm
/// `devalue`'s `stringify`. This is the [`serde_devalue`] crate, re-exported.
#[doc(inline)]
pub use serde_devalue as devalue;

/// The README's examples, run as doctests (they use both servers, so with
/// both features: `cargo test --workspace` enables them).
#[cfg(all(doctest, feature = "actix", feature = "axum"))]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

#[cfg(feature = "actix")]
pub use actix::{extract, MochiMiddleware};
pub use config::{
    DEFAULT_ASSET_PREFIX, DEFAULT_ISLAND_TIMEOUT, DEFAULT_MAX_BODY, DEFAULT_MAX_URL,
    DEFAULT_POST_THRESHOLD,
};
pub use context::{fragment, island_id, request_context, RequestContext};
pub use error::{ExtractError, IntoIslandResult, IslandError};
/// A server island rendered into a page, as a runnable example; the full
/// reference follows.
///
/// ```
/// use maud::{html, Markup};
/// use mochi::island;
///
/// /// Greets the user of the `user` cookie, after the page has loaded.
/// #[island(defer, timeout = "2s")]
/// async fn greeting(excited: bool) -> Markup {
///     let user = mochi::request_context()
///         .cookie("user")
///         .unwrap_or_else(|| "guest".into());
///     html! { "Hello, " (user) @if excited { "!" } }
/// }
///
/// let mochi = mochi::Mochi::builder(mochi::Key::generate()).build().unwrap();
/// let page = mochi.render_page(|| {
///     // Called without `.await`: the body runs in the island's own request.
///     html! { (greeting(true).fallback(html! { "…" }).defer_on_visible()) }
/// });
/// let page = page.into_string();
/// assert!(page.starts_with(r#"<mochi-server-island component-name="Greeting" island-id="i0" signed-props=""#));
/// assert!(page.ends_with(r#" defer-on="visible">…</mochi-server-island>"#));
/// ```
///
/// A sync island runs on the actix worker thread; one that blocks takes
/// `blocking` and runs on actix's blocking pool instead, so the worker
/// goes on serving other requests meanwhile:
///
/// ```
/// use maud::{html, Markup};
///
/// /// Asks a synchronous database driver; answered 504 past two seconds.
/// #[mochi::island(defer, blocking, timeout = "2s")]
/// fn stock_level(product_id: u32) -> Markup {
///     let user = mochi::request_context().cookie("user");
///     html! { (slow_stock_lookup(product_id)) " in stock" @if user.is_some() { " for you" } }
/// }
///
/// /// Stands in for a synchronous database call.
/// fn slow_stock_lookup(product_id: u32) -> u32 {
///     std::thread::sleep(std::time::Duration::from_millis(5));
///     product_id % 7
/// }
///
/// # let mochi = mochi::Mochi::builder(mochi::Key::generate()).build().unwrap();
/// # let page = mochi.render_page(|| html! { (stock_level(3)) }).into_string();
/// # assert!(page.contains(r#"component-name="StockLevel""#));
/// ```
pub use mochi_macros::island;
pub use registry::{islands, DuplicateIsland, Hydrate, IslandInfo};
pub use render::{runtime_script, EventNames, HydratedIsland, NoFallback, ServerIsland};
pub use setup::{Mochi, MochiBuilder, StartupError};
pub use signing::{Key, KeyConfigError, KeyError, KeySource, Keys, TokenError};

/// What any server and any thread may hold: a render, its request, and the
/// island values a render makes. Checked at every build.
const _: () = {
    const fn send_and_sync<T: Send + Sync>() {}
    send_and_sync::<context::RenderContext>();
    send_and_sync::<RequestContext>();
    send_and_sync::<ServerIsland>();
    send_and_sync::<HydratedIsland>();
};

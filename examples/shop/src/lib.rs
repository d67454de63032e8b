//! The shop: mochi's main example, a small real shop whose pages are
//! public and cacheable while everything personal is a server island.
//!
//! Run it with `cargo run -p example-shop` and open <http://127.0.0.1:8080/>.
//! It keeps its data in `./mochi-shop.db` (SQLite, created and seeded on
//! first start) unless `DATABASE_URL` names another SQLite file or a
//! PostgreSQL database (`postgres://user:password@host/db`); `PORT` changes
//! the port, `MOCHI_KEY` sets the signing key (required with more than one
//! instance).
//!
//! The app is a library so tests can serve exactly this app, on actix-web
//! ([`app`], run by `cargo run -p example-shop`) or on axum ([`axum_app`],
//! `cargo run -p example-shop --bin shop-axum`): the same pages, islands
//! and database code, each route a thin handler per server around one
//! server-neutral page function. The binaries only add the server and the
//! configuration ([`Settings`]) around them.
//!
//! # Routes
//!
//! | route | what | `Cache-Control` |
//! |---|---|---|
//! | `GET /` | today's pick and every product | `public, max-age=60`, reads no cookie |
//! | `GET /product/{id}` | one product | `public, max-age=60`, reads no cookie |
//! | `GET /search?q=` | the query and its results | `public, max-age=60`, reads no cookie |
//! | `GET /cart` | the session's cart, with −/+ buttons | `private, no-store` |
//! | `POST /cart` | `product_id`, `quantity` (default 1, negative removes); starts a guest session if there is none; JSON for `Accept: application/json`, else `303` to `/cart` | `private, no-store` |
//! | `GET /signin`, `POST /signin` | a name is enough; a new session takes over the guest cart; `303` to `/account` | `private, no-store` |
//! | `POST /signout` | ends the session and its cart; `303` to `/` | `private, no-store` |
//! | `GET /account` | the user's personal islands, **streamed** in the same response | `private, no-store` |
//!
//! Every `GET` route answers `HEAD` too: the same status and headers, no
//! body.
//!
//! Sessions are an opaque random token in the `mochi_session` cookie
//! (`HttpOnly`, `SameSite=Lax`, `Secure` over HTTPS); the database keeps only
//! its SHA-256. Form posts from other sites are refused (`403`).
//!
//! # Islands
//!
//! | island | kind | on | what |
//! |---|---|---|---|
//! | [`UserAvatar`](user_avatar) | server, private | every page | "Welcome back, ada!" or a sign-in link |
//! | [`CartCount`](cart_count) | server, private | every page; streamed on `/account` | "3 items", linking to the cart |
//! | [`AccountSummary`](account_summary) | server, private, streamed | `/account` | who is signed in, a sign-out button |
//! | [`MemberPerks`](member_perks) | server, private, streamed, slow (300 ms) | `/account` | the session's loyalty points |
//! | [`RecentlyViewed`](recently_viewed) | server, private | `/` (on visible), product pages (records the view); streamed on `/account` | the session's last products |
//! | [`Recommendations`](recommendations) | server, `public, max-age=60`, slow (200 ms) | product pages, below the fold (`root_margin`) | bought together |
//! | [`SearchResults`](search_results) | server, `public, max-age=60` | `/search` | matching products |
//! | [`AddToCart`](add_to_cart) | hydrated (`static/add_to_cart.js`) | cards, today's pick, product pages (top, and `visible` at the bottom) | posts to `/cart` with `fetch`, fires `cart-changed` |
//! | [`QueryEcho`](query_echo) | hydrated (`static/query.js`) | `/search` | the query, copied into the title |
//!
//! Identical islands share a props block: today's pick and its card on
//! `/`, and the two buttons of a product page.

mod db;
mod islands;
mod on_actix;
mod on_axum;
mod pages;
mod session;
mod settings;

pub use db::{
    Backend, CartLine, Db, DbError, Product, Session, DEFAULT_DATABASE_URL, MAX_QUANTITY,
    SESSION_TTL, SQLITE_BUSY_TIMEOUT,
};
pub use islands::{
    account_summary, add_to_cart, cart_count, member_perks, query_echo, recently_viewed,
    recommendations, search_results, user_avatar, ShopError,
};
pub use on_actix::app;
pub use on_axum::{axum_app, axum_routes};
pub use pages::{price, CartForm, Reply, SearchQuery, SignInForm, MAX_FORM, PRIVATE, PUBLIC};
pub use session::{Token, COOKIE as SESSION_COOKIE};
pub use settings::Settings;

/// Logs through `tracing-subscriber`: the shop's and mochi's `log` records
/// and mochi's spans (`mochi.page`, `mochi.island`, `mochi.batch`, with
/// their trace ids at `RUST_LOG=mochi=debug`), filtered by `RUST_LOG`
/// (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(terminal)
        .init();
}

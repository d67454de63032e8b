//! The shop on axum: the same routes, each a thin handler around the
//! server-neutral one in `pages`.

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, RawQuery};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};

use crate::db::Db;
use crate::pages::{self, Reply};
use crate::ShopError;

/// The shop as an axum `Router`: its pages behind `mochi`'s layer, and its
/// database as an `Extension` outside it (which is how islands reach it,
/// deferred and streamed alike).
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let db = example_shop::Db::connect("sqlite://mochi-shop.db").await?;
/// let mochi = mochi::Mochi::from_env()?;
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// axum::serve(listener, example_shop::axum_app(&mochi, db)).await?;
/// # Ok(()) }
/// ```
pub fn axum_app(mochi: &mochi::Mochi, db: Db) -> Router {
    axum_routes().layer(mochi.layer()).layer(Extension(db))
}

/// The shop's routes alone, for an app that adds routes of its own before
/// the layers [`axum_app`] adds: `mochi.layer()`, then `Extension(db)`.
pub fn axum_routes() -> Router {
    Router::new()
        .route("/", get(index))
        .route("/product/{id}", get(product))
        .route("/search", get(search))
        .route("/cart", get(cart).post(add))
        .route("/signin", get(sign_in_form).post(sign_in))
        .route("/signout", post(sign_out))
        .route("/account", get(account))
        .layer(DefaultBodyLimit::max(pages::MAX_FORM))
}

/// A page's answer as an axum response.
fn respond(reply: Result<Reply, ShopError>) -> Response {
    pages::or_error_page(reply).map(Body::from)
}

async fn index(Extension(db): Extension<Db>) -> Response {
    respond(pages::index(&db).await)
}

async fn product(Extension(db): Extension<Db>, Path(id): Path<String>) -> Response {
    respond(pages::product(&db, &id).await)
}

async fn search(RawQuery(query): RawQuery) -> Response {
    respond(Ok(pages::search(query.as_deref().unwrap_or("")).await))
}

async fn cart(Extension(db): Extension<Db>) -> Response {
    respond(pages::cart(&db).await)
}

async fn add(Extension(db): Extension<Db>, body: Bytes) -> Response {
    respond(pages::add(&db, &body).await)
}

async fn sign_in_form() -> Response {
    respond(Ok(pages::sign_in_form().await))
}

async fn sign_in(Extension(db): Extension<Db>, body: Bytes) -> Response {
    respond(pages::sign_in(&db, &body).await)
}

async fn sign_out(Extension(db): Extension<Db>) -> Response {
    respond(pages::sign_out(&db).await)
}

async fn account() -> Response {
    respond(Ok(pages::account().await))
}

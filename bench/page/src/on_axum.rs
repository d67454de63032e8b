//! The benchmark page on axum: the same mochi page and island endpoint
//! behind `mochi.layer()`, and the same plain baseline as axum handlers
//! under `/plain/` (not behind the layer), so `bench/load.py --server axum`
//! measures mochi on axum against plain axum.

use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use maud::Markup;

use crate::{
    avatar_html, cart_count_html, greeting_html, mochi_page, plain_page, Routes, CART_COUNT,
    CART_LABEL, DEFAULT_USER, GREETING_NAME,
};

fn html_response(body: Markup) -> Response {
    let html = HeaderValue::from_static("text/html; charset=utf-8");
    ([(header::CONTENT_TYPE, html)], body.into_string()).into_response()
}

/// A fragment answer with the headers mochi's island endpoint sends.
fn fragment_response(body: Markup) -> Response {
    let headers = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "private, no-store"),
        (header::HeaderName::from_static("x-robots-tag"), "noindex"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "SAMEORIGIN"),
        (header::CONTENT_SECURITY_POLICY, "frame-ancestors 'self'"),
    ];
    (
        headers.map(|(n, v)| (n, HeaderValue::from_static(v))),
        body.into_string(),
    )
        .into_response()
}

async fn mochi_index() -> Response {
    html_response(mochi_page())
}

async fn plain_index() -> Response {
    html_response(plain_page())
}

/// The `user` cookie, read as a plain handler would.
async fn plain_avatar(headers: HeaderMap) -> Response {
    let cookies = headers.get_all(header::COOKIE).into_iter();
    let cookies = cookies.filter_map(|v| v.to_str().ok());
    let user = cookies
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == "user")
        .map(|(_, value)| value.to_owned());
    fragment_response(avatar_html(user.as_deref().unwrap_or(DEFAULT_USER)))
}

async fn plain_cart_count() -> Response {
    fragment_response(cart_count_html(CART_COUNT, CART_LABEL))
}

async fn plain_greeting() -> Response {
    fragment_response(greeting_html(GREETING_NAME))
}

/// The app serving `routes` on axum. The plain routes are added after
/// mochi's layer, so they do not pass through it: the baseline pays
/// nothing for mochi.
pub fn axum_app(mochi: &mochi::Mochi, routes: Routes) -> Router {
    let mut app = Router::new();
    if matches!(routes, Routes::All | Routes::Mochi) {
        app = app.route("/", get(mochi_index)).layer(mochi.layer());
    }
    if matches!(routes, Routes::All | Routes::Plain) {
        app = app
            .route("/plain/", get(plain_index))
            .route("/plain/island/Avatar", get(plain_avatar))
            .route("/plain/island/CartCount", get(plain_cart_count))
            .route("/plain/island/Greeting", get(plain_greeting));
    }
    app
}

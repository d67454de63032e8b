//! Testing islands through an axum `Router` with `tower::ServiceExt::oneshot`.
//!
//! A server island loads in its own request, so a test of one is two
//! steps: render the island the way a page would (which signs its props),
//! then send the request the browser would send for it, with whatever
//! cookies or headers the test is about.
//!
//! ```
//! use axum::body::Body;
//! use http::header::{HeaderValue, COOKIE};
//! use maud::{html, Markup};
//! use tower::ServiceExt as _;
//!
//! /// The number of items in the `cart` cookie.
//! #[mochi::island(defer)]
//! fn cart_badge() -> Markup {
//!     let n = mochi::request_context()
//!         .cookie("cart")
//!         .unwrap_or_else(|| "0".into());
//!     html! { span.badge { (n) } }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let mochi = mochi::Mochi::builder(mochi::Key::generate()).build().unwrap();
//! let app = axum::Router::new().layer(mochi.layer());
//!
//! // With cookie `cart=3`, the badge shows 3.
//! let mut req = mochi::axum::testing::island_request(&mochi, cart_badge);
//! req.headers_mut().insert(COOKIE, HeaderValue::from_static("cart=3"));
//! let res = app.oneshot(req).await.unwrap();
//! let html = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
//! assert_eq!(html, r#"<span class="badge">3</span>"#);
//! # });
//! ```

use axum::body::Body;
use http::header::{HeaderValue, ACCEPT, CONTENT_TYPE};
use http::{Method, Request};

use crate::island_call::IslandCall;
use crate::render::ServerIsland;
use crate::Mochi;

/// The request the browser would make to load the server island that
/// `island` returns (for example `|| cart_badge(3)`), rendered as a page
/// render of `mochi` would render it: a `GET` of the island URL with its
/// signed props and island id, or the `POST` large props are sent by.
///
/// Add cookies and headers to it (`headers_mut()`), then send it.
///
/// # Panics
///
/// If the island's props do not serialize (nothing to request).
pub fn island_request<F>(mochi: &Mochi, island: impl FnOnce() -> ServerIsland<F>) -> Request<Body> {
    let call = IslandCall::of(mochi, island);
    let (method, target, body) = match call.post {
        true => (Method::POST, call.path, Body::from(call.params)),
        false => (Method::GET, call.target(), Body::empty()),
    };
    let mut req = Request::new(body);
    *req.method_mut() = method.clone();
    // The island path is mochi's own, a valid URI.
    *req.uri_mut() = target.parse().unwrap_or_default();
    let headers = req.headers_mut();
    headers.insert(ACCEPT, HeaderValue::from_static("text/html"));
    if method == Method::POST {
        let form = HeaderValue::from_static("application/x-www-form-urlencoded");
        headers.insert(CONTENT_TYPE, form);
    }
    req
}

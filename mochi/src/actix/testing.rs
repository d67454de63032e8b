//! Testing islands through actix's test service.
//!
//! A server island loads in its own request, so a test of one is two
//! steps: render the island the way a page would (which signs its props),
//! then send the request the browser would send for it, with whatever
//! cookies or headers the test is about.
//!
//! ```
//! use actix_web::{test as actix_test, App};
//! use maud::{html, Markup};
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
//! # actix_web::rt::System::new().block_on(async {
//! let mochi = mochi::Mochi::builder(mochi::Key::generate()).build().unwrap();
//! let app = actix_test::init_service(App::new().wrap(mochi.clone())).await;
//!
//! // With cookie `cart=3`, the badge shows 3.
//! let req = mochi::testing::island_request(&mochi, cart_badge)
//!     .insert_header(("cookie", "cart=3"))
//!     .to_request();
//! let html = actix_test::call_and_read_body(&app, req).await;
//! assert_eq!(html, r#"<span class="badge">3</span>"#);
//! # });
//! ```
//!
//! `use actix_web::test` would shadow the `#[test]` attribute in the same
//! module (`#[test]` then names the module, and the error is confusing):
//! import it under another name, as above, or write `actix_web::test::…`
//! in full.

use actix_web::http::header;
use actix_web::test::TestRequest;

use crate::island_call::IslandCall;
use crate::render::ServerIsland;
use crate::Mochi;

/// The request the browser would make to load the server island that
/// `island` returns (for example `|| cart_badge(3)`), rendered as a page
/// render of `mochi` would render it: a `GET` of the island URL with its
/// signed props and island id, or the `POST` large props are sent by.
///
/// Add cookies and headers to it, then `to_request()` it.
///
/// # Panics
///
/// If the island's props do not serialize (nothing to request).
pub fn island_request<F>(mochi: &Mochi, island: impl FnOnce() -> ServerIsland<F>) -> TestRequest {
    let call = IslandCall::of(mochi, island);
    let req = if call.post {
        TestRequest::post()
            .uri(&call.path)
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload(call.params)
    } else {
        TestRequest::get().uri(&call.target())
    };
    req.insert_header((header::ACCEPT, "text/html"))
}

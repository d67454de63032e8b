//! The actix-web integration's glue: the request head copied onto `http`
//! types for the core, the island's own `HttpRequest` for [`extract`], and
//! typed extraction with actix's own extractors.

use std::future::Future;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::FutureExt as _;

use crate::context::RequestHead;
use crate::error::ExtractError;

tokio::task_local! {
    /// The request an island renders for, on the worker thread that owns
    /// it: the island's own request (deferred, batched), or the page's
    /// (streamed).
    static REQUEST: HttpRequest;
}

/// The head of `req` for the core: method, path and query, headers, and
/// the connection's scheme and configured host.
pub(crate) fn head_of(req: &HttpRequest) -> RequestHead {
    let mut headers = http::HeaderMap::with_capacity(req.headers().len());
    for (name, value) in req.headers() {
        // Both sides hold valid names and values: only the crate versions
        // differ.
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_str().as_bytes()),
            http::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.append(name, value);
        }
    }
    let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let config = req.app_config();
    RequestHead {
        method: http::Method::from_bytes(req.method().as_str().as_bytes())
            .unwrap_or(http::Method::GET),
        uri: target
            .parse()
            .unwrap_or_else(|_| http::Uri::from_static("/")),
        headers,
        secure: config.secure(),
        config_host: config.host().to_owned(),
    }
}

/// Runs `render` with `req` as the request [`extract`] reads.
pub(crate) async fn with_request<F: Future>(req: HttpRequest, render: F) -> F::Output {
    REQUEST.scope(req, render).await
}

/// Runs actix's extractor `T` against the request the current island
/// renders for, the way a handler's argument would be extracted:
/// `web::Data<Db>` for app state, `web::Query<…>`, `HttpRequest`, or an
/// extractor of your own.
///
/// ```
/// use actix_web::web;
/// use maud::{html, Markup};
///
/// struct Db(&'static str);
///
/// #[mochi::island(defer)]
/// async fn cart_count() -> Result<Markup, mochi::IslandError> {
///     let db = mochi::extract::<web::Data<Db>>().await?;
///     Ok(html! { "cart on " (db.0) })
/// }
/// ```
///
/// The island's request is its own for a deferred or batched island, and
/// the page's for a streamed one; app data registered with
/// `App::app_data`, or on the scope mochi is wrapped in, is on both.
/// Data registered on an inner scope or resource (one mochi is not
/// wrapped in) is only on a page's request: register state where mochi
/// is wrapped, so an island sees it on every path.
///
/// The extractor runs once, without waiting (extractors that read the
/// body have no body to read here: an island's request has none for
/// them), and the value it makes need not be `Send`, though holding a
/// value that is not (`HttpRequest`) across an `.await` makes the
/// island's future not `Send`, which an island must be. It fails with an
/// [`ExtractError`] that names `T` outside an island's render: in a page
/// handler (take the extractor as the handler's argument), or in a
/// `blocking` island's body (extract in an `async` island and hand what it
/// needs to `tokio::task::spawn_blocking` or `web::block`).
pub async fn extract<T: FromRequest>() -> Result<T, ExtractError> {
    // Nothing is held across an `.await`, so the future is `Send` whatever
    // `T` is (the test below checks it with `HttpRequest`).
    extract_now::<T>()
}

fn extract_now<T: FromRequest>() -> Result<T, ExtractError> {
    let name = std::any::type_name::<T>();
    let attempt = REQUEST.try_with(|req| T::from_request(req, &mut Payload::None).now_or_never());
    match attempt {
        Ok(Some(Ok(value))) => Ok(value),
        Ok(Some(Err(e))) => Err(ExtractError::failed(
            name,
            e.into().to_string(),
            "register app data with `App::app_data` (or on the scope mochi is wrapped in): an \
             island's request reaches mochi before any inner scope or resource adds its data",
        )),
        Ok(None) => Err(ExtractError::failed(
            name,
            "its extractor waits for something (a body?)".into(),
            "an island's request carries no body: extract what the request head holds",
        )),
        Err(_) => Err(ExtractError::outside(name)),
    }
}

#[cfg(test)]
mod tests {
    /// An island holding the extraction of a value that is not `Send`
    /// across its `.await` is still `Send`.
    #[test]
    fn extracting_a_value_that_is_not_send_is_a_send_future() {
        fn send<T: Send>(_: &T) {}
        send(&super::extract::<actix_web::HttpRequest>());
    }
}

//! The axum integration: the tower layer ([`MochiLayer`], from
//! [`Mochi::layer`](crate::Mochi::layer)), the request head handed to the
//! core as it is, the core's answers as axum responses, and typed
//! extraction with axum's own extractors, run against the island's request.

mod layer;
mod stream;
pub mod testing;

use std::any::Any;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt as _};
use http::header::{HeaderName, HeaderValue, CONNECTION};
use http::request::Parts;

pub use layer::{MochiLayer, MochiService};

use crate::answer::{Answer, AnswerBody};
use crate::context::{HeadSource, RequestHead};
use crate::error::ExtractError;

/// What an island's render reads through [`extract`]: the request's head
/// as it reached mochi's layer, and the state the layer was given.
#[derive(Clone)]
pub(crate) struct IslandRequest {
    parts: Arc<Parts>,
    state: Option<Arc<dyn Any + Send + Sync>>,
}

tokio::task_local! {
    /// The request an island renders for: the island's own (deferred,
    /// batched), or the page's (streamed), as each reached the layer.
    static REQUEST: IslandRequest;
}

/// An axum request's head, as the core reads it: the same `http` types,
/// shared with what [`extract`] reads.
#[derive(Debug)]
struct PartsHead(Arc<Parts>);

impl HeadSource for PartsHead {
    fn method(&self) -> &str {
        self.0.method.as_str()
    }

    fn target(&self) -> &str {
        let uri = browser_uri(&self.0);
        uri.path_and_query().map_or("/", |p| p.as_str())
    }

    fn header(&self, name: &str) -> Option<&[u8]> {
        let value = self.0.headers.get(name).map(HeaderValue::as_bytes);
        // HTTP/2 carries the host in the URI's authority, not a header.
        let authority = || (name == "host").then(|| self.0.uri.authority()).flatten();
        value.or_else(|| authority().map(|a| a.as_str().as_bytes()))
    }

    fn pairs(&self) -> Box<dyn Iterator<Item = (&str, &[u8])> + '_> {
        let pairs = self.0.headers.iter();
        Box::new(pairs.map(|(n, v)| (n.as_str(), v.as_bytes())))
    }

    fn secure(&self) -> bool {
        self.0.uri.scheme() == Some(&http::uri::Scheme::HTTPS)
    }

    fn config_host(&self) -> &str {
        // axum has no configured host: a request without a valid `Host`
        // gets this one in the URLs mochi makes of it.
        "localhost"
    }
}

/// The core's view of `parts`, and what [`extract`] reads for it.
fn head_of(
    parts: Parts,
    state: &Option<Arc<dyn Any + Send + Sync>>,
) -> (RequestHead, IslandRequest) {
    let parts = Arc::new(parts);
    let request = IslandRequest {
        parts: parts.clone(),
        state: state.clone(),
    };
    (RequestHead::new(PartsHead(parts)), request)
}

/// The core's answer as an axum response; parts of a streamed body are
/// rendered with `request` as what [`extract`] reads.
fn response(request: IslandRequest, answer: Answer) -> Response {
    let body = match answer.body {
        AnswerBody::Full(bytes) => Body::from(bytes),
        AnswerBody::Parts(parts) => Body::from_stream(Scoped::new(request, parts)),
    };
    let mut res = Response::new(body);
    *res.status_mut() = answer.status;
    let headers = res.headers_mut();
    for (name, value) in answer.headers {
        let value = match value {
            std::borrow::Cow::Borrowed(value) => Ok(HeaderValue::from_static(value)),
            std::borrow::Cow::Owned(value) => HeaderValue::try_from(value),
        };
        // Every value mochi sets is valid header text.
        if let Ok(value) = value {
            headers.insert(HeaderName::from_static(name.name()), value);
        }
    }
    if answer.close {
        // hyper closes the connection after a response that says so.
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    res
}

/// A stream of parts whose islands render with `request` as what
/// [`extract`] reads: each poll runs inside it.
struct Scoped<S> {
    request: IslandRequest,
    inner: S,
}

impl<S> Scoped<S> {
    fn new(request: IslandRequest, inner: S) -> Scoped<S> {
        Scoped { request, inner }
    }
}

impl<S: Stream<Item = bytes::Bytes> + Unpin> Stream for Scoped<S> {
    type Item = Result<bytes::Bytes, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let request = this.request.clone();
        let next = REQUEST.sync_scope(request, || this.inner.poll_next_unpin(cx));
        next.map(|part| part.map(Ok))
    }
}

/// Runs `render` with `request` as what [`extract`] reads.
async fn with_request<F: Future>(request: IslandRequest, render: F) -> F::Output {
    REQUEST.scope(request, render).await
}

/// Runs axum's extractor `T` against the request the current island
/// renders for, the way a handler's argument would be extracted:
/// `Extension<Db>`, `HeaderMap`, `Query<…>`, `axum_extra`'s cookie jar, or
/// an extractor of your own.
///
/// ```
/// use axum::Extension;
/// use maud::{html, Markup};
///
/// #[derive(Clone)]
/// struct Db(&'static str);
///
/// #[mochi::island(defer)]
/// async fn cart_count() -> Result<Markup, mochi::IslandError> {
///     let Extension(db) = mochi::axum::extract::<Extension<Db>>().await?;
///     Ok(html! { "cart on " (db.0) })
/// }
/// ```
///
/// The island's request is its own for a deferred or batched island, and
/// the page's for a streamed one, each as it reached mochi's layer: an
/// `Extension` layered outside mochi's (added after it, with a later
/// `.layer`) is on both; one added inside it, or on a single route, is on
/// neither, so an island sees the same data on every path.
///
/// For `State<S>` (and any extractor that needs the router's state) use
/// [`extract_with_state`] with the state given to
/// [`MochiLayer::with_state`]. The extractor sees no body (an island's
/// request carries none for it). It fails with an [`ExtractError`] that
/// names `T` outside an island's render: in a page handler (take the
/// extractor as the handler's argument), or in a `blocking` island's body
/// (extract in an `async` island and hand what it needs to
/// `tokio::task::spawn_blocking`).
pub async fn extract<T: FromRequestParts<()>>() -> Result<T, ExtractError> {
    extract_with_state::<T, ()>().await
}

/// [`extract`] for an extractor that needs the router's state `S`:
/// `State<AppState>`, or a value of it through `FromRef`.
///
/// ```
/// use axum::extract::State;
/// use maud::{html, Markup};
///
/// #[derive(Clone)]
/// struct AppState { shop: &'static str }
///
/// #[mochi::island(defer)]
/// async fn shop_name() -> Result<Markup, mochi::IslandError> {
///     let State(state) = mochi::axum::extract_with_state::<State<AppState>, AppState>().await?;
///     Ok(html! { (state.shop) })
/// }
///
/// let mochi = mochi::Mochi::builder(mochi::Key::generate()).build().unwrap();
/// let state = AppState { shop: "mochi" };
/// let app: axum::Router = axum::Router::new()
///     .layer(mochi.layer().with_state(state.clone()));
/// ```
///
/// It fails, naming `S`, when the layer was given no state of type `S`.
pub async fn extract_with_state<T, S>() -> Result<T, ExtractError>
where
    T: FromRequestParts<S>,
    S: Clone + Send + Sync + 'static,
{
    let name = std::any::type_name::<T>();
    let Ok(request) = REQUEST.try_with(IslandRequest::clone) else {
        return Err(ExtractError::outside(name));
    };
    let state = match (&() as &dyn Any).downcast_ref::<S>() {
        Some(unit) => unit.clone(),
        None => {
            let given = request.state.as_deref();
            match given.and_then(|state| state.downcast_ref::<S>()) {
                Some(state) => state.clone(),
                None => {
                    return Err(ExtractError::failed(
                        name,
                        format!(
                            "mochi's layer holds no state of type {}",
                            std::any::type_name::<S>()
                        ),
                        "give it the router's state: `.layer(mochi.layer().with_state(state))`",
                    ))
                }
            }
        }
    };
    let mut parts = Parts::clone(&request.parts);
    match T::from_request_parts(&mut parts, &state).await {
        Ok(value) => Ok(value),
        Err(rejection) => Err(ExtractError::failed(
            name,
            rejection_text(rejection.into_response()).await,
            "an `Extension` must be layered outside mochi's layer (added after it) for an \
             island to see it on every path",
        )),
    }
}

/// What a rejection says: its status and the start of its body.
async fn rejection_text(res: Response) -> String {
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), 1024).await;
    let body = body.map(|b| String::from_utf8_lossy(&b).into_owned());
    match body {
        Ok(text) if !text.is_empty() => format!("{status}: {text}"),
        _ => status.to_string(),
    }
}

/// The URI as the browser sent it: in a nested router, with the prefix
/// axum stripped from `parts.uri`; what the page is to the browser.
fn browser_uri(parts: &Parts) -> &http::Uri {
    let original = parts.extensions.get::<axum::extract::OriginalUri>();
    original.map_or(&parts.uri, |original| &original.0)
}

impl IslandRequest {
    /// The path the browser asked for.
    fn path(&self) -> &str {
        browser_uri(&self.parts).path()
    }
}

impl fmt::Debug for IslandRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IslandRequest")
            .field("parts", &self.parts)
            .field("state", &self.state.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    /// An HTTP/2 request has no `Host` header: its URI's authority is the
    /// host mochi's origin (and the cross-site check) reads.
    #[test]
    fn the_host_of_a_request_without_a_host_header_is_its_authority() {
        let req = http::Request::get("https://shop.example:8443/cart").body(());
        let (parts, ()) = req.expect("a request").into_parts();
        let (head, _) = super::head_of(parts, &None);
        let host = head.header(&http::header::HOST);
        assert_eq!(host, Some("shop.example:8443"));
    }

    /// An island's extraction is a `Send` future.
    #[test]
    fn extracting_is_a_send_future() {
        fn send<T: Send>(_: &T) {}
        send(&super::extract::<axum::Extension<u8>>());
        send(&super::extract_with_state::<axum::extract::State<u8>, u8>());
    }
}

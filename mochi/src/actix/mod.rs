//! The actix-web integration: the middleware ([`Mochi`] as a
//! `Transform`), the request head copied onto `http` types for the core,
//! the core's answers turned into actix responses, and typed extraction
//! with actix's own extractors, run against the island's `HttpRequest`.
//!
//! [`Mochi`]: crate::Mochi

mod middleware;
mod stream;
pub mod testing;

use std::borrow::Cow;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::BodyStream;
use actix_web::dev::Payload;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use compact_str::CompactString;
use futures_util::{FutureExt as _, Stream, StreamExt as _};

pub use middleware::MochiMiddleware;

use crate::answer::{Answer, AnswerBody, Header};
use crate::context::{HeadSource, RequestHead};
use crate::error::ExtractError;

tokio::task_local! {
    /// The request an island renders for, on the worker thread that owns
    /// it: the island's own request (deferred, batched), or the page's
    /// (streamed).
    static REQUEST: HttpRequest;
}

/// The head of `req` for the core: actix's own method, URI and headers
/// (a copy that shares their bytes), read by name and made into `http`
/// types only when a render asks for them whole.
pub(crate) fn head_of(req: &HttpRequest) -> RequestHead {
    let config = req.app_config();
    RequestHead::new(ActixHead {
        method: req.method().clone(),
        uri: req.uri().clone(),
        headers: req
            .headers()
            .iter()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect(),
        secure: config.secure(),
        config_host: config.host().into(),
    })
}

/// An actix request's head, as the core reads it.
#[derive(Debug)]
struct ActixHead {
    method: actix_web::http::Method,
    uri: actix_web::http::Uri,
    /// The pairs in order: a request has a few, looked up by a scan (a
    /// lookup by `&str` in actix's map parses the name first).
    headers: Vec<(HeaderName, HeaderValue)>,
    secure: bool,
    config_host: CompactString,
}

impl HeadSource for ActixHead {
    fn method(&self) -> &str {
        self.method.as_str()
    }

    fn target(&self) -> &str {
        self.uri.path_and_query().map_or("/", |p| p.as_str())
    }

    fn header(&self, name: &str) -> Option<&[u8]> {
        let mut pairs = self.headers.iter();
        if let Some((_, value)) = pairs.find(|(n, _)| n.as_str() == name) {
            return Some(value.as_bytes());
        }
        // HTTP/2 carries the host in the URI's authority, not a header.
        let authority = (name == "host").then(|| self.uri.authority()).flatten();
        authority.map(|a| a.as_str().as_bytes())
    }

    fn pairs(&self) -> Box<dyn Iterator<Item = (&str, &[u8])> + '_> {
        Box::new(self.headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())))
    }

    fn secure(&self) -> bool {
        self.secure
    }

    fn config_host(&self) -> &str {
        &self.config_host
    }
}

/// The core's answer as an actix response; parts of a streamed body are
/// rendered with `req` as the request [`extract`] reads.
pub(crate) fn response(req: &HttpRequest, answer: Answer) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status.as_u16()).unwrap_or(StatusCode::OK);
    let mut res = HttpResponse::build(status);
    for (name, value) in answer.headers {
        let value = match value {
            Cow::Borrowed(value) => Ok(HeaderValue::from_static(value)),
            Cow::Owned(value) => HeaderValue::try_from(value),
        };
        // Every value mochi sets is valid header text.
        if let Ok(value) = value {
            res.insert_header((actix_name(name), value));
        }
    }
    if answer.close {
        res.force_close();
    }
    match answer.body {
        AnswerBody::Full(bytes) => res.body(bytes),
        AnswerBody::Parts(parts) => {
            let parts = Scoped::new(req.clone(), parts).map(Ok::<_, Infallible>);
            res.body(BodyStream::new(parts))
        }
    }
}

/// The actix name of a header the core sets (a constant, not parsed).
pub(crate) fn actix_name(name: Header) -> HeaderName {
    use actix_web::http::header;
    match name {
        Header::Allow => header::ALLOW,
        Header::CacheControl => header::CACHE_CONTROL,
        Header::ContentEncoding => header::CONTENT_ENCODING,
        Header::ContentSecurityPolicy => header::CONTENT_SECURITY_POLICY,
        Header::ContentType => header::CONTENT_TYPE,
        Header::Vary => header::VARY,
        Header::XAccelBuffering => HeaderName::from_static("x-accel-buffering"),
        Header::XContentTypeOptions => header::X_CONTENT_TYPE_OPTIONS,
        Header::XFrameOptions => header::X_FRAME_OPTIONS,
        Header::XRobotsTag => HeaderName::from_static("x-robots-tag"),
    }
}

/// A stream of parts whose islands render with `req` as the request
/// [`extract`] reads: each poll runs inside it.
pub(crate) struct Scoped<S> {
    req: HttpRequest,
    inner: S,
}

impl<S> Scoped<S> {
    pub(crate) fn new(req: HttpRequest, inner: S) -> Scoped<S> {
        Scoped { req, inner }
    }
}

impl<S: Stream + Unpin> Stream for Scoped<S> {
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = &mut *self;
        let req = this.req.clone();
        REQUEST.sync_scope(req, || this.inner.poll_next_unpin(cx))
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

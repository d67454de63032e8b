//! The tower layer: answers requests under the asset prefix, and runs the
//! routes it wraps inside a render context whose page it then finishes
//! (preload `Link`s, `Vary`, streamed islands), as the actix middleware
//! does.

use std::any::Any;
use std::borrow::Cow;
use std::convert::Infallible;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::{OriginalUri, Request};
use axum::response::{IntoResponse as _, Response};
use compact_str::CompactString;
use futures_util::future::BoxFuture;
use futures_util::FutureExt as _;
use http::header::{self, HeaderValue};
use http::HeaderMap;
use tower_layer::Layer;
use tower_service::Service;
use tracing::Instrument as _;

use crate::config::Config;
use crate::context::{self, RenderContext, RequestKind, SharedRequest};
use crate::endpoint::AssetRequest;
use crate::page::Server;
use crate::Mochi;

type State = Option<Arc<dyn Any + Send + Sync>>;

impl Mochi {
    /// The tower layer that serves mochi on axum: it answers the island
    /// endpoint, batches, the runtime and client modules under the asset
    /// prefix, and gives the pages of the routes it wraps their render
    /// context.
    ///
    /// ```no_run
    /// # async fn run() -> std::io::Result<()> {
    /// use axum::{routing::get, Router};
    ///
    /// let mochi = mochi::Mochi::from_env().unwrap_or_else(|e| panic!("{e}"));
    /// let app = Router::new()
    ///     .route("/", get(|| async { "a page" }))
    ///     .layer(mochi.layer());
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
    /// axum::serve(listener, app).await
    /// # }
    /// ```
    ///
    /// Add it after the routes (axum applies a layer to the routes and
    /// fallback that exist when it is added); the island endpoint needs no
    /// route of its own.
    pub fn layer(&self) -> MochiLayer {
        MochiLayer {
            config: self.config.clone(),
            state: None,
        }
    }
}

/// The tower layer [`Mochi::layer`] makes.
#[derive(Clone)]
pub struct MochiLayer {
    config: Arc<Config>,
    state: State,
}

impl MochiLayer {
    /// Gives islands the router's state, for
    /// [`extract_with_state`](super::extract_with_state) (`State<S>`).
    pub fn with_state<S: Clone + Send + Sync + 'static>(self, state: S) -> MochiLayer {
        MochiLayer {
            state: Some(Arc::new(state)),
            ..self
        }
    }
}

impl fmt::Debug for MochiLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MochiLayer")
            .field("prefix", &self.config.prefix)
            .field("state", &self.state.is_some())
            .finish()
    }
}

impl<S> Layer<S> for MochiLayer {
    type Service = MochiService<S>;

    fn layer(&self, inner: S) -> MochiService<S> {
        MochiService {
            inner,
            config: self.config.clone(),
            state: self.state.clone(),
        }
    }
}

/// The service [`MochiLayer`] wraps around routes.
#[derive(Clone)]
pub struct MochiService<S> {
    inner: S,
    config: Arc<Config>,
    state: State,
}

impl<S> fmt::Debug for MochiService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MochiService")
            .field("prefix", &self.config.prefix)
            .finish_non_exhaustive()
    }
}

impl<S> Service<Request> for MochiService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let config = self.config.clone();
        let (mount, rest) = mount_and_rest(&req, &config.prefix);
        let (parts, body) = req.into_parts();
        if let Some(rest) = rest {
            let (head, request) = super::head_of(parts, &self.state);
            let asset = AssetRequest {
                head,
                body: body.into_data_stream(),
                mount,
                rest,
            };
            let answer = crate::endpoint::handle(config, asset);
            return Box::pin(async move {
                let answer = super::with_request(request.clone(), answer).await;
                Ok(super::response(request, answer))
            });
        }
        let (head, island_request) = super::head_of(parts.clone(), &self.state);
        let fragment = head.wants_fragment();
        let origin = config.settings.origin.clone();
        let request = Arc::new(SharedRequest::new(head, RequestKind::Page, origin));
        let cx = Arc::new(RenderContext::response(
            config,
            request.clone(),
            fragment,
            &mount,
        ));
        // The service that was made ready is the one called; a clone takes
        // its place for the next request.
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let req = Request::from_parts(parts, body);
        let span = crate::page::span(island_request.path());
        let fut = span.in_scope(|| context::run_sync(cx.clone(), || inner.call(req)));
        let page = async move {
            // A page that panics while mochi runs its render is answered 500
            // with a body, not a dropped connection.
            let rendered = AssertUnwindSafe(context::run(cx.clone(), fut))
                .catch_unwind()
                .await;
            let mut res = match rendered {
                Ok(Ok(res)) => res,
                Ok(Err(never)) => match never {},
                Err(_) => {
                    crate::page::record_status(500);
                    crate::page::log_panic(island_request.path());
                    let status = http::StatusCode::INTERNAL_SERVER_ERROR;
                    return Ok((status, crate::page::PANIC_BODY).into_response());
                }
            };
            let headers = res.headers();
            let value = |name| headers.get(name).map(HeaderValue::as_bytes);
            let answered = crate::page::Answered {
                status: res.status().as_u16(),
                content_type: value(header::CONTENT_TYPE),
                encoding: value(header::CONTENT_ENCODING),
            };
            let finish = crate::page::finish(Server::Axum, island_request.path(), &cx, answered);
            let headers = res.headers_mut();
            if finish.vary {
                // Its ids are a page's or a fragment's by those headers.
                add_vary(headers, crate::context::FRAGMENT_HEADERS);
            }
            if !finish.preloads.is_empty() {
                let trace = finish.trace.as_deref();
                for link in crate::preload::page_links(&cx.asset_prefix(), finish.preloads, trace) {
                    if let Ok(link) = HeaderValue::try_from(link) {
                        headers.append(header::LINK, link);
                    }
                }
            }
            for link in crate::preload::module_links(&cx.config, cx.mount(), finish.features) {
                if let Ok(link) = HeaderValue::from_maybe_shared(link) {
                    headers.append(header::LINK, link);
                }
            }
            if !finish.streams.is_empty() {
                let streamed =
                    super::stream::respond(res, &cx, &request, finish.streams, island_request);
                return Ok(streamed.await);
            }
            Ok(res)
        };
        Box::pin(page.instrument(span))
    }
}

/// Adds `names` to the response's `Vary` (see [`crate::page::vary`]).
fn add_vary(headers: &mut HeaderMap, names: &'static str) {
    let given = headers
        .get_all(header::VARY)
        .iter()
        .map(HeaderValue::as_bytes);
    let line = crate::page::vary(given, names);
    let value = match line {
        Some(Cow::Borrowed(names)) => Ok(HeaderValue::from_static(names)),
        Some(Cow::Owned(line)) => HeaderValue::try_from(line),
        None => return,
    };
    if let Ok(value) = value {
        headers.insert(header::VARY, value);
    }
}

/// The path of the router mochi's layer is nested in and, for a request
/// under the asset prefix, the rest of its path after the prefix:
/// `("/shop", Some("/batch"))` for `/shop/_mochi/batch` in a router nested
/// at `/shop`, `("", None)` for a page at the app's root.
///
/// The mount becomes the start of every URL mochi writes into the page,
/// so only a plain path qualifies (see the actix middleware's twin).
fn mount_and_rest(req: &Request<Body>, prefix: &str) -> (CompactString, Option<String>) {
    let path = req.uri().path();
    let original = req.extensions().get::<OriginalUri>();
    let mount = original
        .and_then(|original| {
            let full = original.0.path();
            // A nested router's index (`/shop`) reaches it as `/`.
            let index = || (path == "/").then(|| full.trim_end_matches('/'));
            full.strip_suffix(path).or_else(index)
        })
        .filter(|mount| crate::protocol::is_plain_mount(mount))
        .unwrap_or("");
    let rest = path
        .strip_prefix(prefix)
        .filter(|rest| rest.starts_with('/'));
    (mount.into(), rest.map(str::to_owned))
}

//! The actix middleware: answers requests under the asset prefix, and
//! runs page handlers inside a render context whose page it then finishes
//! (preload `Link`s, `Vary`, streamed islands).

use std::borrow::Cow;
use std::future::{ready, Ready};
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{self, HeaderValue};
use compact_str::CompactString;
use futures_util::future::LocalBoxFuture;
use futures_util::FutureExt as _;
use tracing::Instrument as _;

use crate::config::Config;
use crate::context::{self, RenderContext, RequestKind, SharedRequest};
use crate::endpoint::AssetRequest;
use crate::page::Server;
use crate::Mochi;

impl<S, B> Transform<S, ServiceRequest> for Mochi
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = MochiMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(MochiMiddleware {
            service: Rc::new(service),
            config: self.config.clone(),
        }))
    }
}

/// The service [`Mochi`] wraps around an app.
#[derive(Debug)]
pub struct MochiMiddleware<S> {
    service: Rc<S>,
    config: Arc<Config>,
}

impl<S, B> Service<ServiceRequest> for MochiMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let config = self.config.clone();
        let (mount, rest) = mount_and_rest(&req, &config.prefix);
        if let Some(rest) = rest {
            let (http, payload) = req.into_parts();
            let asset = AssetRequest {
                head: super::head_of(&http),
                body: payload,
                mount,
                rest,
            };
            // Boxed once: the answer's state is large, and is then moved
            // only as a pointer.
            let answer = Box::pin(crate::endpoint::handle(config, asset));
            return Box::pin(async move {
                let answer = super::with_request(http.clone(), answer).await;
                let res = super::response(&http, answer);
                Ok(ServiceResponse::new(http, res).map_into_right_body())
            });
        }
        let head = super::head_of(req.request());
        let fragment = head.wants_fragment();
        let origin = config.settings.origin.clone();
        let request = Arc::new(SharedRequest::new(head, RequestKind::Page, origin));
        let cx = RenderContext::response(config, request.clone(), fragment, &mount);
        let cx = Arc::new(cx);
        let service = self.service.clone();
        // A shared handle on the target, for the log should the page panic.
        let uri = req.uri().clone();
        let span = crate::page::span(uri.path());
        let fut = span.in_scope(|| context::run_sync(cx.clone(), || service.call(req)));
        let page = async move {
            // A page that panics while mochi runs its render is answered 500
            // with a body, not a dropped connection.
            let rendered = AssertUnwindSafe(context::run(cx.clone(), fut))
                .catch_unwind()
                .await;
            let mut res = match rendered {
                Ok(res) => res?,
                Err(_) => {
                    crate::page::record_status(500);
                    crate::page::log_panic(uri.path());
                    return Err(actix_web::error::ErrorInternalServerError(
                        crate::page::PANIC_BODY,
                    ));
                }
            };
            let headers = res.headers();
            let value = |name| headers.get(name).map(HeaderValue::as_bytes);
            let answered = crate::page::Answered {
                status: res.status().as_u16(),
                content_type: value(header::CONTENT_TYPE),
                encoding: value(header::CONTENT_ENCODING),
            };
            let finish = crate::page::finish(Server::Actix, uri.path(), &cx, answered);
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
                // Boxed: its state is large, and only streamed pages need it.
                let streamed = super::stream::respond(res, &cx, &request, finish.streams);
                let res = Box::pin(streamed).await;
                return Ok(res.map_into_right_body());
            }
            Ok(res.map_into_left_body())
        };
        Box::pin(page.instrument(span))
    }
}

/// Adds `names` to the response's `Vary` (see [`crate::page::vary`]).
fn add_vary(headers: &mut actix_web::http::header::HeaderMap, names: &'static str) {
    use actix_web::http::header::VARY;
    let given = headers.get_all(VARY).map(HeaderValue::as_bytes);
    let line = crate::page::vary(given, names);
    let value = match line {
        Some(Cow::Borrowed(names)) => Ok(HeaderValue::from_static(names)),
        Some(Cow::Owned(line)) => HeaderValue::try_from(line),
        None => return,
    };
    if let Ok(value) = value {
        headers.insert(VARY, value);
    }
}

/// The path of the actix scope mochi is mounted in and, for a request
/// under the asset prefix, the rest of its path after the prefix, both
/// from the one path actix routes on (percent-decoded but for reserved
/// characters): `("/shop", Some("/batch"))` for `/shop/_mochi/batch`
/// inside `web::scope("/shop")`, `("", None)` for a page at the app's root.
///
/// The mount becomes the start of every URL mochi writes into the page
/// (runtime script, client modules, island and batch URLs, preload
/// `Link`s), so only a plain path qualifies; anything else (a scope
/// matched on `//host`, `/\host`, `%`, quotes) is taken as the root mount,
/// which keeps those URLs same-origin and under the asset prefix.
fn mount_and_rest(req: &ServiceRequest, prefix: &str) -> (CompactString, Option<String>) {
    let routed = req.match_info();
    let (path, unmatched) = (routed.as_str(), routed.unprocessed());
    let mount = path
        .strip_suffix(unmatched)
        .filter(|mount| crate::protocol::is_plain_mount(mount))
        .unwrap_or("");
    let rest = unmatched
        .strip_prefix(prefix)
        .filter(|rest| rest.starts_with('/'));
    (mount.into(), rest.map(str::to_owned))
}

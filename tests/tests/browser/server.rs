//! The test pages on both servers. Each page is a function from a
//! server-neutral request ([`Req`]) to an `http` response ([`Answer`]);
//! one table of [`Route`]s is registered on actix-web ([`actix_routes`])
//! and on axum ([`axum_router`]), next to the example shop, and
//! [`start_actix`] and [`start_axum`] serve it all, each on a fresh
//! in-memory database and with a key of its own.

use std::net::SocketAddr;

use actix_web::dev::Service as _;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use axum::body::Body;
use axum::extract::{RawPathParams, Request};
use axum::middleware::Next;
use axum::response::Response;
use axum::{Extension, Router};
use futures_util::future::BoxFuture;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, Method, StatusCode};
use serde::de::DeserializeOwned;

/// A request as a test page sees it, whichever server took it.
pub(crate) struct Req {
    pub(crate) method: Method,
    /// The route's path parameters (`{name}`), by name.
    pub(crate) params: Vec<(String, String)>,
    /// The query string, without `?` (empty when there is none).
    pub(crate) query: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Req {
    /// The query, decoded. A page asked for with the wrong query is a bug
    /// in a scenario: it panics (both servers answer 500).
    pub(crate) fn query<K: DeserializeOwned>(&self) -> K {
        serde_urlencoded::from_str(&self.query)
            .unwrap_or_else(|e| panic!("query {:?}: {e}", self.query))
    }

    /// The path parameter `name` (the route has it).
    pub(crate) fn param(&self, name: &str) -> &str {
        let found = self.params.iter().find(|(n, _)| n == name);
        found.map_or_else(|| panic!("no path parameter {name}"), |(_, v)| v)
    }
}

/// A test page's answer, on either server.
pub(crate) type Answer = http::Response<Vec<u8>>;

/// A 200 answer of `content_type`.
pub(crate) fn answer(content_type: &'static str, body: impl Into<Vec<u8>>) -> Answer {
    let mut res = http::Response::new(body.into());
    let value = HeaderValue::from_static(content_type);
    res.headers_mut().insert(CONTENT_TYPE, value);
    res
}

/// A test page: boxed, so that one table holds them all.
pub(crate) type Handler = fn(Req) -> BoxFuture<'static, Answer>;

/// One test page's route. Paths are written `{name}` for a parameter,
/// which actix-web and axum 0.8 both read.
#[derive(Clone, Copy)]
pub(crate) struct Route {
    path: &'static str,
    /// Any method (else `GET` only).
    any_method: bool,
    handler: Handler,
}

impl Route {
    /// A page answering `GET`.
    pub(crate) const fn get(path: &'static str, handler: Handler) -> Route {
        Route {
            path,
            any_method: false,
            handler,
        }
    }

    /// A page answering any method.
    pub(crate) const fn any(path: &'static str, handler: Handler) -> Route {
        Route {
            path,
            any_method: true,
            handler,
        }
    }
}

// ---------------------------------------------------------------------------
// actix-web
// ---------------------------------------------------------------------------

/// Registers `routes` on an actix app.
pub(crate) fn actix_routes(cfg: &mut web::ServiceConfig, routes: &[Route]) {
    for route in routes {
        let handler = route.handler;
        let serve = move |req: HttpRequest, body: web::Bytes| {
            let answer = handler(actix_req(&req, &body));
            async move { actix_response(answer.await) }
        };
        let method = if route.any_method {
            web::route()
        } else {
            web::get()
        };
        cfg.route(route.path, method.to(serve));
    }
}

/// actix-web speaks `http` 0.2: its request in `http` 1 types.
fn actix_req(req: &HttpRequest, body: &[u8]) -> Req {
    let headers = req.headers().iter().filter_map(|(name, value)| {
        let name = HeaderName::from_bytes(name.as_str().as_bytes()).ok()?;
        Some((name, HeaderValue::from_bytes(value.as_bytes()).ok()?))
    });
    Req {
        method: Method::from_bytes(req.method().as_str().as_bytes()).expect("a method"),
        params: (req.match_info().iter())
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect(),
        query: req.query_string().to_owned(),
        headers: headers.collect(),
        body: body.to_vec(),
    }
}

fn actix_response(answer: Answer) -> HttpResponse {
    let (head, body) = answer.into_parts();
    let status = actix_web::http::StatusCode::from_u16(head.status.as_u16());
    let mut res = HttpResponse::build(status.expect("a status"));
    for (name, value) in &head.headers {
        res.append_header((name.as_str(), value.as_bytes()));
    }
    res.body(body)
}

/// Serves the shop and `routes` on actix-web, on 127.0.0.1:0 in a
/// background thread (it lives as long as the test process): mochi inside,
/// then compression (as the shop runs: streamed parts must still arrive
/// one by one, see browser/streaming.rs), then the relabelling of one
/// island's answer as `text/plain`.
pub(crate) fn start_actix(routes: Vec<Route>) -> SocketAddr {
    let mochi = new_mochi();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let db = shop_db().await;
            let server = HttpServer::new(move || {
                let routes = routes.clone();
                App::new()
                    .wrap(mochi.clone())
                    .wrap(actix_web::middleware::Compress::default())
                    .wrap_fn(|req, srv| {
                        let plain = is_plain_text(req.path());
                        let res = srv.call(req);
                        async move {
                            let mut res = res.await?;
                            if plain {
                                res.headers_mut().insert(
                                    actix_web::http::header::CONTENT_TYPE,
                                    actix_web::http::header::HeaderValue::from_static(PLAIN),
                                );
                            }
                            Ok(res)
                        }
                    })
                    .configure(example_shop::app(db.clone()))
                    .configure(move |cfg| actix_routes(cfg, &routes))
            })
            .workers(2)
            .disable_signals()
            .bind(("127.0.0.1", 0))
            .expect("bind 127.0.0.1:0");
            tx.send(server.addrs()[0]).expect("send address");
            server.run().await
        })
    });
    rx.recv().expect("server address")
}

// ---------------------------------------------------------------------------
// axum
// ---------------------------------------------------------------------------

/// The largest request body a test page reads on axum (actix-web's limit
/// is the shop's, set app-wide).
const BODY_LIMIT: usize = example_shop::MAX_FORM;

/// `routes` as an axum router.
pub(crate) fn axum_router(routes: &[Route]) -> Router {
    routes.iter().fold(Router::new(), |router, route| {
        let handler = route.handler;
        let serve = move |params: RawPathParams, req: Request| async move {
            let (parts, body) = req.into_parts();
            let Ok(body) = axum::body::to_bytes(body, BODY_LIMIT).await else {
                let mut res = Response::new(Body::empty());
                *res.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
                return res;
            };
            let req = Req {
                method: parts.method,
                params: (params.iter())
                    .map(|(name, value)| (name.to_owned(), value.to_owned()))
                    .collect(),
                query: parts.uri.query().unwrap_or_default().to_owned(),
                headers: parts.headers,
                body: body.to_vec(),
            };
            handler(req).await.map(Body::from)
        };
        let method = if route.any_method {
            axum::routing::any(serve)
        } else {
            axum::routing::get(serve)
        };
        router.route(route.path, method)
    })
}

/// Outside mochi's layer: relabels one island's answer as `text/plain`.
async fn relabel(req: Request, next: Next) -> Response {
    let plain = is_plain_text(req.uri().path());
    let mut res = next.run(req).await;
    if plain {
        let value = HeaderValue::from_static(PLAIN);
        res.headers_mut().insert(CONTENT_TYPE, value);
    }
    res
}

/// Serves the shop and `routes` on axum (a 2-worker tokio runtime), on
/// 127.0.0.1:0 in a background thread (it lives as long as the test
/// process): mochi's layer inside, then the relabelling of one island's
/// answer as `text/plain`, then the shop's database. No compression.
pub(crate) fn start_axum(routes: Vec<Route>) -> SocketAddr {
    let mochi = new_mochi();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        rt.block_on(async move {
            let app = example_shop::axum_routes()
                .merge(axum_router(&routes))
                .layer(mochi.layer())
                .layer(axum::middleware::from_fn(relabel))
                .layer(Extension(shop_db().await));
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
                .await
                .expect("bind 127.0.0.1:0");
            tx.send(listener.local_addr().expect("an address"))
                .expect("send address");
            axum::serve(listener, app).await
        })
    });
    rx.recv().expect("server address")
}

// ---------------------------------------------------------------------------
// Both
// ---------------------------------------------------------------------------

const PLAIN: &str = "text/plain; charset=utf-8";

/// Whether the answer to `path` is relabelled `text/plain` (see
/// `plain_text` in browser.rs).
fn is_plain_text(path: &str) -> bool {
    path.ends_with("/island/PlainText")
}

/// mochi with a new key: each server has its own.
fn new_mochi() -> mochi::Mochi {
    mochi::Mochi::builder(mochi::Key::generate())
        .build()
        .expect("mochi starts")
}

/// The shop's database: a fresh in-memory SQLite one.
async fn shop_db() -> example_shop::Db {
    example_shop::Db::connect("sqlite::memory:")
        .await
        .expect("in-memory SQLite")
}

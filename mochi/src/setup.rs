//! [`Mochi`]: configuration, startup checks and the actix middleware.

use std::fmt;
use std::future::{ready, Ready};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{self, HeaderValue};
use compact_str::CompactString;
use futures_util::future::LocalBoxFuture;

use crate::config::{Config, Origin, Settings, DEFAULT_ASSET_PREFIX};
use crate::context::{self, IdSpace, RenderContext, RenderKind, RequestKind, SharedRequest};
use crate::registry::{DuplicateIsland, Registry};
use crate::signing::{Key, KeyConfigError, KeySource, Keys};

/// Why mochi refused to start.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StartupError {
    /// `MOCHI_KEY` or `MOCHI_KEY_FALLBACKS` is not a valid key.
    Key(KeyConfigError),
    /// Two islands share a name.
    DuplicateIsland(DuplicateIsland),
    /// The asset prefix is not a path like `/_mochi`.
    AssetPrefix(String),
    /// The public origin is not `http://host[:port]` or `https://…`.
    PublicOrigin(String),
}

impl fmt::Display for StartupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartupError::Key(e) => e.fmt(f),
            StartupError::DuplicateIsland(e) => e.fmt(f),
            StartupError::AssetPrefix(p) => write!(
                f,
                "asset prefix {p:?} must start with `/`, not end with `/`, and hold only \
                 letters, digits, `-`, `_`, `.` and `/`"
            ),
            StartupError::PublicOrigin(o) => write!(
                f,
                "public origin {o:?} must be `http://` or `https://` and a host with an \
                 optional port, with no path (e.g. `https://shop.example`)"
            ),
        }
    }
}

impl std::error::Error for StartupError {}

impl From<KeyConfigError> for StartupError {
    fn from(e: KeyConfigError) -> Self {
        StartupError::Key(e)
    }
}

impl From<DuplicateIsland> for StartupError {
    fn from(e: DuplicateIsland) -> Self {
        StartupError::DuplicateIsland(e)
    }
}

/// mochi's configuration and its actix middleware.
///
/// `App::new().wrap(mochi.clone())` is the whole integration: it serves the
/// island endpoint, the client runtime and the client modules under the
/// asset prefix, and gives every page render its render context.
///
/// **Wrap mochi first** (innermost): actix runs the middleware wrapped
/// last first, and mochi answers its own requests without calling the
/// services inside it. So `App::new().wrap(mochi).wrap(Compress::default())
/// .wrap(Logger::default())` compresses the runtime and logs island
/// requests; with mochi outermost, neither would happen.
///
/// In a `web::scope("/shop").wrap(mochi)`, mochi serves under the scope
/// (`/shop/_mochi/…`) and the pages of that scope point there.
#[derive(Clone, Debug)]
pub struct Mochi {
    config: Arc<Config>,
}

impl Mochi {
    /// Keys from `MOCHI_KEY` / `MOCHI_KEY_FALLBACKS`, default settings:
    /// `MochiBuilder::from_env()?.build()`.
    ///
    /// Without `MOCHI_KEY`, a random key is made once for this process and a
    /// warning says why a real deployment needs `MOCHI_KEY`.
    pub fn from_env() -> Result<Mochi, StartupError> {
        MochiBuilder::from_env()?.build()
    }

    /// A builder with an explicit signing key (tests, tools); apps usually
    /// start from [`MochiBuilder::from_env`].
    pub fn builder(key: Key) -> MochiBuilder {
        MochiBuilder::new(Keys::new(key, Vec::new()))
    }

    /// The asset prefix, e.g. `/_mochi`.
    pub fn asset_prefix(&self) -> &str {
        &self.config.prefix
    }

    /// The URL of the client runtime script.
    pub fn runtime_url(&self) -> &str {
        &self.config.runtime_url
    }

    /// Runs `render` as a page render outside actix (tests, benchmarks,
    /// static generation): islands get ids, signatures and a props table.
    pub fn render_page<R>(&self, render: impl FnOnce() -> R) -> R {
        self.render(RenderKind::Page, IdSpace::page(), render)
    }

    /// Runs `render` as a fragment render outside actix: like
    /// [`Mochi::render_page`], with the ids of [`crate::fragment`].
    pub fn render_fragment<R>(&self, render: impl FnOnce() -> R) -> R {
        self.render(RenderKind::Fragment, IdSpace::fragment(), render)
    }

    fn render<R>(&self, kind: RenderKind, ids: IdSpace, render: impl FnOnce() -> R) -> R {
        let cx = RenderContext::new(self.config.clone(), None, kind, ids);
        context::run_sync(Arc::new(cx), render)
    }
}

/// Settings for [`Mochi`].
#[derive(Debug)]
pub struct MochiBuilder {
    keys: Keys,
    /// Where the signing key came from: a random one is warned about.
    source: KeySource,
    prefix: String,
    settings: Settings,
}

impl MochiBuilder {
    /// Starts from `keys` and the defaults.
    pub fn new(keys: Keys) -> MochiBuilder {
        MochiBuilder {
            keys,
            source: KeySource::Environment,
            prefix: DEFAULT_ASSET_PREFIX.to_owned(),
            settings: Settings::default(),
        }
    }

    /// Starts from the keys in `MOCHI_KEY` / `MOCHI_KEY_FALLBACKS` and the
    /// defaults. Without `MOCHI_KEY`, [`MochiBuilder::build`] warns that
    /// the key is random.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let mochi = mochi::MochiBuilder::from_env()?
    ///     .asset_prefix("/assets/mochi")
    ///     .island_timeout(Duration::from_secs(5))
    ///     .build()?;
    /// assert_eq!(mochi.asset_prefix(), "/assets/mochi");
    /// # Ok::<(), mochi::StartupError>(())
    /// ```
    pub fn from_env() -> Result<MochiBuilder, StartupError> {
        let (keys, source) = Keys::from_env()?;
        Ok(MochiBuilder {
            source,
            ..MochiBuilder::new(keys)
        })
    }

    /// Verify-only keys, for rotating the signing key.
    pub fn fallback_keys(mut self, fallbacks: Vec<Key>) -> MochiBuilder {
        let primary = self.keys.clone();
        self.keys = primary.with_fallbacks(fallbacks);
        self
    }

    /// Where mochi serves its endpoint and scripts (default `/_mochi`).
    pub fn asset_prefix(mut self, prefix: impl Into<String>) -> MochiBuilder {
        self.prefix = prefix.into();
        self
    }

    /// The longest island URL (path and query) read before answering 414.
    pub fn max_url_len(mut self, len: usize) -> MochiBuilder {
        self.settings.max_url = len;
        self
    }

    /// The largest `POST` island body read before answering 413 (default
    /// 64 KiB).
    pub fn max_body_len(mut self, len: usize) -> MochiBuilder {
        self.settings.max_body = len;
        self
    }

    /// Island URLs longer than this go by `POST` (default 2048
    /// characters): such answers are never cacheable.
    pub fn post_threshold(mut self, len: usize) -> MochiBuilder {
        self.settings.post_threshold = len;
        self
    }

    /// How long an island render may take (default 10 s). Past it, the
    /// answer is `504` and the render is dropped; `#[island(timeout =
    /// "2s")]` overrides it per island.
    pub fn island_timeout(mut self, timeout: Duration) -> MochiBuilder {
        self.settings.island_timeout = timeout;
        self
    }

    /// The site's public origin, e.g. `https://shop.example`: what
    /// [`RequestContext::page_url`](crate::RequestContext::page_url) uses,
    /// whatever the request's headers say. For apps behind a proxy.
    pub fn public_origin(mut self, origin: impl Into<String>) -> MochiBuilder {
        self.settings.origin = Origin::Fixed(origin.into());
        self
    }

    /// Believe `Forwarded` and `X-Forwarded-Proto` / `-Host` (valid values
    /// only) for the page URL. Only behind a proxy that sets them and
    /// strips what clients send: any client can send them.
    pub fn trust_forwarded_headers(mut self) -> MochiBuilder {
        self.settings.origin = Origin::TrustForwarded;
        self
    }

    /// Serve island requests that a page of another site makes
    /// (`Sec-Fetch-Site: cross-site`); refused with 403 by default.
    pub fn allow_cross_site(mut self, allow: bool) -> MochiBuilder {
        self.settings.allow_cross_site = allow;
        self
    }

    /// Whether error answers (400, 500, …) name their cause, e.g. why props
    /// did not decode. On in debug builds, off in release builds: a cause
    /// can hold internals (an island's error message).
    pub fn error_details(mut self, details: bool) -> MochiBuilder {
        self.settings.error_details = details;
        self
    }

    /// Whether pages send `Link: <…>; rel=preload; as=fetch` for the
    /// server islands that load as soon as the page does (default on), so
    /// the browser starts those fetches from the response headers, in
    /// parallel with the runtime.
    pub fn preload_islands(mut self, preload: bool) -> MochiBuilder {
        self.settings.preload = preload;
        self
    }

    /// Whether server islands that start loading together (a page's eager
    /// islands; visible ones that scroll into view together) are fetched in
    /// one request to `{prefix}/batch`, whose answer streams each island as
    /// it is rendered (default on). Islands with a `cache` policy always
    /// keep their own cacheable `GET`.
    pub fn batch_islands(mut self, batch: bool) -> MochiBuilder {
        self.settings.batch = batch;
        self
    }

    /// Checks the settings and the island registry.
    pub fn build(self) -> Result<Mochi, StartupError> {
        let p = &self.prefix;
        let valid = p.starts_with('/')
            && p.len() > 1
            && !p.ends_with('/')
            && !p.contains("//")
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b));
        if !valid {
            return Err(StartupError::AssetPrefix(self.prefix));
        }
        if let Origin::Fixed(origin) = &self.settings.origin {
            let valid = ["http://", "https://"].iter().any(|scheme| {
                origin
                    .strip_prefix(scheme)
                    .is_some_and(crate::context::is_valid_host)
            });
            if !valid {
                return Err(StartupError::PublicOrigin(origin.clone()));
            }
        }
        Registry::global()?;
        if self.source == KeySource::Random {
            log::warn!(
                "mochi: MOCHI_KEY is not set, so props are signed with a random key made for \
                 this process. Pages cached before a restart, and other instances behind a load \
                 balancer, will get 403 from island requests. Set MOCHI_KEY to a new key: {}",
                crate::signing::GENERATE_KEY
            );
        }
        let config = Config::new(self.keys, self.prefix, self.settings);
        Ok(Mochi {
            config: Arc::new(config),
        })
    }
}

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
            return Box::pin(async move {
                let res =
                    crate::endpoint::handle(config, http.clone(), payload, &mount, &rest).await;
                Ok(ServiceResponse::new(http, res).map_into_right_body())
            });
        }
        let head = crate::actix::head_of(req.request());
        let fragment = head.wants_fragment();
        let origin = config.settings.origin.clone();
        let request = Arc::new(SharedRequest::new(head, RequestKind::Page, origin));
        let cx = Arc::new(RenderContext::response(config, request, fragment, &mount));
        let service = self.service.clone();
        let fut = context::run_sync(cx.clone(), || service.call(req));
        Box::pin(async move {
            let mut res = context::run(cx.clone(), fut).await?;
            if cx.ids.used() {
                // Its ids are a page's or a fragment's by those headers.
                add_vary(res.headers_mut(), FRAGMENT_HEADERS);
            }
            let preloads = cx.take_preloads();
            if !preloads.is_empty() && is_html_page(&res) {
                let headers = res.headers_mut();
                for link in crate::preload::links(&cx.asset_prefix(), &preloads) {
                    if let Ok(link) = HeaderValue::try_from(link) {
                        headers.append(header::LINK, link);
                    }
                }
            }
            if let Some(islands) = cx.islands_without_runtime() {
                let path = res.request().path();
                crate::warn_once::warn_once("runtime", path, || {
                    format!(
                        "mochi: page {path} renders {islands} island(s) but not the client \
                         runtime, so they will never load or hydrate: add \
                         (mochi::runtime_script()) to its <head>, or render it with \
                         mochi::fragment if it is HTML for a page already in the browser"
                    )
                });
            }
            let streams = cx.take_streams();
            if !streams.is_empty() && crate::stream::can_stream(&res) {
                // Boxed: its state is large, and only streamed pages need it.
                let res = Box::pin(crate::stream::respond(res, &cx, streams)).await;
                return Ok(res.map_into_right_body());
            }
            Ok(res.map_into_left_body())
        })
    }
}

/// The request headers that make a response a fragment
/// ([`RequestHead::wants_fragment`]).
const FRAGMENT_HEADERS: &str = "HX-Request, Turbo-Frame, Sec-Fetch-Dest";

/// Adds `names` to the response's `Vary`, as one line with what it said
/// already (`Vary: *` stays as it is).
fn add_vary(headers: &mut actix_web::http::header::HeaderMap, names: &'static str) {
    use actix_web::http::header::{HeaderValue, VARY};
    if !headers.contains_key(VARY) {
        headers.insert(VARY, HeaderValue::from_static(names));
        return;
    }
    let mut given: Vec<&str> = headers
        .get_all(VARY)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    if given.contains(&"*") {
        return;
    }
    for name in names.split(", ") {
        if !given.iter().any(|g| g.eq_ignore_ascii_case(name)) {
            given.push(name);
        }
    }
    if let Ok(value) = HeaderValue::from_str(&given.join(", ")) {
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
        .filter(|mount| is_plain_mount(mount))
        .unwrap_or("");
    let rest = unmatched
        .strip_prefix(prefix)
        .filter(|rest| rest.starts_with('/'));
    (mount.into(), rest.map(str::to_owned))
}

/// `/segment/segment…` of letters, digits, `-`, `_`, `.` and `~`, with no
/// empty, `.` or `..` segment: a path that can only name a place on this
/// origin (not `//host`, not `/\host`) and needs no escaping in HTML or a
/// `Link` header.
pub(crate) fn is_plain_mount(mount: &str) -> bool {
    let Some(segments) = mount.strip_prefix('/') else {
        return mount.is_empty();
    };
    segments.split('/').all(|segment| {
        !segment.is_empty()
            && segment != "."
            && segment != ".."
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
    })
}

/// Whether `res` is a successful HTML page: `200`, and a `Content-Type`
/// that is absent or `text/html`.
pub(crate) fn is_html_page<B>(res: &ServiceResponse<B>) -> bool {
    use actix_web::http::header;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/html"));
    res.status() == actix_web::http::StatusCode::OK && html
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderMap, HeaderValue, VARY};

    use super::{add_vary, is_plain_mount};

    #[test]
    fn only_plain_paths_are_mounts() {
        for ok in ["", "/shop", "/a/b-c/d_e/v1.2/~x"] {
            assert!(is_plain_mount(ok), "{ok:?}");
        }
        for bad in [
            "/",
            "//evil.example",
            "/\\evil",
            "shop",
            "/shop/",
            "/a//b",
            "/./a",
            "/a/..",
            "/%41",
            "/a\"b",
            "/a<b",
            "/a b",
            "/é",
        ] {
            assert!(!is_plain_mount(bad), "{bad:?}");
        }
    }

    #[test]
    fn vary_names_join_what_was_there() {
        let mut headers = HeaderMap::new();
        add_vary(&mut headers, "A, B");
        assert_eq!(headers.get(VARY).unwrap(), "A, B");
        headers.append(VARY, HeaderValue::from_static("cookie, b"));
        add_vary(&mut headers, "B, C");
        let all: Vec<_> = headers.get_all(VARY).collect();
        assert_eq!(all, ["A, B, cookie, b, C"]);
        headers.insert(VARY, HeaderValue::from_static("*"));
        add_vary(&mut headers, "A");
        assert_eq!(headers.get(VARY).unwrap(), "*");
    }
}

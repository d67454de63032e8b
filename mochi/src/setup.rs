//! [`Mochi`]: configuration, startup checks and the actix middleware.

use std::collections::HashSet;
use std::fmt;
use std::future::{ready, Ready};
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use futures_util::future::LocalBoxFuture;

use crate::config::{Config, DEFAULT_ASSET_PREFIX, DEFAULT_MAX_URL};
use crate::context::{self, PageState, RequestHead, Scope, ScopeRequest};
use crate::registry::{DuplicateIsland, Registry};
use crate::signing::{Key, KeyConfigError, KeySource, Keys};

/// Why mochi refused to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartupError {
    /// `MOCHI_KEY` or `MOCHI_KEY_FALLBACKS` is not a valid key.
    Key(KeyConfigError),
    /// Two islands share a name.
    DuplicateIsland(DuplicateIsland),
    /// The asset prefix is not a path like `/_mochi`.
    AssetPrefix(String),
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
/// asset prefix, and gives every page render its request context.
#[derive(Clone, Debug)]
pub struct Mochi {
    config: Arc<Config>,
}

impl Mochi {
    /// Keys from `MOCHI_KEY` / `MOCHI_KEY_FALLBACKS`, default settings.
    ///
    /// Without `MOCHI_KEY`, a random key is made once for this process and a
    /// warning says why a real deployment needs `MOCHI_KEY`.
    pub fn from_env() -> Result<Mochi, StartupError> {
        let (keys, source) = Keys::from_env()?;
        if source == KeySource::Random {
            log::warn!(
                "mochi: MOCHI_KEY is not set, so props are signed with a random key made for \
                 this process. Pages cached before a restart, and other instances behind a load \
                 balancer, will get 403 from island requests. Set MOCHI_KEY to the output of \
                 `cargo run -p mochi -- generate-key`."
            );
        }
        MochiBuilder::new(keys).build()
    }

    /// A builder with explicit keys.
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
        let scope = Scope::new(self.config.clone(), None, PageState::default());
        context::run_sync(Rc::new(scope), render)
    }
}

/// Settings for [`Mochi`].
#[derive(Debug)]
pub struct MochiBuilder {
    keys: Keys,
    prefix: String,
    max_url: usize,
}

impl MochiBuilder {
    /// Starts from `keys` and the defaults.
    pub fn new(keys: Keys) -> MochiBuilder {
        MochiBuilder {
            keys,
            prefix: DEFAULT_ASSET_PREFIX.to_owned(),
            max_url: DEFAULT_MAX_URL,
        }
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
        self.max_url = len;
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
        Registry::global()?;
        Ok(Mochi {
            config: Arc::new(Config::new(self.keys, self.prefix, self.max_url)),
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
        if let Some(rest) = req.path().strip_prefix(config.prefix.as_str()) {
            if rest.starts_with('/') {
                let prefix_len = config.prefix.len();
                let (http, _) = req.into_parts();
                return Box::pin(async move {
                    let rest = &http.path()[prefix_len..];
                    let res = crate::endpoint::handle(config, http.clone(), rest).await;
                    Ok(ServiceResponse::new(http, res).map_into_right_body())
                });
            }
        }
        let scope = Rc::new(Scope::new(
            config,
            Some(ScopeRequest::Page(Rc::new(RequestHead::of(&req)))),
            PageState::default(),
        ));
        let service = self.service.clone();
        let fut = context::run_sync(scope.clone(), || service.call(req));
        Box::pin(async move {
            let res = context::run(scope.clone(), fut).await?;
            if let Some(ScopeRequest::Page(head)) = &scope.request {
                warn_if_runtime_missing(&scope, head.uri.path());
            }
            Ok(res.map_into_left_body())
        })
    }
}

/// Without the runtime script, every island on the page stays a fallback
/// forever; say so (once per path, boundedly) instead of failing silently.
fn warn_if_runtime_missing(scope: &Scope, path: &str) {
    let islands = scope.page.islands_rendered.get();
    if islands == 0 || scope.page.runtime_rendered.get() {
        return;
    }
    static WARNED: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let mut warned = WARNED.lock().unwrap_or_else(|p| p.into_inner());
    let warned = warned.get_or_insert_with(HashSet::new);
    if warned.len() < 1024 && warned.insert(path.to_owned()) {
        log::warn!(
            "mochi: page {path} renders {islands} island(s) but not the client runtime, so \
             they will never load or hydrate: add (mochi::runtime_script()) to its <head>"
        );
    }
}

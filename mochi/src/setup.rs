//! [`Mochi`]: configuration and startup checks.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{Config, Origin, Settings, DEFAULT_ASSET_PREFIX};
use crate::context::{self, IdSpace, RenderContext, RenderKind};
use crate::registry::{DuplicateIsland, Registry};
use crate::signing::{Key, KeyConfigError, KeySource, Keys};

/// Why mochi refused to start. Its `Debug` is its message, as `anyhow`'s
/// is: `fn main() -> Result<(), Box<dyn Error>>` with `?` prints what to
/// fix, not the error's fields.
#[derive(Clone, PartialEq, Eq)]
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

impl fmt::Debug for StartupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
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
    pub(crate) config: Arc<Config>,
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

    /// Open-only keys, for rotating the key.
    pub fn fallback_keys(mut self, fallbacks: Vec<Key>) -> MochiBuilder {
        let primary = self.keys.clone();
        self.keys = primary.with_fallbacks(fallbacks);
        self
    }

    /// Whether server islands' props are sealed (the default) or only
    /// signed.
    ///
    /// Sealed props (AES-256-GCM-SIV) cannot be read from the page or the
    /// island URL; the same props still give the same token, so pages and
    /// island answers stay cacheable, and equal tokens reveal equal props.
    /// Signed props (HMAC-SHA256) are the devalue text in base64url beside
    /// a tag: anyone who sees the page can read them, which can help when
    /// debugging, and they are about 15 characters shorter. Either way
    /// nobody without the key can change them, and tokens of both kinds
    /// open, so switching loses no cached page.
    pub fn seal_props(mut self, seal: bool) -> MochiBuilder {
        self.keys = self.keys.with_sealing(seal);
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

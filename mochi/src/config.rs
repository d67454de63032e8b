//! Settings shared by every worker: keys, asset prefix, limits.

use std::time::Duration;

use crate::signing::Keys;

/// Default URL prefix of everything mochi serves.
pub const DEFAULT_ASSET_PREFIX: &str = "/_mochi";
/// Island requests whose path and query exceed this are answered 414 unread.
pub const DEFAULT_MAX_URL: usize = 8 * 1024;
/// Signed props longer than this draw a warning: such URLs risk being cut by
/// proxies and CDNs.
pub(crate) const SIGNED_PROPS_WARN_LEN: usize = 1800;
/// Island URLs longer than this are sent as `POST` instead of `GET`.
pub const DEFAULT_POST_THRESHOLD: usize = 2048;
/// `POST` island bodies longer than this are answered 413 unread.
pub const DEFAULT_MAX_BODY: usize = 64 * 1024;
/// Islands one batch request may carry; the runtime splits larger sets.
pub(crate) const MAX_BATCH: usize = 32;
/// The longest batch URL (path and query) the runtime makes; it splits
/// larger sets. A constant the runtime shares, so a page's preload `Link`
/// names the very URL the runtime fetches.
pub(crate) const MAX_BATCH_URL: usize = 2048;
/// The most retries a server island may ask for (`.retries(n)`).
pub(crate) const MAX_RETRIES: u32 = 10;
/// The statuses that say a failure may pass (a proxy, an overloaded or
/// restarting server, a deadline): the runtime retries them, and a nested
/// island answering one is left for the browser to fetch. Any other
/// failure (4xx, 500: the island failed or panicked) would fail the same
/// way again.
pub(crate) const RETRIED_STATUSES: [u16; 3] = [502, 503, 504];
/// The shortest `refresh_every` interval, in milliseconds (browsers
/// enforce the same floor).
pub(crate) const MIN_REFRESH_MS: u64 = 1000;
/// How long an island render may take before it is answered 504.
pub const DEFAULT_ISLAND_TIMEOUT: Duration = Duration::from_secs(10);

/// How a page's own origin (`scheme://host`) is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The connection's scheme and a syntactically valid `Host` header.
    Connection,
    /// `Forwarded` / `X-Forwarded-Proto` / `X-Forwarded-Host` first (valid
    /// values only), for apps behind a proxy that sets them.
    TrustForwarded,
    /// A configured public origin, whatever the headers say.
    Fixed(String),
}

/// What a [`MochiBuilder`](crate::MochiBuilder) sets besides the keys and
/// the prefix; its `Default` is mochi's defaults.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) max_url: usize,
    pub(crate) max_body: usize,
    pub(crate) post_threshold: usize,
    pub(crate) island_timeout: Duration,
    pub(crate) origin: Origin,
    pub(crate) allow_cross_site: bool,
    /// Whether error answers name their cause (debug builds by default).
    pub(crate) error_details: bool,
    /// Whether pages send `Link: rel=preload` for their eager islands.
    pub(crate) preload: bool,
    /// Whether the browser fetches islands that start loading together in
    /// one batch request.
    pub(crate) batch: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            max_url: DEFAULT_MAX_URL,
            max_body: DEFAULT_MAX_BODY,
            post_threshold: DEFAULT_POST_THRESHOLD,
            island_timeout: DEFAULT_ISLAND_TIMEOUT,
            origin: Origin::Connection,
            allow_cross_site: false,
            error_details: cfg!(debug_assertions),
            preload: true,
            batch: true,
        }
    }
}

#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) keys: Keys,
    pub(crate) prefix: String,
    pub(crate) settings: Settings,
    pub(crate) runtime_url: String,
    /// `<script type="module" async src="{runtime_url}"></script>`, made once.
    pub(crate) runtime_tag: String,
    /// Each runtime module's `rel=modulepreload` `Link` value, made once
    /// (for pages at the app's root).
    pub(crate) module_links: Vec<(&'static str, bytes::Bytes)>,
}

impl Config {
    pub(crate) fn new(keys: Keys, prefix: String, settings: Settings) -> Config {
        let runtime_url = crate::assets::runtime_url(&prefix, "mochi");
        let module_links = crate::assets::MODULES
            .iter()
            .map(|&m| (m, crate::preload::module_link(&prefix, m).into()))
            .collect();
        Config {
            keys,
            prefix,
            settings,
            runtime_tag: crate::assets::runtime_tag(&runtime_url),
            runtime_url,
            module_links,
        }
    }

    #[cfg(test)]
    pub(crate) fn for_tests(keys: Keys) -> Config {
        Config::new(keys, DEFAULT_ASSET_PREFIX.to_owned(), Settings::default())
    }
}

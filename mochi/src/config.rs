//! Settings shared by every worker: keys, asset prefix, limits.

use crate::signing::Keys;

/// Default URL prefix of everything mochi serves.
pub const DEFAULT_ASSET_PREFIX: &str = "/_mochi";
/// Island requests whose path and query exceed this are answered 414 unread.
pub const DEFAULT_MAX_URL: usize = 8 * 1024;
/// Signed props longer than this draw a warning: such URLs risk being cut by
/// proxies and CDNs.
pub const SIGNED_PROPS_WARN_LEN: usize = 1800;

#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) keys: Keys,
    pub(crate) prefix: String,
    pub(crate) max_url: usize,
    pub(crate) runtime_url: String,
    /// `<script type="module" src="{runtime_url}"></script>`, made once.
    pub(crate) runtime_tag: String,
}

impl Config {
    pub(crate) fn new(keys: Keys, prefix: String, max_url: usize) -> Config {
        let runtime_url = format!("{prefix}/runtime-{}.js", crate::assets::runtime_hash());
        Config {
            keys,
            prefix,
            max_url,
            runtime_tag: crate::render::runtime_tag(&runtime_url),
            runtime_url,
        }
    }
}

//! Verified tokens, cached per thread: an island asked for again with a
//! token it was answered with before skips the HMAC.
//!
//! Correct by construction: verification is a pure function of the keys,
//! the island's name and the token's text, and the cache is keyed by
//! exactly those (the keys' id, the name, the whole token, compared in
//! full), holding the payload verification returned for that input. A hit
//! is what verifying again would give. Only tokens that verified, and that
//! decoded to UTF-8, are kept.

use std::cell::RefCell;
use std::sync::Arc;

use crate::keyed_cache::KeyedCache;
use crate::signing::Keys;

/// Longer tokens are not cached, so the cache stays within a few hundred
/// KiB per thread.
const MAX_TOKEN: usize = 1024;

thread_local! {
    /// Island name → token → props text.
    static VERIFIED: RefCell<KeyedCache<Arc<str>>> = RefCell::new(KeyedCache::new());
}

/// The props text `token` verified to for island `name` under `keys`, if
/// this thread has verified it before.
pub(crate) fn get(keys: &Keys, name: &'static str, token: &str) -> Option<Arc<str>> {
    VERIFIED.with(|cache| cache.borrow_mut().get(keys, name, token))
}

/// Keeps that `token` verified to `text` for island `name` under `keys`.
pub(crate) fn put(keys: &Keys, name: &'static str, token: &str, text: &Arc<str>) {
    if token.len() <= MAX_TOKEN {
        VERIFIED.with(|cache| cache.borrow_mut().insert(keys, name, token, text.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::Key;

    /// Whatever was cached before, a lookup answers only the exact token,
    /// name and keys it was verified with.
    #[test]
    fn a_hit_needs_the_same_keys_name_and_whole_token() {
        let keys = Keys::new(Key::generate(), Vec::new());
        let other = Keys::new(Key::generate(), Vec::new());
        let text: Arc<str> = "[1]".into();
        put(&keys, "A", "tok.en", &text);
        assert_eq!(get(&keys, "A", "tok.en").as_deref(), Some("[1]"));
        assert_eq!(get(&keys, "B", "tok.en"), None, "another island");
        assert_eq!(get(&keys, "A", "tok.e"), None, "a prefix");
        assert_eq!(get(&keys, "A", "tok.enx"), None, "an extension");
        assert_eq!(get(&other, "A", "tok.en"), None, "other keys");
        assert_eq!(get(&keys, "A", "tok.en"), None, "the key change emptied it");
        for n in 0..600 {
            put(&keys, "A", &format!("t.{n}"), &text);
        }
        assert_eq!(get(&keys, "A", "t.599").as_deref(), Some("[1]"));
        // The table stays bounded: a full one starts over.
        for n in 0..600 {
            put(&keys, "A", &format!("more.{n}"), &text);
        }
        assert_eq!(get(&keys, "A", "more.599").as_deref(), Some("[1]"));
        assert_eq!(get(&keys, "A", "t.0"), None);
    }
}

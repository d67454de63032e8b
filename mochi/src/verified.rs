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
use std::collections::HashMap;
use std::rc::Rc;

use crate::signing::Keys;

/// Entries per thread; a full cache is emptied and starts over.
const ENTRIES: usize = 256;
/// Longer tokens are not cached, so the cache stays within a few hundred
/// KiB per thread.
const MAX_TOKEN: usize = 1024;

type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

struct Verified {
    /// The id of the keys the tokens verified under.
    keys: u64,
    /// Island name → token → props text.
    texts: Map<&'static str, Map<Box<str>, Rc<str>>>,
    len: usize,
}

thread_local! {
    static VERIFIED: RefCell<Verified> = RefCell::new(Verified {
        keys: u64::MAX,
        texts: Map::default(),
        len: 0,
    });
}

/// The props text `token` verified to for island `name` under `keys`, if
/// this thread has verified it before.
pub(crate) fn get(keys: &Keys, name: &'static str, token: &str) -> Option<Rc<str>> {
    VERIFIED.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.keys != keys.id() {
            cache.texts.clear();
            cache.len = 0;
            cache.keys = keys.id();
        }
        cache.texts.get(name)?.get(token).cloned()
    })
}

/// Notes that `token` verified to `text` for island `name` under `keys`.
pub(crate) fn put(keys: &Keys, name: &'static str, token: &str, text: &Rc<str>) {
    if token.len() > MAX_TOKEN {
        return;
    }
    VERIFIED.with(|cache| {
        let cache = &mut *cache.borrow_mut();
        if cache.keys != keys.id() {
            cache.texts.clear();
            cache.len = 0;
            cache.keys = keys.id();
        }
        if cache.len >= ENTRIES {
            cache.texts.clear();
            cache.len = 0;
        }
        let tokens = cache.texts.entry(name).or_default();
        if tokens.insert(token.into(), text.clone()).is_none() {
            cache.len += 1;
        }
    });
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
        let text: Rc<str> = "[1]".into();
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
    }
}

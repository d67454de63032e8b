//! Verified tokens, cached per thread: an island asked for again with a
//! token it was answered with before skips the HMAC.
//!
//! Correct by construction: verification is a pure function of the keys,
//! the island's name and the token's text, and the cache is keyed by
//! exactly those (the keys' id, the name, the whole token, compared in
//! full), holding the payload verification returned for that input. A hit
//! is what verifying again would give. Only tokens that verified, and that
//! decoded to UTF-8, are kept.
//!
//! A token is kept the second time it verifies, not the first: a stream of
//! tokens that never come back (every visitor's own props) would otherwise
//! pay for an insert per request and keep emptying the table.

use std::cell::{Cell, RefCell};
use std::hash::BuildHasher as _;
use std::rc::Rc;

use crate::keyed_cache::KeyedCache;
use crate::signing::Keys;

/// Longer tokens are not cached, so the cache stays within a few hundred
/// KiB per thread.
const MAX_TOKEN: usize = 1024;

/// Slots of the table of tokens seen once.
const SEEN: usize = 256;

thread_local! {
    /// Island name → token → props text.
    static VERIFIED: RefCell<KeyedCache<Rc<str>>> = RefCell::new(KeyedCache::new());
    /// Hashes of tokens verified once and not kept yet, one per slot; a
    /// collision only delays keeping a token.
    static SEEN_ONCE: ([Cell<u64>; SEEN], foldhash::fast::FixedState) =
        const { ([const { Cell::new(0) }; SEEN], foldhash::fast::FixedState::with_seed(0x006d_6f63_6869)) };
}

/// The props text `token` verified to for island `name` under `keys`, if
/// this thread has verified it before.
pub(crate) fn get(keys: &Keys, name: &'static str, token: &str) -> Option<Rc<str>> {
    VERIFIED.with(|cache| cache.borrow_mut().get(keys, name, token))
}

/// Notes that `token` verified to `text` for island `name` under `keys`:
/// keeps it if it verified once before.
pub(crate) fn put(keys: &Keys, name: &'static str, token: &str, text: &Rc<str>) {
    if token.len() <= MAX_TOKEN && seen_before(token) {
        VERIFIED.with(|cache| cache.borrow_mut().insert(keys, name, token, text.clone()));
    }
}

/// Whether `token` was noted here before (and not pushed out since);
/// notes it otherwise.
fn seen_before(token: &str) -> bool {
    SEEN_ONCE.with(|(slots, hasher)| {
        let hash = hasher.hash_one(token) | 1;
        let slot = &slots[hash as usize % SEEN];
        let seen = slot.get() == hash;
        slot.set(if seen { 0 } else { hash });
        seen
    })
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
        assert_eq!(get(&keys, "A", "tok.en"), None, "kept the second time");
        put(&keys, "A", "tok.en", &text);
        assert_eq!(get(&keys, "A", "tok.en").as_deref(), Some("[1]"));
        assert_eq!(get(&keys, "B", "tok.en"), None, "another island");
        assert_eq!(get(&keys, "A", "tok.e"), None, "a prefix");
        assert_eq!(get(&keys, "A", "tok.enx"), None, "an extension");
        assert_eq!(get(&other, "A", "tok.en"), None, "other keys");
        assert_eq!(get(&keys, "A", "tok.en"), None, "the key change emptied it");
        for n in 0..600 {
            put(&keys, "A", &format!("t.{n}"), &text);
            put(&keys, "A", &format!("t.{n}"), &text);
        }
        assert_eq!(get(&keys, "A", "t.599").as_deref(), Some("[1]"));
        // Tokens seen once each are not kept.
        for n in 0..600 {
            put(&keys, "A", &format!("once.{n}"), &text);
        }
        assert_eq!(get(&keys, "A", "once.599"), None);
        assert_eq!(get(&keys, "A", "t.599").as_deref(), Some("[1]"));
    }
}

//! Per-thread caches of the props work that repeats from request to
//! request: the token a page render signs for given props, the props text
//! an island request's token carries once it has verified, and the devalue
//! text of a hydrated island's props.
//!
//! Each maps a deterministic function of its key, so a hit gives exactly
//! what the work would have. All are per thread (no locks) and bounded in
//! entries and entry size (memory stays flat whatever requests carry); the
//! two token caches are tied to one set of keys (a key change empties them).

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::rc::Rc;
use std::sync::Arc;
use std::thread::LocalKey;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Serialize;
use subtle::ConstantTimeEq;

use crate::config::SIGNED_PROPS_WARN_LEN;
use crate::devalue;
use crate::props_key;
use crate::registry::IslandDef;
use crate::signing::{Keys, TokenError};

/// Entries per thread and cache; a full cache is emptied and starts over.
const ENTRIES: usize = 256;
/// Longer tokens are not cached, so each cache stays within a few hundred
/// KiB per thread.
const MAX_TOKEN: usize = 1024;

/// foldhash, not SipHash: the tables are capped at a few hundred entries,
/// so colliding keys cannot cost more than a scan of those, and SipHash was
/// a fifth of a cached lookup.
type Table<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

fn insert_bounded<K: Hash + Eq, V>(table: &mut Table<K, V>, key: K, value: V) {
    if table.len() >= ENTRIES {
        table.clear();
    }
    table.insert(key, value);
}

/// A per-thread table of what props turned into, by island and props key.
///
/// The key is recorded from the props' `Serialize` impl by
/// [`crate::props_key`], which costs a fraction of a devalue encoding.
/// Bounded in entries, key length and value length, so memory stays flat
/// whatever the props.
struct PropsCache {
    /// What the values depend on besides the props (the signing keys' id
    /// for tokens); a different one empties the table.
    generation: u64,
    /// Island definition address ‖ props key → value.
    values: Table<Box<[u8]>, Arc<str>>,
}

impl PropsCache {
    fn new() -> RefCell<PropsCache> {
        RefCell::new(PropsCache {
            generation: u64::MAX,
            values: Table::with_hasher(foldhash::fast::RandomState::default()),
        })
    }
}

thread_local! {
    /// Tokens this thread signed recently. Tokens are deterministic, so a
    /// page that renders the same island with the same props on every
    /// request (the common case: personal data comes from the island's own
    /// request, not its props) need not encode and sign them every time.
    static TOKENS: RefCell<PropsCache> = PropsCache::new();
    /// devalue texts of hydrated islands' props: the text is what the props
    /// table de-duplicates and writes, and it repeats as tokens do.
    static TEXTS: RefCell<PropsCache> = PropsCache::new();
}

/// `make()` for `props` under `def`, from `cache` if this thread has it.
fn cached<P: Serialize + ?Sized>(
    cache: &'static LocalKey<RefCell<PropsCache>>,
    generation: u64,
    def: &'static IslandDef,
    props: &P,
    make: impl FnOnce() -> Option<String>,
) -> Option<Arc<str>> {
    // Recorded before the cache is borrowed: it runs the props' own code.
    let def_addr = (def as *const IslandDef as usize).to_ne_bytes();
    let Ok(key) = props_key::Key::of(&def_addr, props) else {
        return make().map(Arc::from);
    };
    let hit = cache.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.generation != generation {
            cache.values.clear();
            cache.generation = generation;
        }
        cache.values.get(key.as_bytes()).cloned()
    });
    if hit.is_some() {
        return hit;
    }
    let value: Arc<str> = make()?.into();
    if value.len() <= MAX_TOKEN {
        cache.with(|cache| {
            let values = &mut cache.borrow_mut().values;
            insert_bounded(values, key.as_bytes().into(), value.clone());
        });
    }
    Some(value)
}

/// The token for `props` under `def`, from this thread's cache if possible;
/// `None` if the props do not serialize (logged).
pub(crate) fn token_for<P: Serialize + ?Sized>(
    keys: &Keys,
    def: &'static IslandDef,
    props: &P,
) -> Option<Arc<str>> {
    cached(&TOKENS, keys.id(), def, props, || {
        sign_props(keys, def, props)
    })
}

/// The devalue text of `props`, from this thread's cache if possible;
/// `None` (logged) if they do not serialize.
pub(crate) fn props_text<P: Serialize + ?Sized>(
    def: &'static IslandDef,
    props: &P,
) -> Option<Arc<str>> {
    cached(&TEXTS, 0, def, props, || encode(def, props))
}

/// The devalue text of `props`; `None` (logged) if they do not serialize.
fn encode<P: Serialize + ?Sized>(def: &IslandDef, props: &P) -> Option<String> {
    match devalue::to_string(props) {
        Ok(text) => Some(text),
        Err(e) => {
            log::error!(
                "mochi: props of island `{}` do not serialize: {e}",
                def.name
            );
            None
        }
    }
}

/// Encodes and signs `props`; `None` (logged) if they do not serialize.
fn sign_props<P: Serialize + ?Sized>(keys: &Keys, def: &IslandDef, props: &P) -> Option<String> {
    encode(def, props).map(|text| sign_text(keys, def, &text))
}

fn sign_text(keys: &Keys, def: &IslandDef, text: &str) -> String {
    let token = keys.sign_encoded(def.name, &URL_SAFE_NO_PAD.encode(text));
    if token.len() > SIGNED_PROPS_WARN_LEN {
        log::warn!(
            "mochi: signed props of island `{}` are {} bytes (over ~{SIGNED_PROPS_WARN_LEN}); \
             proxies and CDNs may cut URLs that long: pass less data, e.g. an id to look up",
            def.name,
            token.len()
        );
    }
    token
}

/// Props texts of tokens this thread verified recently.
///
/// Pages are cached and shared, so many visitors send the very same token:
/// a hit skips the HMAC, the base64 decoding and the UTF-8 check. Only
/// tokens that verified are ever stored, under the island they verified
/// for, so a hit is as good as a verification: a forged or altered token
/// is never in the table, and the keys it was checked with are these keys.
///
/// A lookup must not become a timing oracle for the valid tokens it holds
/// (a page rendered for one visitor may carry props meant for them alone).
/// So the table is keyed by a hash of the token under this thread's random
/// seed, and a hit is confirmed by comparing the whole token in constant
/// time: a lookup's timing depends on that seeded hash, never on how many
/// leading bytes of a stored token a guess got right.
struct VerifiedCache {
    keys: u64,
    /// Keyed hash of the token → the token and what it verified to.
    texts: Table<u64, Verified>,
    /// foldhash's quality variant with this thread's random seed (SipHash
    /// was two thirds of a cached lookup).
    hasher: foldhash::quality::RandomState,
}

struct Verified {
    token: Box<str>,
    /// The island definition's address.
    def: usize,
    text: Rc<str>,
}

thread_local! {
    static VERIFIED: RefCell<VerifiedCache> = RefCell::new(VerifiedCache {
        keys: u64::MAX,
        texts: Table::with_hasher(foldhash::fast::RandomState::default()),
        hasher: foldhash::quality::RandomState::default(),
    });
}

/// Why a token's props cannot be used.
#[derive(Debug)]
pub(crate) enum Unverified {
    /// The token is malformed or its tag does not verify.
    Token(TokenError),
    /// The token verifies, but its payload is not UTF-8 text.
    NotText,
}

/// The props text `token` carries for `def`, if it verifies.
pub(crate) fn verified_text(
    keys: &Keys,
    def: &'static IslandDef,
    token: &str,
) -> Result<Rc<str>, Unverified> {
    if token.len() > MAX_TOKEN {
        return text_of(keys, def, token);
    }
    let def_addr = def as *const IslandDef as usize;
    let (hash, hit) = VERIFIED.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.keys != keys.id() {
            cache.texts.clear();
            cache.keys = keys.id();
        }
        let hash = cache.hasher.hash_one(token);
        let hit = cache.texts.get(&hash).and_then(|entry| {
            // Lengths are public (the token is in the URL); the bytes are
            // compared without an early exit.
            let same = entry.token.len() == token.len()
                && bool::from(ct_eq_words(entry.token.as_bytes(), token.as_bytes()));
            (same && entry.def == def_addr).then(|| entry.text.clone())
        });
        (hash, hit)
    });
    if let Some(text) = hit {
        return Ok(text);
    }
    let text = text_of(keys, def, token)?;
    VERIFIED.with(|cache| {
        let entry = Verified {
            token: token.into(),
            def: def_addr,
            text: text.clone(),
        };
        insert_bounded(&mut cache.borrow_mut().texts, hash, entry);
    });
    Ok(text)
}

/// Constant-time equality of two equal-length byte strings, eight bytes
/// at a time (`subtle`'s byte slices go one byte at a time, which was a
/// third of a cached lookup).
fn ct_eq_words(a: &[u8], b: &[u8]) -> subtle::Choice {
    debug_assert_eq!(a.len(), b.len());
    let word = |c: &[u8]| {
        let mut w = [0u8; 8];
        w[..c.len()].copy_from_slice(c);
        u64::from_ne_bytes(w)
    };
    a.chunks(8)
        .zip(b.chunks(8))
        .fold(subtle::Choice::from(1), |same, (x, y)| {
            same & word(x).ct_eq(&word(y))
        })
}

fn text_of(keys: &Keys, def: &IslandDef, token: &str) -> Result<Rc<str>, Unverified> {
    let payload = keys.verify(def.name, token).map_err(Unverified::Token)?;
    let text = String::from_utf8(payload).map_err(|_| Unverified::NotText)?;
    Ok(text.into())
}

#[cfg(test)]
mod tests {
    use super::{token_for, verified_text, Unverified};
    use crate::registry::{Hydrate, IslandDef};
    use crate::signing::{Key, Keys, TokenError};

    fn def(name: &'static str) -> &'static IslandDef {
        Box::leak(Box::new(IslandDef {
            name,
            module_path: "tests",
            file: "src/token_cache.rs",
            line: 1,
            endpoint: None,
            client: None,
            hydrate: Hydrate::Load,
            cache_control: None,
            has_props: true,
        }))
    }

    #[derive(serde::Serialize)]
    struct Props {
        n: u32,
    }

    /// A cached verification is only ever a hit for the same token, the
    /// same island and the same keys.
    #[test]
    fn verified_cache_never_widens_what_verifies() {
        let (a, b) = (def("A"), def("B"));
        let keys = Keys::new(Key::generate(), Vec::new());
        let token = token_for(&keys, a, &Props { n: 7 }).expect("signs");
        for _ in 0..2 {
            let text = verified_text(&keys, a, &token).expect("verifies");
            assert_eq!(&*text, r#"[{"n":1},7]"#);
        }
        // The same token for another island.
        assert!(matches!(
            verified_text(&keys, b, &token),
            Err(Unverified::Token(TokenError::BadSignature))
        ));
        // And again for the first, after the miss for the second.
        assert!(verified_text(&keys, a, &token).is_ok());
        // Every single-character change of the cached token.
        for i in 0..token.len() {
            let mut bytes = token.as_bytes().to_vec();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let altered = String::from_utf8(bytes).expect("ASCII");
            assert!(verified_text(&keys, a, &altered).is_err(), "{altered}");
        }
        // Other keys (a rotation without the old key as a fallback).
        let other = Keys::new(Key::generate(), Vec::new());
        assert!(matches!(
            verified_text(&other, a, &token),
            Err(Unverified::Token(TokenError::BadSignature))
        ));
        // And back: the cache followed the keys, it did not keep a verdict.
        assert!(verified_text(&keys, a, &token).is_ok());
    }

    /// Cached tokens are the tokens signing gives, whatever the cache did
    /// before (hits, misses, other islands, other keys).
    #[test]
    fn word_comparison_is_equality() {
        let text = b"W3siY291bnQiOjEsImxhYmVsIjoyfSwzLCJpdGVtcyJd.AVk_Xip8wWjY50Lxve";
        for len in 0..text.len() {
            let a = &text[..len];
            assert!(bool::from(super::ct_eq_words(a, a)));
            for i in 0..len {
                let mut b = a.to_vec();
                b[i] ^= 1 << (i % 8);
                assert!(!bool::from(super::ct_eq_words(a, &b)), "{len} {i}");
            }
        }
    }

    #[test]
    fn signed_cache_gives_what_signing_gives() {
        let (a, b) = (def("A"), def("B"));
        let keys = Keys::new(Key::generate(), Vec::new());
        let fresh = |d: &IslandDef, k: &Keys, n: u32| {
            use base64::Engine as _;
            let text = crate::devalue::to_string(&Props { n }).expect("encodes");
            k.sign_encoded(
                d.name,
                &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text),
            )
        };
        for round in 0..3 {
            for n in [0, 1, 300, 7] {
                for d in [a, b] {
                    let token = token_for(&keys, d, &Props { n }).expect("signs");
                    assert_eq!(&*token, fresh(d, &keys, n), "round {round}");
                }
            }
        }
        let other = Keys::new(Key::generate(), Vec::new());
        let token = token_for(&other, a, &Props { n: 7 }).expect("signs");
        assert_eq!(&*token, fresh(a, &other, 7));
        // More distinct props than the cache holds.
        for n in 0..600 {
            let token = token_for(&keys, a, &Props { n }).expect("signs");
            assert_eq!(&*token, fresh(a, &keys, n));
        }
    }
}

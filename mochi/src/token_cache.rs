//! Props tokens by the props they hold, cached per thread.
//!
//! A page that renders the same server island with the same props on every
//! request (the common case: personal data comes from the island's own
//! request, not its props) need not sign them every time. The cache is
//! keyed by exactly what the tag covers, the island's name and the props'
//! devalue text, and tied to one set of keys, so a hit is the token that
//! signing would have made: the props are still encoded on every render,
//! in one pass, and a `Serialize` impl that is not a pure function or that
//! swallows errors can only change the text, never be answered with
//! another text's token.

use std::cell::RefCell;
use std::sync::Arc;

use serde::Serialize;

use crate::config::SIGNED_PROPS_WARN_LEN;
use crate::devalue;
use crate::keyed_cache::KeyedCache;
use crate::registry::IslandDef;
use crate::signing::Keys;

/// Longer tokens are not cached, so the cache stays within a few hundred
/// KiB per thread.
const MAX_TOKEN: usize = 1024;

thread_local! {
    /// Island name → props text → token: keyed by exactly what is signed.
    static TOKENS: RefCell<KeyedCache<Arc<str>>> = RefCell::new(KeyedCache::new());
}

/// The devalue text of `props`; `None` (logged) if they do not serialize.
pub(crate) fn encode<P: Serialize + ?Sized>(def: &IslandDef, props: &P) -> Option<String> {
    logged(def, devalue::to_string(props))
}

/// `result`'s value; its error logged, as props that do not serialize.
fn logged<T>(def: &IslandDef, result: Result<T, devalue::Error>) -> Option<T> {
    result
        .map_err(|e| {
            log::error!(
                "mochi: props of island `{}` do not serialize: {e}",
                def.name
            )
        })
        .ok()
}

/// The devalue text of the props of an island without parameters: the
/// macro's props struct has no fields, so this is all it can encode to.
const NO_PROPS: &str = "[{}]";

/// The token for `props` of island `def` under `keys`; `None` (logged) if
/// they do not serialize. The props are encoded once, into a buffer lent
/// for the lookup; an island without parameters has nothing to encode.
pub(crate) fn token<P: Serialize + ?Sized>(
    keys: &Keys,
    def: &'static IslandDef,
    props: &P,
) -> Option<Arc<str>> {
    if !def.has_props {
        debug_assert_eq!(devalue::to_string(props).ok().as_deref(), Some(NO_PROPS));
        return Some(token_for(keys, def, NO_PROPS));
    }
    logged(
        def,
        devalue::with_text(props, |text| token_for(keys, def, text)),
    )
}

/// The token for props `text` of island `def` under `keys`.
fn token_for(keys: &Keys, def: &'static IslandDef, text: &str) -> Arc<str> {
    let hit = TOKENS.with(|cache| cache.borrow_mut().get(keys, def.name, text));
    if let Some(token) = hit {
        return token;
    }
    let token: Arc<str> = mint(keys, def, text).into();
    if token.len() <= MAX_TOKEN {
        TOKENS.with(|cache| {
            cache
                .borrow_mut()
                .insert(keys, def.name, text, token.clone())
        });
    }
    token
}

fn mint(keys: &Keys, def: &IslandDef, text: &str) -> String {
    let token = keys.mint(def.name, text.as_bytes());
    if token.len() > SIGNED_PROPS_WARN_LEN {
        // Once per island and power-of-two size class: a small instance's
        // warning does not hide a larger one's.
        let class = token.len().next_power_of_two();
        let subject = format!("{}/{class}", def.name);
        crate::warn_once::warn_once("props token", &subject, || {
            format!(
                "mochi: the props token of island `{}` is {} bytes (over ~{SIGNED_PROPS_WARN_LEN}); \
                 proxies and CDNs may cut URLs that long, and island URLs over the POST \
                 threshold are sent by POST, which no cache can share: pass less data, e.g. \
                 an id to look up (said once per island and size up to {class} bytes)",
                def.name,
                token.len()
            )
        });
    }
    token
}

#[cfg(test)]
mod tests {
    use super::token_for;
    use crate::registry::{Hydrate, IslandDef};
    use crate::signing::{Key, Keys};

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
            timeout: None,
            blocking: false,
            has_props: true,
            ts_props: &[],
        }))
    }

    /// What an island without parameters signs is what its props struct
    /// encodes to.
    #[test]
    fn no_props_text_is_the_empty_struct() {
        #[derive(serde::Serialize)]
        struct NoProps {}
        assert_eq!(
            crate::devalue::to_string(&NoProps {}).unwrap(),
            super::NO_PROPS
        );
    }

    /// Cached tokens are the tokens signing gives, whatever the cache did
    /// before (hits, misses, other islands, other keys, overflow).
    #[test]
    fn cached_tokens_are_what_signing_gives() {
        let (a, b) = (def("A"), def("B"));
        let keys = Keys::new(Key::generate(), Vec::new());
        let fresh = |d: &IslandDef, k: &Keys, text: &str| k.mint(d.name, text.as_bytes());
        for round in 0..3 {
            for text in ["[1]", "[2]", "[\"a\"]"] {
                for d in [a, b] {
                    assert_eq!(
                        &*token_for(&keys, d, text),
                        fresh(d, &keys, text),
                        "{round}"
                    );
                }
            }
        }
        let other = Keys::new(Key::generate(), Vec::new());
        assert_eq!(&*token_for(&other, a, "[1]"), fresh(a, &other, "[1]"));
        assert_eq!(&*token_for(&keys, a, "[1]"), fresh(a, &keys, "[1]"));
        for n in 0..600 {
            let text = format!("[{n}]");
            assert_eq!(&*token_for(&keys, a, &text), fresh(a, &keys, &text));
        }
    }
}

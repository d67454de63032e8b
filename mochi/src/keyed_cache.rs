//! The bounded table behind both per-thread token caches: (island name,
//! text) → value, for one set of keys. Each cache keys it by exactly what
//! its value is a pure function of; this type only keeps it bounded and
//! tied to the keys.

use std::collections::HashMap;

use crate::signing::Keys;

/// Entries per table; a full table is emptied and starts over.
const ENTRIES: usize = 256;

/// foldhash: the table is capped, so keys chosen to collide cost no more
/// than a scan of it.
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

pub(crate) struct KeyedCache<V> {
    /// The id of the keys the values were made with.
    keys: u64,
    /// Island name → text → value, looked up without copying the text.
    map: Map<&'static str, Map<Box<str>, V>>,
    /// Values held, over every island.
    len: usize,
}

impl<V: Clone> KeyedCache<V> {
    pub(crate) fn new() -> KeyedCache<V> {
        KeyedCache {
            keys: u64::MAX,
            map: Map::default(),
            len: 0,
        }
    }

    /// The value for `text` of island `name`, made under `keys`.
    pub(crate) fn get(&mut self, keys: &Keys, name: &'static str, text: &str) -> Option<V> {
        self.use_keys(keys);
        self.map.get(name)?.get(text).cloned()
    }

    /// Keeps `value` for `text` of island `name`, made under `keys`.
    pub(crate) fn insert(&mut self, keys: &Keys, name: &'static str, text: &str, value: V) {
        self.use_keys(keys);
        if self.len >= ENTRIES {
            self.clear();
        }
        if self
            .map
            .entry(name)
            .or_default()
            .insert(text.into(), value)
            .is_none()
        {
            self.len += 1;
        }
    }

    /// Empties the table if it holds values made under other keys.
    fn use_keys(&mut self, keys: &Keys) {
        if self.keys != keys.id() {
            self.clear();
            self.keys = keys.id();
        }
    }

    fn clear(&mut self) {
        self.map.clear();
        self.len = 0;
    }
}

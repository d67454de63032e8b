//! serde `Serializer` writing devalue text in one pass.
//!
//! devalue numbers slots in the order `stringify` first meets values (a
//! container takes its index before its children), and equal primitives
//! share one slot. The writer keeps finished slot texts in one arena (the
//! root container's text apart, as it goes first in the output), a
//! reusable scratch buffer per open container, and a map from a
//! primitive's JSON text to its slot (a linear scan while there are only a
//! few, then a hash table), so there is no allocation per value.
//!
//! One thing a single pass cannot know in advance: JavaScript enumerates an
//! object's array-index keys (`"0"`, `"17"`) before its other keys, and
//! collapses duplicate keys. When a map or struct shows such keys out of
//! JavaScript order, the writer finishes anyway and [`super::normalize`]
//! rebuilds the text in JavaScript order (rare, slower, exact).

use std::cell::Cell;
use std::hash::BuildHasher;

use foldhash::fast::RandomState;
use serde::ser::{self, Impossible, Serialize};

use super::error::{Error, Segment};
use super::escape::{self, write_index, MAX_SAFE_INTEGER};
use super::types::{self, magic};

/// Slot index, or a negative devalue sentinel.
pub(crate) type Index = i64;

pub(crate) const UNDEFINED: Index = -1;
pub(crate) const HOLE: Index = -2;
pub(crate) const NAN: Index = -3;
pub(crate) const POSITIVE_INFINITY: Index = -4;
pub(crate) const NEGATIVE_INFINITY: Index = -5;
pub(crate) const NEGATIVE_ZERO: Index = -6;
pub(crate) const SPARSE: Index = -7;

/// Past this many elements a container's duplicate check uses a hash set.
const LINEAR_SEEN: usize = 32;

/// Up to this many distinct primitives are de-duplicated by a linear scan;
/// past it, by the hash table.
const FEW_PRIMITIVES: usize = 4;

pub(crate) struct Writer {
    /// Finished slot texts, in the order they were finished.
    arena: String,
    /// Byte range of each slot's text in `arena` (by slot index).
    slots: Vec<(usize, usize)>,
    /// Text length and slot of each primitive while there are at most
    /// [`FEW_PRIMITIVES`], searched linearly (unless `hashed`).
    few: Vec<(u32, u32)>,
    /// All primitives are in `table`: there were more than a few, or the
    /// root container announced more than a few elements.
    hashed: bool,
    /// Interned primitives after those, by the hash of their slot text.
    table: Interner,
    hasher: RandomState,
    /// Scratch buffers for open containers.
    pool: Vec<String>,
    /// Stack of values seen by open Sets / Maps / maps (duplicate checks).
    seen: Vec<u64>,
    depth: usize,
    max_depth: usize,
    /// Some object needs JavaScript key order or lost a duplicate key.
    pub(crate) reorder: bool,
    keys: KeyCache,
    /// The text of slot 0 when it is a container (not in `arena`).
    root: String,
    root_set: bool,
    /// The finished text, lent by [`super::with_text`].
    pub(crate) text: String,
}

/// Quoted struct field names (`"name":`), cached by the address of their
/// `&'static str`: the same address and length is the same text forever.
struct KeyCache {
    /// Two-way set associative (pairs `2k`, `2k + 1`): (address, length,
    /// start and end of the quoted text in `text`); address 0 is empty.
    entries: Box<[(usize, usize, u32, u32); KEY_CACHE_SIZE]>,
    text: String,
}

const KEY_CACHE_SIZE: usize = 512;

/// Flag in a cache entry's end offset: the key is a plain name.
const PLAIN: u32 = 1 << 31;

impl KeyCache {
    fn new() -> Self {
        KeyCache {
            entries: Box::new([(0, 0, 0, 0); KEY_CACHE_SIZE]),
            text: String::new(),
        }
    }

    /// Appends `"key":`; true if `key` is a plain name: it neither starts
    /// with a digit (so cannot be an array index) nor is `__proto__`.
    #[inline(always)]
    fn push(&mut self, out: &mut String, key: &'static str) -> bool {
        let (addr, len) = (key.as_ptr() as usize, key.len());
        let set = ((addr ^ len.rotate_right(16)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 55) & !1;
        for way in [set, set + 1] {
            let (a, l, start, end) = self.entries[way];
            if a == addr && l == len {
                let plain = end & PLAIN != 0;
                let (start, end) = (start as usize, (end & !PLAIN) as usize);
                // Texts are stored padded to at least 16 bytes: copying a
                // fixed size is a couple of moves, not a memcpy call.
                if end - start <= 16 {
                    if let Some(padded) = self.text.get(start..start + 16) {
                        let keep = out.len() + (end - start);
                        out.push_str(padded);
                        out.truncate(keep);
                        return plain;
                    }
                }
                out.push_str(&self.text[start..end]);
                return plain;
            }
        }
        self.miss(out, key, set)
    }

    #[cold]
    fn miss(&mut self, out: &mut String, key: &'static str, set: usize) -> bool {
        let at = out.len();
        escape::write_quoted(out, key);
        out.push(':');
        if self.text.len() + (out.len() - at) > 1 << 14 {
            self.text.clear();
            self.entries.fill((0, 0, 0, 0));
        }
        // Keep the most recent key in the first way.
        self.entries[set + 1] = self.entries[set];
        let start = self.text.len();
        self.text.push_str(&out[at..]);
        let end = self.text.len();
        while self.text.len() < start + 16 {
            self.text.push(' ');
        }
        let plain = !key.as_bytes().first().is_some_and(u8::is_ascii_digit) && key != "__proto__";
        let flag = if plain { PLAIN } else { 0 };
        self.entries[set] = (
            key.as_ptr() as usize,
            key.len(),
            start as u32,
            end as u32 | flag,
        );
        plain
    }
}

impl Writer {
    pub(crate) fn new(max_depth: usize) -> Self {
        Writer {
            arena: String::with_capacity(256),
            slots: Vec::with_capacity(16),
            few: Vec::with_capacity(FEW_PRIMITIVES),
            hashed: false,
            table: Interner::new(),
            hasher: RandomState::default(),
            pool: Vec::new(),
            seen: Vec::new(),
            depth: 0,
            max_depth,
            reorder: false,
            keys: KeyCache::new(),
            root: String::new(),
            root_set: false,
            text: String::new(),
        }
    }

    /// Reserves the next slot index (for a container or tagged value).
    pub(crate) fn alloc(&mut self) -> Index {
        let i = self.slots.len();
        self.slots.push((0, 0));
        i as Index
    }

    /// Appends the text of slot `i`, written by `f`. (Every slot text in
    /// the arena is followed by a comma, so that [`Writer::finish`] can copy
    /// runs of consecutive slots at once.)
    pub(crate) fn set_slot_with(&mut self, i: Index, f: impl FnOnce(&mut String)) {
        let start = self.arena.len();
        f(&mut self.arena);
        self.slots[i as usize] = (start, self.arena.len());
        self.arena.push(',');
    }

    pub(crate) fn set_slot(&mut self, i: Index, text: &str) {
        self.set_slot_with(i, |out| out.push_str(text));
    }

    /// Interns a primitive whose text `f` writes: equal texts share a slot.
    pub(crate) fn primitive(&mut self, f: impl FnOnce(&mut String)) -> Index {
        let start = self.arena.len();
        f(&mut self.arena);
        let end = self.arena.len();
        let text = &self.arena[start..];
        let (arena, slots) = (&self.arena, &self.slots);
        let found = if !self.hashed && self.few.len() < FEW_PRIMITIVES {
            // The first few primitives are searched linearly, by length
            // first: no hashing, and no table to clear, for small values.
            let len = end - start;
            let mut found = None;
            for &(l, i) in &self.few {
                if l as usize == len {
                    let (s, e) = slots[i as usize];
                    if arena.as_bytes()[s..e] == *text.as_bytes() {
                        found = Some(i as usize);
                        break;
                    }
                }
            }
            if found.is_none() {
                self.few.push((len as u32, slots.len() as u32));
            }
            found
        } else {
            if !self.hashed {
                self.spill_few();
            }
            let (arena, slots) = (&self.arena, &self.slots);
            let text = &arena.as_bytes()[start..];
            let hash = self.hasher.hash_one(text);
            self.table.find_or_insert(hash, slots.len(), |i| {
                let (s, e) = slots[i];
                arena.as_bytes()[s..e] == *text
            })
        };
        match found {
            Some(i) => {
                self.arena.truncate(start);
                i as Index
            }
            None => {
                let i = self.slots.len();
                self.slots.push((start, end));
                self.arena.push(',');
                i as Index
            }
        }
    }

    /// Moves the primitives of the linear phase into the hash table (which
    /// is then used until the next reset).
    #[inline(never)]
    fn spill_few(&mut self) {
        for &(_, i) in &self.few {
            let (s, e) = self.slots[i as usize];
            let hash = self.hasher.hash_one(&self.arena.as_bytes()[s..e]);
            self.table.find_or_insert(hash, i as usize, |_| false);
        }
        self.few.clear();
        self.hashed = true;
    }

    /// A root container announcing more than a few elements will likely
    /// hold more than a few primitives: hash from the start.
    #[inline]
    fn expect(&mut self, len: usize) {
        if len > FEW_PRIMITIVES && self.slots.is_empty() {
            self.hashed = true;
        }
    }

    pub(crate) fn raw_primitive(&mut self, text: &str) -> Index {
        self.primitive(|out| out.push_str(text))
    }

    fn str_primitive(&mut self, s: &str) -> Index {
        self.primitive(|out| escape::write_quoted(out, s))
    }

    fn int_primitive(&mut self, v: i128) -> Index {
        if (-(MAX_SAFE_INTEGER as i128)..=MAX_SAFE_INTEGER as i128).contains(&v) {
            self.primitive(|out| escape::write_int(out, v as i64))
        } else {
            self.bigint_primitive(v)
        }
    }

    fn uint_primitive(&mut self, v: u128) -> Index {
        if v <= MAX_SAFE_INTEGER as u128 {
            self.primitive(|out| escape::write_int(out, v as i64))
        } else {
            self.primitive(|out| {
                out.push_str("[\"BigInt\",\"");
                out.push_str(itoa::Buffer::new().format(v));
                out.push_str("\"]");
            })
        }
    }

    pub(crate) fn bigint_primitive(&mut self, v: i128) -> Index {
        self.primitive(|out| {
            out.push_str("[\"BigInt\",\"");
            out.push_str(itoa::Buffer::new().format(v));
            out.push_str("\"]");
        })
    }

    fn f64_primitive(&mut self, v: f64) -> Index {
        if v.is_nan() {
            NAN
        } else if v == f64::INFINITY {
            POSITIVE_INFINITY
        } else if v == f64::NEG_INFINITY {
            NEGATIVE_INFINITY
        } else if v == 0.0 && v.is_sign_negative() {
            NEGATIVE_ZERO
        } else {
            self.primitive(|out| escape::write_f64(out, v))
        }
    }

    /// `Set` members and `Map` keys: JavaScript stores `-0` as `+0` there.
    pub(crate) fn canonical_key(&mut self, i: Index) -> Index {
        if i == NEGATIVE_ZERO {
            self.raw_primitive("0")
        } else {
            i
        }
    }

    pub(crate) fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(Error::new(format!(
                "nesting deeper than {} containers",
                self.max_depth
            )));
        }
        Ok(())
    }

    pub(crate) fn leave(&mut self, levels: usize) {
        self.depth -= levels;
    }

    pub(crate) fn take_buf(&mut self) -> String {
        self.pool.pop().unwrap_or_default()
    }

    pub(crate) fn give_buf(&mut self, mut buf: String) {
        buf.clear();
        self.pool.push(buf);
    }

    pub(crate) fn hash_str(&self, s: &str) -> u64 {
        self.hasher.hash_one(s.as_bytes())
    }

    /// The devalue text: `[slot0,slot1,…]`, or a bare sentinel.
    pub(crate) fn finish(&self, root: Index) -> String {
        let mut out = String::new();
        self.finish_into(root, &mut out);
        out
    }

    /// Appends the devalue text to `out`.
    pub(crate) fn finish_into(&self, root: Index, out: &mut String) {
        if root < 0 {
            out.push_str(itoa::Buffer::new().format(root));
            return;
        }
        out.reserve(self.arena.len() + self.root.len() + 2);
        out.push('[');
        let mut slots = &self.slots[..];
        if self.root_set {
            out.push_str(&self.root);
            slots = &slots[1..];
            if slots.is_empty() {
                out.push(']');
                return;
            }
            out.push(',');
        }
        // Slots whose texts follow each other in the arena (with their
        // commas) are copied as one run.
        let (mut run_start, mut run_end) = (0, 0);
        for &(s, e) in slots {
            if s == run_end {
                run_end = e + 1;
            } else {
                out.push_str(&self.arena[run_start..run_end]);
                (run_start, run_end) = (s, e + 1);
            }
        }
        // Without the last comma.
        out.push_str(&self.arena[run_start..run_end - 1]);
        out.push(']');
    }

    /// Empties the writer, keeping its allocations for the next value.
    fn reset(&mut self) {
        self.arena.clear();
        self.slots.clear();
        self.root.clear();
        self.root_set = false;
        self.table.clear();
        self.few.clear();
        self.hashed = false;
        self.seen.clear();
        self.depth = 0;
        self.reorder = false;
        self.text.clear();
    }

    /// Runs `f` with a writer, reusing this thread's previous one (and its
    /// allocations) when there is one. Re-entrant calls get a fresh writer.
    pub(crate) fn with<R>(max_depth: usize, f: impl FnOnce(&mut Writer) -> R) -> R {
        thread_local! {
            static CACHED: Cell<Option<Box<Writer>>> = const { Cell::new(None) };
        }
        let mut w = CACHED
            .with(Cell::take)
            .unwrap_or_else(|| Box::new(Writer::new(max_depth)));
        w.max_depth = max_depth;
        let r = f(&mut w);
        // Keep only modest buffers around between calls.
        if w.arena.capacity() <= 1 << 16
            && w.slots.capacity() <= 1 << 12
            && w.root.capacity() <= 1 << 16
            && w.text.capacity() <= 1 << 16
        {
            w.reset();
            CACHED.with(|c| c.set(Some(w)));
        }
        r
    }
}

/// An open-addressing hash set of slot indices keyed by the hash of their
/// text (linear probing, power-of-two size, at most half full). Lookups
/// compare the stored hash first and the text only on a hash match.
struct Interner {
    /// `slot index + 1`, 0 for empty.
    index: Vec<u32>,
    hash: Vec<u64>,
    len: usize,
}

impl Interner {
    const START: usize = 64;

    fn new() -> Self {
        Interner {
            index: vec![0; Self::START],
            hash: vec![0; Self::START],
            len: 0,
        }
    }

    /// The slot whose text `same` accepts, or None after recording `new`
    /// (the slot index the caller is about to create) under `hash`.
    #[inline]
    fn find_or_insert(
        &mut self,
        hash: u64,
        new: usize,
        same: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        let mask = self.index.len() - 1;
        let mut at = (hash as usize) & mask;
        loop {
            match self.index[at] {
                0 => break,
                i if self.hash[at] == hash && same(i as usize - 1) => return Some(i as usize - 1),
                _ => at = (at + 1) & mask,
            }
        }
        self.index[at] = u32::try_from(new + 1).unwrap_or(u32::MAX);
        self.hash[at] = hash;
        self.len += 1;
        if self.len * 2 > self.index.len() {
            self.grow();
        }
        None
    }

    fn grow(&mut self) {
        let size = self.index.len() * 2;
        let old_index = std::mem::replace(&mut self.index, vec![0; size]);
        let old_hash = std::mem::replace(&mut self.hash, vec![0; size]);
        let mask = size - 1;
        for (i, h) in old_index.into_iter().zip(old_hash) {
            if i != 0 {
                let mut at = (h as usize) & mask;
                while self.index[at] != 0 {
                    at = (at + 1) & mask;
                }
                self.index[at] = i;
                self.hash[at] = h;
            }
        }
    }

    fn clear(&mut self) {
        if self.index.len() > 4 * Self::START {
            *self = Interner::new();
        } else if self.len > 0 {
            self.index.fill(0);
            self.len = 0;
        }
    }
}

/// Tracks which values a container has already seen (by slot index, or by
/// key hash): a linear scan of a shared stack while small, a hash set after.
pub(crate) struct Seen {
    start: usize,
    // Boxed: keeps `Compound`, which is moved on every container open,
    // small; the set itself is rare (large Sets and maps only).
    #[allow(clippy::box_collection)]
    set: Option<Box<std::collections::HashSet<u64, RandomState>>>,
}

impl Seen {
    pub(crate) fn new(w: &Writer) -> Self {
        Seen {
            start: w.seen.len(),
            set: None,
        }
    }

    /// Adds `v`; false if it was already there.
    pub(crate) fn insert(&mut self, w: &mut Writer, v: u64) -> bool {
        if let Some(set) = &mut self.set {
            return set.insert(v);
        }
        if w.seen[self.start..].contains(&v) {
            return false;
        }
        w.seen.push(v);
        if w.seen.len() - self.start > LINEAR_SEEN {
            let mut set = std::collections::HashSet::with_hasher(RandomState::default());
            set.extend(w.seen.drain(self.start..));
            self.set = Some(Box::new(set));
        }
        true
    }

    pub(crate) fn release(self, w: &mut Writer) {
        if self.set.is_none() {
            w.seen.truncate(self.start);
        }
    }
}

impl<'a> ser::Serializer for &'a mut Writer {
    type Ok = Index;
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result<Index, Error> {
        Ok(self.raw_primitive(if v { "true" } else { "false" }))
    }

    fn serialize_i8(self, v: i8) -> Result<Index, Error> {
        // Always a safe integer.
        Ok(self.primitive(|out| escape::write_int(out, v.into())))
    }

    fn serialize_i16(self, v: i16) -> Result<Index, Error> {
        // Always a safe integer.
        Ok(self.primitive(|out| escape::write_int(out, v.into())))
    }

    fn serialize_i32(self, v: i32) -> Result<Index, Error> {
        // Always a safe integer.
        Ok(self.primitive(|out| escape::write_int(out, v.into())))
    }

    fn serialize_i64(self, v: i64) -> Result<Index, Error> {
        Ok(self.int_primitive(v.into()))
    }

    fn serialize_i128(self, v: i128) -> Result<Index, Error> {
        Ok(self.int_primitive(v))
    }

    fn serialize_u8(self, v: u8) -> Result<Index, Error> {
        // Always a safe integer.
        Ok(self.primitive(|out| escape::write_int(out, v.into())))
    }

    fn serialize_u16(self, v: u16) -> Result<Index, Error> {
        // Always a safe integer.
        Ok(self.primitive(|out| escape::write_int(out, v.into())))
    }

    fn serialize_u32(self, v: u32) -> Result<Index, Error> {
        // Always a safe integer.
        Ok(self.primitive(|out| escape::write_int(out, v.into())))
    }

    fn serialize_u64(self, v: u64) -> Result<Index, Error> {
        Ok(self.uint_primitive(v.into()))
    }

    fn serialize_u128(self, v: u128) -> Result<Index, Error> {
        Ok(self.uint_primitive(v))
    }

    fn serialize_f32(self, v: f32) -> Result<Index, Error> {
        if v.is_finite() && v != 0.0 {
            Ok(self.primitive(|out| escape::write_f32(out, v)))
        } else {
            Ok(self.f64_primitive(v.into()))
        }
    }

    fn serialize_f64(self, v: f64) -> Result<Index, Error> {
        Ok(self.f64_primitive(v))
    }

    fn serialize_char(self, v: char) -> Result<Index, Error> {
        Ok(self.str_primitive(v.encode_utf8(&mut [0; 4])))
    }

    fn serialize_str(self, v: &str) -> Result<Index, Error> {
        Ok(self.str_primitive(v))
    }

    /// Bytes become a `Uint8Array` over its own `ArrayBuffer` (base64).
    fn serialize_bytes(self, v: &[u8]) -> Result<Index, Error> {
        let view = self.alloc();
        let buffer = self.alloc();
        self.set_slot_with(buffer, |out| {
            out.push_str("[\"ArrayBuffer\",\"");
            types::write_base64(out, v);
            out.push_str("\"]");
        });
        self.set_slot_with(view, |out| {
            out.push_str("[\"Uint8Array\",");
            write_index(out, buffer);
            out.push(']');
        });
        Ok(view)
    }

    fn serialize_none(self) -> Result<Index, Error> {
        Ok(self.raw_primitive("null"))
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Index, Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Index, Error> {
        Ok(self.raw_primitive("null"))
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<Index, Error> {
        Ok(self.raw_primitive("null"))
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Index, Error> {
        Ok(self.str_primitive(variant))
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Index, Error> {
        if name.starts_with(magic::PREFIX) {
            return serialize_magic(self, name, value);
        }
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Index, Error> {
        check_key(variant)?;
        let outer = self.alloc();
        self.enter().map_err(|e| e.within_field(variant))?;
        let inner = value
            .serialize(&mut *self)
            .map_err(|e| e.within_field(variant))?;
        self.leave(1);
        self.set_slot_with(outer, |out| {
            out.push('{');
            escape::write_quoted(out, variant);
            out.push(':');
            write_index(out, inner);
            out.push('}');
        });
        Ok(outer)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a>, Error> {
        self.expect(len.unwrap_or(0));
        Compound::open(self, Kind::Array)
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>, Error> {
        self.expect(len);
        Compound::open(self, Kind::Array)
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.expect(len);
        Compound::open(self, Kind::Array)
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        Compound::open_variant(self, variant, Kind::Array)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a>, Error> {
        self.expect(len.unwrap_or(0));
        Compound::open(self, Kind::MapUndecided)
    }

    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Compound<'a>, Error> {
        self.expect(len);
        Compound::open(self, Kind::Object)
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        Compound::open_variant(self, variant, Kind::Object)
    }
}

/// Object keys that devalue refuses (`__proto__`).
fn check_key(key: &str) -> Result<(), Error> {
    if key == "__proto__" {
        return Err(proto_error());
    }
    Ok(())
}

fn proto_error() -> Error {
    Error::new(
        "cannot write an object with a `__proto__` key (JavaScript would treat it as the \
         prototype); wrap the map in `serde_devalue::Map` to send it as a Map",
    )
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    /// `[…]`
    Array,
    /// `["Set",…]`
    Set,
    /// `{…}` with static keys (struct fields).
    Object,
    /// A map whose first key has not been seen yet: string keys make an
    /// object, any other key makes a `Map`.
    MapUndecided,
    /// `{…}` from a map with string keys.
    MapObject,
    /// `["Map",k,v,…]`
    MapTag,
}

/// An open container.
pub(crate) struct Compound<'a> {
    w: &'a mut Writer,
    index: Index,
    buf: String,
    kind: Kind,
    count: usize,
    /// For tuple and struct variants: (the `{"V":…}` wrapper slot, `V`).
    variant: Option<(Index, &'static str)>,
    /// Object key order: the last array-index key, and whether a non-index
    /// key has been written (after which an index key is out of order).
    last_array_index: Option<u32>,
    named_key_seen: bool,
    seen: Option<Seen>,
    /// Map: where the pending key's quoted text starts in `buf`, for errors.
    key_at: usize,
}

impl<'a> Compound<'a> {
    pub(crate) fn open(w: &'a mut Writer, kind: Kind) -> Result<Self, Error> {
        let index = w.alloc();
        w.enter()?;
        let mut buf = w.take_buf();
        buf.push_str(match kind {
            Kind::Array => "[",
            Kind::Set => "[\"Set\"",
            Kind::MapTag => "[\"Map\"",
            Kind::Object | Kind::MapObject | Kind::MapUndecided => "{",
        });
        let seen = match kind {
            Kind::Set | Kind::MapTag | Kind::MapUndecided => Some(Seen::new(w)),
            _ => None,
        };
        Ok(Compound {
            w,
            index,
            buf,
            kind,
            count: 0,
            variant: None,
            last_array_index: None,
            named_key_seen: false,
            seen,
            key_at: 0,
        })
    }

    fn open_variant(w: &'a mut Writer, variant: &'static str, kind: Kind) -> Result<Self, Error> {
        check_key(variant)?;
        let outer = w.alloc();
        w.enter().map_err(|e| e.within_field(variant))?;
        let mut c = Compound::open(w, kind).map_err(|e| e.within_field(variant))?;
        let inner = c.index;
        c.w.set_slot_with(outer, |out| {
            out.push('{');
            escape::write_quoted(out, variant);
            out.push(':');
            write_index(out, inner);
            out.push('}');
        });
        c.variant = Some((outer, variant));
        Ok(c)
    }

    fn wrap(&self, e: Error) -> Error {
        match self.variant {
            Some((_, v)) => e.within_field(v),
            None => e,
        }
    }

    #[inline]
    fn sep(&mut self) {
        match self.kind {
            Kind::Set | Kind::MapTag => self.buf.push(','),
            _ => {
                if self.count > 0 {
                    self.buf.push(',');
                }
            }
        }
    }

    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        let i = value
            .serialize(&mut *self.w)
            .map_err(|e| self.wrap(e.within_index(self.count)))?;
        let i = if self.kind == Kind::Set {
            self.w.canonical_key(i)
        } else {
            i
        };
        if let (Kind::Set, Some(seen)) = (self.kind, self.seen.as_mut()) {
            // JavaScript Sets hold each primitive once (containers are
            // always new slots, so they never repeat).
            if !seen.insert(self.w, i as u64) {
                self.count += 1;
                return Ok(());
            }
        }
        self.sep();
        write_index(&mut self.buf, i);
        self.count += 1;
        Ok(())
    }

    /// Tracks JavaScript's key order for a key about to be written.
    fn note_key(&mut self, array_index: Option<u32>) {
        match array_index {
            Some(n) => {
                if self.named_key_seen || self.last_array_index.is_some_and(|last| last >= n) {
                    self.w.reorder = true;
                }
                self.last_array_index = Some(n);
            }
            None => self.named_key_seen = true,
        }
    }

    fn field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        // The key is written first (the value's text goes elsewhere); the
        // cache knows whether it needs checking.
        self.sep();
        if self.w.keys.push(&mut self.buf, key) {
            self.named_key_seen = true;
        } else if key.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            let index = escape::array_index(key);
            self.note_key(index);
        } else {
            check_key(key).map_err(|e| self.wrap(e))?;
            self.named_key_seen = true;
        }
        let i = value
            .serialize(&mut *self.w)
            .map_err(|e| self.wrap(e.within_field(key)))?;
        write_index(&mut self.buf, i);
        self.count += 1;
        Ok(())
    }

    fn key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Error> {
        if matches!(self.kind, Kind::MapUndecided | Kind::MapObject) {
            let mark = self.buf.len();
            self.sep();
            self.key_at = self.buf.len();
            match key.serialize(KeyProbe { out: &mut self.buf }) {
                Ok(info) => {
                    if info.proto {
                        self.buf.truncate(mark);
                        return Err(self.wrap(proto_error()));
                    }
                    self.kind = Kind::MapObject;
                    self.note_key(info.array_index);
                    let hash = self.w.hash_str(&self.buf[self.key_at..]);
                    let duplicate = match self.seen.as_mut() {
                        Some(seen) => !seen.insert(self.w, hash),
                        None => false,
                    };
                    if duplicate {
                        // A duplicate key (or a hash collision): let the
                        // normaliser apply JavaScript's semantics exactly.
                        self.w.reorder = true;
                    }
                    self.buf.push(':');
                    return Ok(());
                }
                Err(ProbeError::Error(e)) => {
                    self.buf.truncate(mark);
                    return Err(self.wrap(e.within(Segment::MapKey(self.count))));
                }
                Err(ProbeError::NotString) => {
                    self.buf.truncate(mark);
                    if self.kind == Kind::MapObject {
                        return Err(self.wrap(Error::new(
                            "a map mixes string keys with other keys; wrap it in \
                             `serde_devalue::Map` to send it as a Map",
                        )));
                    }
                    // First key is not a string: this map is a JS `Map`.
                    self.kind = Kind::MapTag;
                    self.buf.clear();
                    self.buf.push_str("[\"Map\"");
                }
            }
        }
        let i = key
            .serialize(&mut *self.w)
            .map_err(|e| self.wrap(e.within(Segment::MapKey(self.count))))?;
        let i = self.w.canonical_key(i);
        let duplicate = match self.seen.as_mut() {
            Some(seen) => !seen.insert(self.w, i as u64),
            None => false,
        };
        if duplicate {
            self.w.reorder = true;
        }
        self.buf.push(',');
        write_index(&mut self.buf, i);
        Ok(())
    }

    fn value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        let i = value.serialize(&mut *self.w).map_err(|e| {
            let e = if self.kind == Kind::MapTag {
                e.within(Segment::MapValue(self.count))
            } else {
                let end = self.buf.len() - 1; // before the ':'
                e.within_field(&super::doc::unquote(&self.buf[self.key_at..end]))
            };
            self.wrap(e)
        })?;
        if self.kind == Kind::MapTag {
            self.buf.push(',');
        }
        write_index(&mut self.buf, i);
        self.count += 1;
        Ok(())
    }

    fn close(mut self) -> Result<Index, Error> {
        self.buf.push(match self.kind {
            Kind::Array | Kind::Set | Kind::MapTag => ']',
            // An empty map cannot tell its key type: it is written `{}`.
            Kind::Object | Kind::MapObject | Kind::MapUndecided => '}',
        });
        let w = self.w;
        if self.index == 0 {
            // The root container's text goes straight to the output.
            std::mem::swap(&mut w.root, &mut self.buf);
            w.root_set = true;
        } else {
            w.set_slot(self.index, &self.buf);
        }
        w.give_buf(self.buf);
        if let Some(seen) = self.seen {
            seen.release(w);
        }
        match self.variant {
            Some((outer, _)) => {
                w.leave(2);
                Ok(outer)
            }
            None => {
                w.leave(1);
                Ok(self.index)
            }
        }
    }
}

/// Elements and tuple fields are all array elements to devalue.
macro_rules! elements {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Compound<'_> {
            type Ok = Index;
            type Error = Error;

            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }

            fn end(self) -> Result<Index, Error> {
                self.close()
            }
        }
    )*};
}

elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Compound<'_> {
    type Ok = Index;
    type Error = Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Error> {
        self.key(key)
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.value(value)
    }

    fn end(self) -> Result<Index, Error> {
        self.close()
    }
}

/// Struct fields, of plain and variant structs alike, are object keys.
macro_rules! fields {
    ($($trait:ident),*) => {$(
        impl ser::$trait for Compound<'_> {
            type Ok = Index;
            type Error = Error;

            fn serialize_field<T: ?Sized + Serialize>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Error> {
                self.field(key, value)
            }

            fn end(self) -> Result<Index, Error> {
                self.close()
            }
        }
    )*};
}

fields!(SerializeStruct, SerializeStructVariant);

// ---------------------------------------------------------------------------
// Wrapper types (newtype structs with a magic name).

fn serialize_magic<T: ?Sized + Serialize>(
    w: &mut Writer,
    name: &'static str,
    value: &T,
) -> Result<Index, Error> {
    match name {
        magic::DATE => {
            let ms = capture_int(value, "Date")?;
            let ms = i64::try_from(ms)
                .ok()
                .and_then(types::Date::from_millis)
                .ok_or_else(|| Error::new(format!("Date out of JavaScript's range: {ms} ms")))?;
            let i = w.alloc();
            w.set_slot_with(i, |out| {
                out.push_str("[\"Date\",\"");
                ms.write_iso(out);
                out.push_str("\"]");
            });
            Ok(i)
        }
        magic::URL => {
            let text = capture_str(value, "Url")?;
            let i = w.alloc();
            w.set_slot_with(i, |out| {
                out.push_str("[\"URL\",");
                escape::write_quoted(out, &text);
                out.push(']');
            });
            Ok(i)
        }
        magic::REGEXP => {
            let text = capture_str(value, "RegExp")?;
            let (source, flags) = types::RegExp::split(&text)
                .ok_or_else(|| Error::new("a RegExp must be written as `/source/flags`"))?;
            let i = w.alloc();
            w.set_slot_with(i, |out| {
                out.push_str("[\"RegExp\",");
                escape::write_quoted(out, source);
                if !flags.is_empty() {
                    out.push_str(",\"");
                    out.push_str(flags);
                    out.push('"');
                }
                out.push(']');
            });
            Ok(i)
        }
        magic::BIGINT => {
            let v = capture_int(value, "BigInt")?;
            Ok(w.bigint_primitive(v))
        }
        magic::SET => value.serialize(TagSer { w, kind: Kind::Set }),
        magic::MAP => value.serialize(TagSer {
            w,
            kind: Kind::MapTag,
        }),
        _ => value.serialize(w),
    }
}

fn capture_int<T: ?Sized + Serialize>(value: &T, what: &str) -> Result<i128, Error> {
    match value.serialize(Capture)? {
        Scalar::Int(v) => Ok(v),
        Scalar::Str(_) => Err(Error::new(format!("{what} must hold an integer"))),
    }
}

fn capture_str<T: ?Sized + Serialize>(value: &T, what: &str) -> Result<String, Error> {
    match value.serialize(Capture)? {
        Scalar::Str(s) => Ok(s),
        Scalar::Int(_) => Err(Error::new(format!("{what} must hold a string"))),
    }
}

macro_rules! reject {
    ($err:expr; $($method:ident($($arg:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $arg),*) -> Result<Self::Ok, Self::Error> {
            Err($err)
        })*
    };
}

macro_rules! reject_compounds {
    ($err:expr) => {
        fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<Self::Ok, Self::Error> {
            Err($err)
        }
        fn serialize_newtype_variant<T: ?Sized + Serialize>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<Self::Ok, Self::Error> {
            Err($err)
        }
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Self::Error> {
            Err($err)
        }
        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleStruct, Self::Error> {
            Err($err)
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, Self::Error> {
            Err($err)
        }
        fn serialize_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStruct, Self::Error> {
            Err($err)
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, Self::Error> {
            Err($err)
        }
    };
}

enum Scalar {
    Int(i128),
    Str(String),
}

/// Reads the integer or string inside a wrapper type.
struct Capture;

fn capture_error() -> Error {
    Error::new("a serde_devalue wrapper type holds an unexpected value")
}

impl ser::Serializer for Capture {
    type Ok = Scalar;
    type Error = Error;
    type SerializeSeq = Impossible<Scalar, Error>;
    type SerializeTuple = Impossible<Scalar, Error>;
    type SerializeTupleStruct = Impossible<Scalar, Error>;
    type SerializeTupleVariant = Impossible<Scalar, Error>;
    type SerializeMap = Impossible<Scalar, Error>;
    type SerializeStruct = Impossible<Scalar, Error>;
    type SerializeStructVariant = Impossible<Scalar, Error>;

    fn serialize_i8(self, v: i8) -> Result<Scalar, Error> {
        Ok(Scalar::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Scalar, Error> {
        Ok(Scalar::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Scalar, Error> {
        Ok(Scalar::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Scalar, Error> {
        Ok(Scalar::Int(v.into()))
    }
    fn serialize_i128(self, v: i128) -> Result<Scalar, Error> {
        Ok(Scalar::Int(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Scalar, Error> {
        Ok(Scalar::Int(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Scalar, Error> {
        Ok(Scalar::Int(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Scalar, Error> {
        Ok(Scalar::Int(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Scalar, Error> {
        Ok(Scalar::Int(v.into()))
    }
    fn serialize_u128(self, v: u128) -> Result<Scalar, Error> {
        i128::try_from(v)
            .map(Scalar::Int)
            .map_err(|_| Error::new("BigInt out of range"))
    }
    fn serialize_str(self, v: &str) -> Result<Scalar, Error> {
        Ok(Scalar::Str(v.to_owned()))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Scalar, Error> {
        value.serialize(self)
    }

    reject!(capture_error();
        serialize_bool(bool), serialize_f32(f32), serialize_f64(f64), serialize_char(char),
        serialize_bytes(&[u8]), serialize_none(), serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );
    reject_compounds!(capture_error());

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(capture_error())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(capture_error())
    }
}

/// Serializes the collection inside `Set` / `Map` with the tag forced.
struct TagSer<'a> {
    w: &'a mut Writer,
    kind: Kind,
}

fn tag_error() -> Error {
    Error::new("serde_devalue::Set must hold a sequence and Map a map")
}

impl<'a> ser::Serializer for TagSer<'a> {
    type Ok = Index;
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Impossible<Index, Error>;
    type SerializeTupleStruct = Impossible<Index, Error>;
    type SerializeTupleVariant = Impossible<Index, Error>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Impossible<Index, Error>;
    type SerializeStructVariant = Impossible<Index, Error>;

    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, Error> {
        match self.kind {
            Kind::Set => Compound::open(self.w, Kind::Set),
            _ => Err(tag_error()),
        }
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>, Error> {
        match self.kind {
            Kind::MapTag => Compound::open(self.w, Kind::MapTag),
            _ => Err(tag_error()),
        }
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Index, Error> {
        value.serialize(self)
    }

    reject!(tag_error();
        serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
        serialize_i64(i64), serialize_u8(u8), serialize_u16(u16), serialize_u32(u32),
        serialize_u64(u64), serialize_f32(f32), serialize_f64(f64), serialize_char(char),
        serialize_str(&str), serialize_bytes(&[u8]), serialize_none(), serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );
    reject_compounds!(tag_error());
}

/// What [`KeyProbe`] learnt about a string key it wrote.
struct KeyInfo {
    array_index: Option<u32>,
    proto: bool,
}

enum ProbeError {
    /// The key is not a string: the map becomes a `Map`.
    NotString,
    Error(Error),
}

impl std::fmt::Display for ProbeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProbeError::NotString => f.write_str("not a string key"),
            ProbeError::Error(e) => e.fmt(f),
        }
    }
}

impl std::fmt::Debug for ProbeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for ProbeError {}

impl ser::Error for ProbeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        ProbeError::Error(Error::new(msg.to_string()))
    }
}

/// Writes a map key as a quoted object key if it is a string (or char, or
/// unit variant); says `NotString` for anything else, having written nothing.
struct KeyProbe<'b> {
    out: &'b mut String,
}

impl KeyProbe<'_> {
    fn write(self, key: &str) -> Result<KeyInfo, ProbeError> {
        escape::write_quoted(self.out, key);
        Ok(KeyInfo {
            array_index: escape::array_index(key),
            proto: key == "__proto__",
        })
    }
}

impl ser::Serializer for KeyProbe<'_> {
    type Ok = KeyInfo;
    type Error = ProbeError;
    type SerializeSeq = Impossible<KeyInfo, ProbeError>;
    type SerializeTuple = Impossible<KeyInfo, ProbeError>;
    type SerializeTupleStruct = Impossible<KeyInfo, ProbeError>;
    type SerializeTupleVariant = Impossible<KeyInfo, ProbeError>;
    type SerializeMap = Impossible<KeyInfo, ProbeError>;
    type SerializeStruct = Impossible<KeyInfo, ProbeError>;
    type SerializeStructVariant = Impossible<KeyInfo, ProbeError>;

    fn serialize_str(self, v: &str) -> Result<KeyInfo, ProbeError> {
        self.write(v)
    }

    fn serialize_char(self, v: char) -> Result<KeyInfo, ProbeError> {
        self.write(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<KeyInfo, ProbeError> {
        self.write(variant)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<KeyInfo, ProbeError> {
        if name.starts_with(magic::PREFIX) {
            return Err(ProbeError::NotString);
        }
        value.serialize(self)
    }

    reject!(ProbeError::NotString;
        serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
        serialize_i64(i64), serialize_i128(i128), serialize_u8(u8), serialize_u16(u16),
        serialize_u32(u32), serialize_u64(u64), serialize_u128(u128), serialize_f32(f32),
        serialize_f64(f64), serialize_bytes(&[u8]), serialize_none(), serialize_unit(),
        serialize_unit_struct(&'static str),
    );
    reject_compounds!(ProbeError::NotString);

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, ProbeError> {
        Err(ProbeError::NotString)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, ProbeError> {
        Err(ProbeError::NotString)
    }
}

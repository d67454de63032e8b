//! serde `Deserializer` over a parsed devalue document.
//!
//! Values are read by following slot indices from slot 0. Every index is
//! checked, every value visited is charged to a node budget and every
//! string or byte array handed out (a `RegExp`'s whole `/source/flags` text
//! included) and every `BigInt`'s digits to a byte budget (a slot referenced
//! many times is decoded many times, so both guard against inputs that are
//! small but expand exponentially), containers on the current path are
//! tracked to reject cycles, and nesting is limited. Nothing here can panic
//! on input.

use serde::de::{
    self, DeserializeSeed, Deserializer as _, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

use super::doc::{Atom, Doc, Slot};
use super::error::{Error, Segment};
use super::ser::{
    HOLE, NAN, NEGATIVE_INFINITY, NEGATIVE_ZERO, POSITIVE_INFINITY, SPARSE, UNDEFINED,
};
use super::types::{self, magic};
use super::Limits;

pub(crate) struct De<'d> {
    doc: &'d Doc<'d>,
    nodes_left: usize,
    bytes_left: usize,
    depth: usize,
    max_depth: usize,
    /// Bit set of the container slots on the current path.
    active: Active,
}

/// A bit set over slot indices, inline for small documents.
enum Active {
    Small([u64; 4]),
    Large(Vec<u64>),
}

impl Active {
    fn new(slots: usize) -> Self {
        if slots <= 256 {
            Active::Small([0; 4])
        } else {
            Active::Large(vec![0; slots.div_ceil(64)])
        }
    }

    fn words(&mut self) -> &mut [u64] {
        match self {
            Active::Small(w) => w,
            Active::Large(w) => w,
        }
    }
}

pub(crate) fn deserialize<'d, T: de::Deserialize<'d>>(
    doc: &'d Doc<'d>,
    limits: &Limits,
    input_len: usize,
) -> Result<T, Error> {
    let mut de = De {
        doc,
        nodes_left: limits.max_nodes.max(input_len),
        bytes_left: limits.max_bytes.max(input_len.saturating_mul(2)),
        depth: 0,
        max_depth: limits.max_depth,
        active: Active::new(doc.slots().len()),
    };
    T::deserialize(Val {
        de: &mut de,
        i: doc.root,
    })
}

#[cold]
fn cycle_error(slot: usize) -> Error {
    Error::new(format!(
        "cycle: slot {slot} contains itself (Rust values cannot be cyclic)"
    ))
}

#[cold]
fn depth_error(max_depth: usize) -> Error {
    Error::new(format!("nesting deeper than {max_depth} containers"))
}

#[cold]
fn nodes_error() -> Error {
    Error::new("too many values (node limit reached; shared slots are decoded once per reference)")
}

#[cold]
fn bytes_error() -> Error {
    Error::new(
        "too much string or byte data (byte limit reached; shared slots are decoded once per \
         reference)",
    )
}

enum Node {
    Sentinel(i64),
    Slot(usize, Slot),
}

impl<'d> De<'d> {
    /// Looks an index up without charging it.
    #[inline]
    fn peek(&self, i: i64) -> Result<Node, Error> {
        if i < 0 {
            return match i {
                UNDEFINED | NAN | POSITIVE_INFINITY | NEGATIVE_INFINITY | NEGATIVE_ZERO => {
                    Ok(Node::Sentinel(i))
                }
                HOLE => Err(Error::new(
                    "the hole sentinel -2 may only stand in an array",
                )),
                _ => Err(Error::new(format!("invalid index {i}"))),
            };
        }
        match self.doc.slots().get(i as usize) {
            Some(&slot) => Ok(Node::Slot(i as usize, slot)),
            None => Err(Error::new(format!(
                "index {i} is out of range (the array has {} slots)",
                self.doc.slots().len()
            ))),
        }
    }

    /// Charges one visited value.
    fn visit(&mut self) -> Result<(), Error> {
        self.charge_nodes(1)
    }

    #[inline]
    fn charge_nodes(&mut self, n: usize) -> Result<(), Error> {
        if self.nodes_left < n {
            return Err(nodes_error());
        }
        self.nodes_left -= n;
        Ok(())
    }

    #[inline]
    fn charge_bytes(&mut self, n: usize) -> Result<(), Error> {
        if self.bytes_left < n {
            return Err(bytes_error());
        }
        self.bytes_left -= n;
        Ok(())
    }

    #[inline(always)]
    fn resolve(&mut self, i: i64) -> Result<Node, Error> {
        // The common case inline: an index in range, with budget left.
        if let (Ok(n), true) = (usize::try_from(i), self.nodes_left > 0) {
            if let Some(&slot) = self.doc.slots().get(n) {
                self.nodes_left -= 1;
                return Ok(Node::Slot(n, slot));
            }
        }
        self.resolve_slow(i)
    }

    #[inline(never)]
    fn resolve_slow(&mut self, i: i64) -> Result<Node, Error> {
        let node = self.peek(i)?;
        self.visit()?;
        Ok(node)
    }

    #[inline]
    fn enter(&mut self, slot: usize) -> Result<(), Error> {
        let (word, bit) = (slot / 64, 1u64 << (slot % 64));
        let words = self.active.words();
        if words[word] & bit != 0 {
            return Err(cycle_error(slot));
        }
        if self.depth >= self.max_depth {
            return Err(depth_error(self.max_depth));
        }
        self.depth += 1;
        self.active.words()[word] |= bit;
        Ok(())
    }

    #[inline]
    fn leave(&mut self, slot: usize) {
        self.depth -= 1;
        self.active.words()[slot / 64] &= !(1u64 << (slot % 64));
    }

    #[inline]
    fn str(&mut self, s: super::doc::Str) -> Result<&'d str, Error> {
        let s = self.doc.str(s);
        self.charge_bytes(s.len())?;
        Ok(s)
    }

    /// The decoded bytes of a `Uint8Array` or `ArrayBuffer` slot.
    fn bytes(&mut self, slot: usize, tag: &str, args: &[Atom]) -> Result<Vec<u8>, Error> {
        let doc = self.doc;
        match (tag, args) {
            ("ArrayBuffer", [Atom::Str(b64)]) => {
                let text = doc.str(*b64);
                self.charge_bytes(text.len())?;
                types::decode_base64(text)
            }
            ("Uint8Array", [Atom::Int(buffer), rest @ ..]) => {
                let buffer = *buffer;
                let Node::Slot(b, buf_slot) = self.resolve(buffer)? else {
                    return Err(Error::new("a Uint8Array must view an ArrayBuffer slot"));
                };
                let bytes = match (doc.tag(buf_slot), buf_slot) {
                    (Some("ArrayBuffer"), Slot::Array { start, len }) => self
                        .bytes(b, "ArrayBuffer", &doc.atoms(start, len)[1..])
                        .map_err(|e| e.at_slot(b))?,
                    _ => {
                        return Err(Error::new("a Uint8Array must view an ArrayBuffer slot"));
                    }
                };
                match rest {
                    [] => Ok(bytes),
                    [Atom::Int(offset), Atom::Int(length)] => {
                        let range = usize::try_from(*offset)
                            .ok()
                            .zip(usize::try_from(*length).ok())
                            .and_then(|(o, l)| Some(o..o.checked_add(l)?))
                            .filter(|r| r.end <= bytes.len())
                            .ok_or_else(|| Error::new("Uint8Array view out of bounds"))?;
                        Ok(bytes[range].to_vec())
                    }
                    _ => Err(Error::new("malformed Uint8Array slot")),
                }
            }
            _ => Err(Error::new(format!("malformed {tag} slot")).at_slot(slot)),
        }
    }
}

/// A value to deserialize: slot index `i` (or a sentinel).
pub(crate) struct Val<'a, 'd> {
    de: &'a mut De<'d>,
    i: i64,
}

fn index_of(atom: &Atom) -> Result<i64, Error> {
    match atom {
        Atom::Int(i) => Ok(*i),
        _ => Err(Error::new("expected a slot index")),
    }
}

fn sentinel<'de, V: Visitor<'de>>(s: i64, visitor: V) -> Result<V::Value, Error> {
    match s {
        NAN => visitor.visit_f64(f64::NAN),
        POSITIVE_INFINITY => visitor.visit_f64(f64::INFINITY),
        NEGATIVE_INFINITY => visitor.visit_f64(f64::NEG_INFINITY),
        NEGATIVE_ZERO => visitor.visit_f64(-0.0),
        _ => visitor.visit_unit(), // undefined (and holes)
    }
}

fn is_string_tag(tag: &str) -> bool {
    matches!(tag, "URL" | "URLSearchParams") || tag.starts_with("Temporal.")
}

impl<'a, 'd> Val<'a, 'd> {
    fn any<V: Visitor<'d>>(self, n: usize, slot: Slot, visitor: V) -> Result<V::Value, Error> {
        let doc = self.de.doc;
        match slot {
            Slot::Null => visitor.visit_unit(),
            Slot::Bool(b) => visitor.visit_bool(b),
            Slot::Int(v) if v >= 0 => visitor.visit_u64(v as u64),
            Slot::Int(v) => visitor.visit_i64(v),
            Slot::UInt(v) => visitor.visit_u64(v),
            Slot::Float(v) => visitor.visit_f64(v),
            Slot::Str(s) => visitor.visit_borrowed_str(self.de.str(s)?),
            Slot::Object { start, len } => {
                self.de.enter(n)?;
                let r = visitor.visit_map(ObjectAccess {
                    de: &mut *self.de,
                    entries: doc.entries(start, len),
                    pos: 0,
                    key: "",
                });
                self.de.leave(n);
                r
            }
            Slot::Array { start, len } => {
                let atoms = doc.atoms(start, len);
                match atoms.first() {
                    Some(Atom::Str(tag)) => self.tagged(n, doc.str(*tag), &atoms[1..], visitor),
                    Some(Atom::Int(SPARSE)) => self.sparse(n, &atoms[1..], visitor),
                    _ => {
                        self.de.enter(n)?;
                        let r = visitor.visit_seq(SeqAtoms {
                            de: &mut *self.de,
                            atoms,
                            pos: 0,
                            holes: true,
                        });
                        self.de.leave(n);
                        r
                    }
                }
            }
        }
    }

    fn tagged<V: Visitor<'d>>(
        self,
        n: usize,
        tag: &'d str,
        args: &'d [Atom],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let doc = self.de.doc;
        let malformed = || Error::new(format!("malformed {tag} slot"));
        match tag {
            "Date" => match args {
                [Atom::Str(s)] => visitor.visit_borrowed_str(self.de.str(*s)?),
                _ => Err(malformed()),
            },
            "BigInt" => match args {
                // The digits are read once per reference and may be padded
                // with zeros to any length: charge them like a string.
                [Atom::Str(s)] => match types::parse_bigint(self.de.str(*s)?)? {
                    types::BigIntValue::Pos(v) => match u64::try_from(v) {
                        Ok(v) => visitor.visit_u64(v),
                        Err(_) => visitor.visit_u128(v),
                    },
                    types::BigIntValue::Neg(v) => match i64::try_from(v) {
                        Ok(v) => visitor.visit_i64(v),
                        Err(_) => visitor.visit_i128(v),
                    },
                },
                _ => Err(malformed()),
            },
            "RegExp" => match args {
                [Atom::Str(source)] | [Atom::Str(source), Atom::Str(_)] => {
                    let flags = match args {
                        [_, Atom::Str(f)] => doc.str(*f),
                        _ => "",
                    };
                    // The string is built anew for each reference: charge
                    // all of it (source, flags and both slashes) before
                    // allocating, so unchecked flags cannot slip past the
                    // budget.
                    let source = doc.str(*source);
                    let len = source.len().saturating_add(flags.len()).saturating_add(2);
                    self.de.charge_bytes(len)?;
                    visitor.visit_string(format!("/{source}/{flags}"))
                }
                _ => Err(malformed()),
            },
            _ if is_string_tag(tag) => match args {
                [Atom::Str(s)] => visitor.visit_borrowed_str(self.de.str(*s)?),
                _ => Err(malformed()),
            },
            "Set" => {
                self.de.enter(n)?;
                let r = visitor.visit_seq(SeqAtoms {
                    de: &mut *self.de,
                    atoms: args,
                    pos: 0,
                    holes: false,
                });
                self.de.leave(n);
                r
            }
            "Map" | "null" => {
                if args.len() % 2 != 0 {
                    return Err(malformed());
                }
                self.de.enter(n)?;
                let r = visitor.visit_map(PairAccess {
                    de: &mut *self.de,
                    pairs: args,
                    pos: 0,
                    string_keys: tag == "null",
                    key: "",
                });
                self.de.leave(n);
                r
            }
            "Object" => match args {
                // A boxed primitive (`new Number(1)`): read the primitive.
                [Atom::Int(inner)] => {
                    let inner = *inner;
                    if let Node::Slot(_, slot @ Slot::Array { .. } | slot @ Slot::Object { .. }) =
                        self.de.peek(inner)?
                    {
                        if doc.tag(slot) != Some("BigInt") {
                            return Err(Error::new("a boxed Object slot must wrap a primitive"));
                        }
                    }
                    Val {
                        de: self.de,
                        i: inner,
                    }
                    .deserialize_any(visitor)
                }
                _ => Err(malformed()),
            },
            "Uint8Array" | "ArrayBuffer" => {
                let bytes = self.de.bytes(n, tag, args)?;
                self.de.charge_bytes(bytes.len())?;
                visitor.visit_byte_buf(bytes)
            }
            "Int8Array" | "Uint8ClampedArray" | "Int16Array" | "Uint16Array" | "Float16Array"
            | "Int32Array" | "Uint32Array" | "Float32Array" | "Float64Array" | "BigInt64Array"
            | "BigUint64Array" | "DataView" => Err(Error::new(format!(
                "{tag} is not supported by the Rust decoder (use Uint8Array)"
            ))),
            _ => Err(Error::new(format!("unknown devalue tag `{tag}`"))),
        }
    }

    fn sparse<V: Visitor<'d>>(
        self,
        n: usize,
        args: &'d [Atom],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let (len, pairs) = match args {
            [Atom::Int(len), pairs @ ..] if *len >= 0 && pairs.len() % 2 == 0 => {
                (*len as u64, pairs)
            }
            _ => return Err(Error::new("malformed sparse array")),
        };
        // Every hole is a value the visitor will see: charge them all first,
        // so a tiny input cannot declare a huge array.
        let len = usize::try_from(len)
            .ok()
            .filter(|&l| l <= self.de.nodes_left)
            .ok_or_else(|| Error::new(format!("sparse array of length {len} is too long")))?;
        self.de.charge_nodes(len.saturating_sub(pairs.len() / 2))?;
        let mut last = None;
        for pair in pairs.chunks(2) {
            let idx = index_of(&pair[0])?;
            if idx < 0 || idx as u64 >= len as u64 || last.is_some_and(|l| l >= idx) {
                return Err(Error::new("malformed sparse array"));
            }
            last = Some(idx);
        }
        self.de.enter(n)?;
        let r = visitor.visit_seq(SparseAccess {
            de: &mut *self.de,
            len,
            pairs,
            pos: 0,
        });
        self.de.leave(n);
        r
    }

    /// For sequence targets: the elements of an array, Set or byte array.
    fn seq<V: Visitor<'d>>(self, visitor: V) -> Result<V::Value, Error> {
        let doc = self.de.doc;
        let node = self.de.peek(self.i)?;
        if let Node::Slot(n, slot @ Slot::Array { start, len }) = node {
            if let Some(tag @ ("Uint8Array" | "ArrayBuffer")) = doc.tag(slot) {
                self.de.visit()?;
                let bytes = self.de.bytes(n, tag, &doc.atoms(start, len)[1..]);
                let bytes = bytes.map_err(|e| e.at_slot(n))?;
                self.de.charge_nodes(bytes.len())?;
                return visitor
                    .visit_seq(de::value::SeqDeserializer::new(bytes.into_iter()))
                    .map_err(|e: Error| e.at_slot(n));
            }
        }
        self.deserialize_any(visitor)
    }

    fn newtype_magic<V: Visitor<'d>>(self, name: &str, visitor: V) -> Result<V::Value, Error> {
        let doc = self.de.doc;
        let node = self.de.peek(self.i)?;
        let tag_args = match node {
            Node::Slot(n, slot @ Slot::Array { start, len }) => {
                doc.tag(slot).map(|t| (n, t, &doc.atoms(start, len)[1..]))
            }
            _ => None,
        };
        match (name, tag_args) {
            (magic::DATE, Some((n, "Date", args))) => {
                self.de.visit()?;
                let ms = match args {
                    [Atom::Str(s)] => types::Date::parse_iso(doc.str(*s)),
                    _ => None,
                };
                let ms = ms.ok_or_else(|| {
                    Error::new("invalid Date (expected an ISO time within JavaScript's range)")
                        .at_slot(n)
                })?;
                visitor
                    .visit_i64(ms.millis())
                    .map_err(|e: Error| e.at_slot(n))
            }
            (magic::SET, _) => self.seq(visitor),
            (magic::MAP, _) => self.deserialize_any(visitor),
            _ => self.deserialize_any(visitor),
        }
    }
}

impl<'d> de::Deserializer<'d> for Val<'_, 'd> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'d>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.de.resolve(self.i)? {
            Node::Sentinel(s) => sentinel(s, visitor),
            Node::Slot(n, slot) => self.any(n, slot, visitor).map_err(|e| e.at_slot(n)),
        }
    }

    fn deserialize_option<V: Visitor<'d>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.de.peek(self.i)? {
            Node::Sentinel(UNDEFINED) | Node::Slot(_, Slot::Null) => {
                self.de.visit()?;
                visitor.visit_none()
            }
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'d>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name.starts_with(magic::PREFIX) {
            return self.newtype_magic(name, visitor);
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'d>>(self, visitor: V) -> Result<V::Value, Error> {
        self.seq(visitor)
    }

    fn deserialize_tuple<V: Visitor<'d>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'d>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.seq(visitor)
    }

    fn deserialize_enum<V: Visitor<'d>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let doc = self.de.doc;
        match self.de.resolve(self.i)? {
            Node::Slot(n, Slot::Str(s)) => {
                let s = self.de.str(s)?;
                visitor
                    .visit_enum(de::value::BorrowedStrDeserializer::<Error>::new(s))
                    .map_err(|e| e.at_slot(n))
            }
            Node::Slot(n, Slot::Object { start, len: 1 }) => {
                let (key, value) = doc.entries(start, 1)[0];
                let key = self.de.str(key)?;
                let value = index_of(&value).map_err(|e| e.at_slot(n))?;
                self.de.enter(n).map_err(|e| e.at_slot(n))?;
                let r = visitor.visit_enum(Variant {
                    de: &mut *self.de,
                    name: key,
                    value,
                });
                self.de.leave(n);
                r.map_err(|e| e.at_slot(n))
            }
            Node::Slot(n, _) => Err(Error::new(
                "expected an enum: a variant name, or an object with exactly one key",
            )
            .at_slot(n)),
            Node::Sentinel(_) => Err(Error::new(
                "expected an enum: a variant name, or an object with exactly one key",
            )),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'d>>(self, visitor: V) -> Result<V::Value, Error> {
        self.de.resolve(self.i)?;
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        <W: Visitor<'d>>
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf unit unit_struct map struct identifier
    }
}

/// Elements of a plain array (holes allowed) or of a `Set`.
struct SeqAtoms<'a, 'd> {
    de: &'a mut De<'d>,
    atoms: &'d [Atom],
    pos: usize,
    holes: bool,
}

impl<'d> SeqAccess<'d> for SeqAtoms<'_, 'd> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'d>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some(atom) = self.atoms.get(self.pos) else {
            return Ok(None);
        };
        let pos = self.pos;
        self.pos += 1;
        let mut i = index_of(atom).map_err(|e| e.within_index(pos))?;
        if i == HOLE && self.holes {
            i = UNDEFINED;
        }
        seed.deserialize(Val {
            de: &mut *self.de,
            i,
        })
        .map(Some)
        .map_err(|e| e.within_index(pos))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.atoms.len() - self.pos)
    }
}

/// Elements of a sparse array `[-7, length, index, value, …]`.
struct SparseAccess<'a, 'd> {
    de: &'a mut De<'d>,
    len: usize,
    pairs: &'d [Atom],
    pos: usize,
}

impl<'d> SeqAccess<'d> for SparseAccess<'_, 'd> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'d>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.pos >= self.len {
            return Ok(None);
        }
        let pos = self.pos;
        self.pos += 1;
        let i = match self.pairs {
            [Atom::Int(idx), value, rest @ ..] if *idx as usize == pos => {
                self.pairs = rest;
                index_of(value)?
            }
            _ => UNDEFINED,
        };
        seed.deserialize(Val {
            de: &mut *self.de,
            i,
        })
        .map(Some)
        .map_err(|e| e.within_index(pos))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.len - self.pos)
    }
}

/// Properties of a `{…}` slot.
struct ObjectAccess<'a, 'd> {
    de: &'a mut De<'d>,
    entries: &'d [(super::doc::Str, Atom)],
    pos: usize,
    key: &'d str,
}

impl<'d> MapAccess<'d> for ObjectAccess<'_, 'd> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'d>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, _)) = self.entries.get(self.pos) else {
            return Ok(None);
        };
        let key = self.de.str(*key)?;
        if key == "__proto__" {
            return Err(Error::new("an object has a `__proto__` key"));
        }
        self.key = key;
        seed.deserialize(KeyDe(key))
            .map(Some)
            .map_err(|e| e.within_field(key))
    }

    fn next_value_seed<V: DeserializeSeed<'d>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let Some(&(_, value)) = self.entries.get(self.pos) else {
            return Err(Error::new(
                "a value was requested past the end of an object",
            ));
        };
        self.pos += 1;
        let i = index_of(&value).map_err(|e| e.within_field(self.key))?;
        seed.deserialize(Val {
            de: &mut *self.de,
            i,
        })
        .map_err(|e| e.within_field(self.key))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len() - self.pos)
    }
}

/// Entries of `["Map", k, v, …]` or `["null", "key", v, …]`.
struct PairAccess<'a, 'd> {
    de: &'a mut De<'d>,
    pairs: &'d [Atom],
    pos: usize,
    string_keys: bool,
    key: &'d str,
}

impl<'d> MapAccess<'d> for PairAccess<'_, 'd> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'d>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some(key) = self.pairs.get(self.pos * 2) else {
            return Ok(None);
        };
        let n = self.pos;
        if self.string_keys {
            let Atom::Str(key) = key else {
                return Err(Error::new("a null-prototype object has a non-string key"));
            };
            let key = self.de.str(*key)?;
            if key == "__proto__" {
                return Err(Error::new("an object has a `__proto__` key"));
            }
            self.key = key;
            return seed
                .deserialize(KeyDe(key))
                .map(Some)
                .map_err(|e| e.within_field(key));
        }
        let i = index_of(key).map_err(|e| e.within(Segment::MapKey(n)))?;
        seed.deserialize(Val {
            de: &mut *self.de,
            i,
        })
        .map(Some)
        .map_err(|e| e.within(Segment::MapKey(n)))
    }

    fn next_value_seed<V: DeserializeSeed<'d>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let n = self.pos;
        self.pos += 1;
        let wrap = |e: Error, key: &str, string_keys: bool| {
            if string_keys {
                e.within_field(key)
            } else {
                e.within(Segment::MapValue(n))
            }
        };
        let Some(value) = self.pairs.get(n * 2 + 1) else {
            return Err(Error::new("a value was requested past the end of a map"));
        };
        let i = index_of(value).map_err(|e| wrap(e, self.key, self.string_keys))?;
        seed.deserialize(Val {
            de: &mut *self.de,
            i,
        })
        .map_err(|e| wrap(e, self.key, self.string_keys))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.pairs.len() / 2 - self.pos)
    }
}

/// `{"Variant": value}`
struct Variant<'a, 'd> {
    de: &'a mut De<'d>,
    name: &'d str,
    value: i64,
}

impl<'a, 'd> EnumAccess<'d> for Variant<'a, 'd> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'d>>(self, seed: S) -> Result<(S::Value, Self), Error> {
        let v = seed.deserialize(KeyDe(self.name))?;
        Ok((v, self))
    }
}

impl<'d> VariantAccess<'d> for Variant<'_, 'd> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        let name = self.name;
        de::Deserialize::deserialize(Val {
            de: self.de,
            i: self.value,
        })
        .map_err(|e: Error| e.within_field(name))
    }

    fn newtype_variant_seed<T: DeserializeSeed<'d>>(self, seed: T) -> Result<T::Value, Error> {
        let name = self.name;
        seed.deserialize(Val {
            de: self.de,
            i: self.value,
        })
        .map_err(|e| e.within_field(name))
    }

    fn tuple_variant<V: Visitor<'d>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        let name = self.name;
        de::Deserializer::deserialize_seq(
            Val {
                de: self.de,
                i: self.value,
            },
            visitor,
        )
        .map_err(|e| e.within_field(name))
    }

    fn struct_variant<V: Visitor<'d>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let name = self.name;
        de::Deserializer::deserialize_any(
            Val {
                de: self.de,
                i: self.value,
            },
            visitor,
        )
        .map_err(|e| e.within_field(name))
    }
}

/// An object key: a string, also readable as a number or bool (like
/// serde_json's map keys), a unit variant or a newtype around those.
struct KeyDe<'de>(&'de str);

macro_rules! parse_key {
    ($($method:ident => $visit:ident: $ty:ty),* $(,)?) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.0.parse::<$ty>() {
                Ok(v) => visitor.$visit(v),
                Err(_) => visitor.visit_borrowed_str(self.0),
            }
        })*
    };
}

impl<'de> de::Deserializer<'de> for KeyDe<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_borrowed_str(self.0)
    }

    parse_key! {
        deserialize_bool => visit_bool: bool,
        deserialize_i8 => visit_i8: i8,
        deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_i128 => visit_i128: i128,
        deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64,
        deserialize_u128 => visit_u128: u128,
        deserialize_f32 => visit_f32: f32,
        deserialize_f64 => visit_f64: f64,
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_enum(self.0.into_deserializer())
    }

    serde::forward_to_deserialize_any! {
        char str string bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

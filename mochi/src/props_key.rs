//! A cache key for props, recorded straight from their `Serialize` impl.
//!
//! The per-thread token cache must recognise props it has signed before
//! without encoding them as devalue first: on a page whose islands get the
//! same props on every request, the encoding was most of what a cached
//! server island cost. This serializer records serde's data-model events in
//! a self-delimiting byte form instead: every event starts with its own tag
//! byte, every string carries its length, and every container ends with an
//! end tag, so two different event streams never give the same bytes.
//! devalue's text is a function of the event stream (both serializers say
//! they are human-readable, so types that ask get the same answer), so equal
//! keys mean equal devalue text and therefore equal tokens.
//!
//! Names that serde hands over as `&'static str` (structs, fields, variants)
//! are recorded by address and length: the same address and length is the
//! same text, and recording 16 bytes is cheaper than copying the name. The
//! same name at two addresses only costs a second cache entry.

use std::fmt;

use serde::ser::{self, Serialize};

/// Longer keys are not cached (big props are signed every time): this
/// bounds both the cache's memory and the work spent on a key.
pub(crate) const MAX_KEY_LEN: usize = 256;

/// Why props got no key: too long, or their `Serialize` impl failed (the
/// devalue encoder will then report the failure itself).
#[derive(Debug)]
pub(crate) struct NoKey;

impl fmt::Display for NoKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("props too large or unserializable for a cache key")
    }
}

impl std::error::Error for NoKey {}

impl ser::Error for NoKey {
    fn custom<T: fmt::Display>(_: T) -> Self {
        NoKey
    }
}

/// A key being recorded, on the stack: a fixed array needs no allocation
/// and no capacity checks beyond the one bound.
pub(crate) struct Key {
    bytes: [u8; MAX_KEY_LEN],
    len: usize,
}

impl Key {
    /// The key of `value`, after `prefix` (which tells islands apart).
    pub(crate) fn of<T: Serialize + ?Sized>(prefix: &[u8], value: &T) -> Result<Key, NoKey> {
        let mut key = Key {
            bytes: [0; MAX_KEY_LEN],
            len: 0,
        };
        key.put(prefix)?;
        value.serialize(&mut key)?;
        Ok(key)
    }

    /// The recorded bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    #[inline]
    fn put(&mut self, bytes: &[u8]) -> Result<(), NoKey> {
        let end = self.len + bytes.len();
        self.bytes
            .get_mut(self.len..end)
            .ok_or(NoKey)?
            .copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    #[inline]
    fn tag(&mut self, tag: u8) -> Result<(), NoKey> {
        self.put(&[tag])
    }

    #[inline]
    fn bytes(&mut self, tag: u8, bytes: &[u8]) -> Result<(), NoKey> {
        self.tag(tag)?;
        self.put(bytes)
    }

    /// A string of any origin: length, then bytes.
    #[inline]
    fn text(&mut self, tag: u8, bytes: &[u8]) -> Result<(), NoKey> {
        let len = u16::try_from(bytes.len()).map_err(|_| NoKey)?;
        self.tag(tag)?;
        self.put(&len.to_le_bytes())?;
        self.put(bytes)
    }

    /// A `&'static str` name: address and length (names longer than
    /// 64 KiB get no key, so the length fits two bytes).
    #[inline]
    fn name(&mut self, name: &'static str) -> Result<(), NoKey> {
        let len = u16::try_from(name.len()).map_err(|_| NoKey)?;
        self.put(&(name.as_ptr() as usize).to_ne_bytes())?;
        self.put(&len.to_ne_bytes())
    }

    /// An enum variant's event: tag, enum name, index, variant name.
    #[inline]
    fn variant(
        &mut self,
        tag: u8,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<(), NoKey> {
        self.tag(tag)?;
        self.name(name)?;
        self.put(&index.to_le_bytes())?;
        self.name(variant)
    }

    /// A container's length hint (`u32::MAX` for none; a longer container
    /// would make too long a key anyway).
    #[inline]
    fn len(&mut self, len: Option<usize>) -> Result<(), NoKey> {
        let len = len.map_or(u32::MAX, |n| n.min(u32::MAX as usize - 1) as u32);
        self.put(&len.to_le_bytes())
    }
}

/// One tag per kind of event, so no event can be read as another.
mod tag {
    pub(super) const BOOL: u8 = 1;
    pub(super) const I8: u8 = 2;
    pub(super) const I16: u8 = 3;
    pub(super) const I32: u8 = 4;
    pub(super) const I64: u8 = 5;
    pub(super) const I128: u8 = 6;
    pub(super) const U8: u8 = 7;
    pub(super) const U16: u8 = 8;
    pub(super) const U32: u8 = 9;
    pub(super) const U64: u8 = 10;
    pub(super) const U128: u8 = 11;
    pub(super) const F32: u8 = 12;
    pub(super) const F64: u8 = 13;
    pub(super) const CHAR: u8 = 14;
    pub(super) const STR: u8 = 15;
    pub(super) const BYTES: u8 = 16;
    pub(super) const NONE: u8 = 17;
    pub(super) const SOME: u8 = 18;
    pub(super) const UNIT: u8 = 19;
    pub(super) const UNIT_STRUCT: u8 = 20;
    pub(super) const UNIT_VARIANT: u8 = 21;
    pub(super) const NEWTYPE_STRUCT: u8 = 22;
    pub(super) const NEWTYPE_VARIANT: u8 = 23;
    pub(super) const SEQ: u8 = 24;
    pub(super) const TUPLE: u8 = 25;
    pub(super) const TUPLE_STRUCT: u8 = 26;
    pub(super) const TUPLE_VARIANT: u8 = 27;
    pub(super) const MAP: u8 = 28;
    pub(super) const STRUCT: u8 = 29;
    pub(super) const STRUCT_VARIANT: u8 = 30;
    pub(super) const FIELD: u8 = 31;
    pub(super) const SKIPPED_FIELD: u8 = 32;
    pub(super) const END: u8 = 33;
}

impl ser::Serializer for &mut Key {
    type Ok = ();
    type Error = NoKey;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn serialize_bool(self, v: bool) -> Result<(), NoKey> {
        self.bytes(tag::BOOL, &[v as u8])
    }
    fn serialize_i8(self, v: i8) -> Result<(), NoKey> {
        self.bytes(tag::I8, &v.to_le_bytes())
    }
    fn serialize_i16(self, v: i16) -> Result<(), NoKey> {
        self.bytes(tag::I16, &v.to_le_bytes())
    }
    fn serialize_i32(self, v: i32) -> Result<(), NoKey> {
        self.bytes(tag::I32, &v.to_le_bytes())
    }
    fn serialize_i64(self, v: i64) -> Result<(), NoKey> {
        self.bytes(tag::I64, &v.to_le_bytes())
    }
    fn serialize_i128(self, v: i128) -> Result<(), NoKey> {
        self.bytes(tag::I128, &v.to_le_bytes())
    }
    fn serialize_u8(self, v: u8) -> Result<(), NoKey> {
        self.bytes(tag::U8, &v.to_le_bytes())
    }
    fn serialize_u16(self, v: u16) -> Result<(), NoKey> {
        self.bytes(tag::U16, &v.to_le_bytes())
    }
    fn serialize_u32(self, v: u32) -> Result<(), NoKey> {
        self.bytes(tag::U32, &v.to_le_bytes())
    }
    fn serialize_u64(self, v: u64) -> Result<(), NoKey> {
        self.bytes(tag::U64, &v.to_le_bytes())
    }
    fn serialize_u128(self, v: u128) -> Result<(), NoKey> {
        self.bytes(tag::U128, &v.to_le_bytes())
    }
    // Floats by their bits: -0.0 and 0.0 (which devalue tells apart) and
    // each NaN payload get keys of their own.
    fn serialize_f32(self, v: f32) -> Result<(), NoKey> {
        self.bytes(tag::F32, &v.to_bits().to_le_bytes())
    }
    fn serialize_f64(self, v: f64) -> Result<(), NoKey> {
        self.bytes(tag::F64, &v.to_bits().to_le_bytes())
    }
    fn serialize_char(self, v: char) -> Result<(), NoKey> {
        self.bytes(tag::CHAR, &u32::from(v).to_le_bytes())
    }
    fn serialize_str(self, v: &str) -> Result<(), NoKey> {
        self.text(tag::STR, v.as_bytes())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), NoKey> {
        self.text(tag::BYTES, v)
    }
    fn serialize_none(self) -> Result<(), NoKey> {
        self.tag(tag::NONE)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), NoKey> {
        self.tag(tag::SOME)?;
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), NoKey> {
        self.tag(tag::UNIT)
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<(), NoKey> {
        self.tag(tag::UNIT_STRUCT)?;
        self.name(name)
    }
    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<(), NoKey> {
        self.variant(tag::UNIT_VARIANT, name, index, variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), NoKey> {
        self.tag(tag::NEWTYPE_STRUCT)?;
        self.name(name)?;
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), NoKey> {
        self.variant(tag::NEWTYPE_VARIANT, name, index, variant)?;
        value.serialize(self)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self, NoKey> {
        self.tag(tag::SEQ)?;
        self.len(len)?;
        Ok(self)
    }
    fn serialize_tuple(self, len: usize) -> Result<Self, NoKey> {
        self.tag(tag::TUPLE)?;
        self.len(Some(len))?;
        Ok(self)
    }
    fn serialize_tuple_struct(self, name: &'static str, len: usize) -> Result<Self, NoKey> {
        self.tag(tag::TUPLE_STRUCT)?;
        self.name(name)?;
        self.len(Some(len))?;
        Ok(self)
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self, NoKey> {
        self.variant(tag::TUPLE_VARIANT, name, index, variant)?;
        self.len(Some(len))?;
        Ok(self)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self, NoKey> {
        self.tag(tag::MAP)?;
        self.len(len)?;
        Ok(self)
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Self, NoKey> {
        self.tag(tag::STRUCT)?;
        self.name(name)?;
        self.len(Some(len))?;
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self, NoKey> {
        self.variant(tag::STRUCT_VARIANT, name, index, variant)?;
        self.len(Some(len))?;
        Ok(self)
    }
}

/// Elements and tuple fields: each is a value, and each value starts with
/// its own tag, so no separator is needed; the container's end tag closes
/// the list.
macro_rules! values_then_end {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for &mut Key {
            type Ok = ();
            type Error = NoKey;
            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), NoKey> {
                value.serialize(&mut **self)
            }
            fn end(self) -> Result<(), NoKey> {
                self.tag(tag::END)
            }
        }
    )*};
}

values_then_end!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// Map keys and values: values, as above.
impl ser::SerializeMap for &mut Key {
    type Ok = ();
    type Error = NoKey;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), NoKey> {
        key.serialize(&mut **self)
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), NoKey> {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result<(), NoKey> {
        self.tag(tag::END)
    }
}

/// Named fields: the name, then the value; a skipped field leaves its name.
macro_rules! named_fields {
    ($($trait:ident),*) => {$(
        impl ser::$trait for &mut Key {
            type Ok = ();
            type Error = NoKey;
            fn serialize_field<T: ?Sized + Serialize>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), NoKey> {
                self.tag(tag::FIELD)?;
                self.name(key)?;
                value.serialize(&mut **self)
            }
            fn skip_field(&mut self, key: &'static str) -> Result<(), NoKey> {
                self.tag(tag::SKIPPED_FIELD)?;
                self.name(key)
            }
            fn end(self) -> Result<(), NoKey> {
                self.tag(tag::END)
            }
        }
    )*};
}

named_fields!(SerializeStruct, SerializeStructVariant);

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use serde::Serialize;

    use super::{Key, MAX_KEY_LEN};
    use crate::devalue;

    fn key<T: Serialize + ?Sized>(v: &T) -> Option<Vec<u8>> {
        Key::of(b"prefix", v).ok().map(|k| k.as_bytes().to_vec())
    }

    /// Optional fields are where a key without names would go wrong:
    /// `{a: 1}` and `{b: 1}` must not share a key.
    #[derive(Serialize, Debug, Clone, PartialEq)]
    struct Sparse {
        #[serde(skip_serializing_if = "Option::is_none")]
        a: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        b: Option<u32>,
        #[serde(skip_serializing_if = "String::is_empty")]
        s: String,
    }

    #[derive(Serialize, Debug, Clone, PartialEq)]
    enum Shape {
        Unit,
        New(u8),
        Tuple(u8, String),
        Struct { x: i64, y: Option<f64> },
    }

    #[derive(Serialize, Debug, Clone, PartialEq)]
    struct Props {
        sparse: Sparse,
        shapes: Vec<Shape>,
        tags: BTreeMap<String, Vec<u8>>,
        pair: (bool, char),
        bytes: devalue::Bytes,
        date: devalue::Date,
    }

    fn float() -> impl Strategy<Value = f64> {
        prop_oneof![Just(0.0), Just(-0.0), Just(f64::NAN), Just(1.5)]
    }

    fn shape() -> impl Strategy<Value = Shape> {
        prop_oneof![
            Just(Shape::Unit),
            (0u8..3).prop_map(Shape::New),
            (0u8..3, "[ab]{0,2}").prop_map(|(n, s)| Shape::Tuple(n, s)),
            (-1i64..2, prop::option::of(float())).prop_map(|(x, y)| Shape::Struct { x, y }),
        ]
    }

    fn props() -> impl Strategy<Value = Props> {
        (
            (
                prop::option::of(0u32..2),
                prop::option::of(0u32..2),
                "[ab]{0,2}",
            ),
            prop::collection::vec(shape(), 0..4),
            prop::collection::btree_map("[a-c]{0,2}", prop::collection::vec(0u8..3, 0..3), 0..3),
            (any::<bool>(), prop_oneof![Just('a'), Just('é')]),
            prop::collection::vec(0u8..2, 0..3),
            -1i64..2,
        )
            .prop_map(|((a, b, s), shapes, tags, pair, bytes, date)| Props {
                sparse: Sparse { a, b, s },
                shapes,
                tags,
                pair,
                bytes: devalue::Bytes(bytes),
                date: devalue::Date::from_millis(date).expect("in range"),
            })
    }

    #[test]
    fn skipped_fields_do_not_collide() {
        let a = Sparse {
            a: Some(1),
            b: None,
            s: String::new(),
        };
        let b = Sparse {
            a: None,
            b: Some(1),
            s: String::new(),
        };
        assert_ne!(key(&a), key(&b));
    }

    /// A hand-written impl that names one of two fields, without
    /// `skip_field`: only the recorded name tells them apart.
    struct OneOf(&'static str);

    impl Serialize for OneOf {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeStruct;
            let mut st = s.serialize_struct("OneOf", 1)?;
            st.serialize_field(self.0, &1)?;
            st.end()
        }
    }

    #[test]
    fn names_are_recorded() {
        assert_ne!(key(&OneOf("x")), key(&OneOf("y")));
        assert_eq!(key(&OneOf("x")), key(&OneOf("x")));
    }

    #[test]
    fn strings_are_delimited() {
        assert_ne!(key(&("ab", "c")), key(&("a", "bc")));
        // The string tag's own byte inside a string.
        assert_ne!(key(&("a\u{f}", "")), key(&("a", "\u{f}")));
        assert_ne!(key(&vec!["a"]), key(&vec!["a", ""]));
        assert_ne!(key(&Some(())), key(&()));
        assert_ne!(key(&0.0f64), key(&-0.0f64));
    }

    #[test]
    fn long_props_get_no_key() {
        assert!(key(&"x".repeat(MAX_KEY_LEN - 16)).is_some());
        assert!(key(&"x".repeat(MAX_KEY_LEN)).is_none());
        let many: Vec<u32> = (0..MAX_KEY_LEN as u32).collect();
        assert!(key(&many).is_none());
    }

    proptest! {
        /// The property the token cache rests on: different devalue text,
        /// different keys (over values drawn from small domains, so that
        /// pairs often differ in one place only, in every way serde can
        /// express a difference).
        #[test]
        fn equal_keys_mean_equal_text(a in props(), b in props()) {
            let (ka, kb) = (key(&a), key(&b));
            prop_assume!(ka.is_some() && kb.is_some(), "a key too long to cache");
            let (ta, tb) = (devalue::to_string(&a).ok(), devalue::to_string(&b).ok());
            if ta != tb {
                prop_assert_ne!(ka, kb);
            }
        }

        /// A value's key does not depend on anything but the value.
        #[test]
        fn keys_are_deterministic(a in props()) {
            prop_assert_eq!(key(&a), key(&a.clone()));
        }
    }
}

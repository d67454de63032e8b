//! Serde support for [devalue](https://github.com/sveltejs/devalue), the
//! wire format of Rich Harris's npm `devalue` library.
//!
//! [`to_string`] writes exactly the text that npm `devalue`'s `stringify`
//! writes for the equivalent JavaScript value (byte for byte, checked
//! against npm `devalue` 5.9.4), and [`from_str`] reads what `stringify`
//! writes, so `devalue.parse` in the browser gets back the value Rust sent,
//! and Rust gets back what the browser sent. It is JSON that keeps what
//! JSON loses: `NaN`, `±Infinity`, `-0`, big integers, dates, maps, sets,
//! and shared values; and it is safe inside a `<script>` element (`<` is
//! written `\u003C`).
//!
//! The text is a flat array: slot 0 is the root value and containers hold
//! the indices of their elements. Equal primitives share a slot; negative
//! indices stand for `undefined` (-1), `NaN` (-3), `Infinity` (-4),
//! `-Infinity` (-5) and `-0` (-6).
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use serde_devalue as devalue;
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! struct Props {
//!     title: String,
//!     tags: Vec<String>,
//!     score: f64,
//! }
//!
//! let props = Props { title: "Hi".into(), tags: vec!["a".into(), "a".into()], score: f64::NAN };
//! let text = devalue::to_string(&props).unwrap();
//! assert_eq!(text, r#"[{"title":1,"tags":2,"score":-3},"Hi",[3,3],"a"]"#);
//!
//! let back: Props = devalue::from_str(&text).unwrap();
//! assert_eq!(back.tags, props.tags);
//! assert!(back.score.is_nan());
//! ```
//!
//! ## How Rust values map to JavaScript
//!
//! | Rust | JavaScript (devalue) |
//! |---|---|
//! | `bool`, `String`, `char`, `&str` | boolean, string |
//! | integers within ±(2^53 − 1) | number |
//! | integers beyond that, `i128`/`u128` included | `BigInt` (no silent precision loss) |
//! | `f32`, `f64` | number; `NaN`, `±Infinity` and `-0` keep their values |
//! | `None`, `()`, unit structs | `null` |
//! | structs, maps with string keys | object (`{…}`) |
//! | maps with other keys (integers, tuples, …) | `Map` |
//! | `Vec`, slices, tuples, tuple structs | array |
//! | enums | as serde_json: `"Unit"`, `{"Newtype":x}`, `{"Tuple":[…]}`, `{"Struct":{…}}` |
//! | [`Date`], [`Set`], [`Map`], [`Url`], [`BigInt`], [`Bytes`], [`RegExp`] | `Date`, `Set`, `Map`, `URL`, `BigInt`, `Uint8Array`, `RegExp` |
//!
//! ```
//! use std::collections::BTreeMap;
//! use serde_devalue::{self as devalue, Date, Set};
//!
//! let ids: BTreeMap<u32, &str> = [(7, "seven")].into();
//! assert_eq!(devalue::to_string(&ids).unwrap(), r#"[["Map",1,2],7,"seven"]"#);
//! assert_eq!(devalue::to_string(&u64::MAX).unwrap(), r#"[["BigInt","18446744073709551615"]]"#);
//! assert_eq!(devalue::to_string(&-0.0).unwrap(), "-6");
//! assert_eq!(devalue::to_string("</script>").unwrap(), r#"["\u003C/script>"]"#);
//!
//! let when = (Date::EPOCH, Set(vec![1, 2]));
//! assert_eq!(
//!     devalue::to_string(&when).unwrap(),
//!     r#"[[1,2],["Date","1970-01-01T00:00:00.000Z"],["Set",3,4],1,2]"#
//! );
//! ```
//!
//! Things worth knowing:
//!
//! - An **empty** map is written `{}`: with no keys, its key type is unknown.
//!   Reading accepts `{}` and `["Map"]` for any map.
//! - A struct field or string map key `__proto__` cannot be written (devalue
//!   refuses it too); wrap such maps in [`Map`].
//! - JavaScript lists an object's array-index keys (`"0"`, `"42"`) first;
//!   the output follows JavaScript's order, so a map with keys `"b"`, `"1"`
//!   is written `{"1":…,"b":…}`.
//! - Written values nest at most 128 containers deep, the same limit the
//!   reader applies.
//!
//! ## Reading untrusted text
//!
//! [`from_str`] accepts exactly the shapes devalue writes and fails with an
//! [`Error`] (never a panic) on anything else: invalid JSON or trailing
//! characters, indices out of range, cycles, unknown tags, `__proto__` keys,
//! nesting deeper than [`Limits::max_depth`], more values than
//! [`Limits::max_nodes`] (a slot referenced many times is decoded each
//! time, so this bounds the work), or more string and byte data than
//! [`Limits::max_bytes`]. Memory use is proportional to the input plus the
//! value being built.

mod de;
mod doc;
mod error;
mod escape;
mod normalize;
mod ser;
mod types;

#[cfg(test)]
mod tests;

use serde::de::DeserializeOwned;
use serde::Serialize;

pub use error::Error;
pub use types::{BigInt, Bytes, Date, Map, RegExp, Set, Url};

/// The README's examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The nesting limit for writing, and the default for reading.
pub const MAX_DEPTH: usize = 128;

/// Bounds on the work and memory [`from_str_with_limits`] spends on one
/// input. [`from_str`] uses the defaults.
///
/// ```
/// let mut limits = serde_devalue::Limits::default();
/// limits.max_depth = 2;
/// let deep = "[[1],[2],[]]";
/// assert!(serde_devalue::from_str_with_limits::<Vec<Vec<Vec<u8>>>>(deep, &limits).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Containers (arrays, objects, maps, sets, enum variants) nested on
    /// one path. Default: [`MAX_DEPTH`] (128).
    pub max_depth: usize,
    /// Values visited. A shared slot counts each time it is reached. The
    /// budget is the larger of this and the input length in bytes, which no
    /// text written by [`to_string`] exceeds. Default: 100,000.
    pub max_nodes: usize,
    /// Bytes of strings and byte arrays handed to the value being built
    /// (a `RegExp` read as a string counts its whole `/source/flags`), and
    /// of `BigInt` digits read, again per reference. The budget is the
    /// larger of this and twice the input length. Default: 16 MiB.
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: MAX_DEPTH,
            max_nodes: 100_000,
            max_bytes: 16 << 20,
        }
    }
}

/// Writes `value` as devalue text, byte-identical to what
/// `devalue.stringify` writes for the equivalent JavaScript value.
///
/// Fails if the value cannot be represented: a `__proto__` key, a map mixing
/// string and non-string keys, nesting deeper than [`MAX_DEPTH`], a
/// [`Date`] out of range, or an error from the value's `Serialize` impl.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    with_text(value, str::to_owned)
}

/// Runs `f` on the devalue text of `value` (what [`to_string`] returns),
/// lent from this thread's writer instead of allocated: for text that is
/// only looked at (hashed, signed, copied into a larger buffer), this saves
/// the `String` that [`to_string`] would return.
///
/// Fails as [`to_string`] does, without calling `f`. `f` may itself write
/// devalue text (it gets a writer of its own).
///
/// ```
/// let len = serde_devalue::with_text(&[1, 2], |text| {
///     assert_eq!(text, "[[1,2],1,2]");
///     text.len()
/// })
/// .unwrap();
/// assert_eq!(len, 11);
/// ```
pub fn with_text<T: Serialize + ?Sized, R>(
    value: &T,
    f: impl FnOnce(&str) -> R,
) -> Result<R, Error> {
    ser::Writer::with(MAX_DEPTH, |w| {
        let root = value.serialize(&mut *w)?;
        let mut text = std::mem::take(&mut w.text);
        w.finish_into(root, &mut text);
        let r = if w.reorder {
            normalize::normalize(&text, MAX_DEPTH).map(|text| f(&text))
        } else {
            Ok(f(&text))
        };
        w.text = text;
        r
    })
}

/// Reads devalue text into a `T`, with the default [`Limits`].
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    from_str_with_limits(text, &Limits::default())
}

/// Reads devalue text into a `T`, within `limits`.
pub fn from_str_with_limits<T: DeserializeOwned>(text: &str, limits: &Limits) -> Result<T, Error> {
    let doc = doc::Doc::parse(text, false)?;
    let result = de::deserialize(&doc, limits, text.len());
    doc.recycle();
    result
}

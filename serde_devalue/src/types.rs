//! Wrapper types for JavaScript values that have no natural Rust/serde
//! counterpart: `Date`, `Set`, `Map` (with any keys), `URL`, `BigInt`,
//! `Uint8Array` and `RegExp`.
//!
//! Each is a newtype that serializes through serde with a private magic
//! name, which the devalue serializer recognises and writes as the tagged
//! form. Any other serde format (serde_json, …) sees the plain inner value:
//! milliseconds for a `Date`, an array for a `Set`, a map for a `Map`, a
//! string for a `Url`, an integer for a `BigInt`, bytes for `Bytes`, and
//! `"/source/flags"` for a `RegExp`, and reads those back.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, Serializer};

use super::error::Error;

/// The newtype names the serializer and deserializer recognise.
pub(crate) mod magic {
    pub(crate) const PREFIX: &str = "$serde_devalue::";
    pub(crate) const DATE: &str = "$serde_devalue::Date";
    pub(crate) const SET: &str = "$serde_devalue::Set";
    pub(crate) const MAP: &str = "$serde_devalue::Map";
    pub(crate) const URL: &str = "$serde_devalue::URL";
    pub(crate) const BIGINT: &str = "$serde_devalue::BigInt";
    pub(crate) const REGEXP: &str = "$serde_devalue::RegExp";
}

// ---------------------------------------------------------------------------
// Date

/// A JavaScript `Date`: whole milliseconds since 1970-01-01T00:00:00Z.
///
/// It holds exactly what a JavaScript `Date` holds (a time value, an
/// integer number of milliseconds within ±8.64e15, i.e. ±100,000,000 days)
/// and is written as devalue writes dates, `["Date","2024-05-06T07:08:09.010Z"]`.
/// Invalid dates (`new Date(NaN)`) have no `Date` value: reading one is an
/// error. With other serde formats it is the number of milliseconds.
///
/// ```
/// use serde_devalue::{self as devalue, Date};
///
/// let d = Date::from_millis(1_714_979_289_010).unwrap();
/// assert_eq!(d.to_string(), "2024-05-06T07:08:09.010Z");
/// assert_eq!(devalue::to_string(&d).unwrap(), r#"[["Date","2024-05-06T07:08:09.010Z"]]"#);
/// assert_eq!(devalue::from_str::<Date>(&devalue::to_string(&d).unwrap()).unwrap(), d);
/// assert_eq!("2024-05-06T07:08:09.010Z".parse::<Date>().unwrap(), d);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i64);

const MS_PER_DAY: i64 = 86_400_000;

impl Date {
    /// The largest time value a JavaScript `Date` can hold (8.64e15 ms).
    pub const MAX_MILLIS: i64 = 8_640_000_000_000_000;

    /// The Unix epoch, `1970-01-01T00:00:00.000Z`.
    pub const EPOCH: Date = Date(0);

    /// A date from milliseconds since the epoch; `None` outside
    /// ±[`Date::MAX_MILLIS`].
    pub fn from_millis(ms: i64) -> Option<Date> {
        (-Self::MAX_MILLIS..=Self::MAX_MILLIS)
            .contains(&ms)
            .then_some(Date(ms))
    }

    /// Milliseconds since the epoch.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// The current time (truncated to milliseconds).
    pub fn now() -> Date {
        Date::from_system_time(SystemTime::now()).unwrap_or(Date::EPOCH)
    }

    /// A system time truncated to milliseconds (towards the past); `None`
    /// outside JavaScript's range.
    pub fn from_system_time(t: SystemTime) -> Option<Date> {
        let ms = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).ok()?,
            Err(e) => {
                let d = e.duration();
                let ms = i64::try_from(d.as_millis()).ok()?;
                if d.subsec_nanos() % 1_000_000 != 0 {
                    -ms - 1
                } else {
                    -ms
                }
            }
        };
        Date::from_millis(ms)
    }

    /// The same instant as a [`SystemTime`].
    pub fn to_system_time(self) -> SystemTime {
        let d = Duration::from_millis(self.0.unsigned_abs());
        if self.0 >= 0 {
            UNIX_EPOCH + d
        } else {
            UNIX_EPOCH - d
        }
    }

    /// Reads the format of JavaScript's `Date.prototype.toISOString`
    /// (`YYYY-MM-DDTHH:mm:ss.sssZ`, or `±YYYYYY-…` for other years; the
    /// milliseconds may be left out).
    pub fn parse_iso(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        let (year, rest) = match b.first()? {
            sign @ (b'+' | b'-') => {
                let y = digits(b.get(1..7)?)?;
                if *sign == b'-' && y == 0 {
                    return None; // -000000 is not a year
                }
                (if *sign == b'-' { -y } else { y }, &b[7..])
            }
            _ => (digits(b.get(0..4)?)?, &b[4..]),
        };
        let (month, day, hour, minute, second, rest) = match rest {
            [b'-', m1, m2, b'-', d1, d2, b'T', h1, h2, b':', i1, i2, b':', s1, s2, rest @ ..] => (
                digits(&[*m1, *m2])?,
                digits(&[*d1, *d2])?,
                digits(&[*h1, *h2])?,
                digits(&[*i1, *i2])?,
                digits(&[*s1, *s2])?,
                rest,
            ),
            _ => return None,
        };
        let millis = match rest {
            [b'.', a, b, c, b'Z'] => digits(&[*a, *b, *c])?,
            [b'Z'] => 0,
            _ => return None,
        };
        if !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 59
        {
            return None;
        }
        let days = days_from_civil(year, month, day);
        let ms = days * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000 + millis;
        Date::from_millis(ms)
    }

    /// Appends the `toISOString` form.
    pub(crate) fn write_iso(self, out: &mut String) {
        use std::fmt::Write as _;
        let days = self.0.div_euclid(MS_PER_DAY);
        let ms = self.0.rem_euclid(MS_PER_DAY);
        let (y, m, d) = civil_from_days(days);
        let _ = if (0..=9999).contains(&y) {
            write!(out, "{y:04}")
        } else if y < 0 {
            write!(out, "-{:06}", -y)
        } else {
            write!(out, "+{y:06}")
        };
        let _ = write!(
            out,
            "-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
            ms / 3_600_000,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000
        );
    }
}

fn digits(b: &[u8]) -> Option<i64> {
    b.iter().try_fold(0i64, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
    })
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1..=12).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    // Count years from March, so the leap day is the last day of a year.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = (m + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let d = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let m = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let y = year_of_era + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

impl fmt::Display for Date {
    /// The `toISOString` form, e.g. `2024-05-06T07:08:09.010Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(24);
        self.write_iso(&mut s);
        f.write_str(&s)
    }
}

impl FromStr for Date {
    type Err = Error;

    fn from_str(s: &str) -> Result<Date, Error> {
        Date::parse_iso(s).ok_or_else(|| Error::new(format!("invalid ISO date `{s}`")))
    }
}

impl TryFrom<SystemTime> for Date {
    type Error = Error;

    fn try_from(t: SystemTime) -> Result<Date, Error> {
        Date::from_system_time(t).ok_or_else(|| Error::new("time outside JavaScript's Date range"))
    }
}

impl From<Date> for SystemTime {
    fn from(d: Date) -> SystemTime {
        d.to_system_time()
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(magic::DATE, &self.0)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        struct V;
        fn range<E: de::Error>(ms: i64) -> Result<Date, E> {
            Date::from_millis(ms).ok_or_else(|| E::custom("Date out of JavaScript's range"))
        }
        impl<'de> Visitor<'de> for V {
            type Value = Date;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Date")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Date, E> {
                range(v)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Date, E> {
                range(i64::try_from(v).unwrap_or(i64::MAX))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Date, E> {
                if v.fract() != 0.0 || !v.is_finite() {
                    return Err(E::custom("a Date needs whole milliseconds"));
                }
                range(v as i64)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Date, E> {
                Date::parse_iso(v).ok_or_else(|| E::custom(format!("invalid ISO date `{v}`")))
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Date, D::Error> {
                d.deserialize_any(self)
            }
        }
        deserializer.deserialize_newtype_struct(magic::DATE, V)
    }
}

// ---------------------------------------------------------------------------
// Set

/// A JavaScript `Set`, written `["Set", …]`, in insertion order.
///
/// Like a JavaScript `Set` it holds each primitive value once: writing
/// `Set(vec![1, 1, 2])` gives the same text as `new Set([1, 1, 2])`, a set
/// of two. (Structs and other containers are always distinct objects.) With
/// other serde formats it is a plain sequence.
///
/// ```
/// use serde_devalue::{self as devalue, Set};
///
/// let tags = Set(vec!["a".to_string(), "b".to_string()]);
/// assert_eq!(devalue::to_string(&tags).unwrap(), r#"[["Set",1,2],"a","b"]"#);
/// assert_eq!(devalue::from_str::<Set<String>>(r#"[["Set",1,2],"a","b"]"#).unwrap(), tags);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Set<T>(pub Vec<T>);

impl<T> From<Vec<T>> for Set<T> {
    fn from(v: Vec<T>) -> Self {
        Set(v)
    }
}

impl<T> FromIterator<T> for Set<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Set(iter.into_iter().collect())
    }
}

impl<T> IntoIterator for Set<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<T: Serialize> Serialize for Set<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(magic::SET, &self.0)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Set<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Set<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Set")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Set<T>, A::Error> {
                let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
                while let Some(x) = seq.next_element()? {
                    v.push(x);
                }
                Ok(Set(v))
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Set<T>, D::Error> {
                Vec::deserialize(d).map(Set)
            }
        }
        deserializer.deserialize_newtype_struct(magic::SET, V(PhantomData))
    }
}

// ---------------------------------------------------------------------------
// Map

/// A JavaScript `Map`, written `["Map", key, value, …]` in insertion order,
/// whatever the key type.
///
/// Rust maps with non-string keys become a `Map` on their own; use this
/// wrapper to force one for string keys too (for instance for keys that are
/// user data, which could be `__proto__`). As in JavaScript, a repeated
/// primitive key keeps its first position and its last value. With other
/// serde formats it is a plain map.
///
/// ```
/// use serde_devalue::{self as devalue, Map};
///
/// let m = Map(vec![("a".to_string(), 1), ("b".to_string(), 2)]);
/// assert_eq!(devalue::to_string(&m).unwrap(), r#"[["Map",1,2,3,4],"a",1,"b",2]"#);
/// assert_eq!(devalue::from_str::<Map<String, i32>>(r#"[["Map",1,2,3,4],"a",1,"b",2]"#).unwrap(), m);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Map<K, V>(pub Vec<(K, V)>);

impl<K, V> From<Vec<(K, V)>> for Map<K, V> {
    fn from(v: Vec<(K, V)>) -> Self {
        Map(v)
    }
}

impl<K, V> FromIterator<(K, V)> for Map<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Map(iter.into_iter().collect())
    }
}

impl<K, V> IntoIterator for Map<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

struct Entries<'a, K, V>(&'a [(K, V)]);

impl<K: Serialize, V: Serialize> Serialize for Entries<'_, K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl<K: Serialize, V: Serialize> Serialize for Map<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(magic::MAP, &Entries(&self.0))
    }
}

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for Map<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Vis<K, V>(PhantomData<(K, V)>);
        impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for Vis<K, V> {
            type Value = Map<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Map<K, V>, A::Error> {
                let mut v = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1024));
                while let Some(entry) = map.next_entry()? {
                    v.push(entry);
                }
                Ok(Map(v))
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<Map<K, V>, D::Error> {
                d.deserialize_map(self)
            }
        }
        deserializer.deserialize_newtype_struct(magic::MAP, Vis(PhantomData))
    }
}

// ---------------------------------------------------------------------------
// Url

/// A JavaScript `URL`, written `["URL", "https://…"]`.
///
/// The text is written exactly as given. JavaScript normalises URLs
/// (`new URL("HTTP://Example.COM").href` is `http://example.com/`): store
/// the normalised `href` form to get byte-identical output to devalue. The
/// check here is light (a scheme, no whitespace or control characters); the
/// browser's `new URL()` is the judge. With other serde formats it is a
/// string.
///
/// ```
/// use serde_devalue::{self as devalue, Url};
///
/// let u = Url::parse("https://example.com/a?b=1").unwrap();
/// assert_eq!(devalue::to_string(&u).unwrap(), r#"[["URL","https://example.com/a?b=1"]]"#);
/// assert!(Url::parse("not a url").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Url(String);

impl Url {
    /// Checks that `s` looks like an absolute URL (`scheme:…`, no
    /// whitespace or control characters).
    pub fn parse(s: &str) -> Result<Url, Error> {
        let scheme_end = s.find(':');
        let scheme_ok = scheme_end.is_some_and(|end| {
            let scheme = &s.as_bytes()[..end];
            scheme.first().is_some_and(u8::is_ascii_alphabetic)
                && scheme
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        });
        if !scheme_ok {
            return Err(Error::new(format!(
                "`{s}` is not an absolute URL (no scheme)"
            )));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::new(format!(
                "`{}` is not a URL: it holds whitespace or control characters",
                s.escape_debug()
            )));
        }
        Ok(Url(s.to_owned()))
    }

    /// The URL text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Url {
    type Err = Error;
    fn from_str(s: &str) -> Result<Url, Error> {
        Url::parse(s)
    }
}

impl AsRef<str> for Url {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for Url {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(magic::URL, self.0.as_str())
    }
}

impl<'de> Deserialize<'de> for Url {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Url, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Url;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a URL")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Url, E> {
                Url::parse(v).map_err(|e| E::custom(e.message()))
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Url, D::Error> {
                d.deserialize_str(self)
            }
        }
        deserializer.deserialize_newtype_struct(magic::URL, V)
    }
}

// ---------------------------------------------------------------------------
// BigInt

/// A JavaScript `BigInt` whatever its size: `BigInt(5)` is written
/// `["BigInt","5"]` (a plain `5i64` would be the number `5`).
///
/// Plain Rust integers beyond ±(2^53 − 1) already become `BigInt`s; use
/// this when the JavaScript side wants a `bigint` for every value (ids, for
/// instance). Reads a `BigInt` or an integral number. With other serde
/// formats it is an `i128`.
///
/// ```
/// use serde_devalue::{self as devalue, BigInt};
///
/// assert_eq!(devalue::to_string(&BigInt(5)).unwrap(), r#"[["BigInt","5"]]"#);
/// assert_eq!(devalue::from_str::<BigInt>("[7]").unwrap(), BigInt(7));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BigInt(pub i128);

impl Serialize for BigInt {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(magic::BIGINT, &self.0)
    }
}

impl<'de> Deserialize<'de> for BigInt {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<BigInt, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = BigInt;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a BigInt")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<BigInt, E> {
                Ok(BigInt(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<BigInt, E> {
                Ok(BigInt(v.into()))
            }
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<BigInt, E> {
                Ok(BigInt(v))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<BigInt, E> {
                i128::try_from(v)
                    .map(BigInt)
                    .map_err(|_| E::custom("BigInt out of range for i128"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<BigInt, E> {
                // Integral numbers up to 2^127 convert exactly.
                if v.fract() == 0.0 && v.abs() < 1.7e38 {
                    Ok(BigInt(v as i128))
                } else {
                    Err(E::custom("expected an integer for a BigInt"))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<BigInt, E> {
                match parse_bigint(v).map_err(|e| E::custom(e.message()))? {
                    BigIntValue::Neg(n) => Ok(BigInt(n)),
                    BigIntValue::Pos(n) => self.visit_u128(n),
                }
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<BigInt, D::Error> {
                d.deserialize_any(self)
            }
        }
        deserializer.deserialize_newtype_struct(magic::BIGINT, V)
    }
}

pub(crate) enum BigIntValue {
    Pos(u128),
    Neg(i128),
}

/// Reads a `BigInt`'s decimal digits (`-?[0-9]+`) into 128 bits.
pub(crate) fn parse_bigint(text: &str) -> Result<BigIntValue, Error> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::new(format!("invalid BigInt `{text}`")));
    }
    let out_of_range = || Error::new(format!("BigInt {text} does not fit 128 bits"));
    let magnitude: u128 = digits.parse().map_err(|_| out_of_range())?;
    if negative {
        if magnitude == 0 {
            return Ok(BigIntValue::Pos(0));
        }
        match magnitude
            .checked_sub(1)
            .and_then(|m| i128::try_from(m).ok())
        {
            Some(m) => Ok(BigIntValue::Neg(-m - 1)),
            None => Err(out_of_range()),
        }
    } else {
        Ok(BigIntValue::Pos(magnitude))
    }
}

// ---------------------------------------------------------------------------
// Bytes

/// Bytes, written as a JavaScript `Uint8Array` (whose `ArrayBuffer` is
/// base64 text): `["Uint8Array",1],["ArrayBuffer","AQID"]`.
///
/// A plain `Vec<u8>` is an array of numbers, as with serde_json; this type
/// uses serde's bytes instead (as `serde_bytes` does), so with serde_json
/// it is still an array of numbers. Reads a `Uint8Array`, an `ArrayBuffer`
/// or an array of numbers.
///
/// ```
/// use serde_devalue::{self as devalue, Bytes};
///
/// let b = Bytes(vec![1, 2, 3]);
/// assert_eq!(devalue::to_string(&b).unwrap(), r#"[["Uint8Array",1],["ArrayBuffer","AQID"]]"#);
/// assert_eq!(devalue::from_str::<Bytes>("[[1,2,3],1,2,3]").unwrap(), b);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bytes(pub Vec<u8>);

impl From<Vec<u8>> for Bytes {
    fn from(v: Vec<u8>) -> Self {
        Bytes(v)
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Bytes, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Bytes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Bytes, E> {
                Ok(Bytes(v.to_vec()))
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Bytes, E> {
                Ok(Bytes(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Bytes, A::Error> {
                let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(b) = seq.next_element::<u8>()? {
                    v.push(b);
                }
                Ok(Bytes(v))
            }
        }
        deserializer.deserialize_byte_buf(V)
    }
}

const BASE64_DECODE: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Appends standard, padded base64 (what `Buffer#toString('base64')` and
/// `Uint8Array#toBase64()` write).
pub(crate) fn write_base64(out: &mut String, bytes: &[u8]) {
    base64::engine::general_purpose::STANDARD.encode_string(bytes, out);
}

pub(crate) fn decode_base64(text: &str) -> Result<Vec<u8>, Error> {
    BASE64_DECODE
        .decode(text)
        .map_err(|e| Error::new(format!("invalid base64 in an ArrayBuffer: {e}")))
}

// ---------------------------------------------------------------------------
// RegExp

/// A JavaScript `RegExp`, written `["RegExp", source, flags]`.
///
/// Rust does not check the pattern (the browser's `new RegExp` does); the
/// flags must be some of `dgimsuvy`, each once, and are kept in
/// JavaScript's order. For byte-identical output to devalue, give the
/// source as JavaScript's `RegExp.prototype.source` prints it (`/` written
/// `\/`, the empty pattern as `(?:)`; `new` does that much). With other
/// serde formats it is the string `/source/flags`.
///
/// ```
/// use serde_devalue::{self as devalue, RegExp};
///
/// let r = RegExp::new("^a+$", "gi").unwrap();
/// assert_eq!(devalue::to_string(&r).unwrap(), r#"[["RegExp","^a+$","gi"]]"#);
/// assert_eq!(r.to_string(), "/^a+$/gi");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RegExp {
    source: String,
    flags: String,
}

impl RegExp {
    /// A regular expression from its source and flags.
    pub fn new(source: &str, flags: &str) -> Result<RegExp, Error> {
        const ORDER: &str = "dgimsuvy";
        let mut sorted = String::with_capacity(flags.len());
        for f in ORDER.chars() {
            match flags.matches(f).count() {
                0 => {}
                1 => sorted.push(f),
                _ => return Err(Error::new(format!("RegExp flag `{f}` given twice"))),
            }
        }
        if sorted.len() != flags.len() {
            return Err(Error::new(format!(
                "invalid RegExp flags `{flags}` (allowed: {ORDER})"
            )));
        }
        let source = if source.is_empty() {
            "(?:)".to_owned()
        } else {
            escape_slashes(source)
        };
        Ok(RegExp {
            source,
            flags: sorted,
        })
    }

    /// The pattern, as JavaScript's `source` property gives it.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The flags, in JavaScript's order.
    pub fn flags(&self) -> &str {
        &self.flags
    }

    /// Splits `/source/flags`.
    pub(crate) fn split(text: &str) -> Option<(&str, &str)> {
        let rest = text.strip_prefix('/')?;
        let end = rest.rfind('/')?;
        Some((&rest[..end], &rest[end + 1..]))
    }
}

/// Escapes `/` outside character classes, as `RegExp.prototype.source`.
fn escape_slashes(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let (mut escaped, mut in_class) = (false, false);
    for c in source.chars() {
        match c {
            '/' if !escaped && !in_class => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            _ => out.push(c),
        }
        if !escaped {
            match c {
                '[' => in_class = true,
                ']' => in_class = false,
                _ => {}
            }
        }
        escaped = !escaped && c == '\\';
    }
    out
}

impl fmt::Display for RegExp {
    /// `/source/flags`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}/{}", self.source, self.flags)
    }
}

impl Serialize for RegExp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(magic::REGEXP, &self.to_string())
    }
}

impl<'de> Deserialize<'de> for RegExp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RegExp, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RegExp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a RegExp (`/source/flags`)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RegExp, E> {
                let (source, flags) =
                    RegExp::split(v).ok_or_else(|| E::custom("expected `/source/flags`"))?;
                // Keep the source as written: it came from JavaScript's
                // `source`, or from a RegExp that `new` already escaped.
                let checked = RegExp::new("x", flags).map_err(|e| E::custom(e.message()))?;
                Ok(RegExp {
                    source: source.to_owned(),
                    flags: checked.flags,
                })
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<RegExp, D::Error> {
                d.deserialize_str(self)
            }
        }
        deserializer.deserialize_newtype_struct(magic::REGEXP, V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_match_javascript() {
        let cases = [
            (0, "1970-01-01T00:00:00.000Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (1_714_979_289_010, "2024-05-06T07:08:09.010Z"),
            (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
            (253_402_300_800_000, "+010000-01-01T00:00:00.000Z"),
            (-62_167_219_200_000, "0000-01-01T00:00:00.000Z"),
            (-62_167_219_200_001, "-000001-12-31T23:59:59.999Z"),
            (Date::MAX_MILLIS, "+275760-09-13T00:00:00.000Z"),
            (-Date::MAX_MILLIS, "-271821-04-20T00:00:00.000Z"),
        ];
        for (ms, iso) in cases {
            let d = Date::from_millis(ms).unwrap();
            assert_eq!(d.to_string(), iso);
            assert_eq!(Date::parse_iso(iso), Some(d), "{iso}");
        }
        assert_eq!(Date::from_millis(Date::MAX_MILLIS + 1), None);
        assert_eq!(
            Date::parse_iso("2024-05-06T07:08:09Z").map(Date::millis),
            Some(1_714_979_289_000)
        );
        for bad in [
            "",
            "2024-02-30T00:00:00.000Z",
            "2023-02-29T00:00:00.000Z",
            "2024-13-01T00:00:00.000Z",
            "2024-01-01T24:00:00.000Z",
            "2024-01-01T00:60:00.000Z",
            "2024-01-01T00:00:00.000",
            "2024-01-01 00:00:00.000Z",
            "-000000-01-01T00:00:00.000Z",
            "+275760-09-13T00:00:00.001Z",
            "2024-01-01T00:00:00.0000Z",
            "２０２４-01-01T00:00:00.000Z",
        ] {
            assert_eq!(Date::parse_iso(bad), None, "{bad}");
        }
    }

    #[test]
    fn civil_roundtrip_every_day_for_a_few_centuries() {
        for days in -200_000..200_000 {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn system_time_conversions() {
        let d = Date::from_millis(-1500).unwrap();
        assert_eq!(Date::from_system_time(d.to_system_time()), Some(d));
        let t = UNIX_EPOCH - Duration::from_micros(1);
        assert_eq!(Date::from_system_time(t).map(Date::millis), Some(-1));
        assert!(Date::now().millis() > 1_600_000_000_000);
    }

    #[test]
    fn bigint_parsing() {
        assert!(matches!(parse_bigint("0"), Ok(BigIntValue::Pos(0))));
        assert!(matches!(parse_bigint("-0"), Ok(BigIntValue::Pos(0))));
        assert!(matches!(
            parse_bigint("-170141183460469231731687303715884105728"),
            Ok(BigIntValue::Neg(i128::MIN))
        ));
        assert!(matches!(
            parse_bigint("340282366920938463463374607431768211455"),
            Ok(BigIntValue::Pos(u128::MAX))
        ));
        for bad in [
            "",
            "-",
            "1.0",
            "0x10",
            " 1",
            "340282366920938463463374607431768211456",
            "-170141183460469231731687303715884105729",
        ] {
            assert!(parse_bigint(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn regexp_flags_and_source() {
        let r = RegExp::new("a/b[/]\\/", "yg").unwrap();
        assert_eq!(r.source(), "a\\/b[/]\\/");
        assert_eq!(r.flags(), "gy");
        assert_eq!(RegExp::new("", "").unwrap().source(), "(?:)");
        assert!(RegExp::new("a", "gg").is_err());
        assert!(RegExp::new("a", "x").is_err());
        assert_eq!(RegExp::split("/a/b/gi"), Some(("a/b", "gi")));
        assert_eq!(RegExp::split("a/"), None);
    }

    #[test]
    fn url_checks() {
        assert!(Url::parse("https://a.example/x y").is_err());
        assert!(Url::parse("://x").is_err());
        assert!(Url::parse("1http://x").is_err());
        assert_eq!(Url::parse("mailto:a@b.c").unwrap().as_str(), "mailto:a@b.c");
    }

    #[test]
    fn wrappers_degrade_with_serde_json() {
        let d = Date::from_millis(1234).unwrap();
        assert_eq!(serde_json::to_string(&d).unwrap(), "1234");
        assert_eq!(serde_json::from_str::<Date>("1234").unwrap(), d);
        assert_eq!(
            serde_json::from_str::<Date>("\"1970-01-01T00:00:01.234Z\"").unwrap(),
            d
        );
        let s = Set(vec![1, 2]);
        assert_eq!(serde_json::to_string(&s).unwrap(), "[1,2]");
        assert_eq!(serde_json::from_str::<Set<i32>>("[1,2]").unwrap(), s);
        let m = Map(vec![("a".to_string(), 1)]);
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"a":1}"#);
        assert_eq!(
            serde_json::from_str::<Map<String, i32>>(r#"{"a":1}"#).unwrap(),
            m
        );
        let u = Url::parse("https://x.example/").unwrap();
        assert_eq!(
            serde_json::to_string(&u).unwrap(),
            r#""https://x.example/""#
        );
        assert_eq!(
            serde_json::from_str::<Url>(r#""https://x.example/""#).unwrap(),
            u
        );
        assert!(serde_json::from_str::<Url>(r#""nope""#).is_err());
        assert_eq!(serde_json::to_string(&BigInt(-5)).unwrap(), "-5");
        assert_eq!(serde_json::from_str::<BigInt>("-5").unwrap(), BigInt(-5));
        assert_eq!(serde_json::to_string(&Bytes(vec![1, 2])).unwrap(), "[1,2]");
        assert_eq!(
            serde_json::from_str::<Bytes>("[1,2]").unwrap(),
            Bytes(vec![1, 2])
        );
        let r = RegExp::new("a", "g").unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), r#""/a/g""#);
        assert_eq!(serde_json::from_str::<RegExp>(r#""/a/g""#).unwrap(), r);
    }
}

//! `serde_devalue::from_str` on arbitrary UTF-8, into `serde_json::Value`
//! and a few typed shapes. It must never panic, and whatever it reads must
//! survive being written and read again:
//!
//! - as `serde_json::Value` (plain JSON by then: tags have become strings,
//!   arrays and objects; NaN and ±Infinity have become `null`), writing and
//!   reading gives the same value, numbers compared by value (JavaScript
//!   has one number type, so `3.0` comes back as the integer `3`);
//! - as a typed value, writing it succeeds and the text is a fixed point:
//!   reading and writing it again gives the same text. (The value itself may
//!   change on the first write: sets and maps drop duplicates the way
//!   JavaScript does, holes become `null`.)
//!
//! Except for a string key `__proto__`: a `Map` may carry one and it reads
//! into any string-keyed map, but only [`serde_devalue::Map`] can write it
//! back (the crate docs say so).
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_devalue::{self as devalue, BigInt, Bytes, Date, Map, Set};
use serde_json::Value;

/// f64 compared by value: NaN equals NaN, -0 differs from +0.
#[derive(Serialize, Deserialize, Debug, Clone, Copy)]
#[serde(transparent)]
struct F(f64);

impl PartialEq for F {
    fn eq(&self, other: &F) -> bool {
        (self.0.is_nan() && other.0.is_nan()) || self.0.to_bits() == other.0.to_bits()
    }
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
enum Shape {
    Unit,
    New(u64),
    Tup(i32, String),
    Struct { a: Option<F>, b: Vec<String> },
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(default)]
struct Props {
    id: u64,
    name: Option<String>,
    score: F,
    tags: Vec<String>,
    counts: BTreeMap<String, u64>,
    by_id: BTreeMap<u32, Option<String>>,
    when: Option<Date>,
    seen: Option<Set<String>>,
    pairs: Option<Map<i64, F>>,
    big: Option<BigInt>,
    bytes: Option<Bytes>,
    shape: Option<Shape>,
    child: Option<Box<Props>>,
}

impl Default for Props {
    fn default() -> Self {
        Props {
            id: 0,
            name: None,
            score: F(0.0),
            tags: Vec::new(),
            counts: BTreeMap::new(),
            by_id: BTreeMap::new(),
            when: None,
            seen: None,
            pairs: None,
            big: None,
            bytes: None,
            shape: None,
            child: None,
        }
    }
}

/// Numbers by value, everything else structurally.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if let (Some(x), Some(y)) = (x.as_i64(), y.as_i64()) {
                x == y
            } else if let (Some(x), Some(y)) = (x.as_u64(), y.as_u64()) {
                x == y
            } else {
                x.as_f64() == y.as_f64()
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((kx, vx), (ky, vy))| kx == ky && same(vx, vy))
        }
        _ => a == b,
    }
}

/// Whether an object anywhere in `v` has the key `__proto__`.
fn has_proto_key(v: &Value) -> bool {
    match v {
        Value::Array(items) => items.iter().any(has_proto_key),
        Value::Object(map) => map.contains_key("__proto__") || map.values().any(has_proto_key),
        _ => false,
    }
}

fn value(text: &str) {
    let Ok(v) = devalue::from_str::<Value>(text) else {
        return;
    };
    if has_proto_key(&v) {
        assert!(devalue::to_string(&v).is_err(), "wrote a `__proto__` key");
        return;
    }
    let written = devalue::to_string(&v)
        .unwrap_or_else(|e| panic!("read {v:?} from {text:?} but cannot write it: {e}"));
    let back: Value = devalue::from_str(&written)
        .unwrap_or_else(|e| panic!("cannot read back {written:?} (from {text:?}): {e}"));
    assert!(
        same(&v, &back),
        "round trip changed the value:\n  input {text:?}\n  read  {v:?}\n  wrote {written:?}\n  read  {back:?}"
    );
}

fn typed<T: Serialize + DeserializeOwned + std::fmt::Debug>(text: &str) {
    let Ok(v) = devalue::from_str::<T>(text) else {
        return;
    };
    let once = match devalue::to_string(&v) {
        Ok(once) => once,
        Err(e) if e.to_string().contains("`__proto__` key") => return,
        Err(e) => panic!("read {v:?} from {text:?} but cannot write it: {e}"),
    };
    let back: T = devalue::from_str(&once)
        .unwrap_or_else(|e| panic!("cannot read back {once:?} (from {text:?}): {e}"));
    let twice = devalue::to_string(&back).expect("writing what was just read");
    assert_eq!(
        once, twice,
        "written text is not a fixed point (input {text:?})"
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    value(text);
    typed::<Props>(text);
    typed::<Vec<Option<Props>>>(text);
    typed::<(Vec<u64>, BTreeMap<String, F>, Option<Vec<Option<String>>>)>(text);
    typed::<(Date, Set<u64>, Map<String, BigInt>, Bytes)>(text);
    typed::<Vec<Shape>>(text);
    let _ = devalue::from_str::<serde::de::IgnoredAny>(text);
});

//! TypeScript declarations of hydrated islands' props: the contract
//! between an island's Rust parameters and its client module.
//!
//! Every `#[island(client = "…")]` records the TypeScript type of each
//! parameter, as [`mochi::devalue`](crate::devalue) will hand it to the
//! module. [`declarations`] writes them as one `interface {Name}Props` per
//! island of a crate; [`assert_current`], called from a test, keeps a
//! committed `.d.ts` file in step with the Rust code, so a client module
//! that reads it through JSDoc fails `tsc --checkJs` when a parameter is
//! renamed:
//!
//! ```no_run
//! #[test]
//! fn island_types_are_current() {
//!     mochi::typescript::assert_current(env!("CARGO_CRATE_NAME"), "static/islands.d.ts");
//! }
//! ```
//!
//! ```js
//! /** @param {HTMLElement} element @param {import('./islands').CounterProps} props */
//! export default function (element, props) { … }
//! ```
//!
//! A parameter type mochi knows nothing of is `unknown`; implement
//! [`TsType`] for it to say more.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt::Write as _;
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use crate::devalue;
use crate::registry::{IslandDef, Registration};

/// Environment variable that makes [`assert_current`] write the file
/// instead of comparing it.
pub const UPDATE_VAR: &str = "MOCHI_UPDATE_TYPES";

/// The TypeScript type of the JavaScript value a Rust value becomes in a
/// client module's props (the README's "Rust prop type → JS value").
pub trait TsType {
    /// The type, e.g. `string`, `number | null`, `Map<number, string>`.
    fn ts_type() -> String;
}

macro_rules! ts {
    ($ts:expr => $($t:ty),*) => {
        $(impl TsType for $t {
            fn ts_type() -> String {
                $ts.to_owned()
            }
        })*
    };
}

ts!("boolean" => bool);
ts!("string" => String, str, char);
ts!("number" => u8, u16, u32, i8, i16, i32, f32, f64);
// Wide integers are numbers up to 2^53 − 1 and `BigInt`s past it.
ts!("number | bigint" => u64, i64, u128, i128, usize, isize);
ts!("null" => ());
ts!("Date" => devalue::Date);
ts!("URL" => devalue::Url);
ts!("bigint" => devalue::BigInt);
ts!("Uint8Array" => devalue::Bytes);
ts!("RegExp" => devalue::RegExp);

/// `T` as an element of an array or a union: parenthesized if it is a
/// union itself.
fn element<T: TsType + ?Sized>() -> String {
    let t = T::ts_type();
    if t.contains(" | ") {
        format!("({t})")
    } else {
        t
    }
}

impl<T: TsType + ?Sized> TsType for &T {
    fn ts_type() -> String {
        T::ts_type()
    }
}

impl<T: TsType + ?Sized> TsType for Box<T> {
    fn ts_type() -> String {
        T::ts_type()
    }
}

impl<T: TsType + ?Sized> TsType for Arc<T> {
    fn ts_type() -> String {
        T::ts_type()
    }
}

impl<T: TsType + ?Sized> TsType for Rc<T> {
    fn ts_type() -> String {
        T::ts_type()
    }
}

impl TsType for Cow<'_, str> {
    fn ts_type() -> String {
        "string".to_owned()
    }
}

impl<T: TsType> TsType for Option<T> {
    fn ts_type() -> String {
        format!("{} | null", T::ts_type())
    }
}

macro_rules! ts_array {
    ($($t:ident),*) => {
        $(impl<T: TsType> TsType for $t<T> {
            fn ts_type() -> String {
                format!("{}[]", element::<T>())
            }
        })*
    };
}

ts_array!(Vec, VecDeque, BTreeSet);

impl<T: TsType, S> TsType for HashSet<T, S> {
    fn ts_type() -> String {
        format!("{}[]", element::<T>())
    }
}

impl<T: TsType> TsType for [T] {
    fn ts_type() -> String {
        format!("{}[]", element::<T>())
    }
}

impl<T: TsType, const N: usize> TsType for [T; N] {
    fn ts_type() -> String {
        format!("{}[]", element::<T>())
    }
}

impl<T: TsType> TsType for devalue::Set<T> {
    fn ts_type() -> String {
        format!("Set<{}>", T::ts_type())
    }
}

impl<K: TsType, V: TsType> TsType for devalue::Map<K, V> {
    fn ts_type() -> String {
        format!("Map<{}, {}>", K::ts_type(), V::ts_type())
    }
}

/// A map: an object when its keys are strings, else a `Map` (or `{}` when
/// empty, which devalue cannot tell apart).
fn map<K: TsType, V: TsType>() -> String {
    let (k, v) = (K::ts_type(), V::ts_type());
    if k == "string" {
        format!("Record<string, {v}>")
    } else {
        format!("Map<{k}, {v}> | Record<string, never>")
    }
}

impl<K: TsType, V: TsType, S> TsType for HashMap<K, V, S> {
    fn ts_type() -> String {
        map::<K, V>()
    }
}

impl<K: TsType, V: TsType> TsType for BTreeMap<K, V> {
    fn ts_type() -> String {
        map::<K, V>()
    }
}

macro_rules! ts_tuple {
    ($($t:ident),+) => {
        impl<$($t: TsType),+> TsType for ($($t,)+) {
            fn ts_type() -> String {
                let parts: Vec<String> = vec![$($t::ts_type()),+];
                format!("[{}]", parts.join(", "))
            }
        }
    };
}

ts_tuple!(A);
ts_tuple!(A, B);
ts_tuple!(A, B, C);
ts_tuple!(A, B, C, D);

/// One parameter of a hydrated island, as the macro records it.
#[derive(Debug)]
pub struct TsProp {
    /// The parameter's name: the key in the module's `props`.
    pub name: &'static str,
    /// Its TypeScript type.
    pub ts: fn() -> String,
}

/// The declarations of every hydrated island defined in crate
/// `crate_name` (its `CARGO_CRATE_NAME`), sorted by island name: one
/// `export interface {Name}Props` each.
pub fn declarations(crate_name: &str) -> String {
    let mut islands: Vec<&IslandDef> = inventory::iter::<Registration>
        .into_iter()
        .map(|r| r.0)
        .filter(|def| def.client.is_some() && in_crate(def.module_path, crate_name))
        .collect();
    islands.sort_by_key(|def| def.name);
    let mut out = format!(
        "// The props of the hydrated islands of `{crate_name}`, as their client\n\
         // modules receive them. Generated by `mochi::typescript`: do not edit;\n\
         // `{UPDATE_VAR}=1 cargo test` rewrites it.\n"
    );
    for def in islands {
        let _ = write!(
            out,
            "\n/** Props of `{}` ({}). */\nexport interface {}Props {{\n",
            def.name, def.module_path, def.name
        );
        for prop in def.ts_props {
            let _ = writeln!(out, "  {}: {};", prop.name, (prop.ts)());
        }
        out.push_str("}\n");
    }
    out
}

fn in_crate(module_path: &str, crate_name: &str) -> bool {
    module_path == crate_name
        || module_path
            .strip_prefix(crate_name)
            .is_some_and(|rest| rest.starts_with("::"))
}

/// Checks that `path` (relative to the crate's directory when the test
/// runs, as cargo runs it) holds [`declarations`] of `crate_name`, and
/// panics saying how to update it if not; with `MOCHI_UPDATE_TYPES` set,
/// writes it instead.
#[track_caller]
pub fn assert_current(crate_name: &str, path: impl AsRef<Path>) {
    let path = path.as_ref();
    let expected = declarations(crate_name);
    if std::env::var_os(UPDATE_VAR).is_some() {
        if let Err(e) = std::fs::write(path, &expected) {
            panic!("mochi: could not write {}: {e}", path.display());
        }
        return;
    }
    let found = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        found == expected,
        "mochi: {} is not the islands' current props declarations; run \
         `{UPDATE_VAR}=1 cargo test` to rewrite it, then check the client modules. \
         Expected:\n{expected}",
        path.display()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_follow_the_devalue_mapping() {
        assert_eq!(<Option<Vec<u32>>>::ts_type(), "number[] | null");
        assert_eq!(<Vec<Option<u32>>>::ts_type(), "(number | null)[]");
        assert_eq!(<Vec<i64>>::ts_type(), "(number | bigint)[]");
        assert_eq!(
            <HashMap<String, bool>>::ts_type(),
            "Record<string, boolean>"
        );
        assert_eq!(
            <BTreeMap<u32, String>>::ts_type(),
            "Map<number, string> | Record<string, never>"
        );
        assert_eq!(<(String, f64)>::ts_type(), "[string, number]");
        assert_eq!(<devalue::Set<String>>::ts_type(), "Set<string>");
        assert_eq!(
            <devalue::Map<u8, devalue::Date>>::ts_type(),
            "Map<number, Date>"
        );
        assert_eq!(<Box<str>>::ts_type(), "string");
        assert_eq!(<Cow<'static, str>>::ts_type(), "string");
        assert_eq!(<[u8; 4]>::ts_type(), "number[]");
        assert_eq!(<()>::ts_type(), "null");
    }

    #[test]
    fn crates_are_matched_by_whole_name() {
        assert!(in_crate("shop", "shop"));
        assert!(in_crate("shop::islands", "shop"));
        assert!(!in_crate("shopping::islands", "shop"));
    }
}

//! Behaviour tests for the codec as a whole: exact output, round trips,
//! every rejection, and property tests. (Byte-identity with the real npm
//! devalue is checked under Node by `tests/tests/devalue_node.rs`.)

use std::collections::{BTreeMap, HashMap};

use proptest::prelude::*;
use serde::{Deserialize, Serialize};

use super::*;

fn enc<T: Serialize + ?Sized>(v: &T) -> String {
    to_string(v).unwrap()
}

fn dec<T: DeserializeOwned>(text: &str) -> T {
    from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn dec_err<T: DeserializeOwned + std::fmt::Debug>(text: &str) -> Error {
    match from_str::<T>(text) {
        Ok(v) => panic!("{text} decoded to {v:?}"),
        Err(e) => e,
    }
}

fn roundtrip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(v: &T) -> String {
    let text = enc(v);
    assert_eq!(&dec::<T>(&text), v, "{text}");
    text
}

// ---------------------------------------------------------------------------
// Exact output (each expectation was produced by devalue 5.9.4's stringify)

#[test]
fn primitives() {
    assert_eq!(roundtrip(&true), "[true]");
    assert_eq!(roundtrip(&0u8), "[0]");
    assert_eq!(roundtrip(&-12i32), "[-12]");
    assert_eq!(roundtrip(&1.5f64), "[1.5]");
    assert_eq!(roundtrip(&0.1f32), "[0.1]");
    assert_eq!(roundtrip(&'x'), r#"["x"]"#);
    assert_eq!(roundtrip(&String::new()), r#"[""]"#);
    assert_eq!(roundtrip(&()), "[null]");
    assert_eq!(roundtrip(&None::<u8>), "[null]");
    assert_eq!(roundtrip(&Some(3u8)), "[3]");
    assert_eq!(
        enc("a</script><!--\u{2028}\u{2029}😀"),
        "[\"a\\u003C/script>\\u003C!--\\u2028\\u2029😀\"]"
    );
    assert_eq!(
        roundtrip(&"a</script>\u{2028}\"\\\n\u{0}".to_string()),
        "[\"a\\u003C/script>\\u2028\\\"\\\\\\n\\u0000\"]"
    );
}

#[test]
fn float_sentinels_and_formatting() {
    assert_eq!(enc(&f64::NAN), "-3");
    assert_eq!(enc(&f64::INFINITY), "-4");
    assert_eq!(enc(&f64::NEG_INFINITY), "-5");
    assert_eq!(enc(&-0.0f64), "-6");
    assert_eq!(enc(&-0.0f32), "-6");
    assert!(dec::<f64>("-3").is_nan());
    assert_eq!(dec::<f64>("-4"), f64::INFINITY);
    assert_eq!(dec::<f64>("-5"), f64::NEG_INFINITY);
    assert!(dec::<f64>("-6").is_sign_negative());
    assert_eq!(dec::<Option<u8>>("-1"), None);
    assert_eq!(
        enc(&[1e21, 1.5e-7, 123456789012345680000.0, -1e-7]),
        r#"[[1,2,3,4],1e+21,1.5e-7,123456789012345680000,-1e-7]"#
    );
    assert_eq!(
        roundtrip(&vec![f64::MIN_POSITIVE, f64::MAX, 5e-324]),
        "[[1,2,3],2.2250738585072014e-308,1.7976931348623157e+308,5e-324]"
    );
}

#[test]
fn integers_and_bigint_boundaries() {
    let max = (1i64 << 53) - 1;
    assert_eq!(roundtrip(&max), "[9007199254740991]");
    assert_eq!(roundtrip(&-max), "[-9007199254740991]");
    assert_eq!(roundtrip(&(max + 1)), r#"[["BigInt","9007199254740992"]]"#);
    assert_eq!(
        roundtrip(&-(max + 1)),
        r#"[["BigInt","-9007199254740992"]]"#
    );
    assert_eq!(
        roundtrip(&u64::MAX),
        r#"[["BigInt","18446744073709551615"]]"#
    );
    assert_eq!(
        roundtrip(&i64::MIN),
        r#"[["BigInt","-9223372036854775808"]]"#
    );
    assert_eq!(
        roundtrip(&i128::MIN),
        r#"[["BigInt","-170141183460469231731687303715884105728"]]"#
    );
    assert_eq!(
        roundtrip(&u128::MAX),
        r#"[["BigInt","340282366920938463463374607431768211455"]]"#
    );
    assert_eq!(roundtrip(&5i128), "[5]");
    assert_eq!(roundtrip(&BigInt(5)), r#"[["BigInt","5"]]"#);
    // Equal BigInts share a slot, like equal numbers.
    assert_eq!(
        enc(&(u64::MAX, u64::MAX, BigInt(1), 1)),
        r#"[[1,1,2,3],["BigInt","18446744073709551615"],["BigInt","1"],1]"#
    );
    // Reading: numbers into wide types, BigInts into narrow ones when they fit.
    assert_eq!(dec::<u128>("[7]"), 7);
    assert_eq!(dec::<u8>(r#"[["BigInt","7"]]"#), 7);
    assert!(from_str::<u8>(r#"[["BigInt","700"]]"#).is_err());
    assert!(from_str::<u128>(r#"[["BigInt","340282366920938463463374607431768211456"]]"#).is_err());
    assert!(from_str::<u8>("[1.5]").is_err());
    assert_eq!(dec::<f64>("[1e+21]"), 1e21);
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Inner {
    name: String,
    n: u32,
    v: Vec<serde_json::Value>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Outer {
    name: String,
    inner: Inner,
    n: u32,
}

#[test]
fn shared_primitive_slots_in_first_seen_order() {
    let v = Outer {
        name: "a".into(),
        inner: Inner {
            name: "a".into(),
            n: 1,
            v: serde_json::from_str(r#"[1, 1.0, "1", true, null, null]"#).unwrap(),
        },
        n: 1,
    };
    assert_eq!(
        enc(&v),
        r#"[{"name":1,"inner":2,"n":3},"a",{"name":1,"n":3,"v":4},1,[3,3,5,6,7,7],"1",true,null]"#
    );
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
enum Shape {
    Unit,
    New(u8),
    Tup(u8, String),
    Struct { a: Option<u8>, b: Vec<f64> },
}

#[test]
fn enums_as_serde_json() {
    let v = vec![
        Shape::Unit,
        Shape::New(1),
        Shape::Tup(1, "a".into()),
        Shape::Struct {
            a: None,
            b: vec![f64::NAN, -0.0, f64::INFINITY, f64::NEG_INFINITY],
        },
    ];
    assert_eq!(
        enc(&v),
        r#"[[1,2,4,7],"Unit",{"New":3},1,{"Tup":5},[3,6],"a",{"Struct":8},{"a":9,"b":10},null,[-3,-6,-4,-5]]"#
    );
    let back: Vec<Shape> = dec(&enc(&v));
    assert_eq!(back[..3], v[..3]);
    let Shape::Struct { b, .. } = &back[3] else {
        panic!()
    };
    assert!(b[0].is_nan() && b[1] == 0.0 && b[1].is_sign_negative());
    // Unit variants also read from {"Unit": null}.
    assert_eq!(dec::<Shape>(r#"[{"Unit":1},null]"#), Shape::Unit);
    assert!(from_str::<Shape>(r#"[{"Unit":1,"New":1},null]"#).is_err());
    assert!(from_str::<Shape>(r#"["Nope"]"#)
        .unwrap_err()
        .to_string()
        .contains("Nope"));
}

#[test]
fn maps_objects_and_key_order() {
    let mut m = BTreeMap::new();
    for (k, v) in [("b", "1"), ("1", "2"), ("10", "3"), ("2", "4"), ("a", "x")] {
        m.insert(k.to_string(), v.to_string());
    }
    // BTreeMap order is 1,10,2,a,b; a JS object built in that order
    // enumerates the array-index keys first: 1,2,10,a,b.
    let text = roundtrip(&m);
    assert_eq!(
        text,
        r#"[{"1":1,"2":2,"10":3,"a":4,"b":5},"2","4","3","x","1"]"#
    );
    // Non-string keys make a Map.
    let im: BTreeMap<i32, &str> = [(1, "a"), (-2, "b")].into();
    assert_eq!(enc(&im), r#"[["Map",1,2,3,4],-2,"b",1,"a"]"#);
    assert_eq!(dec::<BTreeMap<i32, String>>(&enc(&im)).len(), 2);
    // Integer keys also read from objects (as serde_json does).
    assert_eq!(
        dec::<HashMap<u32, u8>>(r#"[{"7":1},8]"#),
        HashMap::from([(7, 8)])
    );
    let tuple_keys: BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into();
    assert_eq!(roundtrip(&tuple_keys), r#"[["Map",1,4],[2,3],1,2,3]"#);
    // Empty maps: an object either way.
    assert_eq!(roundtrip(&BTreeMap::<u8, u8>::new()), "[{}]");
    assert_eq!(dec::<BTreeMap<u8, u8>>(r#"[["Map"]]"#), BTreeMap::new());
    // The Map wrapper forces the tag, keeps order and JS's duplicate rule.
    let jm = Map(vec![(1.0, "a"), (f64::NAN, "b"), (-0.0, "c"), (0.0, "d")]);
    assert_eq!(enc(&jm), r#"[["Map",1,2,-3,3,4,5],1,"a","b",0,"d"]"#);
    assert_eq!(
        enc(&Map(vec![("__proto__", 1)])),
        r#"[["Map",1,2],"__proto__",1]"#
    );
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct WithFlatten {
    a: u8,
    #[serde(flatten)]
    rest: BTreeMap<String, u8>,
}

#[test]
fn duplicate_keys_follow_javascript() {
    // {a: 1, ...{a: 2, "0": 3}} in JS: "0" first, then a with the last value.
    let v = WithFlatten {
        a: 1,
        rest: [("a".to_string(), 2), ("0".to_string(), 3)].into(),
    };
    assert_eq!(enc(&v), r#"[{"0":1,"a":2},3,2]"#);
}

#[test]
fn sets_dedup_primitives_like_javascript() {
    assert_eq!(
        enc(&Set(vec![1.0, 1.0, 2.0, f64::NAN, f64::NAN, -0.0, 0.0])),
        r#"[["Set",1,2,-3,3],1,2,0]"#
    );
    #[derive(Serialize)]
    struct A {
        a: u8,
    }
    #[derive(Serialize)]
    struct X {
        x: Set<A>,
    }
    assert_eq!(
        enc(&X {
            x: Set(vec![A { a: 1 }, A { a: 1 }])
        }),
        r#"[{"x":1},["Set",2,4],{"a":3},1,{"a":3}]"#
    );
    assert_eq!(
        roundtrip(&Set(vec!["b".to_string(), "a".into()])),
        r#"[["Set",1,2],"b","a"]"#
    );
    // A Set also reads into a Vec, and an array into a Set.
    assert_eq!(dec::<Vec<u8>>(r#"[["Set",1],5]"#), vec![5]);
    assert_eq!(dec::<Set<u8>>("[[1],5]"), Set(vec![5]));
}

#[test]
fn wrappers_roundtrip() {
    assert_eq!(
        roundtrip(&Date::EPOCH),
        r#"[["Date","1970-01-01T00:00:00.000Z"]]"#
    );
    assert_eq!(
        roundtrip(&Date::from_millis(-Date::MAX_MILLIS).unwrap()),
        r#"[["Date","-271821-04-20T00:00:00.000Z"]]"#
    );
    assert_eq!(
        roundtrip(&Url::parse("https://example.com/?q=%3C").unwrap()),
        r#"[["URL","https://example.com/?q=%3C"]]"#
    );
    assert_eq!(
        roundtrip(&Bytes(vec![])),
        r#"[["Uint8Array",1],["ArrayBuffer",""]]"#
    );
    assert_eq!(
        roundtrip(&Bytes(vec![0, 255, 7])),
        r#"[["Uint8Array",1],["ArrayBuffer","AP8H"]]"#
    );
    assert_eq!(
        roundtrip(&RegExp::new("a/b", "gi").unwrap()),
        r#"[["RegExp","a\\/b","gi"]]"#
    );
    assert_eq!(
        roundtrip(&RegExp::new("", "").unwrap()),
        r#"[["RegExp","(?:)"]]"#
    );
    // Two equal dates are two objects (no shared slot), as in JavaScript.
    assert_eq!(
        enc(&[Date::EPOCH, Date::EPOCH]),
        r#"[[1,2],["Date","1970-01-01T00:00:00.000Z"],["Date","1970-01-01T00:00:00.000Z"]]"#
    );
    // Bytes also read from subarray views and into Vec<u8>.
    assert_eq!(
        dec::<Bytes>(r#"[["Uint8Array",1,1,2],["ArrayBuffer","AQID"]]"#),
        Bytes(vec![2, 3])
    );
    assert_eq!(
        dec::<Vec<u8>>(r#"[["Uint8Array",1],["ArrayBuffer","AQID"]]"#),
        vec![1, 2, 3]
    );
    assert_eq!(
        dec::<Bytes>(r#"[["ArrayBuffer","AQID"]]"#),
        Bytes(vec![1, 2, 3])
    );
    // Dates, URLs and regexps read into strings too.
    assert_eq!(
        dec::<String>(r#"[["Date","1970-01-01T00:00:00.000Z"]]"#),
        "1970-01-01T00:00:00.000Z"
    );
    assert_eq!(
        dec::<String>(r#"[["URL","https://a.example/"]]"#),
        "https://a.example/"
    );
    assert_eq!(dec::<String>(r#"[["RegExp","a","g"]]"#), "/a/g");
    // Out-of-range dates are refused when writing.
    #[derive(Serialize)]
    struct FakeDate(i64);
    #[derive(Serialize)]
    #[serde(rename = "$serde_devalue::Date")]
    struct Sneaky(i64);
    assert!(to_string(&Sneaky(Date::MAX_MILLIS + 1)).is_err());
    assert_eq!(enc(&FakeDate(1)), "[1]");
}

#[test]
fn javascript_only_shapes_are_read() {
    // Shared containers (a JS object referenced twice) decode twice.
    assert_eq!(dec::<Vec<Vec<u8>>>("[[1,1],[2],7]"), vec![vec![7], vec![7]]);
    // Holes and sparse arrays read as undefined.
    assert_eq!(dec::<Vec<Option<u8>>>("[[-2,1],5]"), vec![None, Some(5)]);
    assert_eq!(
        dec::<Vec<Option<u8>>>("[[-7,4,2,1],5]"),
        vec![None, None, Some(5), None]
    );
    // Boxed primitives and null-prototype objects.
    assert_eq!(dec::<u8>(r#"[["Object",1],5]"#), 5);
    assert_eq!(
        dec::<BTreeMap<String, u8>>(r#"[["null","a",1],5]"#),
        BTreeMap::from([("a".to_string(), 5)])
    );
    // Whitespace is JSON's business.
    assert_eq!(dec::<Vec<u8>>(" [ [ 1 ] , 5 ] "), vec![5]);
    // Values handed to serde_json::Value through deserialize_any.
    let v: serde_json::Value = dec(r#"[{"a":1,"b":2,"c":-3},[3],true,["Set",4],"x"]"#);
    assert_eq!(v["a"], serde_json::json!([["x"]]));
    assert_eq!(v["b"], serde_json::json!(true));
    assert!(v["c"].is_null()); // NaN has no JSON form
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Item {
    name: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Listing {
    items: Vec<Item>,
}

#[test]
fn errors_say_where() {
    let e = dec_err::<Listing>(
        r#"[{"items":1},[2,3,4,5],{"name":6},{"name":6},{"name":6},{"name":7},"ok",9]"#,
    );
    assert_eq!(e.path(), ".items[3].name");
    assert_eq!(e.slot(), Some(7));
    assert!(
        e.to_string()
            .contains("expected a string at .items[3].name (slot 7)"),
        "{e}"
    );

    let e = dec_err::<Listing>(r#"[{"items":1},[2],{}]"#);
    assert_eq!(e.path(), ".items[0]");
    assert!(e.message().contains("missing field `name`"), "{e}");

    let e = dec_err::<BTreeMap<u8, Vec<u8>>>(r#"[["Map",1,2],1,[3],"x"]"#);
    assert_eq!(e.path(), ".get(#0)[0]");

    #[derive(Serialize)]
    struct Deep {
        a: Vec<BTreeMap<String, Item2>>,
    }
    #[derive(Serialize)]
    struct Item2 {
        k: Map<String, BadSer>,
    }
    struct BadSer;
    impl Serialize for BadSer {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("no"))
        }
    }
    let e = to_string(&Deep {
        a: vec![[(
            "a b".to_string(),
            Item2 {
                k: Map(vec![("k".into(), BadSer)]),
            },
        )]
        .into()],
    })
    .unwrap_err();
    assert_eq!(e.to_string(), r#"devalue: no at .a[0]["a b"].k.get(#0)"#);
}

// ---------------------------------------------------------------------------
// Rejections

#[test]
fn rejects_bad_indices() {
    for (text, needle) in [
        ("[[1]]", "out of range"),
        ("[[5],1]", "out of range"),
        (r#"[{"a":9}]"#, "out of range"),
        ("[[-8]]", "invalid index -8"),
        (r#"[{"a":-2}]"#, "hole"),
        ("[[1.5],1]", "expected a slot index"),
        (r#"[["Set","x"]]"#, "expected a slot index"),
        ("[[null],1]", "expected a slot index"),
    ] {
        let e = dec_err::<serde_json::Value>(text);
        assert!(e.to_string().contains(needle), "{text}: {e}");
    }
}

#[test]
fn rejects_cycles() {
    for text in [
        "[[0]]",
        r#"[{"a":0}]"#,
        r#"[{"a":1},[0]]"#,
        r#"[["Set",0]]"#,
        r#"[{"V":0}]"#,
        r#"[["Object",0]]"#,
        r#"[["Object",1],[0]]"#,
    ] {
        let e = dec_err::<serde_json::Value>(text);
        let s = e.to_string();
        assert!(s.contains("cycle") || s.contains("boxed"), "{text}: {e}");
    }
    let e = dec_err::<BTreeMap<u8, serde_json::Value>>(r#"[["Map",1,0],1]"#);
    assert!(e.to_string().contains("cycle"), "{e}");
    let e = dec_err::<Shape>(r#"[{"New":0}]"#);
    assert!(e.to_string().contains("cycle"), "{e}");
}

#[test]
fn depth_limit_is_symmetric() {
    fn nested(depth: usize) -> serde_json::Value {
        let mut v = serde_json::json!(1);
        for _ in 0..depth {
            v = serde_json::Value::Array(vec![v]);
        }
        v
    }
    let ok = enc(&nested(MAX_DEPTH));
    let back: serde_json::Value = dec(&ok);
    assert_eq!(back, nested(MAX_DEPTH));
    let e = to_string(&nested(MAX_DEPTH + 1)).unwrap_err();
    assert!(e.to_string().contains("nesting deeper than 128"), "{e}");
    // Hand-written text one level deeper is refused by the reader.
    let mut text = String::from("[");
    for i in 0..=MAX_DEPTH {
        text.push_str(&format!("[{}],", i + 1));
    }
    text.push_str("1]");
    let e = dec_err::<serde_json::Value>(&text);
    assert!(e.to_string().contains("nesting deeper than 128"), "{e}");
    assert_eq!(e.slot(), Some(MAX_DEPTH));
}

#[test]
fn rejects_exponential_fan_out() {
    // Slot k is [k+1, k+1]: 2^60 paths to the last slot.
    let mut text = String::from("[");
    for k in 0..60 {
        text.push_str(&format!("[{},{}],", k + 1, k + 1));
    }
    text.push_str("1]");
    let start = std::time::Instant::now();
    let e = dec_err::<serde_json::Value>(&text);
    assert!(e.to_string().contains("node limit"), "{e}");
    // Ignoring a value does not walk it.
    assert!(from_str::<serde::de::IgnoredAny>(&text).is_ok());
    assert!(start.elapsed().as_secs() < 5);
}

#[test]
fn rejects_string_fan_out() {
    // 1 MiB string reached through 4096 references: 4 GiB if decoded.
    let mut text = String::from("[[");
    for k in 0..4096 {
        if k > 0 {
            text.push(',');
        }
        text.push('1');
    }
    text.push_str("],\"");
    text.push_str(&"x".repeat(1 << 20));
    text.push_str("\"]");
    let e = dec_err::<Vec<String>>(&text);
    assert!(e.to_string().contains("byte limit"), "{e}");
    // The same string referenced a few times is fine.
    let few = format!("[[1,1,1],\"{}\"]", "x".repeat(1 << 20));
    assert_eq!(dec::<Vec<String>>(&few).len(), 3);
}

/// `[[1,1,…],tagged]`: one tagged slot referenced `refs` times.
fn fan_out(refs: usize, tagged: &str) -> String {
    format!("[[{}],{tagged}]", vec!["1"; refs].join(","))
}

#[test]
fn rejects_regexp_flags_fan_out() {
    // 20 KB of flags reached through 1000 references: 20 MB of strings
    // from a 22 KB input, over the 16 MiB default budget.
    let text = fan_out(1000, &format!(r#"["RegExp","a","{}"]"#, "g".repeat(20_000)));
    let r = from_str::<Vec<String>>(&text).map(|v| v.len());
    assert!(
        r.as_ref()
            .is_err_and(|e| e.to_string().contains("byte limit")),
        "{r:?}"
    );
}

#[test]
fn regexp_strings_are_charged_in_full() {
    // Each reference hands out "/ab/g" (5 bytes), and the budget is twice
    // the input length: decoding succeeds exactly while 5 × refs fits.
    let l = Limits {
        max_bytes: 0,
        ..Limits::default()
    };
    for refs in 1..=100 {
        let text = fan_out(refs, r#"["RegExp","ab","g"]"#);
        let fits = 5 * refs <= 2 * text.len();
        let r = from_str_with_limits::<Vec<String>>(&text, &l).map(|v| v.len());
        assert_eq!(r.is_ok(), fits, "{refs} references: {r:?}");
    }
}

#[test]
fn rejects_bigint_digits_fan_out() {
    // A BigInt's digits are read once per reference (leading zeros still
    // parse): 20 KB of them through 1000 references is 20 MB of text.
    let text = fan_out(1000, &format!(r#"["BigInt","{}1"]"#, "0".repeat(20_000)));
    let r = from_str::<Vec<u64>>(&text).map(|v| v.len());
    assert!(
        r.as_ref()
            .is_err_and(|e| e.to_string().contains("byte limit")),
        "{r:?}"
    );
    assert_eq!(
        dec::<Vec<u64>>(&fan_out(3, r#"["BigInt","0001"]"#)),
        [1, 1, 1]
    );
}

#[test]
fn rejects_huge_sparse_arrays() {
    let e = dec_err::<Vec<Option<u8>>>("[[-7,4294967295,0,1],1]");
    assert!(e.to_string().contains("too long"), "{e}");
    for bad in [
        "[[-7]]",
        "[[-7,-1]]",
        "[[-7,2,5,1],1]",
        "[[-7,3,1,1,0,1],1]",
        "[[-7,2,0]]",
    ] {
        assert!(from_str::<serde_json::Value>(bad).is_err(), "{bad}");
    }
}

#[test]
fn rejects_unknown_and_malformed_tags() {
    for (text, needle) in [
        (r#"[["Custom",1],1]"#, "unknown devalue tag `Custom`"),
        (
            r#"[["Float64Array",1],["ArrayBuffer",""]]"#,
            "not supported",
        ),
        (r#"[["Date"]]"#, "malformed Date"),
        (r#"[["BigInt","1x"]]"#, "invalid BigInt"),
        (r#"[["BigInt",1]]"#, "malformed BigInt"),
        (r#"[["ArrayBuffer","!!!"]]"#, "base64"),
        (r#"[["Uint8Array",1],"x"]"#, "ArrayBuffer"),
        (
            r#"[["Uint8Array",1,0,9],["ArrayBuffer","AQID"]]"#,
            "out of bounds",
        ),
        (r#"[["Map",1],1]"#, "malformed Map"),
        (r#"[["null",1,1],1]"#, "non-string key"),
        (r#"[["RegExp"]]"#, "malformed RegExp"),
    ] {
        let e = dec_err::<serde_json::Value>(text);
        assert!(e.to_string().contains(needle), "{text}: {e}");
    }
    let e = dec_err::<Date>(r#"[["Date",""]]"#);
    assert!(e.to_string().contains("invalid Date"), "{e}");
    let e = dec_err::<Url>(r#"[["URL","no scheme"]]"#);
    assert!(e.to_string().contains("URL"), "{e}");
}

#[test]
fn rejects_proto_keys() {
    let e = dec_err::<serde_json::Value>(r#"[{"__proto__":1},1]"#);
    assert!(e.to_string().contains("__proto__"), "{e}");
    let e = dec_err::<serde_json::Value>(r#"[["null","__proto__",1],1]"#);
    assert!(e.to_string().contains("__proto__"), "{e}");
    let e = dec_err::<BTreeMap<String, u8>>(r#"[{"a":1,"__proto__":1},1]"#);
    assert!(e.to_string().contains("__proto__"), "{e}");

    let m: HashMap<&str, u8> = [("__proto__", 1)].into();
    let e = to_string(&m).unwrap_err();
    assert!(e.to_string().contains("__proto__"), "{e}");
    #[derive(Serialize)]
    struct P {
        #[serde(rename = "__proto__")]
        p: u8,
    }
    assert!(to_string(&P { p: 1 }).is_err());
}

#[test]
fn rejects_bad_text() {
    for text in [
        "",
        "[",
        "[1]x",
        "[1] [2]",
        "[1],",
        "{}",
        "null",
        "\"x\"",
        "[1,]",
        "[]",
        "-2",
        "0",
        "[\"\\ud800\"]",
    ] {
        assert!(from_str::<serde_json::Value>(text).is_err(), "{text:?}");
    }
}

#[test]
fn rejects_mixed_map_keys_when_writing() {
    #[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
    #[serde(untagged)]
    enum K {
        S(&'static str),
        N(u8),
    }
    let m: BTreeMap<K, u8> = [(K::S("a"), 1), (K::N(1), 2)].into();
    let e = to_string(&m).unwrap_err();
    assert!(e.to_string().contains("mixes"), "{e}");
    // Non-string first is fine: a Map may hold any keys.
    #[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
    #[serde(untagged)]
    enum K2 {
        N(u8),
        S(&'static str),
    }
    let m: BTreeMap<K2, u8> = [(K2::N(1), 2), (K2::S("a"), 1)].into();
    let text = to_string(&m).unwrap();
    assert!(text.starts_with(r#"[["Map""#), "{text}");
}

#[test]
fn limits_are_configurable() {
    // The input length still counts.
    let mut l = Limits {
        max_nodes: 0,
        ..Limits::default()
    };
    assert_eq!(
        from_str_with_limits::<Vec<u8>>("[[1,1],1]", &l).unwrap(),
        vec![1, 1]
    );
    l.max_bytes = 0; // twice the input length still counts
    let text = format!("[[1,1,1,1,1,1,1,1],\"{}\"]", "x".repeat(100));
    assert!(from_str_with_limits::<Vec<String>>(&text, &l).is_err());
    l.max_bytes = 800;
    assert!(from_str_with_limits::<Vec<String>>(&text, &l).is_ok());
}

#[test]
fn writer_and_reader_recover_after_errors() {
    struct Fails;
    impl Serialize for Fails {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("nope"))
        }
    }
    // Fail deep inside open containers, then write normally.
    assert!(to_string(&vec![vec![("a", Fails)]]).is_err());
    assert_eq!(enc(&vec![vec!["a"]]), r#"[[1],[2],"a"]"#);
    assert!(from_str::<Vec<Vec<u8>>>(r#"[[1],[2],"x"]"#).is_err());
    assert!(from_str::<Vec<u8>>("[[1],").is_err());
    assert_eq!(dec::<Vec<Vec<u8>>>("[[1],[2],7]"), vec![vec![7]]);
}

#[test]
fn to_string_is_reentrant() {
    // A Serialize impl that itself calls to_string (the writer is cached
    // per thread; a nested call must get its own).
    struct Nested(u8);
    impl Serialize for Nested {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let inner = to_string(&[self.0, self.0]).map_err(serde::ser::Error::custom)?;
            s.serialize_str(&inner)
        }
    }
    assert_eq!(enc(&(Nested(3), "x")), r#"[[1,2],"[[1,1],3]","x"]"#);
}

#[test]
fn many_distinct_and_repeated_primitives() {
    // Enough distinct values to grow the interning table several times,
    // checked against a straightforward model of devalue's slot order.
    let values: Vec<String> = (0..3000)
        .map(|i| format!("s{}", (i * 7919) % 1200))
        .collect();
    let mut slots: Vec<String> = Vec::new();
    let mut index = HashMap::new();
    let mut refs = Vec::new();
    for v in &values {
        let i = *index.entry(v.clone()).or_insert_with(|| {
            slots.push(format!("\"{v}\""));
            slots.len()
        });
        refs.push(i.to_string());
    }
    let expected = format!("[[{}],{}]", refs.join(","), slots.join(","));
    assert_eq!(roundtrip(&values), expected);
    // Numbers and strings with the same digits stay apart; integral floats
    // share with integers, as in JavaScript.
    let mixed = (1u8, "1", 1.0f64, 2.5f32, 2.5f64, true, "true");
    assert_eq!(enc(&mixed), r#"[[1,2,1,3,3,4,5],1,"1",2.5,true,"true"]"#);
}

#[test]
fn many_struct_shapes_share_the_key_cache() {
    // More distinct field names than the key cache holds at once.
    let mut text = String::new();
    for round in 0..3 {
        let v: Vec<BTreeMap<String, u32>> = (0..600)
            .map(|i| BTreeMap::from([(format!("k{i}"), round)]))
            .collect();
        text = enc(&v);
        assert_eq!(dec::<Vec<BTreeMap<String, u32>>>(&text), v);
    }
    assert!(text.contains(r#"{"k599":"#));
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct A1 {
        alpha: u8,
        beta: u8,
    }
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct A2 {
        beta: u8,
        alpha: u8,
    }
    for _ in 0..3 {
        assert_eq!(
            roundtrip(&(A1 { alpha: 1, beta: 2 }, A2 { beta: 3, alpha: 4 })),
            r#"[[1,4],{"alpha":2,"beta":3},1,2,{"beta":5,"alpha":6},3,4]"#
        );
    }
}

// ---------------------------------------------------------------------------
// Property tests

/// f64 compared by value, NaN equal to NaN, -0 distinct from +0.
#[derive(Serialize, Deserialize, Debug, Clone, Copy)]
#[serde(transparent)]
struct F(f64);

impl PartialEq for F {
    fn eq(&self, other: &F) -> bool {
        (self.0.is_nan() && other.0.is_nan()) || self.0.to_bits() == other.0.to_bits()
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, Copy)]
#[serde(transparent)]
struct F32(f32);

impl PartialEq for F32 {
    fn eq(&self, other: &F32) -> bool {
        (self.0.is_nan() && other.0.is_nan()) || self.0.to_bits() == other.0.to_bits()
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
enum E {
    Unit,
    New(F),
    Tup(i32, String),
    Struct { a: Option<String>, b: Vec<F> },
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Leaf {
    s: String,
    n: i64,
    e: E,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Rich {
    name: String,
    n: i64,
    u: u64,
    big: i128,
    ubig: u128,
    f: F,
    g: F32,
    flag: bool,
    c: char,
    opt: Option<u8>,
    unit: (),
    tuple: (u8, String, Option<F>),
    items: Vec<Leaf>,
    map: BTreeMap<String, i32>,
    imap: BTreeMap<i16, Vec<String>>,
    nested: Option<Box<Rich>>,
    set: Set<String>,
    jsmap: Map<i32, String>,
    date: Date,
    bytes: Bytes,
}

fn any_f64() -> impl Strategy<Value = F> {
    prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(-0.0),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        (-1e6f64..1e6).prop_map(|f| f.round()),
    ]
    .prop_map(F)
}

fn any_key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,3}",
        "[a-z_]{0,4}",
        "\\PC{0,6}",
        Just("__proto".to_string())
    ]
}

fn any_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-c]{0,2}",
        "\\PC{0,12}",
        Just("</script>".to_string()),
        Just("\u{2028}\u{2029}<\"\\\u{0}".to_string()),
    ]
}

fn any_e() -> impl Strategy<Value = E> {
    prop_oneof![
        Just(E::Unit),
        any_f64().prop_map(E::New),
        (any::<i32>(), any_string()).prop_map(|(a, b)| E::Tup(a, b)),
        (
            proptest::option::of(any_string()),
            proptest::collection::vec(any_f64(), 0..3)
        )
            .prop_map(|(a, b)| E::Struct { a, b }),
    ]
}

fn any_leaf() -> impl Strategy<Value = Leaf> {
    (any_string(), any::<i64>(), any_e()).prop_map(|(s, n, e)| Leaf { s, n, e })
}

fn any_rich_flat() -> impl Strategy<Value = Rich> {
    (
        (
            any_string(),
            prop_oneof![any::<i64>(), -100i64..100],
            any::<u64>(),
            any::<i128>(),
            any::<u128>(),
            any_f64(),
            any::<f32>().prop_map(F32),
            any::<bool>(),
            any::<char>(),
            any::<Option<u8>>(),
        ),
        (
            (any::<u8>(), any_string(), proptest::option::of(any_f64())),
            proptest::collection::vec(any_leaf(), 0..4),
            proptest::collection::btree_map(any_key(), any::<i32>(), 0..5),
            proptest::collection::btree_map(
                any::<i16>(),
                proptest::collection::vec(any_string(), 0..3),
                0..3,
            ),
            proptest::collection::btree_set(any_string(), 0..4),
            proptest::collection::btree_map(-5i32..5, any_string(), 0..4),
            -Date::MAX_MILLIS..=Date::MAX_MILLIS,
            proptest::collection::vec(any::<u8>(), 0..8),
        ),
    )
        .prop_map(
            |(
                (name, n, u, big, ubig, f, g, flag, c, opt),
                (tuple, items, map, imap, set, jsmap, ms, bytes),
            )| Rich {
                name,
                n,
                u,
                big,
                ubig,
                f,
                g,
                flag,
                c,
                opt,
                unit: (),
                tuple,
                items,
                map,
                imap,
                nested: None,
                set: set.into_iter().collect(),
                jsmap: jsmap.into_iter().collect(),
                date: Date::from_millis(ms).unwrap(),
                bytes: Bytes(bytes),
            },
        )
}

fn any_rich() -> impl Strategy<Value = Rich> {
    any_rich_flat().prop_recursive(3, 8, 1, |inner| {
        (any_rich_flat(), inner).prop_map(|(mut outer, inner)| {
            outer.nested = Some(Box::new(inner));
            outer
        })
    })
}

/// Takes whatever `deserialize_any` hands it, all the way down.
struct Anything;

impl<'de> Deserialize<'de> for Anything {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Anything)
    }
}

impl<'de> serde::de::Visitor<'de> for Anything {
    type Value = Anything;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("anything")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Anything, E> {
        Ok(Anything)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Anything, E> {
        Ok(Anything)
    }
    fn visit_i128<E>(self, _: i128) -> Result<Anything, E> {
        Ok(Anything)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Anything, E> {
        Ok(Anything)
    }
    fn visit_u128<E>(self, _: u128) -> Result<Anything, E> {
        Ok(Anything)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Anything, E> {
        Ok(Anything)
    }
    fn visit_str<E>(self, _: &str) -> Result<Anything, E> {
        Ok(Anything)
    }
    fn visit_bytes<E>(self, _: &[u8]) -> Result<Anything, E> {
        Ok(Anything)
    }
    fn visit_unit<E>(self) -> Result<Anything, E> {
        Ok(Anything)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Anything, A::Error> {
        while seq.next_element::<Anything>()?.is_some() {}
        Ok(Anything)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Anything, A::Error> {
        while map.next_entry::<Anything, Anything>()?.is_some() {}
        Ok(Anything)
    }
}

fn mutate(text: &str, edits: &[(usize, u8, u8)]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for &(pos, op, b) in edits {
        if bytes.is_empty() {
            break;
        }
        let pos = pos % bytes.len();
        const ALPHABET: &[u8] = b"[]{}\",:-0123456789e.\\\"Setap_ \x01";
        let b = ALPHABET[b as usize % ALPHABET.len()];
        match op % 4 {
            0 => bytes[pos] = b,
            1 => bytes.insert(pos, b),
            2 => {
                bytes.remove(pos);
            }
            _ => bytes.truncate(pos),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn prop_roundtrip(v in any_rich()) {
        let text = to_string(&v).unwrap();
        let back: Rich = from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&back, &v);
        // The one-pass output is already in JavaScript's canonical form.
        prop_assert_eq!(normalize::normalize(&text, MAX_DEPTH).unwrap(), text.clone());
        // And it reads through deserialize_any too, every slot of it.
        // (Not into serde_json::Value: it has no bytes and no integers
        // beyond 64 bits.)
        from_str::<Anything>(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    }

    #[test]
    fn prop_string_maps_roundtrip(m in proptest::collection::hash_map(any_key(), any_string(), 0..12)) {
        let text = to_string(&m).unwrap();
        prop_assert_eq!(from_str::<HashMap<String, String>>(&text).unwrap(), m);
        prop_assert_eq!(normalize::normalize(&text, MAX_DEPTH).unwrap(), text);
    }

    #[test]
    fn prop_arbitrary_text_never_panics(s in "\\PC{0,64}") {
        let _ = from_str::<serde_json::Value>(&s);
        let _ = from_str::<Rich>(&s);
    }

    #[test]
    fn prop_devalue_shaped_text_never_panics(s in "[\\[\\]{}\",:0-9\\-a-zA-Z ]{0,48}") {
        let _ = from_str::<serde_json::Value>(&s);
        let _ = from_str::<Rich>(&s);
        let _ = from_str::<Vec<Shape>>(&s);
    }

    #[test]
    fn prop_arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..64)) {
        let s = String::from_utf8_lossy(&b);
        let _ = from_str::<serde_json::Value>(&s);
        let _ = from_str::<Rich>(&s);
    }

    #[test]
    fn prop_mutated_encodings_never_panic(
        v in any_rich(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..4),
    ) {
        let text = to_string(&v).unwrap();
        let bad = mutate(&text, &edits);
        let _ = from_str::<Rich>(&bad);
        let _ = from_str::<serde_json::Value>(&bad);
        let _ = from_str::<serde::de::IgnoredAny>(&bad);
    }
}

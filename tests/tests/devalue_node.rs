//! Cross-checks `serde_devalue` (mochi's props codec, re-exported as
//! `mochi::devalue`) against the real npm `devalue` under Node.
//!
//! Every case pairs a JavaScript expression with the equivalent Rust value:
//! - Rust `to_string(value)` must equal `devalue.stringify(eval(expr))`
//!   byte for byte (skipped for decode-only cases, where the JS value has
//!   something Rust cannot write, such as a shared object reference);
//! - Rust `from_str` of the Node text must give back the Rust value;
//! - mochi's client decoder (`mochi/src/runtime/devalue.js`) must read the
//!   Node text (and Rust's) exactly as npm `devalue.parse` does; of a
//!   decode-only case it may refuse instead, as it reads only the types
//!   Rust writes.
//!
//! Hostile texts must make the client decoder throw (the Rust decoder's
//! rejections are unit-tested in `serde_devalue/src/tests.rs`). The fuzz
//! seeds (`fuzz/seeds/devalue_decode`, crashers included once added there)
//! must each be refused by the client decoder or read exactly as npm
//! `devalue.parse` reads them.
//!
//! The test uses the `serde_devalue` crate directly, not through mochi.
//! It lives here rather than in `serde_devalue/tests` because it also
//! checks mochi's client decoder, and because CI installs the pinned npm
//! `devalue` here (`npm ci --prefix tests/devalue-node` in `.ci/run`).
//!
//! Needs `node` on PATH and `npm ci` in `tests/devalue-node`; without them
//! the test says SKIPPED and passes, unless `MOCHI_REQUIRE_EXTERNAL=1`.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_devalue::{self as devalue, BigInt, Bytes, Date, Map, RegExp, Set, Url};

const SKIP_MESSAGE: &str =
    "SKIPPED: devalue cross-check needs node and `npm ci` in tests/devalue-node";

type Check = Box<dyn Fn(&str) -> Result<(), String>>;

struct Case {
    name: &'static str,
    js: String,
    /// `None` for decode-only cases.
    rust: Option<String>,
    check: Check,
}

fn check_for<T>(value: T) -> Check
where
    T: DeserializeOwned + PartialEq + Debug + 'static,
{
    Box::new(move |text| {
        let back: T = devalue::from_str(text).map_err(|e| format!("from_str failed: {e}"))?;
        if back == value {
            Ok(())
        } else {
            Err(format!("from_str gave {back:?}, expected {value:?}"))
        }
    })
}

/// A case checked both ways.
fn both<T>(name: &'static str, js: &str, value: T) -> Case
where
    T: Serialize + DeserializeOwned + PartialEq + Debug + 'static,
{
    let rust =
        devalue::to_string(&value).unwrap_or_else(|e| panic!("case {name}: to_string failed: {e}"));
    Case {
        name,
        js: js.to_owned(),
        rust: Some(rust),
        check: check_for(value),
    }
}

/// A case checked both ways whose Rust value is normalised by JavaScript
/// (duplicates collapse): `written` is encoded, `read` is what comes back.
fn both_normalised<W, R>(name: &'static str, js: &str, written: W, read: R) -> Case
where
    W: Serialize,
    R: DeserializeOwned + PartialEq + Debug + 'static,
{
    let rust = devalue::to_string(&written)
        .unwrap_or_else(|e| panic!("case {name}: to_string failed: {e}"));
    Case {
        name,
        js: js.to_owned(),
        rust: Some(rust),
        check: check_for(read),
    }
}

/// A case Rust only reads (the JS value has no exact Rust twin).
fn decode_only<T>(name: &'static str, js: &str, value: T) -> Case
where
    T: DeserializeOwned + PartialEq + Debug + 'static,
{
    Case {
        name,
        js: js.to_owned(),
        rust: None,
        check: check_for(value),
    }
}

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
struct Inner {
    name: String,
    n: u32,
    tags: Vec<String>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Outer {
    name: String,
    inner: Inner,
    n: u32,
    maybe: Option<String>,
    nothing: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct UnitStruct;

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Pair(i32, String);

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Empty {}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
enum Shape {
    Unit,
    New(u8),
    Tup(u8, String),
    Struct { a: Option<u8>, b: Vec<F> },
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(tag = "type")]
enum Event {
    Click { x: i32, y: i32 },
    Key { key: String },
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct A {
    a: u8,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct WithFlatten {
    a: u8,
    #[serde(flatten)]
    rest: BTreeMap<String, u8>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Review {
    author: String,
    stars: u8,
    body: String,
}

/// The benchmark's "typical props" shape.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct ProductProps {
    id: u64,
    sku: String,
    title: String,
    description: String,
    price_cents: i64,
    currency: String,
    rating: f64,
    in_stock: bool,
    stock: u32,
    tags: Vec<String>,
    image: Option<String>,
    reviews: Vec<Review>,
}

fn nested(depth: usize) -> serde_json::Value {
    let mut v = serde_json::json!(1);
    for _ in 0..depth {
        v = serde_json::Value::Array(vec![v]);
    }
    v
}

fn corpus() -> Vec<Case> {
    let max_safe = (1i64 << 53) - 1;
    vec![
        // Primitives at the root.
        both("null", "null", ()),
        both("true", "true", true),
        both("false", "false", false),
        both("zero", "0", 0u8),
        both("negative int", "-42", -42i64),
        both("fraction", "1.5", F(1.5)),
        both("f32 0.1", "0.1", 0.1f32),
        both("1e21", "1e21", F(1e21)),
        both("1.5e-7", "1.5e-7", F(1.5e-7)),
        both(
            "extreme doubles",
            "[5e-324, 1.7976931348623157e308, 2.2250738585072014e-308, 123456789012345680000, -1e-7, 0.000001]",
            vec![F(5e-324), F(f64::MAX), F(f64::MIN_POSITIVE), F(123456789012345680000.0), F(-1e-7), F(0.000001)],
        ),
        both("integral float shares with int", "[3, 3, '3']", (F(3.0), 3u8, "3".to_string())),
        both("max safe integer", "Number.MAX_SAFE_INTEGER", max_safe),
        both("min safe integer", "-Number.MAX_SAFE_INTEGER", -max_safe),
        both("2^53 is a BigInt", "2n ** 53n", (max_safe + 1) as u64),
        both("-2^53 is a BigInt", "-(2n ** 53n)", -(max_safe + 1)),
        both("u64::MAX", "18446744073709551615n", u64::MAX),
        both("i64::MIN", "-9223372036854775808n", i64::MIN),
        both("i128::MIN", "-(2n ** 127n)", i128::MIN),
        both("u128::MAX", "2n ** 128n - 1n", u128::MAX),
        both("small i128 is a number", "[5, -5]", (5i128, -5i128)),
        both("BigInt wrapper", "[5n, 5n, -1n]", (BigInt(5), BigInt(5), BigInt(-1))),
        // Sentinels.
        both("NaN", "NaN", F(f64::NAN)),
        both("Infinity", "Infinity", F(f64::INFINITY)),
        both("-Infinity", "-Infinity", F(f64::NEG_INFINITY)),
        both("-0", "-0", F(-0.0)),
        both(
            "sentinels in an array",
            "[NaN, -0, Infinity, -Infinity, 0, NaN]",
            vec![F(f64::NAN), F(-0.0), F(f64::INFINITY), F(f64::NEG_INFINITY), F(0.0), F(f64::NAN)],
        ),
        // Strings.
        both("empty string", "''", String::new()),
        both(
            "script breakout",
            "'</script><script>alert(1)</script><!--'",
            "</script><script>alert(1)</script><!--".to_string(),
        ),
        both("line separators", "'a\\u2028b\\u2029c'", "a\u{2028}b\u{2029}c".to_string()),
        both("unicode and emoji", "'héllo 😀 日本 \\u{1F468}\\u200D\\u{1F469}'", "héllo 😀 日本 👨\u{200d}👩".to_string()),
        both(
            "control characters",
            "'\\0\\b\\f\\n\\r\\t\\x1f\\x7f\"\\\\/'",
            "\0\u{8}\u{c}\n\r\t\u{1f}\u{7f}\"\\/".to_string(),
        ),
        both("char", "'x'", 'x'),
        both("repeated strings share slots", "['a', 'b', 'a', '', '']", vec!["a", "b", "a", "", ""].into_iter().map(String::from).collect::<Vec<_>>()),
        // Structs, tuples, options.
        both(
            "nested structs with shared values",
            "{name: 'a', inner: {name: 'a', n: 1, tags: ['x', 'a', 'x']}, n: 1, maybe: 'x', nothing: null}",
            Outer {
                name: "a".into(),
                inner: Inner { name: "a".into(), n: 1, tags: vec!["x".into(), "a".into(), "x".into()] },
                n: 1,
                maybe: Some("x".into()),
                nothing: None,
            },
        ),
        both("unit struct", "null", UnitStruct),
        both("tuple struct", "[1, 'a']", Pair(1, "a".into())),
        both("tuple", "[1, 'a', true, null]", (1u8, "a".to_string(), true, None::<u8>)),
        both("empty struct and containers", "[{}, [], {}]", (Empty {}, Vec::<u8>::new(), BTreeMap::<String, u8>::new())),
        // Maps.
        both(
            "string-keyed map is an object",
            "{a: 1, b: 2, 'with space': 3, 'é': 4}",
            BTreeMap::from([("a", 1), ("b", 2), ("with space", 3), ("é", 4)].map(|(k, v)| (k.to_string(), v))),
        ),
        both(
            "array-index keys come first",
            "(() => { const o = {}; for (const [k, v] of [['1', 'w'], ['10', 'x'], ['2', 'y'], ['a', 'z'], ['b', 'w']]) o[k] = v; return o; })()",
            BTreeMap::from([("1", "w"), ("10", "x"), ("2", "y"), ("a", "z"), ("b", "w")].map(|(k, v)| (k.to_string(), v.to_string()))),
        ),
        both(
            "integer-keyed map is a Map",
            "new Map([[-2, 'b'], [1, 'a'], [3, 'a']])",
            BTreeMap::from([(1, "a"), (-2, "b"), (3, "a")].map(|(k, v)| (k, v.to_string()))),
        ),
        both(
            "tuple-keyed map",
            "new Map([[[1, 2], true], [[2, 1], false]])",
            BTreeMap::from([((1, 2), true), ((2, 1), false)]),
        ),
        both(
            "Map wrapper with string keys",
            "new Map([['__proto__', 1], ['a', 2]])",
            Map(vec![("__proto__".to_string(), 1), ("a".to_string(), 2)]),
        ),
        both_normalised(
            "Map wrapper: -0, NaN and a repeated key",
            "new Map([[1, 'a'], [NaN, 'b'], [-0, 'c'], [0, 'd']])",
            Map(vec![(F(1.0), "a"), (F(f64::NAN), "b"), (F(-0.0), "c"), (F(0.0), "d")]),
            Map(vec![(F(1.0), "a".to_string()), (F(f64::NAN), "b".into()), (F(0.0), "d".into())]),
        ),
        // Sets.
        both("Set of strings", "new Set(['b', 'a'])", Set(vec!["b".to_string(), "a".into()])),
        both_normalised(
            "Set of numbers with duplicates",
            "new Set([1, 1, 2, NaN, NaN, -0, 0])",
            Set(vec![F(1.0), F(1.0), F(2.0), F(f64::NAN), F(f64::NAN), F(-0.0), F(0.0)]),
            Set(vec![F(1.0), F(2.0), F(f64::NAN), F(0.0)]),
        ),
        both("Set of objects", "{x: new Set([{a: 1}, {a: 1}])}", BTreeMap::from([("x".to_string(), Set(vec![A { a: 1 }, A { a: 1 }]))])),
        both("empty Set", "new Set()", Set::<u8>(vec![])),
        // Enums.
        both("unit variant", "'Unit'", Shape::Unit),
        both("newtype variant", "({New: 7})", Shape::New(7)),
        both("tuple variant", "({Tup: [1, 'a']})", Shape::Tup(1, "a".into())),
        both(
            "struct variant",
            "({Struct: {a: null, b: [NaN, -0]}})",
            Shape::Struct { a: None, b: vec![F(f64::NAN), F(-0.0)] },
        ),
        both(
            "every enum shape, sharing slots",
            "['Unit', {New: 1}, {Tup: [1, 'a']}, {Struct: {a: 1, b: [Infinity]}}, 'Unit']",
            vec![
                Shape::Unit,
                Shape::New(1),
                Shape::Tup(1, "a".into()),
                Shape::Struct { a: Some(1), b: vec![F(f64::INFINITY)] },
                Shape::Unit,
            ],
        ),
        both(
            "internally tagged enum",
            "[{type: 'Click', x: 1, y: 2}, {type: 'Key', key: 'Click'}]",
            vec![Event::Click { x: 1, y: 2 }, Event::Key { key: "Click".into() }],
        ),
        both_normalised(
            "flatten with a duplicate key",
            "(() => { const o = {}; o.a = 1; o.a = 2; o['0'] = 3; return o; })()",
            WithFlatten { a: 1, rest: BTreeMap::from([("a".to_string(), 2), ("0".to_string(), 3)]) },
            WithFlatten { a: 2, rest: BTreeMap::from([("0".to_string(), 3)]) },
        ),
        // Wrappers.
        both("Date epoch", "new Date(0)", Date::EPOCH),
        both("Date before epoch", "new Date(-1)", Date::from_millis(-1).unwrap()),
        both(
            "Date extremes",
            "[new Date(8.64e15), new Date(-8.64e15), new Date(Date.UTC(0, 0, 1) - 1), new Date('2024-02-29T23:59:59.999Z')]",
            vec![
                Date::from_millis(Date::MAX_MILLIS).unwrap(),
                Date::from_millis(-Date::MAX_MILLIS).unwrap(),
                Date::from_millis(-2_208_988_800_001).unwrap(),
                "2024-02-29T23:59:59.999Z".parse::<Date>().unwrap(),
            ],
        ),
        both(
            "URL",
            "new URL('https://example.com/a/b?q=%3C&x=1#frag')",
            Url::parse("https://example.com/a/b?q=%3C&x=1#frag").unwrap(),
        ),
        both("bytes", "new Uint8Array([0, 1, 2, 253, 254, 255])", Bytes(vec![0, 1, 2, 253, 254, 255])),
        both("empty bytes", "new Uint8Array([])", Bytes(vec![])),
        both("RegExp", "/^a\\/b[/]+$/gi", RegExp::new("^a/b[/]+$", "ig").unwrap()),
        both("empty RegExp", "new RegExp('')", RegExp::new("", "").unwrap()),
        // Bigger shapes.
        both(
            "128 levels of nesting",
            "(() => { let v = 1; for (let i = 0; i < 128; i++) v = [v]; return v; })()",
            nested(128),
        ),
        both(
            "typical props",
            "({id: 42, sku: 'SKU-42', title: 'Blue <b>mug</b>', description: 'A mug.\\nDishwasher safe', \
              price_cents: 1299, currency: 'EUR', rating: 4.5, in_stock: true, stock: 17, \
              tags: ['kitchen', 'mug', 'blue'], image: null, \
              reviews: [{author: 'ann', stars: 5, body: 'Great'}, {author: 'bob', stars: 4, body: 'Great'}]})",
            ProductProps {
                id: 42,
                sku: "SKU-42".into(),
                title: "Blue <b>mug</b>".into(),
                description: "A mug.\nDishwasher safe".into(),
                price_cents: 1299,
                currency: "EUR".into(),
                rating: 4.5,
                in_stock: true,
                stock: 17,
                tags: vec!["kitchen".into(), "mug".into(), "blue".into()],
                image: None,
                reviews: vec![
                    Review { author: "ann".into(), stars: 5, body: "Great".into() },
                    Review { author: "bob".into(), stars: 4, body: "Great".into() },
                ],
            },
        ),
        both(
            "many repeated numbers",
            "Array.from({length: 300}, (_, i) => i % 7)",
            (0..300).map(|i| i % 7).collect::<Vec<u32>>(),
        ),
        // JavaScript shapes Rust reads but never writes.
        decode_only(
            "shared object reference",
            "(() => { const o = {a: 1}; return [o, o]; })()",
            vec![A { a: 1 }, A { a: 1 }],
        ),
        decode_only("holes", "[, 1, , 2]", vec![None, Some(1u8), None, Some(2)]),
        decode_only(
            "sparse array",
            "(() => { const a = []; a[10] = 1; return a; })()",
            { let mut v = vec![None; 11]; v[10] = Some(1u8); v },
        ),
        decode_only("undefined in an object", "({a: undefined, b: 1})", BTreeMap::from([("a".to_string(), None), ("b".to_string(), Some(1u8))])),
        decode_only("boxed primitives", "[new Number(5), new String('s'), new Boolean(true)]", (5u8, "s".to_string(), true)),
        decode_only("null-prototype object", "Object.assign(Object.create(null), {a: 1})", BTreeMap::from([("a".to_string(), 1u8)])),
        decode_only(
            "subarray view",
            "new Uint8Array([1, 2, 3, 4]).subarray(1, 3)",
            Bytes(vec![2, 3]),
        ),
        decode_only("Set into a Vec", "new Set([3, 1])", vec![3u8, 1]),
        decode_only("Date into a string", "new Date(0)", "1970-01-01T00:00:00.000Z".to_string()),
        decode_only("number into a BigInt", "5", BigInt(5)),
        decode_only("number-keyed object into a map", "({1: 'a', 20: 'b'})", HashMap::from([(1u32, "a".to_string()), (20, "b".to_string())])),
    ]
}

/// Texts mochi's client decoder must refuse (npm devalue accepts some).
fn hostile() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        "[]",
        "{}",
        "nope",
        "[1",
        "[1] x",
        "-2",
        "5",
        "[[1]]",
        "[[2],1]",
        "[[-8]]",
        "[[0.5],1]",
        "[[\"1\"],1]",
        r#"[{"a":9}]"#,
        r#"[{"__proto__":1},{}]"#,
        r#"[["null","__proto__",1],{}]"#,
        r#"[["null",1,1],1]"#,
        r#"[["Custom",1],1]"#,
        r#"[["Object",0]]"#,
        r#"[["Object",1],[0]]"#,
        r#"[["Uint8Array",1],[1,2]]"#,
        r#"[["Uint8Array",1],"AAAA"]"#,
        r#"[["BigInt","1x"]]"#,
        r#"[["Map",1],1]"#,
        r#"[[-7,4294967295,0,1],1]"#,
        r#"[[-7,2,5,1],1]"#,
        r#"[["Date",1]]"#,
        r#"[["URL","not a url"]]"#,
        r#"[["RegExp","("]]"#,
    ]
    .into_iter()
    .map(String::from)
    .collect();
    // One level deeper than the 128 the codec allows.
    let mut deep = String::from("[");
    for i in 0..=128 {
        deep.push_str(&format!("[{}],", i + 1));
    }
    deep.push_str("1]");
    v.push(deep);
    v
}

/// The devalue fuzz target's seed texts, sorted by file name.
fn fuzz_seeds() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/devalue_decode");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("seed directory entry").path())
        .collect();
    files.sort();
    files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok()) // the fuzzer's inputs need not be UTF-8
        .collect()
}

fn node_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("devalue-node")
}

fn node_available() -> bool {
    Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
        && node_dir()
            .join("node_modules/devalue/package.json")
            .is_file()
}

#[test]
fn devalue_matches_npm_devalue_under_node() {
    if !node_available() {
        // Straight to stderr as well: libtest captures `eprintln!` of
        // passing tests.
        let bar = "=".repeat(78);
        let _ = writeln!(std::io::stderr(), "\n{bar}\n{SKIP_MESSAGE}\n{bar}\n");
        eprintln!("{SKIP_MESSAGE}");
        assert!(
            std::env::var("MOCHI_REQUIRE_EXTERNAL").as_deref() != Ok("1"),
            "{SKIP_MESSAGE} (MOCHI_REQUIRE_EXTERNAL=1 makes this a failure)"
        );
        return;
    }

    let cases = corpus();
    let hostile = hostile();
    let seeds = fuzz_seeds();
    let decoder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../mochi/src/runtime/devalue.js");
    let accept: Vec<serde_json::Value> = cases
        .iter()
        .filter_map(|c| c.rust.as_ref().map(|r| (c.name, r)))
        .map(|(name, text)| serde_json::json!({ "name": name, "text": text }))
        .collect();
    let input = serde_json::json!({
        "decoder": decoder,
        "cases": cases.iter().map(|c| serde_json::json!({
            "name": c.name, "expr": c.js, "rust": c.rust,
        })).collect::<Vec<_>>(),
        "accept": accept,
        "hostile": hostile,
        "consistent": seeds,
    });

    let mut child = Command::new("node")
        .arg("check.mjs")
        .current_dir(node_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn node");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.to_string().as_bytes())
        .expect("write to node");
    let output = child.wait_with_output().expect("wait for node");
    assert!(
        output.status.success(),
        "node check.mjs failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("check.mjs prints JSON");

    let mut failures = Vec::new();
    let results = report["cases"].as_array().expect("cases");
    assert_eq!(results.len(), cases.len());
    for (case, result) in cases.iter().zip(results) {
        let name = case.name;
        if let Some(err) = result["error"].as_str() {
            failures.push(format!("{name}: {err}"));
            continue;
        }
        let js = result["js"].as_str().expect("js text");
        if let Some(rust) = &case.rust {
            if rust != js {
                failures.push(format!(
                    "{name}: Rust wrote\n    {rust}\n  devalue.stringify wrote\n    {js}"
                ));
            }
        }
        if let Err(e) = (case.check)(js) {
            failures.push(format!("{name}: reading {js}: {e}"));
        }
        for key in ["decoder", "decoder_rust"] {
            if let Some(e) = result[key].as_str() {
                failures.push(format!("{name}: client decoder ({key}): {e}"));
            }
        }
    }
    let accepted = report["accept"].as_array().expect("accept");
    assert_eq!(accepted.len(), accept.len(), "accept results");
    for result in accepted {
        if let Some(e) = result["decoder"].as_str() {
            failures.push(format!(
                "{}: client decoder on Rust's text: {e}",
                result["name"]
            ));
        }
    }
    let refused = report["hostile"].as_array().expect("hostile");
    assert_eq!(refused.len(), hostile.len(), "hostile results");
    for result in refused {
        if result["threw"] != true {
            failures.push(format!(
                "client decoder accepted hostile input {}",
                result["text"]
            ));
        }
    }

    let consistent = report["consistent"].as_array().expect("consistent");
    assert_eq!(consistent.len(), seeds.len(), "consistent results");
    for result in consistent {
        if let Some(e) = result["decoder"].as_str() {
            failures.push(format!("fuzz seed {}: {e}", result["text"]));
        }
    }

    let both_ways = cases.iter().filter(|c| c.rust.is_some()).count();
    println!(
        "devalue cross-check: {} cases ({} both ways, {} decode-only), {} hostile inputs, {} fuzz seeds; node {}, devalue {}",
        cases.len(),
        both_ways,
        cases.len() - both_ways,
        hostile.len(),
        seeds.len(),
        report["node"].as_str().unwrap_or("?"),
        report["devalue"].as_str().unwrap_or("?"),
    );
    assert!(
        failures.is_empty(),
        "{} devalue cross-check failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

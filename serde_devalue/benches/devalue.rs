//! serde_devalue vs serde_json on a typical island props struct.
//!
//! `cargo bench -p serde_devalue --bench devalue`; the ratios (devalue / serde_json
//! medians) are recorded in BENCHMARKS.md.

use std::hint::black_box;

use criterion::{criterion_group, Criterion};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Review {
    author: String,
    stars: u8,
    body: String,
}

/// A dozen fields: strings, numbers, a bool, an option and nested vecs.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
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

/// The smallest typical props: a count and a label.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct TinyProps {
    count: u32,
    label: String,
}

fn tiny() -> TinyProps {
    TinyProps {
        count: 3,
        label: "items".into(),
    }
}

fn props() -> ProductProps {
    ProductProps {
        id: 1_048_576,
        sku: "MUG-BLU-0042".into(),
        title: "Blue enamel mug".into(),
        description: "A sturdy enamel mug in deep blue. Holds 350 ml, dishwasher safe, \
                      and survives camping trips."
            .into(),
        price_cents: 1299,
        currency: "EUR".into(),
        rating: 4.63,
        in_stock: true,
        stock: 17,
        tags: vec![
            "kitchen".into(),
            "mug".into(),
            "blue".into(),
            "enamel".into(),
        ],
        image: Some("/img/mug-blue-0042.webp".into()),
        reviews: vec![
            Review {
                author: "ann".into(),
                stars: 5,
                body: "Great mug, keeps coffee warm.".into(),
            },
            Review {
                author: "bob".into(),
                stars: 4,
                body: "Nice colour.".into(),
            },
            Review {
                author: "cy".into(),
                stars: 5,
                body: "Bought two.".into(),
            },
        ],
    }
}

/// Encode and decode of `value`, devalue against serde_json, as group `name`.
fn codec_group<T>(c: &mut Criterion, name: &str, value: &T)
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let dv_text = serde_devalue::to_string(value).unwrap();
    let json_text = serde_json::to_string(value).unwrap();
    assert_eq!(&serde_devalue::from_str::<T>(&dv_text).unwrap(), value);

    let mut group = c.benchmark_group(name);
    group.bench_function("encode/devalue", |b| {
        b.iter(|| serde_devalue::to_string(black_box(value)).unwrap())
    });
    group.bench_function("encode/serde_json", |b| {
        b.iter(|| serde_json::to_string(black_box(value)).unwrap())
    });
    group.bench_function("decode/devalue", |b| {
        b.iter(|| serde_devalue::from_str::<T>(black_box(&dv_text)).unwrap())
    });
    group.bench_function("decode/serde_json", |b| {
        b.iter(|| serde_json::from_str::<T>(black_box(&json_text)).unwrap())
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    codec_group(c, "props", &props());
    codec_group(c, "tiny", &tiny());
}

criterion_group!(benches, bench);

/// `DEVALUE_BENCH_LOOP=<op>:<n>` runs one operation n times and exits, for
/// instruction counts under `valgrind --tool=callgrind` (ops: encode-devalue,
/// encode-json, decode-devalue, decode-json).
fn fixed_loop(spec: &str) {
    let (op, n) = spec.split_once(':').expect("op:n");
    let n: usize = n.parse().expect("n");
    let value = props();
    let dv_text = serde_devalue::to_string(&value).unwrap();
    let json_text = serde_json::to_string(&value).unwrap();
    let small = tiny();
    let small_dv = serde_devalue::to_string(&small).unwrap();
    let small_json = serde_json::to_string(&small).unwrap();
    for _ in 0..n {
        match op {
            "encode-tiny-devalue" => drop(black_box(serde_devalue::to_string(black_box(&small)))),
            "encode-tiny-json" => drop(black_box(serde_json::to_string(black_box(&small)))),
            "decode-tiny-devalue" => drop(black_box(serde_devalue::from_str::<TinyProps>(
                black_box(&small_dv),
            ))),
            "decode-tiny-json" => drop(black_box(serde_json::from_str::<TinyProps>(black_box(
                &small_json,
            )))),
            "encode-devalue" => drop(black_box(serde_devalue::to_string(black_box(&value)))),
            "encode-json" => drop(black_box(serde_json::to_string(black_box(&value)))),
            "decode-devalue" => drop(black_box(serde_devalue::from_str::<ProductProps>(
                black_box(&dv_text),
            ))),
            "decode-json" => drop(black_box(serde_json::from_str::<ProductProps>(black_box(
                &json_text,
            )))),
            _ => panic!("unknown op {op}"),
        }
    }
}

/// `DEVALUE_BENCH_PAIRED=<rounds>`: alternates short batches of devalue and
/// serde_json (same operation) and prints the median of the per-round time
/// ratios. On a shared, noisy machine this is steadier than comparing two
/// criterion runs made seconds apart.
fn paired(rounds: usize) {
    use std::time::Instant;
    const BATCH: usize = 2000;
    let value = props();
    let dv_text = serde_devalue::to_string(&value).unwrap();
    let json_text = serde_json::to_string(&value).unwrap();
    let small = tiny();
    let small_dv = serde_devalue::to_string(&small).unwrap();
    let small_json = serde_json::to_string(&small).unwrap();
    let time = |f: &dyn Fn()| {
        let start = Instant::now();
        for _ in 0..BATCH {
            f();
        }
        start.elapsed().as_secs_f64() / BATCH as f64
    };
    let encode_dv = || drop(black_box(serde_devalue::to_string(black_box(&value))));
    let encode_json = || drop(black_box(serde_json::to_string(black_box(&value))));
    let decode_dv = || {
        drop(black_box(serde_devalue::from_str::<ProductProps>(
            black_box(&dv_text),
        )))
    };
    let decode_json = || {
        drop(black_box(serde_json::from_str::<ProductProps>(black_box(
            &json_text,
        ))))
    };
    let encode_tiny_dv = || drop(black_box(serde_devalue::to_string(black_box(&small))));
    let encode_tiny_json = || drop(black_box(serde_json::to_string(black_box(&small))));
    let decode_tiny_dv = || {
        drop(black_box(serde_devalue::from_str::<TinyProps>(black_box(
            &small_dv,
        ))))
    };
    let decode_tiny_json = || {
        drop(black_box(serde_json::from_str::<TinyProps>(black_box(
            &small_json,
        ))))
    };
    type Op<'a> = &'a dyn Fn();
    let pairs: [(&str, Op, Op); 4] = [
        ("encode", &encode_dv, &encode_json),
        ("decode", &decode_dv, &decode_json),
        ("tiny encode", &encode_tiny_dv, &encode_tiny_json),
        ("tiny decode", &decode_tiny_dv, &decode_tiny_json),
    ];
    for (name, dv, json) in pairs {
        let mut ratios = Vec::with_capacity(rounds);
        let mut dv_times = Vec::with_capacity(rounds);
        let mut json_times = Vec::with_capacity(rounds);
        for round in 0..rounds {
            // Alternate which goes first, so drift favours neither.
            let (a, b) = if round % 2 == 0 {
                let a = time(dv);
                (a, time(json))
            } else {
                let b = time(json);
                (time(dv), b)
            };
            ratios.push(a / b);
            dv_times.push(a);
            json_times.push(b);
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        println!(
            "{name}: median ratio devalue/serde_json = {:.2} over {rounds} rounds \
             (medians: devalue {:.0} ns, serde_json {:.0} ns)",
            median(&mut ratios),
            median(&mut dv_times) * 1e9,
            median(&mut json_times) * 1e9,
        );
    }
}

fn main() {
    if let Ok(spec) = std::env::var("DEVALUE_BENCH_LOOP") {
        fixed_loop(&spec);
        return;
    }
    if let Ok(rounds) = std::env::var("DEVALUE_BENCH_PAIRED") {
        paired(rounds.parse().expect("rounds"));
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}

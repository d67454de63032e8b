//! In-process benchmarks of mochi against plain code doing the same job:
//! `cargo bench -p example-bench-page` (add `-- token`, `-- page` or
//! `-- many` to run one group).
//!
//! - `token`: signing and verifying a props token vs bare HMAC-SHA256 of the
//!   same bytes;
//! - `page`: the bench page rendered through mochi vs the plain maud page;
//! - `many`: 50 server islands + 50 hydrated islands (10 distinct props) vs
//!   the same visible markup in plain maud.
//!
//! Criterion measures each function on its own. Because the machine is
//! shared, the ratios are measured separately too: after criterion, each
//! pair runs in alternating short slices (mochi, plain, plain, mochi, …) and
//! the ratio printed is the median of the per-slice ratios, so load that
//! comes and goes hits both sides alike. `BENCHMARKS.md` quotes those.

use std::hint::black_box;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use criterion::Criterion;
use example_bench_page::{many_islands_page, many_islands_plain, mochi_page, plain_page};
use hmac::{Hmac, KeyInit as _, Mac};
use mochi::{Key, Keys, Mochi};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const KEY: [u8; 32] = *b"mochi-bench-key-0123456789abcdef";
/// mochi's domain separator of signed tokens (see `mochi/src/signing.rs`):
/// the bare HMAC of "the same bytes" MACs exactly what a signed token's tag
/// covers.
const DOMAIN: &[u8] = b"mochi/island-props/v1";
/// `CartCount(3, "items")` as devalue text, as the bench page signs it.
const PROPS: &str = r#"[{"count":1,"label":2},3,"items"]"#;
const ISLAND: &str = "CartCount";

fn keys() -> Keys {
    let key = Key::from_base64url(&URL_SAFE_NO_PAD.encode(KEY)).expect("a valid key");
    Keys::new(key, Vec::new())
}

fn mochi() -> Mochi {
    let key = Key::from_base64url(&URL_SAFE_NO_PAD.encode(KEY)).expect("a valid key");
    Mochi::builder(key).build().expect("mochi starts")
}

/// HMAC-SHA256 of `parts`, keyed from scratch, as a caller with no
/// framework would compute it.
fn bare_hmac(parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(&KEY).expect("any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// One pair to compare: mochi's way and the plain way of the same job.
struct Pair {
    name: &'static str,
    goal: Option<f64>,
    mochi: Box<dyn FnMut()>,
    plain: Box<dyn FnMut()>,
}

fn pairs() -> Vec<Pair> {
    let keys = keys();
    let payload = URL_SAFE_NO_PAD.encode(PROPS);
    let token = mochi::__private::sign_encoded(&keys, ISLAND, &payload);
    let m = mochi();
    let m2 = m.clone();
    let (p1, p2, p3) = (payload.clone(), payload.clone(), payload.clone());
    let (keys2, keys3) = (keys.clone(), keys.clone());
    let (token2, p4) = (token.clone(), payload.clone());
    // The default token: sealed, as a page makes it.
    let (keys4, keys5, p5, p6) = (keys.clone(), keys.clone(), payload.clone(), payload.clone());
    let sealed = mochi::__private::mint(&keys, ISLAND, PROPS.as_bytes());
    vec![
        Pair {
            name: "token/seal vs hmac(payload)",
            goal: None,
            mochi: Box::new(move || {
                black_box(mochi::__private::mint(
                    &keys4,
                    ISLAND,
                    black_box(PROPS.as_bytes()),
                ));
            }),
            plain: Box::new(move || {
                black_box(bare_hmac(&[black_box(p5.as_bytes())]));
            }),
        },
        Pair {
            name: "token/open sealed vs hmac(payload)",
            goal: None,
            mochi: Box::new(move || {
                black_box(
                    mochi::__private::verify(&keys5, ISLAND, black_box(&sealed)).expect("opens"),
                );
            }),
            plain: Box::new(move || {
                black_box(bare_hmac(&[black_box(p6.as_bytes())]));
            }),
        },
        Pair {
            name: "token/verify vs hmac(payload)",
            goal: Some(1.5),
            mochi: Box::new(move || {
                black_box(
                    mochi::__private::verify(&keys, ISLAND, black_box(&token)).expect("verifies"),
                );
            }),
            plain: Box::new(move || {
                black_box(bare_hmac(&[black_box(p1.as_bytes())]));
            }),
        },
        Pair {
            name: "token/verify vs hmac(same bytes)",
            goal: Some(1.5),
            mochi: Box::new(move || {
                black_box(
                    mochi::__private::verify(&keys3, ISLAND, black_box(&token2)).expect("verifies"),
                );
            }),
            plain: Box::new(move || {
                black_box(bare_hmac(&[
                    DOMAIN,
                    &[0],
                    ISLAND.as_bytes(),
                    &[0],
                    black_box(p4.as_bytes()),
                ]));
            }),
        },
        Pair {
            name: "token/sign vs hmac(payload)",
            goal: None,
            mochi: Box::new(move || {
                black_box(mochi::__private::sign_encoded(
                    &keys2,
                    ISLAND,
                    black_box(&p2),
                ));
            }),
            plain: Box::new(move || {
                black_box(bare_hmac(&[black_box(p3.as_bytes())]));
            }),
        },
        Pair {
            name: "page/mochi vs plain",
            goal: Some(1.25),
            mochi: Box::new(move || {
                black_box(m.render_page(mochi_page).into_string());
            }),
            plain: Box::new(|| {
                black_box(plain_page().into_string());
            }),
        },
        Pair {
            name: "many/mochi vs plain",
            goal: None,
            mochi: Box::new(move || {
                black_box(m2.render_page(many_islands_page).into_string());
            }),
            plain: Box::new(|| {
                black_box(many_islands_plain().into_string());
            }),
        },
    ]
}

fn criterion_benches(c: &mut Criterion) {
    let keys = keys();
    let payload = URL_SAFE_NO_PAD.encode(PROPS);
    let token = mochi::__private::sign_encoded(&keys, ISLAND, &payload);
    let mut g = c.benchmark_group("token");
    g.bench_function("hmac_sha256(payload)", |b| {
        b.iter(|| bare_hmac(&[black_box(payload.as_bytes())]))
    });
    g.bench_function("hmac_sha256(domain,name,payload)", |b| {
        b.iter(|| {
            bare_hmac(&[
                DOMAIN,
                &[0],
                ISLAND.as_bytes(),
                &[0],
                black_box(payload.as_bytes()),
            ])
        })
    });
    g.bench_function("sign", |b| {
        b.iter(|| mochi::__private::sign_encoded(&keys, ISLAND, black_box(&payload)))
    });
    g.bench_function("verify", |b| {
        b.iter(|| mochi::__private::verify(&keys, ISLAND, black_box(&token)).expect("verifies"))
    });
    let sealed = mochi::__private::mint(&keys, ISLAND, PROPS.as_bytes());
    g.bench_function("seal", |b| {
        b.iter(|| mochi::__private::mint(&keys, ISLAND, black_box(PROPS.as_bytes())))
    });
    g.bench_function("open sealed", |b| {
        b.iter(|| mochi::__private::verify(&keys, ISLAND, black_box(&sealed)).expect("opens"))
    });
    g.finish();

    let m = mochi();
    let mut g = c.benchmark_group("page");
    g.bench_function("plain", |b| b.iter(|| plain_page().into_string()));
    g.bench_function("mochi", |b| {
        b.iter(|| m.render_page(mochi_page).into_string())
    });
    g.finish();

    let mut g = c.benchmark_group("many");
    g.bench_function("plain", |b| b.iter(|| many_islands_plain().into_string()));
    g.bench_function("mochi", |b| {
        b.iter(|| m.render_page(many_islands_page).into_string())
    });
    g.finish();
}

/// Nanoseconds per call of `f`, averaged over `iters` calls.
fn time_slice(f: &mut dyn FnMut(), iters: u64) -> f64 {
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed().as_nanos() as f64 / iters as f64
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Alternating slices of `pair`; prints medians and the median ratio.
fn paired(pair: &mut Pair, rounds: usize, slice: Duration) {
    // Calibrate: iterations for one slice of the slower side.
    let probe = time_slice(&mut pair.mochi, 1000).max(time_slice(&mut pair.plain, 1000));
    let iters = ((slice.as_nanos() as f64 / probe) as u64).max(10);
    for _ in 0..3 {
        time_slice(&mut pair.mochi, iters);
        time_slice(&mut pair.plain, iters);
    }
    let (mut mochi, mut plain, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (m, p) = if round % 2 == 0 {
            let m = time_slice(&mut pair.mochi, iters);
            (m, time_slice(&mut pair.plain, iters))
        } else {
            let p = time_slice(&mut pair.plain, iters);
            (time_slice(&mut pair.mochi, iters), p)
        };
        mochi.push(m);
        plain.push(p);
        ratio.push(m / p);
    }
    let r = median(&mut ratio);
    let verdict = match pair.goal {
        Some(goal) if r <= goal => format!("goal ≤ {goal}x: met"),
        Some(goal) => format!("goal ≤ {goal}x: MISSED"),
        None => "no goal".to_owned(),
    };
    let (q1, q3) = (ratio[rounds / 4], ratio[rounds * 3 / 4]);
    println!(
        "{:<32} mochi {:>9.0} ns  plain {:>9.0} ns  ratio {:.3}x (IQR {:.3}-{:.3})  {verdict}",
        pair.name,
        median(&mut mochi),
        median(&mut plain),
        r,
        q1,
        q3,
    );
}

/// `RENDER_BENCH_LOOP=<pair>:<side>:<n>` runs one side of the first pair
/// whose name contains `<pair>` n times and exits, for instruction counts
/// under `valgrind --tool=callgrind` (e.g. `page:mochi:2000`).
fn fixed_loop(spec: &str) {
    let mut parts = spec.split(':');
    let (Some(name), Some(side), Some(n), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        panic!("RENDER_BENCH_LOOP is <pair>:<mochi|plain>:<n>, got {spec:?}");
    };
    let n: u64 = n.parse().expect("a count");
    let mut pair = pairs()
        .into_iter()
        .find(|p| p.name.contains(name))
        .expect("a pair with that name");
    let f = match side {
        "mochi" => &mut pair.mochi,
        "plain" => &mut pair.plain,
        _ => panic!("side is mochi or plain"),
    };
    for _ in 0..n {
        f();
    }
}

fn main() {
    if let Ok(spec) = std::env::var("RENDER_BENCH_LOOP") {
        fixed_loop(&spec);
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let filter = args.iter().find(|a| !a.starts_with('-')).cloned();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(4))
        .sample_size(50)
        .configure_from_args();
    // `RATIOS_ONLY=1` skips criterion and only measures the ratios.
    if std::env::var_os("RATIOS_ONLY").is_none() {
        criterion_benches(&mut c);
        c.final_summary();
    }

    // `cargo test --benches` runs the benchmarks once as tests, and
    // `--profile-time` is for profilers: no ratios.
    if !args.iter().any(|a| a == "--bench") || args.iter().any(|a| a == "--profile-time") {
        return;
    }
    // `PAIRED_ROUNDS` and `PAIRED_SLICE_MS` trade run time for steadiness.
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let rounds = env("PAIRED_ROUNDS", 201) as usize;
    let slice = Duration::from_millis(env("PAIRED_SLICE_MS", 10));
    println!(
        "\nmochi/plain, alternating {} ms slices (median of {rounds} per-slice ratios):",
        slice.as_millis()
    );
    for mut pair in pairs() {
        // Criterion's filter is a regex; alternatives (`token|page`) are
        // all this understands of it.
        let wanted = filter
            .as_deref()
            .is_none_or(|f| f.split('|').any(|f| pair.name.contains(f)));
        if wanted {
            paired(&mut pair, rounds, slice);
        }
    }
}

//! Serves the time-to-islands pages: `cargo run --release -p
//! example-bench-latency`, then open <http://127.0.0.1:8080/plain/3>,
//! <http://127.0.0.1:8080/streamed/3>, <http://127.0.0.1:8080/batched/3> or
//! <http://127.0.0.1:8080/nopreload/20> (the crate docs list every page).
//! The benchmark is `node bench/latency.mjs` (it builds and starts this
//! binary itself).
//!
//! `PORT` picks the port (default 8080), `MOCHI_KEY` the signing key and
//! `WORKERS` the number of actix workers (default: one per usable core).

use actix_web::HttpServer;

fn fail(message: impl std::fmt::Display) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}

fn number<T: std::str::FromStr>(var: &str) -> Option<T> {
    let text = std::env::var(var).ok()?;
    Some(
        text.parse()
            .unwrap_or_else(|_| fail(format!("{var} must be a number, got {text:?}"))),
    )
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    env_logger::init_from_env(env_logger::Env::default().default_filter_or("warn"));
    // `from_env` makes a random key once per process without `MOCHI_KEY`:
    // every configuration gets the same.
    let mochis = example_bench_latency::Mochis::new(|| {
        mochi::MochiBuilder::from_env().unwrap_or_else(|e| fail(e))
    })
    .unwrap_or_else(|e| fail(e));
    let port: u16 = number("PORT").unwrap_or(8080);
    let workers: usize = number("WORKERS")
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    eprintln!("time-to-islands pages on http://127.0.0.1:{port}/ with {workers} worker(s)");
    HttpServer::new(move || example_bench_latency::app(mochis.clone()))
        .workers(workers)
        .bind(("127.0.0.1", port))?
        .run()
        .await
}

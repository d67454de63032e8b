//! Serves the benchmark page: `cargo run --release -p example-bench-page`,
//! then open <http://127.0.0.1:8080/> (mochi) and
//! <http://127.0.0.1:8080/plain/> (the plain baseline).
//!
//! `PORT` picks the port (default 8080), `MOCHI_KEY` the signing key,
//! `BENCH_ROUTES` (`all`, `mochi`, `plain`) which side is served and
//! `WORKERS` the number of actix workers (default: one per usable core).

use actix_web::HttpServer;
use example_bench_page::{app, Routes};

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
    let mochi = mochi::Mochi::from_env().unwrap_or_else(|e| fail(e));
    let routes = Routes::from_env().unwrap_or_else(|e| fail(e));
    let port: u16 = number("PORT").unwrap_or(8080);
    let workers: usize = number("WORKERS")
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    eprintln!("bench page ({routes:?}) on http://127.0.0.1:{port}/ with {workers} worker(s)");
    HttpServer::new(move || app(mochi.clone(), routes))
        .workers(workers)
        .bind(("127.0.0.1", port))?
        .run()
        .await
}

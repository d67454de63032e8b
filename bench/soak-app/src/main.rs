//! Serves the soak app: `cargo run --release -p example-soak`, then open
//! <http://127.0.0.1:8080/> and <http://127.0.0.1:8080/faults>. The soak,
//! `python3 bench/soak.py`, builds and starts its own instance (see
//! `RELIABILITY.md`).
//!
//! `PORT` picks the port (default 8080), `MOCHI_KEY` the signing key and
//! `WORKERS` the number of actix workers (default: one per usable core).
//! SIGTERM or Ctrl-C stops it gracefully: actix stops accepting and lets
//! in-flight requests finish (for up to 30 s).

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
    let mochi = mochi::Mochi::from_env().unwrap_or_else(|e| fail(e));
    let port: u16 = number("PORT").unwrap_or(8080);
    let workers: usize = number("WORKERS")
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    eprintln!("soak app on http://127.0.0.1:{port}/ with {workers} worker(s)");
    HttpServer::new(move || example_soak::app(mochi.clone()))
        .workers(workers)
        .bind(("127.0.0.1", port))?
        .run()
        .await
}

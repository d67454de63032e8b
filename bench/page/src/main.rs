//! Serves the benchmark page: `cargo run --release -p example-bench-page`,
//! then open <http://127.0.0.1:8080/> (mochi) and
//! <http://127.0.0.1:8080/plain/> (the plain baseline).
//!
//! `PORT` picks the port (default 8080), `MOCHI_KEY` the signing key,
//! `BENCH_ROUTES` (`all`, `mochi`, `plain`) which side is served and
//! `WORKERS` the number of workers (default: one per usable core), and
//! `BENCH_SERVER` the server: `actix` (default) or `axum` (one worker is a
//! current-thread runtime, as an actix worker is one thread).

use actix_web::HttpServer;
use example_bench_page::{app, axum_app, Routes};

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

fn main() -> std::io::Result<()> {
    env_logger::init_from_env(env_logger::Env::default().default_filter_or("warn"));
    let mochi = mochi::Mochi::from_env().unwrap_or_else(|e| fail(e));
    let routes = Routes::from_env().unwrap_or_else(|e| fail(e));
    let port: u16 = number("PORT").unwrap_or(8080);
    let workers: usize = number("WORKERS")
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let server = std::env::var("BENCH_SERVER").unwrap_or_else(|_| "actix".into());
    eprintln!(
        "bench page ({routes:?}) on {server}, http://127.0.0.1:{port}/ with {workers} worker(s)"
    );
    match server.as_str() {
        "actix" => actix_web::rt::System::new().block_on(async move {
            HttpServer::new(move || app(mochi.clone(), routes))
                .workers(workers)
                .bind(("127.0.0.1", port))?
                .run()
                .await
        }),
        "axum" => {
            let runtime = match workers {
                1 => tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build(),
                n => tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(n)
                    .enable_all()
                    .build(),
            }?;
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
                axum::serve(listener, axum_app(&mochi, routes)).await
            })
        }
        other => fail(format!(
            "BENCH_SERVER must be `actix` or `axum`, got {other:?}"
        )),
    }
}

//! Runs the shop on actix-web: `cargo run -p example-shop`, then open
//! <http://127.0.0.1:8080/>. Nothing needs installing: the data lives in
//! `./mochi-shop.db` (SQLite), created and seeded on first start.
//!
//! - `DATABASE_URL`: another SQLite file (`sqlite://path/shop.db` or a plain
//!   path) or PostgreSQL (`postgres://user:password@host:5432/db`; the
//!   tables are created on first start, by one instance at a time).
//! - `PORT`: the port on 127.0.0.1 (default 8080).
//! - `MOCHI_KEY`: the signing key; every instance behind one load balancer
//!   needs the same (`cargo run -p mochi -- generate-key` makes one).
//!
//! A bad setting stops the program with a message saying how to fix it.
//! `cargo run -p example-shop --bin shop-axum` serves the same shop on axum.

use std::process::ExitCode;

use actix_web::{App, HttpServer};
use example_shop::Settings;

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::FAILURE
}

#[actix_web::main]
async fn main() -> ExitCode {
    example_shop::init_tracing();
    let Settings { mochi, port, db } = match Settings::from_env().await {
        Ok(settings) => settings,
        Err(e) => return fail(e),
    };
    log::info!(
        "shop on http://127.0.0.1:{port}/ ({:?} database, actix-web)",
        db.backend()
    );
    // A pool per worker (see `Db::for_worker`), so a graceful shutdown
    // answers every request it accepted.
    let server = HttpServer::new(move || {
        App::new()
            .wrap(mochi.clone())
            // Outside mochi, so its runtime and answers are compressed too;
            // streamed pages still arrive part by part.
            .wrap(actix_web::middleware::Compress::default())
            .configure(example_shop::app(db.for_worker()))
    })
    .bind(("127.0.0.1", port));
    let server = match server {
        Ok(server) => server,
        Err(e) => {
            return fail(format_args!(
                "cannot listen on 127.0.0.1:{port}: {e}; set PORT to a free port"
            ))
        }
    };
    match server.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

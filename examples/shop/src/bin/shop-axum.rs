//! Runs the shop on axum: `cargo run -p example-shop --bin shop-axum`,
//! then open <http://127.0.0.1:8080/>. The same pages, islands, database
//! and environment as `cargo run -p example-shop` (actix-web): `PORT`,
//! `MOCHI_KEY`, `MOCHI_KEY_FALLBACKS`, `DATABASE_URL`, with the same
//! defaults. A token one server signs verifies on the other.
//!
//! A bad setting stops the program with a message saying how to fix it.
//! `SIGTERM` or Ctrl-C stops accepting connections and lets the requests
//! in flight finish.

use std::process::ExitCode;

use example_shop::Settings;

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::FAILURE
}

#[tokio::main]
async fn main() -> ExitCode {
    example_shop::init_tracing();
    let Settings { mochi, port, db } = match Settings::from_env().await {
        Ok(settings) => settings,
        Err(e) => return fail(e),
    };
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(e) => {
            return fail(format_args!(
                "cannot listen on 127.0.0.1:{port}: {e}; set PORT to a free port"
            ))
        }
    };
    log::info!(
        "shop on http://127.0.0.1:{port}/ ({:?} database, axum)",
        db.backend()
    );
    let app = example_shop::axum_app(&mochi, db);
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(stop_signal())
        .await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

/// Resolves at `SIGTERM` or Ctrl-C.
async fn stop_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("a SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    log::info!("shop: stopping; finishing the requests in flight");
}

//! Runs the shop: `cargo run -p example-shop`, then open
//! <http://127.0.0.1:8080/>. `PORT` picks the port; `MOCHI_KEY` the key.

use actix_web::{App, HttpServer};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    env_logger::init_from_env(env_logger::Env::default().default_filter_or("info"));
    let mochi = match mochi::Mochi::from_env() {
        Ok(mochi) => mochi,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let port: u16 = match std::env::var("PORT") {
        Ok(p) => p.parse().unwrap_or_else(|_| {
            eprintln!("error: PORT must be a port number, got {p:?}");
            std::process::exit(1);
        }),
        Err(_) => 8080,
    };
    log::info!("shop on http://127.0.0.1:{port}/");
    HttpServer::new(move || App::new().wrap(mochi.clone()).configure(example_shop::app))
        .bind(("127.0.0.1", port))?
        .run()
        .await
}

//! The shop's configuration from the environment, the same for both
//! servers: `MOCHI_KEY` (and `MOCHI_KEY_FALLBACKS`), `PORT`,
//! `DATABASE_URL`.

use crate::db::Db;

/// What a shop binary serves with.
#[derive(Debug)]
pub struct Settings {
    /// mochi, with the keys from `MOCHI_KEY` (a fresh one if unset).
    pub mochi: mochi::Mochi,
    /// `PORT` on 127.0.0.1 (default 8080).
    pub port: u16,
    /// `DATABASE_URL`'s database (default SQLite in `./mochi-shop.db`),
    /// connected, its tables created and seeded.
    pub db: Db,
}

impl Settings {
    /// Reads the environment; an error says which setting is wrong and how
    /// to fix it.
    pub async fn from_env() -> Result<Settings, String> {
        let mochi = mochi::Mochi::from_env().map_err(|e| e.to_string())?;
        let port = match std::env::var("PORT") {
            Ok(p) => p
                .parse()
                .map_err(|_| format!("PORT must be a port number, got {p:?}"))?,
            Err(_) => 8080,
        };
        let db = Db::from_env().await.map_err(|e| e.to_string())?;
        Ok(Settings { mochi, port, db })
    }
}

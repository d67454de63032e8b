//! The shop's database: SQLite (a file, created on first start) or
//! PostgreSQL, through sqlx's `Any` driver, so every query is written once.
//!
//! Portable SQL only: `$1` placeholders (SQLite reads them too), `BIGINT`
//! and `TEXT` columns (the `Any` driver decodes nothing fancier), no
//! auto-increment (products have fixed ids, sessions random ones), times as
//! milliseconds since the epoch, aggregates cast back to `BIGINT`.

use std::fmt;
use std::str::FromStr as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyConnection, AnyPool, Connection as _, Row as _, Transaction};

use crate::session::{self, Token};

/// Where the database is when `DATABASE_URL` is unset: a file in the
/// working directory, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://mochi-shop.db?mode=rwc";

/// How long a session lasts after sign-in (or after a guest's first item).
pub const SESSION_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// How long startup waits for the database.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// [`SQLITE_BUSY_TIMEOUT`] in milliseconds, a literal for `concat!` (sqlx
/// takes only `'static` SQL).
macro_rules! sqlite_busy_timeout_ms {
    () => {
        5000
    };
}

/// Set on every SQLite connection: how long a statement waits for a lock
/// another connection holds (above all a write transaction's `BEGIN
/// IMMEDIATE` waiting for the one writer) before failing with "database is
/// locked". sqlx's `SqliteConnectOptions` has 5 s by default too, but the
/// `Any` driver builds those from the URL, which cannot say it: explicit,
/// since every write relies on it. Writes hold the lock for milliseconds,
/// so even a queue of every pool's connections (8 per worker) is through
/// well within it; a wait of 5 s means something is stuck, and an error
/// (within the pool's 10 s acquire timeout, so it names the real cause)
/// beats a hanging request.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_millis(sqlite_busy_timeout_ms!());

/// The most of one product a cart holds.
pub const MAX_QUANTITY: i64 = 99;

/// Which database the pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, embedded.
    Sqlite,
    /// PostgreSQL, over the network.
    Postgres,
}

/// The shop's connection pool. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// `sqlite::memory:`: one connection, the whole database.
    in_memory: bool,
}

/// Why the database could not be opened; each message says how to fix it.
#[derive(Debug)]
pub enum DbError {
    /// `DATABASE_URL` is not a URL or path the shop understands.
    BadUrl {
        /// What was given (password hidden).
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The database did not answer.
    Connect {
        /// Where it was looked for (password hidden).
        url: String,
        /// Which kind of database that is.
        backend: Backend,
        /// What sqlx said.
        source: sqlx::Error,
    },
    /// Creating the tables or the catalog failed.
    Schema {
        /// Where (password hidden).
        url: String,
        /// What sqlx said.
        source: sqlx::Error,
    },
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbError::BadUrl { url, reason } => write!(
                f,
                "DATABASE_URL={url:?} is not usable: {reason}. Set it to a PostgreSQL URL \
                 (postgres://user:password@host:5432/dbname), a SQLite URL \
                 (sqlite://path/to/shop.db) or a file path, or unset it to use \
                 ./mochi-shop.db"
            ),
            DbError::Connect {
                url,
                backend: Backend::Postgres,
                source,
            } => write!(
                f,
                "cannot open the database at {url}: {source}. Check that PostgreSQL is \
                 running and that DATABASE_URL names the right host, port, user and \
                 database, or unset DATABASE_URL to use the built-in SQLite file \
                 ./mochi-shop.db"
            ),
            DbError::Connect {
                url,
                backend: Backend::Sqlite,
                source,
            } => write!(
                f,
                "cannot open the SQLite database at {url}: {source}. Check that its \
                 directory exists and is writable, or unset DATABASE_URL to use \
                 ./mochi-shop.db"
            ),
            DbError::Schema { url, source } => write!(
                f,
                "connected to {url}, but could not create the shop's tables: {source}. The \
                 database user needs CREATE privileges (or create the tables once as an \
                 owner); a SQLite file must be writable"
            ),
        }
    }
}

impl std::error::Error for DbError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DbError::BadUrl { .. } => None,
            DbError::Connect { source, .. } | DbError::Schema { source, .. } => Some(source),
        }
    }
}

/// A product of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// Its id, in `/product/{id}`.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its picture, as an emoji.
    pub emoji: String,
    /// Its price in euro cents.
    pub price_cents: i64,
    /// One line for lists.
    pub blurb: String,
    /// A paragraph for its page.
    pub description: String,
}

/// A signed-in user's or a guest's session, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The row's id: the SHA-256 of the cookie's token, never the token.
    pub id: String,
    /// The name given at sign-in; `None` for a guest with a cart.
    pub user_name: Option<String>,
    /// When the session started (ms since the epoch).
    pub created_at: i64,
}

/// One line of a cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartLine {
    /// What.
    pub product: Product,
    /// How many.
    pub quantity: i64,
}

/// The catalog the database is seeded with: (id, name, emoji, price in
/// cents, blurb, description).
const CATALOG: [(i64, &str, &str, i64, &str, &str); 8] = [
    (1, "Strawberry daifuku", "🍓", 450,
     "A whole strawberry in sweet bean paste and soft mochi.",
     "Our best seller: one ripe strawberry wrapped in smooth white bean paste, then in a thin \
      layer of freshly pounded mochi. Made every morning; best eaten the same day."),
    (2, "Matcha daifuku", "🍵", 420,
     "Uji matcha cream inside green tea mochi.",
     "Stone-ground matcha from Uji folded into whipped cream and sweet bean paste, in a mochi \
      shell coloured with matcha itself. Bitter, sweet, soft."),
    (3, "Sakura mochi", "🌸", 380,
     "Pink rice cake in a salted cherry leaf.",
     "Domyoji-style sakura mochi: coarse sweet rice dyed pale pink, filled with red bean paste \
      and wrapped in a salted cherry-blossom leaf, which you eat too."),
    (4, "Mitarashi dango", "🍡", 320,
     "Grilled rice dumplings with sweet soy glaze.",
     "Five small rice dumplings on a skewer, grilled until just charred and brushed with a \
      glossy glaze of soy sauce and sugar. Warm them for ten seconds before eating."),
    (5, "Kinako warabi mochi", "🫘", 350,
     "Jiggly bracken starch mochi under roasted soy flour.",
     "Warabi mochi is made from bracken starch, not rice: clear, cool and trembling. We dust it \
      with roasted soybean flour and serve it with a little pot of kuromitsu syrup."),
    (6, "Mango mochi ice", "🥭", 390,
     "Alphonso mango ice cream wrapped in mochi.",
     "A scoop of Alphonso mango ice cream in a thin mochi wrap. Shipped frozen; let it rest \
      five minutes so the mochi softens."),
    (7, "Black sesame daifuku", "⚫", 420,
     "Toasted black sesame paste, nutty and rich.",
     "Black sesame seeds toasted and ground into a dark, nutty paste, sweetened lightly and \
      wrapped in plain mochi. For those who find red bean too sweet."),
    (8, "Yomogi mochi", "🌿", 360,
     "Mugwort mochi with coarse red bean paste.",
     "Spring mugwort pounded into the rice gives this mochi its colour and a grassy, herbal \
      taste; the filling is coarse tsubuan red bean paste."),
];

/// Creates the tables if they are missing. Portable DDL only.
const SCHEMA: [&str; 4] = [
    "CREATE TABLE IF NOT EXISTS products (
        id BIGINT PRIMARY KEY,
        name TEXT NOT NULL,
        emoji TEXT NOT NULL,
        price_cents BIGINT NOT NULL,
        blurb TEXT NOT NULL,
        description TEXT NOT NULL
    )",
    // `id` is the SHA-256 of the cookie's token: a leaked table holds no
    // usable session.
    "CREATE TABLE IF NOT EXISTS sessions (
        id TEXT PRIMARY KEY,
        user_name TEXT,
        created_at BIGINT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS cart_items (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        product_id BIGINT NOT NULL REFERENCES products (id),
        quantity BIGINT NOT NULL,
        PRIMARY KEY (session_id, product_id)
    )",
    "CREATE TABLE IF NOT EXISTS recently_viewed (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        product_id BIGINT NOT NULL REFERENCES products (id),
        viewed_at BIGINT NOT NULL,
        PRIMARY KEY (session_id, product_id)
    )",
];

/// Key of the PostgreSQL advisory lock that serialises schema set-up
/// between instances starting at once (any fixed number: "mochi" in ASCII).
const SCHEMA_LOCK: i64 = 0x006d_6f63_6869;

/// The product columns [`product_of`] reads, for `concat!`: sqlx takes
/// only `'static` SQL, which keeps data out of query text.
macro_rules! product_columns {
    () => {
        "id, name, emoji, price_cents, blurb, description"
    };
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn session_cutoff() -> i64 {
    now_ms() - SESSION_TTL.as_millis() as i64
}

fn product_of(row: &sqlx::any::AnyRow) -> Result<Product, sqlx::Error> {
    Ok(Product {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        emoji: row.try_get("emoji")?,
        price_cents: row.try_get("price_cents")?,
        blurb: row.try_get("blurb")?,
        description: row.try_get("description")?,
    })
}

/// `url` with its password replaced, for messages.
fn redacted(url: &str) -> String {
    match AnyConnectOptions::from_str(url) {
        Ok(opts) => {
            let mut u = opts.database_url;
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        // Not a URL: show only what cannot be a password.
        Err(_) => url.split('@').next_back().unwrap_or_default().to_owned(),
    }
}

/// The sqlx URL for what `DATABASE_URL` may hold: a `postgres://` or
/// `sqlite:` URL, or a plain file path (a SQLite file, created if missing).
fn normalize_url(given: &str) -> Result<(String, Backend), DbError> {
    let bad = |reason: &str| DbError::BadUrl {
        url: redacted(given),
        reason: reason.to_owned(),
    };
    let given = given.trim();
    if given.is_empty() {
        return Err(bad("it is empty"));
    }
    let scheme = given.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("postgres" | "postgresql") => {
            AnyConnectOptions::from_str(given).map_err(|e| bad(&e.to_string()))?;
            Ok((given.to_owned(), Backend::Postgres))
        }
        Some("sqlite") => {
            let mut url = given.to_owned();
            // Create the file on first start unless a mode is given.
            if !url.contains("mode=") && !url.ends_with(":memory:") {
                url.push(if url.contains('?') { '&' } else { '?' });
                url.push_str("mode=rwc");
            }
            Ok((url, Backend::Sqlite))
        }
        Some(s) if given.contains("://") => Err(bad(&format!(
            "the shop speaks PostgreSQL and SQLite, not {s:?}"
        ))),
        // A path to a SQLite file.
        _ => {
            if given.contains(['?', '#']) {
                return Err(bad("a file path cannot contain `?` or `#`"));
            }
            Ok((format!("sqlite://{given}?mode=rwc"), Backend::Sqlite))
        }
    }
}

/// The pool settings for a SQLite file or PostgreSQL.
fn file_or_server_pool(backend: Backend) -> AnyPoolOptions {
    with_busy_timeout(
        AnyPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(CONNECT_TIMEOUT),
        backend,
    )
}

/// `options` with [`SQLITE_BUSY_TIMEOUT`] set on each new SQLite
/// connection.
fn with_busy_timeout(options: AnyPoolOptions, backend: Backend) -> AnyPoolOptions {
    if backend != Backend::Sqlite {
        return options;
    }
    options.after_connect(|conn, _| {
        Box::pin(async move {
            sqlx::query(concat!("PRAGMA busy_timeout = ", sqlite_busy_timeout_ms!()))
                .fetch_optional(conn)
                .await?;
            Ok(())
        })
    })
}

impl Db {
    /// `DATABASE_URL`, or `./mochi-shop.db` when it is unset.
    pub async fn from_env() -> Result<Db, DbError> {
        match std::env::var("DATABASE_URL") {
            Ok(url) => Db::connect(&url).await,
            Err(std::env::VarError::NotPresent) => Db::connect(DEFAULT_DATABASE_URL).await,
            Err(std::env::VarError::NotUnicode(_)) => Err(DbError::BadUrl {
                url: "(not UTF-8)".into(),
                reason: "it is not valid UTF-8".into(),
            }),
        }
    }

    /// Opens the database at `url` (see [`Db::from_env`] for the forms),
    /// creates its tables if missing and seeds the catalog if empty.
    /// `sqlite::memory:` gives a private in-memory database (for tests).
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let (url, backend) = normalize_url(url)?;
        let in_memory = backend == Backend::Sqlite && url.contains(":memory:");
        let options = if in_memory {
            // The `Any` driver opens each connection from the URL, and every
            // such open is a new in-memory database: keep exactly one.
            with_busy_timeout(
                AnyPoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .acquire_timeout(CONNECT_TIMEOUT),
                backend,
            )
        } else {
            file_or_server_pool(backend)
        };
        let connect_error = |source| DbError::Connect {
            url: redacted(&url),
            backend,
            source,
        };
        if !in_memory {
            // The pool retries a refused connection until its timeout, then
            // says only "pool timed out": one plain connection first tells
            // the real reason.
            let probe = tokio::time::timeout(CONNECT_TIMEOUT, AnyConnection::connect(&url))
                .await
                .unwrap_or_else(|_| {
                    Err(sqlx::Error::Io(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
                    )))
                })
                .map_err(connect_error)?;
            let _ = probe.close().await;
        }
        let pool = options.connect(&url).await.map_err(connect_error)?;
        let db = Db {
            pool,
            backend,
            in_memory,
        };
        db.set_up(in_memory)
            .await
            .map_err(|source| DbError::Schema {
                url: redacted(&url),
                source,
            })?;
        Ok(db)
    }

    /// A pool of its own on the same database, for one actix worker; it
    /// opens connections as they are needed. Each actix worker runs its own
    /// tokio runtime, and a PostgreSQL connection only works while the
    /// runtime that opened it runs: with one pool for all workers, the
    /// worker that stops first in a graceful shutdown (an idle one) breaks
    /// the connections it opened under requests the others are still
    /// answering. An in-memory database is its one connection, so that
    /// pool is shared as it is.
    pub fn for_worker(&self) -> Db {
        if self.in_memory {
            return self.clone();
        }
        let options = self.pool.connect_options().as_ref().clone();
        Db {
            pool: file_or_server_pool(self.backend).connect_lazy_with(options),
            ..self.clone()
        }
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for queries the shop does not have.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a transaction that writes. On SQLite it takes the write lock
    /// at once (`BEGIN IMMEDIATE`), waiting up to [`SQLITE_BUSY_TIMEOUT`]
    /// for another writer to finish: a deferred transaction starts as a
    /// reader, and one that has read can not wait when it comes to write
    /// (SQLite calls no busy handler for that upgrade, and in WAL mode its
    /// snapshot may be stale): it fails at once with "database is locked"
    /// (codes 5 and 517), which concurrent adds to cart did. So every
    /// write transaction starts here. (A write outside a transaction, one
    /// statement, takes the lock before it reads.) On PostgreSQL a plain
    /// `BEGIN` (read committed): each write there is one statement that
    /// locks the rows it changes and works on their latest committed
    /// values (the cart's upsert adds to the stored quantity), so
    /// concurrent adds to a cart neither fail nor lose an update.
    async fn begin_write(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Tables and catalog, idempotently: safe when several instances start
    /// at once on one database.
    async fn set_up(&self, in_memory: bool) -> Result<(), sqlx::Error> {
        /// SQLite's "database is locked" (`SQLITE_BUSY`, and its extended
        /// codes such as 517).
        fn is_busy(e: &sqlx::Error) -> bool {
            let code = match e {
                sqlx::Error::Database(e) => e.code(),
                _ => None,
            };
            code.and_then(|c| c.parse::<i32>().ok())
                .is_some_and(|c| c & 0xff == 5)
        }
        if self.backend == Backend::Sqlite && !in_memory {
            // Readers (island requests) do not wait for a writer (an add
            // to cart). Persistent: set once per file.
            // Switching the journal mode takes the file for itself: when
            // another instance holds it (setting up the same new file), the
            // switch fails at once with SQLITE_BUSY rather than waiting, so
            // it is tried again a while.
            let mut tries = 0;
            loop {
                let switched = sqlx::query("PRAGMA journal_mode = WAL")
                    .fetch_optional(&self.pool)
                    .await;
                match switched {
                    Err(e) if is_busy(&e) && tries < 100 => {
                        tries += 1;
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    }
                    other => break other.map(drop)?,
                }
            }
        }
        // Another instance may be setting up the same file at once.
        let mut tx = self.begin_write().await?;
        if self.backend == Backend::Postgres {
            // Concurrent `CREATE TABLE IF NOT EXISTS` can still collide in
            // PostgreSQL's catalog: one instance at a time, until commit.
            // (Wrapped so the row has a type the `Any` driver decodes.)
            sqlx::query("SELECT COUNT(*) FROM (SELECT pg_advisory_xact_lock($1)) AS locked")
                .bind(SCHEMA_LOCK)
                .fetch_one(&mut *tx)
                .await?;
        }
        for statement in SCHEMA {
            sqlx::query(statement).execute(&mut *tx).await?;
        }
        for (id, name, emoji, price_cents, blurb, description) in CATALOG {
            sqlx::query(
                "INSERT INTO products (id, name, emoji, price_cents, blurb, description)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
            )
            .bind(id)
            .bind(name)
            .bind(emoji)
            .bind(price_cents)
            .bind(blurb)
            .bind(description)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    // -- Catalog ----------------------------------------------------------

    /// Every product, by id.
    pub async fn products(&self) -> Result<Vec<Product>, sqlx::Error> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            product_columns!(),
            " FROM products ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(product_of).collect()
    }

    /// Product `id`, if there is one.
    pub async fn product(&self, id: i64) -> Result<Option<Product>, sqlx::Error> {
        let row = sqlx::query(concat!(
            "SELECT ",
            product_columns!(),
            " FROM products WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(product_of).transpose()
    }

    /// Products whose name or blurb contains `q` (case-insensitively, as
    /// text: `%` and `_` match themselves), at most 20.
    pub async fn search(&self, q: &str) -> Result<Vec<Product>, sqlx::Error> {
        let q = q.trim();
        if q.is_empty() {
            return Ok(Vec::new());
        }
        let mut pattern = String::from("%");
        for c in q.to_lowercase().chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        let rows = sqlx::query(concat!(
            "SELECT ",
            product_columns!(),
            " FROM products
             WHERE LOWER(name) LIKE $1 ESCAPE '\\' OR LOWER(blurb) LIKE $1 ESCAPE '\\'
             ORDER BY id LIMIT 20"
        ))
        .bind(pattern)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(product_of).collect()
    }

    /// Three products "bought together" with `id`: the next ones in the
    /// catalog, wrapping around (a stand-in for a real recommender).
    pub async fn bought_together(&self, id: i64) -> Result<Vec<Product>, sqlx::Error> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            product_columns!(),
            " FROM products WHERE id <> $1
             ORDER BY CASE WHEN id > $1 THEN 0 ELSE 1 END, id LIMIT 3"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(product_of).collect()
    }

    // -- Sessions ---------------------------------------------------------

    /// Starts a session (a guest's when `user_name` is `None`); returns the
    /// token for its cookie and the row. Also forgets expired sessions.
    pub async fn create_session(
        &self,
        user_name: Option<&str>,
    ) -> Result<(Token, Session), sqlx::Error> {
        let token = session::new_token();
        let session = Session {
            id: session::token_hash(token.as_str()),
            user_name: user_name.map(str::to_owned),
            created_at: now_ms(),
        };
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM sessions WHERE created_at < $1")
            .bind(session_cutoff())
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO sessions (id, user_name, created_at) VALUES ($1, $2, $3)")
            .bind(&session.id)
            .bind(&session.user_name)
            .bind(session.created_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((token, session))
    }

    /// The live session whose cookie holds `token`.
    pub async fn session(&self, token: &str) -> Result<Option<Session>, sqlx::Error> {
        if !session::plausible_token(token) {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT id, user_name, created_at FROM sessions WHERE id = $1 AND created_at >= $2",
        )
        .bind(session::token_hash(token))
        .bind(session_cutoff())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(Session {
                id: row.try_get("id")?,
                user_name: row.try_get("user_name")?,
                created_at: row.try_get("created_at")?,
            })
        })
        .transpose()
    }

    /// Signs `user_name` in: a new session (a new token, so a token known
    /// before sign-in is worthless after it) that takes over the cart and
    /// the recently viewed products of `previous`, which ends.
    pub async fn sign_in(
        &self,
        previous: Option<&Session>,
        user_name: &str,
    ) -> Result<Token, sqlx::Error> {
        let (token, session) = self.create_session(Some(user_name)).await?;
        if let Some(previous) = previous {
            let new_id = session.id;
            let mut tx = self.begin_write().await?;
            for statement in [
                "UPDATE cart_items SET session_id = $1 WHERE session_id = $2",
                "UPDATE recently_viewed SET session_id = $1 WHERE session_id = $2",
            ] {
                sqlx::query(statement)
                    .bind(&new_id)
                    .bind(&previous.id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("DELETE FROM sessions WHERE id = $1")
                .bind(&previous.id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        Ok(token)
    }

    /// Ends the session whose cookie holds `token`, with its cart.
    pub async fn end_session(&self, token: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(session::token_hash(token))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // -- Cart -------------------------------------------------------------

    /// Adds `delta` (negative: removes) of product `product_id` to the
    /// session's cart, keeping each line within 0..=[`MAX_QUANTITY`].
    /// Returns the line's new quantity, or `None` if there is no such
    /// product.
    pub async fn add_to_cart(
        &self,
        session: &Session,
        product_id: i64,
        delta: i64,
    ) -> Result<Option<i64>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let exists = sqlx::query("SELECT id FROM products WHERE id = $1")
            .bind(product_id)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if !exists {
            return Ok(None);
        }
        let row = sqlx::query(
            "INSERT INTO cart_items (session_id, product_id, quantity) VALUES ($1, $2, $3)
             ON CONFLICT (session_id, product_id) DO UPDATE SET quantity =
                 CASE WHEN cart_items.quantity + $4 > $5 THEN $5
                      WHEN cart_items.quantity + $4 < 0 THEN 0
                      ELSE cart_items.quantity + $4 END
             RETURNING quantity",
        )
        .bind(&session.id)
        .bind(product_id)
        .bind(delta.clamp(0, MAX_QUANTITY))
        .bind(delta.clamp(-MAX_QUANTITY, MAX_QUANTITY))
        .bind(MAX_QUANTITY)
        .fetch_one(&mut *tx)
        .await?;
        let quantity: i64 = row.try_get("quantity")?;
        if quantity <= 0 {
            sqlx::query("DELETE FROM cart_items WHERE session_id = $1 AND product_id = $2")
                .bind(&session.id)
                .bind(product_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Some(quantity))
    }

    /// The session's cart, by product id.
    pub async fn cart(&self, session: &Session) -> Result<Vec<CartLine>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT p.id, p.name, p.emoji, p.price_cents, p.blurb, p.description, c.quantity
             FROM cart_items c JOIN products p ON p.id = c.product_id
             WHERE c.session_id = $1 ORDER BY p.id",
        )
        .bind(&session.id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(CartLine {
                    product: product_of(row)?,
                    quantity: row.try_get("quantity")?,
                })
            })
            .collect()
    }

    /// How many items the session's cart holds.
    pub async fn cart_count(&self, session: &Session) -> Result<i64, sqlx::Error> {
        // SUM of BIGINT is NUMERIC in PostgreSQL, which `Any` cannot decode.
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) AS n
             FROM cart_items WHERE session_id = $1",
        )
        .bind(&session.id)
        .fetch_one(&self.pool)
        .await?;
        row.try_get("n")
    }

    // -- Recently viewed --------------------------------------------------

    /// Notes that the session looked at product `product_id`.
    ///
    /// `viewed_at` is the time in milliseconds, or one past the session's
    /// latest view if that is not earlier: two views within a millisecond
    /// still order as they happened.
    pub async fn record_view(&self, session: &Session, product_id: i64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO recently_viewed (session_id, product_id, viewed_at)
             SELECT $1, id, (
                 SELECT CASE WHEN MAX(viewed_at) >= $3 THEN MAX(viewed_at) + 1 ELSE $3 END
                 FROM recently_viewed WHERE session_id = $1
             ) FROM products WHERE id = $2
             ON CONFLICT (session_id, product_id) DO UPDATE SET viewed_at = excluded.viewed_at",
        )
        .bind(&session.id)
        .bind(product_id)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The session's most recently viewed products, newest first, without
    /// `except`.
    pub async fn recently_viewed(
        &self,
        session: &Session,
        except: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Product>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT p.id, p.name, p.emoji, p.price_cents, p.blurb, p.description
             FROM recently_viewed v JOIN products p ON p.id = v.product_id
             WHERE v.session_id = $1 AND p.id <> $2
             ORDER BY v.viewed_at DESC, p.id LIMIT $3",
        )
        .bind(&session.id)
        .bind(except.unwrap_or(-1))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(product_of).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_are_normalized() {
        let ok = |given: &str| normalize_url(given).expect(given);
        assert_eq!(
            ok("postgres://u:p@h/db"),
            ("postgres://u:p@h/db".into(), Backend::Postgres)
        );
        assert_eq!(
            ok("sqlite://shop.db"),
            ("sqlite://shop.db?mode=rwc".into(), Backend::Sqlite)
        );
        assert_eq!(
            ok("sqlite://shop.db?mode=ro"),
            ("sqlite://shop.db?mode=ro".into(), Backend::Sqlite)
        );
        assert_eq!(
            ok("sqlite::memory:"),
            ("sqlite::memory:".into(), Backend::Sqlite)
        );
        assert_eq!(
            ok("data/shop.db"),
            ("sqlite://data/shop.db?mode=rwc".into(), Backend::Sqlite)
        );
        for bad in ["", "  ", "mysql://u@h/db", "shop.db?x"] {
            assert!(
                matches!(normalize_url(bad), Err(DbError::BadUrl { .. })),
                "{bad:?}"
            );
        }
    }

    /// Every SQLite connection, of every pool, waits for a lock rather
    /// than failing at once: what `BEGIN IMMEDIATE` relies on.
    #[tokio::test]
    async fn sqlite_connections_have_the_busy_timeout() {
        let file =
            std::env::temp_dir().join(format!("mochi-shop-busy-timeout-{}.db", std::process::id()));
        let file = file.to_str().expect("UTF-8 temp dir").to_owned();
        let on_file = Db::connect(&file).await.unwrap();
        let in_memory = Db::connect("sqlite::memory:").await.unwrap();
        for db in [on_file.clone(), on_file.for_worker(), in_memory] {
            let row = sqlx::query("PRAGMA busy_timeout")
                .fetch_one(db.pool())
                .await
                .unwrap();
            let ms: i64 = row.try_get(0).unwrap();
            assert_eq!(ms as u128, SQLITE_BUSY_TIMEOUT.as_millis());
        }
        on_file.pool().close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{file}{suffix}"));
        }
    }

    #[test]
    fn messages_hide_the_password() {
        let err = normalize_url("mysql://user:hunter2@h/db").unwrap_err();
        let msg = err.to_string();
        assert!(!msg.contains("hunter2"), "{msg}");
        assert!(msg.contains("DATABASE_URL"), "{msg}");
        assert_eq!(
            redacted("postgres://u:hunter2@h/db"),
            "postgres://u:***@h/db"
        );
    }
}

//! The shop on actix-web: its routes, each a thin handler around the
//! server-neutral one in `pages`.

use actix_web::http::StatusCode;
use actix_web::{guard, web, HttpRequest, HttpResponse, Route};

use crate::db::Db;
use crate::pages::{self, Reply};
use crate::ShopError;

/// Registers the shop's pages and its database (as `web::Data<Db>`, which
/// is how islands reach it); wrap the `App` with a [`mochi::Mochi`] too.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use actix_web::{App, HttpServer};
///
/// let db = example_shop::Db::connect("sqlite://mochi-shop.db").await?;
/// let mochi = mochi::Mochi::from_env()?;
/// HttpServer::new(move || {
///     App::new()
///         .wrap(mochi.clone())
///         .configure(example_shop::app(db.clone()))
/// })
/// .bind(("127.0.0.1", 8080))?
/// .run()
/// .await?;
/// # Ok(()) }
/// ```
pub fn app(db: Db) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::new(db))
            .app_data(web::PayloadConfig::new(pages::MAX_FORM))
            .route("/", get_or_head().to(index))
            .route("/product/{id}", get_or_head().to(product))
            .route("/search", get_or_head().to(search))
            .route("/cart", get_or_head().to(cart))
            .route("/cart", web::post().to(add))
            .route("/signin", get_or_head().to(sign_in_form))
            .route("/signin", web::post().to(sign_in))
            .route("/signout", web::post().to(sign_out))
            .route("/account", get_or_head().to(account));
    }
}

/// A `GET` route that answers `HEAD` too, as HTTP asks: `web::get()`
/// alone matches only `GET`. The handler runs as for `GET`; the server
/// sends the same head (`Content-Length` included) and no body.
fn get_or_head() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// A page's answer as an actix response.
fn respond(reply: Result<Reply, ShopError>) -> HttpResponse {
    let (head, body) = pages::or_error_page(reply).into_parts();
    let status = StatusCode::from_u16(head.status.as_u16());
    let mut res = HttpResponse::build(status.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    for (name, value) in &head.headers {
        res.append_header((name.as_str(), value.as_bytes()));
    }
    res.body(body)
}

async fn index(db: web::Data<Db>) -> HttpResponse {
    respond(pages::index(&db).await)
}

async fn product(db: web::Data<Db>, id: web::Path<String>) -> HttpResponse {
    respond(pages::product(&db, &id).await)
}

async fn search(req: HttpRequest) -> HttpResponse {
    respond(Ok(pages::search(req.query_string()).await))
}

async fn cart(db: web::Data<Db>) -> HttpResponse {
    respond(pages::cart(&db).await)
}

async fn add(db: web::Data<Db>, body: web::Bytes) -> HttpResponse {
    respond(pages::add(&db, &body).await)
}

async fn sign_in_form() -> HttpResponse {
    respond(Ok(pages::sign_in_form().await))
}

async fn sign_in(db: web::Data<Db>, body: web::Bytes) -> HttpResponse {
    respond(pages::sign_in(&db, &body).await)
}

async fn sign_out(db: web::Data<Db>) -> HttpResponse {
    respond(pages::sign_out(&db).await)
}

async fn account() -> HttpResponse {
    respond(Ok(pages::account().await))
}

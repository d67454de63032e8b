//! The shop's islands. Server islands read the session cookie and the
//! database in their own request, so the pages around them stay public;
//! hydrated islands make the add-to-cart buttons and the search echo work.

use std::fmt;
use std::time::Duration;

use actix_web::web;
use axum::Extension;
use maud::{html, Markup};
use mochi::island;

use crate::db::{Db, Product, Session};
use crate::pages::{price, product_card};
use crate::session;

/// Why an island or a page could not be rendered (answered with 500; the
/// details go to the log only).
#[derive(Debug)]
pub enum ShopError {
    /// A query failed.
    Db(sqlx::Error),
    /// The app was mounted without its database (see [`crate::app`] and
    /// [`crate::axum_app`]).
    NoDatabase(mochi::ExtractError),
}

impl fmt::Display for ShopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShopError::Db(e) => write!(f, "database error: {e}"),
            ShopError::NoDatabase(e) => write!(
                f,
                "no database in the app data: mount the shop with `example_shop::app(db)` or \
                 `example_shop::axum_app(db)` ({e})"
            ),
        }
    }
}

impl std::error::Error for ShopError {}

impl From<sqlx::Error> for ShopError {
    fn from(e: sqlx::Error) -> Self {
        ShopError::Db(e)
    }
}

/// The database, from the app data of the island's request: actix's
/// `web::Data<Db>` or axum's `Extension<Db>`, whichever server renders it.
async fn shop_db() -> Result<Db, ShopError> {
    let e = match mochi::actix::extract::<web::Data<Db>>().await {
        Ok(db) => return Ok(db.get_ref().clone()),
        Err(e) if !e.is_outside_island() => e,
        Err(_) => match mochi::axum::extract::<Extension<Db>>().await {
            Ok(Extension(db)) => return Ok(db),
            Err(e) => e,
        },
    };
    Err(ShopError::NoDatabase(e))
}

/// The database and the live session of the island's request, if any.
async fn current_session() -> Result<(Db, Option<Session>), ShopError> {
    let db = shop_db().await?;
    let session = match session::request_token() {
        Some(token) => db.session(&token).await?,
        None => None,
    };
    Ok((db, session))
}

/// The header's user menu: the signed-in user's name, or a sign-in link.
#[island(defer)]
pub async fn user_avatar() -> Result<Markup, ShopError> {
    let (_, session) = current_session().await?;
    Ok(match session.and_then(|s| s.user_name) {
        Some(name) => html! {
            span.avatar { "Welcome back, " a href="/account" { (name) } "!" }
        },
        None => html! { span.avatar { a href="/signin" { "Sign in" } } },
    })
}

/// How many items the session's cart holds, linking to the cart.
#[island(defer)]
pub async fn cart_count() -> Result<Markup, ShopError> {
    let n = match current_session().await? {
        (db, Some(session)) => db.cart_count(&session).await?,
        (_, None) => 0,
    };
    let unit = if n == 1 { " item" } else { " items" };
    Ok(html! { a.cart href="/cart" { (n) (unit) } })
}

/// Who is signed in, with a sign-out button, or how to sign in; and the
/// cart's count, a server island of its own rendered inline in this
/// island's answer (no request of its own).
#[island(defer)]
pub async fn account_summary() -> Result<Markup, ShopError> {
    let (_, session) = current_session().await?;
    let cart = html! {
        p.account-cart {
            "Your cart: " (cart_count().fallback(html! { span.skeleton { "… items" } }))
        }
    };
    Ok(match session.and_then(|s| s.user_name) {
        Some(name) => html! {
            div.account-summary {
                p { "Signed in as " strong.user-name { (name) } "." }
                (cart)
                form method="post" action="/signout" {
                    button type="submit" { "Sign out" }
                }
            }
        },
        None => html! {
            div.account-summary {
                p { "You are not signed in. " a href="/signin" { "Sign in" } " to keep your cart." }
                (cart)
            }
        },
    })
}

/// The session's member perks, from a slow loyalty service: streamed on
/// `/account`, where it arrives last, in the same response.
#[island(defer)]
pub async fn member_perks() -> Result<Markup, ShopError> {
    // Stands in for a loyalty service call.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (db, session) = current_session().await?;
    let items = match &session {
        Some(session) => db.cart_count(session).await?,
        None => 0,
    };
    let signed_in = session.and_then(|s| s.user_name).is_some();
    Ok(html! {
        div.member-perks {
            @if signed_in {
                p { "You have " strong.points { (items * 10) } " points: 10 for every item in your cart." }
            } @else {
                p { "Sign in to collect points." }
            }
        }
    })
}

/// Products the session looked at lately, newest first, without
/// `current`; records a view of `current` (a product page's own product).
#[island(defer)]
pub async fn recently_viewed(current: Option<i64>) -> Result<Markup, ShopError> {
    let (db, session) = current_session().await?;
    let Some(session) = session else {
        return Ok(html! {
            p.recently-viewed.empty { "Products you look at show up here once you have a cart or are signed in." }
        });
    };
    if let Some(id) = current {
        db.record_view(&session, id).await?;
    }
    let products = db.recently_viewed(&session, current, 4).await?;
    Ok(html! {
        @if products.is_empty() {
            p.recently-viewed.empty { "Nothing yet: products you look at show up here." }
        } @else {
            ul.recently-viewed.cards.small {
                @for p in &products { li { (product_link(p)) } }
            }
        }
    })
}

/// Products bought together with `product_id`, from a slow recommender.
/// The same for everyone, so a shared cache may keep its answer.
#[island(defer, cache = "public, max-age=60")]
pub async fn recommendations(product_id: i64) -> Result<Markup, ShopError> {
    // Stands in for a recommendation service call.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let products = shop_db().await?.bought_together(product_id).await?;
    Ok(html! {
        ul.recommendations.cards.small {
            @for p in &products { li { (product_link(p)) } }
        }
    })
}

/// Search results for `q`, from the catalog. The same for everyone.
#[island(defer, cache = "public, max-age=60")]
pub async fn search_results(q: String) -> Result<Markup, ShopError> {
    let products = shop_db().await?.search(&q).await?;
    Ok(html! {
        p.results-for { "Results for " q { (q) } }
        @if products.is_empty() {
            p.no-results { "No mochi matches that. Try “daifuku” or “matcha”." }
        } @else {
            ul.results.cards {
                @for p in &products { li { (product_card(p)) } }
            }
        }
    })
}

/// An add-to-cart button: a plain form posting to `/cart` (works without
/// JavaScript); static/add_to_cart.js posts it with `fetch` instead and
/// fires `cart-changed` on `document`.
#[island(client = "static/add_to_cart.js")]
pub fn add_to_cart(product_id: i64, name: String) -> Markup {
    html! {
        form.add-to-cart method="post" action="/cart" {
            input type="hidden" name="product_id" value=(product_id);
            button type="submit" aria-label={ "Add " (name) " to cart" } { "Add to cart" }
            " "
            span.status role="status" {}
        }
    }
}

/// Shows the search query; the client module copies it into the page title.
#[island(client = "static/query.js")]
pub fn query_echo(q: String) -> Markup {
    html! { p.query-echo { "You searched for " q { (q) } } }
}

/// A small product link with its picture and price.
fn product_link(p: &Product) -> Markup {
    html! {
        a.product-link href={ "/product/" (p.id) } {
            span.picture aria-hidden="true" { (p.emoji) }
            " " span.name { (p.name) }
            " " span.price { (price(p.price_cents)) }
        }
    }
}

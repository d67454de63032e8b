//! The shop's pages and form handlers.
//!
//! Catalog pages (`/`, `/product/{id}`, `/search`) read no cookies and are
//! public for a minute; the personal parts are server islands. Pages that
//! are personal by nature (`/cart`) or will stream personal islands
//! (`/account`) are `private, no-store`.
//!
//! Every handler here is the same on both servers: it takes what the
//! route gives (the database, a path segment, the raw form body), reads
//! the request head through [`mochi::request_context`], and answers an
//! `http::Response`; `serve_actix` and `serve_axum` only route to them.

use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

use crate::db::{Db, Product, Session, MAX_QUANTITY};
use crate::islands::{
    account_summary, add_to_cart, cart_count, member_perks, query_echo, recently_viewed,
    recommendations, search_results, user_avatar, ShopError,
};
use crate::session;

/// A page or form answer, on either server.
pub type Reply = Response<String>;

/// The largest form body the shop reads (its forms are a few fields).
pub const MAX_FORM: usize = 16 * 1024;

/// `Cache-Control` of the catalog pages: any cache may keep them a minute.
pub const PUBLIC: &str = "public, max-age=60";
/// `Cache-Control` of personal pages and of every form answer.
pub const PRIVATE: &str = "private, no-store";

/// The strict CSP every page sends: mochi needs no inline script.
const CSP: &str = "script-src 'self'";

/// Enough CSS to look like a shop (styles are not scripts: the strict
/// `script-src` policy leaves them alone).
const STYLE: &str = "\
*{box-sizing:border-box}body{font-family:system-ui,sans-serif;margin:0;color:#2b2024;background:#fffafa}\
a{color:#a33a5b}main{max-width:62rem;margin:0 auto;padding:1rem 1.5rem 4rem}\
header.site{display:flex;gap:1rem;align-items:center;flex-wrap:wrap;padding:.8rem 1.5rem;\
background:#fff;border-bottom:1px solid #f0d7de;position:sticky;top:0;z-index:1}\
.logo{font-weight:700;font-size:1.3rem;text-decoration:none;color:#2b2024;margin-right:auto}\
form.search{display:flex;gap:.3rem}input,button{font:inherit}input{padding:.35rem .6rem;\
border:1px solid #ddc2ca;border-radius:.4rem}button{padding:.35rem .9rem;border-radius:1rem;\
border:1px solid #c98a9c;background:#fff0f4;cursor:pointer}button:hover{background:#ffe0ea}\
nav.user{display:flex;gap:1rem;align-items:center}.skeleton{color:#999}\
.cards{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(13rem,1fr));gap:1rem}\
.card{background:#fff;border:1px solid #f0d7de;border-radius:.8rem;padding:1rem;display:flex;\
flex-direction:column;gap:.4rem}.card h3{margin:.2rem 0}.card a{text-decoration:none;color:inherit}\
.card .picture{font-size:4rem;text-align:center;display:block}.blurb{color:#6b5a60;margin:0;flex:1}\
.price{font-weight:600}.cards.small{grid-template-columns:repeat(auto-fill,minmax(11rem,1fr))}\
.product-link{display:block;background:#fff;border:1px solid #f0d7de;border-radius:.6rem;\
padding:.6rem;text-decoration:none;color:inherit}.product-link .picture{font-size:1.6rem}\
.hero{display:flex;gap:2rem;align-items:center;background:#ffeef3;border-radius:1rem;padding:1.5rem 2rem;margin:1rem 0 2rem}\
.hero .picture{font-size:7rem}.kicker{text-transform:uppercase;letter-spacing:.1em;font-size:.8rem;color:#a33a5b}\
.product{display:grid;grid-template-columns:1fr 1fr;gap:2rem;align-items:center;min-height:calc(100vh - 8rem)}\
.product .picture{font-size:14rem;text-align:center;background:#ffeef3;border-radius:1rem;padding:2rem}\
.product h1{font-size:2.4rem;margin:.2rem 0}.product .price{font-size:1.5rem}.product .blurb{margin:0 0 1rem}\
.details{max-width:40rem;line-height:1.6;padding:2rem 0}.breadcrumb{font-size:.9rem;color:#6b5a60}\
.status{color:#2f7a45;font-size:.9rem}table.cart{width:100%;border-collapse:collapse;background:#fff}\
table.cart td,table.cart th{padding:.6rem;border-bottom:1px solid #f0d7de;text-align:left}\
table.cart form{display:inline}.total{font-size:1.2rem}.error{color:#b00020}\
.buy-again{display:flex;gap:1rem;align-items:center;background:#fff;border:1px solid #f0d7de;\
border-radius:.8rem;padding:1rem 1.5rem;margin-top:2rem}footer{color:#8a7a80;text-align:center;padding:2rem}";

/// Formats euro cents: `450` → `4.50 €`.
pub fn price(cents: i64) -> String {
    format!("{}.{:02} €", cents / 100, cents % 100)
}

/// A product's card in a grid, with its add-to-cart button.
pub(crate) fn product_card(p: &Product) -> Markup {
    html! {
        article.card {
            a href={ "/product/" (p.id) } {
                span.picture aria-hidden="true" { (p.emoji) }
                h3 { (p.name) }
            }
            p.blurb { (p.blurb) }
            p.price { (price(p.price_cents)) }
            (add_to_cart(p.id, p.name.clone()))
        }
    }
}

/// The header every page shares; its personal parts are server islands,
/// deferred (the page stays cacheable) or, on a personal page, streamed.
fn site_header(streamed: bool) -> Markup {
    let avatar = user_avatar();
    let count = cart_count();
    let (avatar, count) = if streamed {
        (avatar.stream(), count.stream())
    } else {
        (avatar, count)
    };
    html! {
        header.site {
            a.logo href="/" { "🍡 Mochi Shop" }
            form.search method="get" action="/search" role="search" {
                input type="search" name="q" placeholder="Search mochi…" aria-label="Search";
                button type="submit" { "Search" }
            }
            nav.user {
                (avatar.fallback(html! { span.skeleton { "Loading…" } }))
                // The count follows add-to-cart: static/add_to_cart.js
                // fires `cart-changed` after its POST.
                (count
                    .fallback(html! { span.skeleton { "… items" } })
                    .reload_on(["cart-changed"]))
            }
        }
    }
}

/// A whole page with the shop's head, header and footer.
fn page(status: StatusCode, cache: &'static str, title: &str, body: Markup) -> Reply {
    document(status, cache, title, body, false)
}

/// A page whose header islands stream too: for personal pages.
fn streamed_page(title: &str, body: Markup) -> Reply {
    document(StatusCode::OK, PRIVATE, title, body, true)
}

fn document(
    status: StatusCode,
    cache: &'static str,
    title: &str,
    body: Markup,
    streamed: bool,
) -> Reply {
    let doc = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (STYLE) }
                (mochi::runtime_script())
            }
            body {
                (site_header(streamed))
                main { (body) }
                footer { "Mochi Shop · a mochi example: every personal bit is an island" }
            }
        }
    };
    let mut res = reply(status, cache, doc.into_string());
    let headers = res.headers_mut();
    let html = HeaderValue::from_static("text/html; charset=utf-8");
    headers.insert(header::CONTENT_TYPE, html);
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    res
}

/// An answer with `status`, `Cache-Control: cache` and `body`.
fn reply(status: StatusCode, cache: &'static str, body: String) -> Reply {
    let mut res = Response::new(body);
    *res.status_mut() = status;
    let cache = HeaderValue::from_static(cache);
    res.headers_mut().insert(header::CACHE_CONTROL, cache);
    res
}

/// The page a handler that failed answers with (logged; the details stay
/// in the log).
pub(crate) fn error_page(e: &ShopError) -> Reply {
    log::error!("shop: {e}");
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        PRIVATE,
        "Error · Mochi Shop",
        html! {
            h1 { "Something went wrong on our side" }
            p { "Please try again in a moment." }
        },
    )
}

/// A handler's result as its answer.
pub(crate) fn or_error_page(result: Result<Reply, ShopError>) -> Reply {
    result.unwrap_or_else(|e| error_page(&e))
}

fn not_found(what: &str) -> Reply {
    page(
        StatusCode::NOT_FOUND,
        PRIVATE,
        "Not found · Mochi Shop",
        html! {
            h1 { "Not found" }
            p { (what) " " a href="/" { "Back to the shop" } }
        },
    )
}

/// Whether a form post comes from another site (login or cart CSRF). The
/// `SameSite=Lax` cookie already keeps the session out of such posts; this
/// also refuses the ones that would start a session.
fn cross_site() -> bool {
    let header = |name: &str| request_header(name);
    if header("sec-fetch-site").is_some_and(|v| v == "cross-site") {
        return true;
    }
    let Some(origin) = header("origin") else {
        return false;
    };
    let host = header("host");
    let origin_host = origin.split_once("://").map(|(_, host)| host.to_owned());
    origin_host.is_none() || origin_host != host
}

/// Header `name` of the request being answered.
fn request_header(name: &str) -> Option<String> {
    mochi::request_context().header(name).map(str::to_owned)
}

fn forbidden() -> Reply {
    let text = "cross-site form posts are not accepted";
    reply(StatusCode::FORBIDDEN, PRIVATE, text.into())
}

fn see_other(location: &'static str) -> Reply {
    let mut res = reply(StatusCode::SEE_OTHER, PRIVATE, String::new());
    let location = HeaderValue::from_static(location);
    res.headers_mut().insert(header::LOCATION, location);
    res
}

/// `res` with the cookie `cookie` set.
fn with_cookie(mut res: Reply, cookie: &cookie::Cookie<'_>) -> Reply {
    // A cookie the shop builds is valid header text.
    if let Ok(value) = HeaderValue::try_from(cookie.to_string()) {
        res.headers_mut().append(header::SET_COOKIE, value);
    }
    res
}

/// The live session of a page request, if any.
async fn request_session(db: &Db) -> Result<Option<Session>, ShopError> {
    Ok(match session::request_token() {
        Some(token) => db.session(&token).await?,
        None => None,
    })
}

/// The `400` a form body that does not parse is answered with.
fn bad_form(e: serde_urlencoded::de::Error) -> Reply {
    reply(StatusCode::BAD_REQUEST, PRIVATE, format!("bad form: {e}"))
}

// -- Catalog pages (public) --------------------------------------------------

/// `GET /`: today's pick and every product.
pub(crate) async fn index(db: &Db) -> Result<Reply, ShopError> {
    let products = db.products().await?;
    Ok(page(
        StatusCode::OK,
        PUBLIC,
        "Mochi Shop",
        html! {
            @if let Some(pick) = products.first() {
                section.hero {
                    span.picture aria-hidden="true" { (pick.emoji) }
                    div {
                        p.kicker { "Today's pick" }
                        h1 { a href={ "/product/" (pick.id) } { (pick.name) } }
                        p.blurb { (pick.blurb) }
                        p.price { (price(pick.price_cents)) }
                        // The same props as its card below: one props block.
                        (add_to_cart(pick.id, pick.name.clone()))
                    }
                }
            }
            h2 { "All mochi" }
            ul.cards {
                @for p in &products { li { (product_card(p)) } }
            }
            h2 { "Recently viewed" }
            (recently_viewed(None)
                .fallback(html! { p.skeleton { "Loading your recently viewed…" } })
                .defer_on_visible())
        },
    ))
}

/// `GET /product/{id}`: one product.
pub(crate) async fn product(db: &Db, id: &str) -> Result<Reply, ShopError> {
    let Ok(id) = id.parse() else {
        return Ok(not_found("There is no such product."));
    };
    let Some(p) = db.product(id).await? else {
        return Ok(not_found("There is no such product."));
    };
    Ok(page(
        StatusCode::OK,
        PUBLIC,
        &format!("{} · Mochi Shop", p.name),
        html! {
            p.breadcrumb { a href="/" { "Mochi Shop" } " › " (p.name) }
            // Fills the first screen; the rest of the page is below the fold.
            section.product {
                div.picture aria-hidden="true" { (p.emoji) }
                div {
                    h1 { (p.name) }
                    p.price { (price(p.price_cents)) }
                    p.blurb { (p.blurb) }
                    (add_to_cart(p.id, p.name.clone()))
                }
            }
            section.details {
                h2 { "About " (p.name) }
                p { (p.description) }
                h2 { "Made here, by hand" }
                p {
                    "We steam glutinous rice every morning and pound it while hot, then shape "
                    "each piece by hand. Mochi is at its softest on the day it is made and "
                    "firms up in the fridge: keep it at room temperature and eat it within "
                    "two days."
                }
                h2 { "Shipping" }
                p {
                    "Orders placed before noon leave the same day in an insulated box. Frozen "
                    "items travel with ice packs."
                }
            }
            h2 { "Often bought together" }
            (recommendations(p.id)
                .fallback(html! { p { "Loading recommendations…" } })
                .root_margin("100px"))
            h2 { "Recently viewed" }
            // Eager, not on visible: it also records this view.
            (recently_viewed(Some(p.id))
                .fallback(html! { p.skeleton { "Loading your recently viewed…" } }))
            section.buy-again {
                p { "Made up your mind about the " (p.name) "?" }
                // The same props as the button at the top: one props block.
                (add_to_cart(p.id, p.name.clone()).hydrate(mochi::Hydrate::visible()))
            }
        },
    ))
}

/// The search page's query.
#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    /// What was searched for.
    #[serde(default)]
    pub q: String,
}

/// `GET /search?q=`: the query, and the results as a server island.
/// A query that does not parse searches for nothing.
pub(crate) async fn search(query: &str) -> Reply {
    let query: SearchQuery = serde_urlencoded::from_str(query).unwrap_or_default();
    let q = &query.q;
    page(
        StatusCode::OK,
        PUBLIC,
        "Search · Mochi Shop",
        html! {
            h1 { "Search" }
            (query_echo(q.clone()))
            (search_results(q.clone()).fallback(html! { p { "Searching…" } }))
        },
    )
}

// -- Cart ------------------------------------------------------------------

/// `POST /cart`'s form (or `fetch` body, urlencoded).
#[derive(Debug, Deserialize)]
pub struct CartForm {
    /// Which product.
    pub product_id: i64,
    /// How many to add; negative removes. Default 1.
    #[serde(default = "one")]
    pub quantity: i64,
}

fn one() -> i64 {
    1
}

/// Whether the client asked for JSON (`fetch`) rather than a page (a form).
fn wants_json() -> bool {
    request_header("accept").is_some_and(|v| v.contains("application/json"))
}

fn json(status: StatusCode, value: serde_json::Value) -> Reply {
    let mut res = reply(status, PRIVATE, value.to_string());
    let json = HeaderValue::from_static("application/json");
    res.headers_mut().insert(header::CONTENT_TYPE, json);
    res
}

fn no_such_product(json_wanted: bool) -> Reply {
    if json_wanted {
        json(
            StatusCode::NOT_FOUND,
            serde_json::json!({ "error": "no such product" }),
        )
    } else {
        not_found("There is no such product.")
    }
}

/// `POST /cart`: adds to the session's cart, starting a guest session if
/// there is none. Answers `fetch` (`Accept: application/json`) with
/// `{"product_id", "quantity", "count"}`, a form with a redirect to the
/// cart.
pub(crate) async fn add(db: &Db, body: &[u8]) -> Result<Reply, ShopError> {
    if cross_site() {
        return Ok(forbidden());
    }
    let form: CartForm = match serde_urlencoded::from_bytes(body) {
        Ok(form) => form,
        Err(e) => return Ok(bad_form(e)),
    };
    let json_wanted = wants_json();
    if form.quantity == 0 || form.quantity.abs() > MAX_QUANTITY {
        let msg = format!("quantity must be between -{MAX_QUANTITY} and {MAX_QUANTITY}, not 0");
        return Ok(if json_wanted {
            json(StatusCode::BAD_REQUEST, serde_json::json!({ "error": msg }))
        } else {
            reply(StatusCode::BAD_REQUEST, PRIVATE, msg)
        });
    }
    if db.product(form.product_id).await?.is_none() {
        return Ok(no_such_product(json_wanted));
    }
    let (session, new_token) = match request_session(db).await? {
        Some(session) => (session, None),
        None => {
            let (token, session) = db.create_session(None).await?;
            (session, Some(token))
        }
    };
    let Some(quantity) = db
        .add_to_cart(&session, form.product_id, form.quantity)
        .await?
    else {
        // Deleted since the check above.
        return Ok(no_such_product(json_wanted));
    };
    let res = if json_wanted {
        let count = db.cart_count(&session).await?;
        json(
            StatusCode::OK,
            serde_json::json!({ "product_id": form.product_id, "quantity": quantity, "count": count }),
        )
    } else {
        see_other("/cart")
    };
    Ok(match new_token {
        Some(token) => with_cookie(res, &session::cookie(&token)),
        None => res,
    })
}

/// `GET /cart`: the session's cart, with buttons to change it.
pub(crate) async fn cart(db: &Db) -> Result<Reply, ShopError> {
    let lines = match request_session(db).await? {
        Some(session) => db.cart(&session).await?,
        None => Vec::new(),
    };
    let total: i64 = lines
        .iter()
        .map(|l| l.quantity * l.product.price_cents)
        .sum();
    let change = |id: i64, delta: i64, label: &str, aria: String| {
        html! {
            form method="post" action="/cart" {
                input type="hidden" name="product_id" value=(id);
                input type="hidden" name="quantity" value=(delta);
                button type="submit" aria-label=(aria) { (label) }
            }
        }
    };
    Ok(page(
        StatusCode::OK,
        PRIVATE,
        "Your cart · Mochi Shop",
        html! {
            h1 { "Your cart" }
            @if lines.is_empty() {
                p.empty-cart { "Your cart is empty. " a href="/" { "Find some mochi" } "." }
            } @else {
                table.cart {
                    thead { tr { th { "Product" } th { "Quantity" } th { "Price" } } }
                    tbody {
                        @for line in &lines {
                            tr data-product-id=(line.product.id) {
                                td {
                                    a href={ "/product/" (line.product.id) } {
                                        (line.product.emoji) " " (line.product.name)
                                    }
                                }
                                td {
                                    (change(line.product.id, -1, "−", format!("One {} less", line.product.name)))
                                    " " span.quantity { (line.quantity) } " "
                                    (change(line.product.id, 1, "+", format!("One {} more", line.product.name)))
                                }
                                td { (price(line.quantity * line.product.price_cents)) }
                            }
                        }
                    }
                }
                p.total { "Total: " strong { (price(total)) } }
                p { "Checkout is coming soon." }
            }
        },
    ))
}

// -- Sign-in, sign-out, account --------------------------------------------

/// `POST /signin`'s form.
#[derive(Debug, Deserialize)]
pub struct SignInForm {
    /// Whatever name the user likes: no passwords in this shop.
    #[serde(default)]
    pub name: String,
}

fn sign_in_page(status: StatusCode, error: Option<&str>, name: &str) -> Reply {
    page(
        status,
        PRIVATE,
        "Sign in · Mochi Shop",
        html! {
            h1 { "Sign in" }
            p { "A name is enough: this shop has no passwords. Your cart comes with you." }
            @if let Some(error) = error { p.error role="alert" { (error) } }
            form.signin method="post" action="/signin" {
                label { "Name " input type="text" name="name" value=(name) required maxlength="40" autocomplete="nickname"; }
                " " button type="submit" { "Sign in" }
            }
        },
    )
}

/// `GET /signin`: the form.
pub(crate) async fn sign_in_form() -> Reply {
    sign_in_page(StatusCode::OK, None, "")
}

/// The name, trimmed, if it is one: 1 to 40 characters, no control ones.
fn valid_name(name: &str) -> Option<&str> {
    let name = name.trim();
    let chars = name.chars().count();
    ((1..=40).contains(&chars) && !name.chars().any(char::is_control)).then_some(name)
}

/// `POST /signin`: a new session for the name, taking over the guest
/// cart; then to the account page.
pub(crate) async fn sign_in(db: &Db, body: &[u8]) -> Result<Reply, ShopError> {
    if cross_site() {
        return Ok(forbidden());
    }
    let form: SignInForm = match serde_urlencoded::from_bytes(body) {
        Ok(form) => form,
        Err(e) => return Ok(bad_form(e)),
    };
    let Some(name) = valid_name(&form.name) else {
        return Ok(sign_in_page(
            StatusCode::BAD_REQUEST,
            Some("Please give a name of 1 to 40 characters."),
            &form.name,
        ));
    };
    let previous = request_session(db).await?;
    let token = db.sign_in(previous.as_ref(), name).await?;
    Ok(with_cookie(see_other("/account"), &session::cookie(&token)))
}

/// `POST /signout`: ends the session (and its cart), forgets the cookie.
pub(crate) async fn sign_out(db: &Db) -> Result<Reply, ShopError> {
    if cross_site() {
        return Ok(forbidden());
    }
    if let Some(token) = session::request_token() {
        db.end_session(&token).await?;
    }
    Ok(with_cookie(see_other("/"), &session::removal_cookie()))
}

/// `GET /account`: the user's personal islands. The page itself reads no
/// cookie; it is `private` because it is to stream those islands inline.
/// Personal by nature, so its islands stream: the page goes out at once
/// with their fallbacks, and each island's HTML follows in the same
/// response as soon as it is rendered (the perks last, after ~300 ms). No
/// island request, no inline script.
pub(crate) async fn account() -> Reply {
    streamed_page(
        "Your account · Mochi Shop",
        html! {
            h1 { "Your account" }
            (account_summary().stream().fallback(html! { p.skeleton { "Loading your account…" } }))
            h2 { "Your perks" }
            (member_perks().stream().fallback(html! { p.skeleton { "Loading your perks…" } }))
            h2 { "Recently viewed" }
            (recently_viewed(None).stream().fallback(html! { p.skeleton { "Loading your recently viewed…" } }))
        },
    )
}

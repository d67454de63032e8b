//! The benchmark page: a ~5 KB article with three server islands, served by
//! mochi at `/`, and the same page and fragments written with plain
//! actix-web + maud handlers under `/plain/`: the baseline every mochi
//! benchmark is measured against, in the same binary and the same run.
//!
//! Run it with `cargo run --release -p example-bench-page` (`PORT` picks the
//! port, default 8080; `MOCHI_KEY` the signing key; `BENCH_ROUTES` =
//! `all` (default), `mochi` or `plain` serves one side only; `WORKERS` the
//! number of actix workers; `BENCH_SERVER=axum` serves it all on axum
//! instead, see [`axum_app`]). The load benchmark is `bench/load.py`, the
//! in-process ones `cargo bench -p example-bench-page`; `BENCHMARKS.md`
//! has the method and the results.
//!
//! # What "the same page" means
//!
//! Both pages have the same *visible* HTML: the same document, the same
//! article and the same fallback markup in the same places. They differ only
//! in what carries each island:
//!
//! - the mochi page (`/`) has `(mochi::runtime_script())` in its head and a
//!   `<mochi-server-island component-name=… island-id=… signed-props=…>`
//!   around each fallback;
//! - the plain page (`/plain/`) has no script and a
//!   `<div data-fragment="/plain/island/{Name}">` around each fallback: what a
//!   hand-written page that loads its fragments itself would carry.
//!
//! The fragments are byte-identical: `/_mochi/island/{Name}?p=…` and
//! `/plain/island/{Name}` answer the same body with the same headers
//! (`Content-Type`, `Cache-Control: private, no-store`, `X-Robots-Tag`, and
//! the hardening headers `X-Content-Type-Options: nosniff`, `X-Frame-Options`
//! and `Content-Security-Policy: frame-ancestors`, which a fragment endpoint
//! hardened the same way would send). The
//! plain fragment handlers take no parameters at all (their props are
//! constants) and ignore any query string, so the baseline is as cheap as a
//! fragment handler can be: the ratio charges mochi for everything it does,
//! token verification and props decoding included. The load script sends the
//! plain handlers the same `?p=…` query so both requests have the same size.
//!
//! Both sides render the fragment markup with the same plain maud functions
//! ([`avatar_html`], [`cart_count_html`], [`greeting_html`]); the islands only
//! add where their inputs come from (request context, verified props).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup, Render, DOCTYPE};
use mochi::island;

mod on_axum;

pub use on_axum::axum_app;

/// The `CartCount` props the page uses.
pub const CART_COUNT: u32 = 3;
/// The `CartCount` label the page uses.
pub const CART_LABEL: &str = "items";
/// The `Greeting` name the page uses.
pub const GREETING_NAME: &str = "Ada";
/// The user when the `user` cookie is absent.
pub const DEFAULT_USER: &str = "guest";

// ---------------------------------------------------------------------------
// Fragment markup, shared by the islands and the plain handlers.

/// `<img src="/avatar/{user}.png" alt="{user}"> <span>Welcome back, {user}!</span>`
pub fn avatar_html(user: &str) -> Markup {
    html! { img src={ "/avatar/" (user) ".png" } alt=(user); " " span { "Welcome back, " (user) "!" } }
}

/// `<span class="cart">{count} {label}</span>`
pub fn cart_count_html(count: u32, label: &str) -> Markup {
    html! { span.cart { (count) " " (label) } }
}

/// `<p>Hello, {name}!</p>`
pub fn greeting_html(name: &str) -> Markup {
    html! { p { "Hello, " (name) "!" } }
}

/// The markup of a `LikeButton` (the hydrated island of the many-islands page).
pub fn like_button_html(n: u32, label: &str) -> Markup {
    html! { button.like type="button" { (label) " " span.likes { (n) } } }
}

/// The avatar's fallback.
pub fn avatar_fallback() -> Markup {
    html! { span.skeleton { "Loading…" } }
}

/// The cart count's fallback.
pub fn cart_count_fallback() -> Markup {
    html! { span.cart { "… items" } }
}

/// The greeting's fallback.
pub fn greeting_fallback() -> Markup {
    html! { p.skeleton { "Hello!" } }
}

// ---------------------------------------------------------------------------
// The islands.

/// The user from the `user` cookie (default `guest`), with a welcome.
#[island(defer)]
pub fn avatar() -> Markup {
    let user = mochi::request_context().cookie("user");
    avatar_html(user.as_deref().unwrap_or(DEFAULT_USER))
}

/// `count` items in the cart.
#[island(defer)]
pub fn cart_count(count: u32, label: String) -> Markup {
    cart_count_html(count, &label)
}

/// Greets `name`.
#[island(defer)]
pub fn greeting(name: String) -> Markup {
    greeting_html(&name)
}

/// A like button, hydrated by `static/like.js` (only on the many-islands
/// page of the criterion benchmarks).
#[island(client = "static/like.js")]
pub fn like_button(n: u32, label: String) -> Markup {
    like_button_html(n, &label)
}

// ---------------------------------------------------------------------------
// The page.

/// The bench page around its three island slots; `head` goes at the end of
/// `<head>`. Generic so each side renders its slots straight into the page.
pub fn document(
    head: impl Render,
    avatar: impl Render,
    cart: impl Render,
    greeting: impl Render,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "The Mochi Journal: a short history of rice cakes" }
                (head)
            }
            body {
                header.site {
                    a.brand href="/" { "The Mochi Journal" }
                    nav {
                        a href="/archive" { "Archive" } " · "
                        a href="/about" { "About" }
                    }
                    div.account { (avatar) " · " (cart) }
                }
                main {
                    article {
                        h1 { "A short history of rice cakes" }
                        (greeting)
                        p.lede {
                            "Mochi is made from glutinous rice that is steamed, then pounded "
                            "until it turns into a smooth, elastic dough. The result is soft, "
                            "chewy and mild, and it carries sweet and savoury fillings equally "
                            "well. Few foods have travelled so far while staying so simple."
                        }
                        h2 { "Pounding the rice" }
                        p {
                            "The traditional method, mochitsuki, is a two-person ceremony. One "
                            "person swings a heavy wooden mallet, the kine, into a stone or "
                            "wooden mortar, the usu; the other turns and wets the dough between "
                            "strokes. The rhythm has to be exact: a late hand meets the mallet. "
                            "Families still gather to pound rice in the last days of the year."
                        }
                        p {
                            "Machines took over most of the work in the twentieth century. A "
                            "home mochi maker steams the rice and kneads it with a paddle, which "
                            "gives a slightly finer texture than hand pounding. Purists say the "
                            "mallet leaves tiny pockets of air that make the cake lighter."
                        }
                        h2 { "Kinds of mochi" }
                        ul {
                            li { strong { "Daifuku" } ": a round cake filled with sweet red bean paste." }
                            li { strong { "Ichigo daifuku" } ": daifuku with a whole strawberry inside." }
                            li { strong { "Kirimochi" } ": dried blocks, grilled until they puff up." }
                            li { strong { "Kusa mochi" } ": coloured and scented with mugwort leaves." }
                            li { strong { "Sakura mochi" } ": pink rice wrapped in a pickled cherry leaf." }
                            li { strong { "Warabi mochi" } ": not rice at all, but bracken starch jelly." }
                        }
                        h2 { "New Year" }
                        p {
                            "At New Year, two stacked discs of mochi topped with a bitter orange, "
                            "the kagami mochi, are set on the household altar. They are broken "
                            "and eaten in the second week of January, usually in a sweet red "
                            "bean soup called oshiruko, or in zoni, a clear soup whose recipe "
                            "changes from one region, and one family, to the next."
                        }
                        p {
                            "Every year the newspapers print the same warning: cut the mochi "
                            "into small pieces and chew it well. It is a sticky food, and the "
                            "festive season sees a steady trickle of emergency calls."
                        }
                        h2 { "Beyond Japan" }
                        p {
                            "Mochi ice cream, a scoop of ice cream wrapped in a thin layer of "
                            "dough, was popularised in the United States in the 1990s and is now "
                            "sold in supermarkets across the world. In Hawaii, butter mochi is "
                            "baked in a tray like a cake, with coconut milk and plenty of sugar."
                        }
                        p {
                            "Similar rice cakes exist throughout East Asia: Korean tteok, Chinese "
                            "niangao and Filipino biko all start from glutinous rice, and each "
                            "has its own festivals, shapes and fillings."
                        }
                        h2 { "Mochi in the kitchen today" }
                        p {
                            "Modern confectioners treat the dough as a canvas. Seasonal shops "
                            "change their window every few weeks: chestnut and sweet potato in "
                            "autumn, yuzu in winter, cherry blossom in spring and cool, "
                            "translucent cakes filled with fruit jelly in the summer heat. Some "
                            "of these shops have been run by the same family for centuries."
                        }
                        p {
                            "Savoury mochi is just as common. Isobe yaki is grilled mochi dipped "
                            "in soy sauce and wrapped in a strip of toasted seaweed; chikara "
                            "udon, the noodle soup of strength, hides a grilled cake under its "
                            "noodles. Cheese and mochi, melted together, turn up on pizzas, in "
                            "gratins and between two slices of toast."
                        }
                        h3 { "What to look for when buying" }
                        ul {
                            li { "A short ingredient list: glutinous rice, water, perhaps sugar." }
                            li { "A soft, yielding surface, neither dry nor sticky to the touch." }
                            li { "A best-before date of a day or two for fresh, filled cakes." }
                        }
                        h2 { "Making it at home" }
                        ol {
                            li { "Soak 500 g of glutinous rice overnight, then drain it well." }
                            li { "Steam the rice for about 40 minutes, until it is translucent." }
                            li { "Pound or knead it while hot, wetting your hands as you go." }
                            li { "Divide the dough, dust it with potato starch and shape it." }
                        }
                        p {
                            "Eat it the same day: mochi hardens within hours. Hard mochi is not "
                            "wasted, though: grilled or fried, it becomes crisp outside and "
                            "molten inside, which many people prefer."
                        }
                    }
                }
                footer {
                    p { "© The Mochi Journal. Set in plain HTML; no rice was harmed." }
                }
            }
        }
    }
}

/// The bench page rendered by mochi (inside a mochi request or
/// [`mochi::Mochi::render_page`]).
pub fn mochi_page() -> Markup {
    document(
        mochi::runtime_script(),
        avatar().fallback(avatar_fallback()),
        cart_count(CART_COUNT, CART_LABEL.into()).fallback(cart_count_fallback()),
        greeting(GREETING_NAME.into()).fallback(greeting_fallback()),
    )
}

/// The plain page's island slot: the fallback in a `<div>` that names its
/// fragment's URL.
pub fn plain_slot(name: &str, fallback: impl Render) -> Markup {
    html! { div data-fragment={ "/plain/island/" (name) } { (fallback) } }
}

/// The bench page without mochi: the baseline.
pub fn plain_page() -> Markup {
    document(
        "",
        plain_slot("Avatar", avatar_fallback()),
        plain_slot("CartCount", cart_count_fallback()),
        plain_slot("Greeting", greeting_fallback()),
    )
}

// ---------------------------------------------------------------------------
// The many-islands page (criterion only).

/// How many of each island kind the many-islands page has.
pub const MANY: u32 = 50;
/// How many distinct props they cycle through.
pub const DISTINCT_PROPS: u32 = 10;

fn many_document(body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { "Many islands" } }
            body { main { (body) } }
        }
    }
}

/// 50 server islands and 50 hydrated islands, 10 distinct props each, in
/// mochi.
pub fn many_islands_page() -> Markup {
    many_document(html! {
        (mochi::runtime_script())
        @for i in 0..MANY {
            section {
                (cart_count(i % DISTINCT_PROPS, CART_LABEL.into()).fallback(cart_count_fallback()))
                (like_button(i % DISTINCT_PROPS, "Like".into()))
            }
        }
    })
}

/// The same visible markup as [`many_islands_page`] in plain maud: each
/// server island's fallback and each hydrated island's HTML in a `<div>`.
pub fn many_islands_plain() -> Markup {
    many_document(html! {
        @for i in 0..MANY {
            section {
                (plain_slot("CartCount", cart_count_fallback()))
                div { (like_button_html(i % DISTINCT_PROPS, "Like")) }
            }
        }
    })
}

// ---------------------------------------------------------------------------
// Handlers.

fn html_response(body: Markup) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(body.into_string())
}

/// A fragment answer with the headers mochi's island endpoint sends
/// (`tests/bench_page.rs` compares them).
fn fragment_response(body: Markup) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header(("x-robots-tag", "noindex"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "SAMEORIGIN"))
        .insert_header((header::CONTENT_SECURITY_POLICY, "frame-ancestors 'self'"))
        .body(body.into_string())
}

async fn mochi_index() -> HttpResponse {
    html_response(mochi_page())
}

async fn plain_index() -> HttpResponse {
    html_response(plain_page())
}

async fn plain_avatar(req: HttpRequest) -> HttpResponse {
    let user = req.cookie("user");
    let user = user.as_ref().map_or(DEFAULT_USER, |c| c.value());
    fragment_response(avatar_html(user))
}

async fn plain_cart_count() -> HttpResponse {
    fragment_response(cart_count_html(CART_COUNT, CART_LABEL))
}

async fn plain_greeting() -> HttpResponse {
    fragment_response(greeting_html(GREETING_NAME))
}

/// The mochi page at `/`; wrap the `App` (or the scope) with a
/// [`mochi::Mochi`], which serves the island endpoint.
pub fn mochi_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(mochi_index));
}

/// The baseline, to be mounted under `/plain` (`web::scope("/plain")`):
/// the page at `/plain/` and the fragments at `/plain/island/{Name}`.
pub fn plain_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(plain_index))
        .route("/island/Avatar", web::get().to(plain_avatar))
        .route("/island/CartCount", web::get().to(plain_cart_count))
        .route("/island/Greeting", web::get().to(plain_greeting));
}

/// Which side of the benchmark an app serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routes {
    /// Both: `/plain/…` outside the mochi middleware, the rest inside it.
    All,
    /// Only the mochi page and mochi's endpoint.
    Mochi,
    /// Only the plain baseline, without the mochi middleware.
    Plain,
}

impl Routes {
    /// Reads `BENCH_ROUTES` (`all`, `mochi` or `plain`; unset is `all`).
    pub fn from_env() -> Result<Routes, String> {
        match std::env::var("BENCH_ROUTES").as_deref() {
            Err(_) | Ok("all") => Ok(Routes::All),
            Ok("mochi") => Ok(Routes::Mochi),
            Ok("plain") => Ok(Routes::Plain),
            Ok(other) => Err(format!(
                "BENCH_ROUTES must be `all`, `mochi` or `plain`, got {other:?}"
            )),
        }
    }
}

/// Builds the app serving `routes`. The plain routes never pass through the
/// mochi middleware, so the baseline pays nothing for mochi.
pub fn app(
    mochi: mochi::Mochi,
    routes: Routes,
) -> actix_web::App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let app = actix_web::App::new();
    let plain = matches!(routes, Routes::All | Routes::Plain);
    let with_mochi = matches!(routes, Routes::All | Routes::Mochi);
    app.configure(|cfg| {
        if plain {
            cfg.service(web::scope("/plain").configure(plain_routes));
        }
        if with_mochi {
            cfg.service(web::scope("").wrap(mochi).configure(mochi_routes));
        }
    })
}

//! Server islands that must compile: sync, async, `Result`, no props,
//! `name = …`, `cache = …`, `blocking`, `pub` and docs kept.

use maud::{html, Markup};
use mochi::{island, ServerIsland};

/// Sync, `Markup`.
#[island(defer)]
pub fn ui_user_avatar(size: u32, alt: String) -> Markup {
    html! { img width=(size) alt=(alt); }
}

#[island(defer)]
async fn ui_recommendations(product: u64) -> Markup {
    html! { (product) }
}

#[derive(Debug)]
struct BackendDown;

impl std::fmt::Display for BackendDown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("backend down")
    }
}

#[island(defer)]
async fn ui_fallible(fail: bool) -> Result<Markup, BackendDown> {
    if fail {
        return Err(BackendDown);
    }
    Ok(html! { "ok" })
}

/// On the blocking pool, with `Send` props of several kinds.
#[island(defer, blocking, timeout = "2s", cache = "public, max-age=5")]
fn ui_blocking(n: u32, tags: Vec<String>, pair: (i8, Option<String>)) -> Markup {
    std::thread::sleep(std::time::Duration::from_millis(1));
    html! { (n) (tags.len()) (pair.0) }
}

/// Blocking, without props, returning `Result`.
#[island(blocking, defer)]
fn ui_blocking_result() -> Result<Markup, BackendDown> {
    Ok(html! { "ok" })
}

#[island(defer, name = "UiRenamed", cache = "public, max-age=60", timeout = "250ms")]
fn ui_no_props() -> Markup {
    html! { "static" }
}

#[island(defer)]
fn ui_mut_param(mut n: u32, items: Vec<String>, pair: (i8, Option<String>)) -> Markup {
    n += 1;
    html! { (n) (items.len()) (pair.0) }
}

/// `'static` borrows nothing a deserializer would need.
#[island(defer)]
fn ui_cow(label: std::borrow::Cow<'static, str>) -> Markup {
    html! { (label) }
}

struct Shop;

impl Shop {
    /// An associated function (no `self`) works too.
    #[island(defer)]
    fn ui_shop_cart(items: u32) -> Markup {
        html! { (items) }
    }
}

mod nested {
    use super::*;

    #[island(defer)]
    pub(crate) fn ui_nested(x: u8) -> Markup {
        html! { (x) }
    }
}

fn main() {
    let islands: [ServerIsland; 9] = [
        ui_blocking(1, Vec::new(), (0, None)),
        ui_blocking_result(),
        ui_cow("x".into()),
        Shop::ui_shop_cart(2),
        ui_user_avatar(64, "me".into()),
        ui_recommendations(7)
            .defer_on_visible()
            .root_margin("200px"),
        ui_fallible(false).retries(3),
        ui_mut_param(1, Vec::new(), (0, None)),
        nested::ui_nested(1),
    ];
    // A fallback is kept as given: its type is part of the island's.
    let with_fallback: ServerIsland<Markup> = ui_no_props().fallback(html! { "…" });
    let _ = (islands, with_fallback);
}

//! Server islands, `#[island(defer)]`: what the expansion registers, what a
//! call puts into the page, and what the endpoint renders from the props.
#![deny(missing_docs)]

mod common;

use common::{
    answer, answer_of, attr, attrs, def, mochi, mochi_and_keys, render, without_signed_props,
};
use maud::{html, Markup};
use mochi::island;
use serde::{Deserialize, Serialize};

/// Shows the number of items in the cart.
#[island(defer)]
pub fn cart_count(items: u32) -> Markup {
    html! { span.cart { (items) " items" } }
}

#[island(defer)]
async fn recommendations(product: u64, limit: u8) -> Markup {
    std::future::ready(()).await;
    html! { ol { @for i in 0..limit { li { (product) "-" (i) } } } }
}

#[derive(Debug)]
struct BackendDown;

impl std::fmt::Display for BackendDown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("backend down")
    }
}

#[island(defer)]
async fn flaky(fail: bool) -> Result<Markup, BackendDown> {
    if fail {
        return Err(BackendDown);
    }
    Ok(html! { "fine" })
}

#[island(defer)]
fn parsed(text: String) -> Result<Markup, std::num::ParseIntError> {
    let n: i64 = text.parse()?;
    Ok(html! { (n * 2) })
}

#[island(defer)]
fn greeting() -> Markup {
    html! { "hello" }
}

/// Runs on the blocking pool; its error type need not be `Send`.
#[island(defer, blocking)]
fn stock_level(product: u32) -> Result<Markup, std::rc::Rc<str>> {
    if product == 0 {
        return Err("no such product".into());
    }
    Ok(html! { (product % 7) " in stock" })
}

#[island(defer, cache = "public, max-age=60")]
fn cached_banner(text: String) -> Markup {
    html! { (text) }
}

#[derive(Debug, Serialize, Deserialize)]
struct Filter {
    tags: Vec<String>,
    max_price: Option<u32>,
}

#[island(defer)]
fn search_results(query: String, filter: Filter, page: Option<u16>) -> Markup {
    html! {
        "Results for " (query) " tagged " (filter.tags.join("+"))
        " under " (filter.max_price.unwrap_or(0)) " page " (page.unwrap_or(1))
    }
}

/// Public islands stay public (and keep their docs: this crate denies
/// `missing_docs`).
pub mod public {
    use super::*;

    /// The footer, rendered late.
    #[island(defer)]
    pub fn late_footer(year: u16) -> Markup {
        html! { footer { "© " (year) } }
    }
}

#[test]
fn registers_every_server_island() {
    let names: Vec<_> = mochi::islands().unwrap().iter().map(|d| d.name()).collect();
    assert_eq!(
        names,
        [
            "CachedBanner",
            "CartCount",
            "Flaky",
            "Greeting",
            "LateFooter",
            "Parsed",
            "Recommendations",
            "SearchResults",
            "StockLevel",
        ]
    );
    for d in mochi::islands().unwrap() {
        assert!(d.is_server_island(), "{} has an endpoint", d.name());
        assert!(!d.is_hydrated(), "{} has no client module", d.name());
        assert!(
            d.location().contains("server_islands.rs:"),
            "{}",
            d.location()
        );
        let def = def(d.name());
        assert!(def.file.ends_with("server_islands.rs"), "{}", def.file);
        assert!(def.line > 0);
    }
}

#[test]
fn registration_details() {
    let cart = def("CartCount");
    assert_eq!(cart.module_path, "server_islands");
    assert!(cart.has_props);
    assert_eq!(cart.cache_control, None);
    assert_eq!(cart.hydrate, mochi::Hydrate::Load);
    assert!(cart.location().contains("server_islands::CartCount"));

    assert!(!def("Greeting").has_props);
    assert_eq!(
        def("CachedBanner").cache_control,
        Some("public, max-age=60")
    );
    assert_eq!(def("LateFooter").module_path, "server_islands::public");
    assert!(def("StockLevel").blocking);
    assert!(!cart.blocking);
}

#[test]
fn call_renders_fallback_inside_the_element() {
    let (mochi, keys) = mochi_and_keys();
    let page = render(&mochi, || {
        html! { main { (cart_count(3).fallback(html! { span.skeleton { "Loading…" } }))} }
    });
    assert_eq!(
        without_signed_props(&page),
        "<main><mochi-server-island component-name=\"CartCount\" island-id=\"i0\" \
         signed-props=\"…\"><span class=\"skeleton\">Loading…</span>\
         </mochi-server-island></main>"
    );
    let token = attr(&page, "signed-props").unwrap();
    let payload =
        mochi::__private::verify(&keys, "CartCount", token).expect("signed for CartCount");
    assert_eq!(String::from_utf8(payload).unwrap(), r#"[{"items":1},3]"#);
    // Bound to the name: worthless for another island.
    assert!(mochi::__private::verify(&keys, "Greeting", token).is_err());
}

#[test]
fn no_fallback_renders_an_empty_element() {
    let page = render(&mochi(), || html! { (greeting()) });
    assert_eq!(
        without_signed_props(&page),
        "<mochi-server-island component-name=\"Greeting\" island-id=\"i0\" signed-props=\"…\">\
         </mochi-server-island>"
    );
}

#[test]
fn a_fallback_is_any_render() {
    let page = render(&mochi(), || html! { (greeting().fallback("<b>")) });
    assert!(
        page.contains("\">&lt;b&gt;</mochi-server-island>"),
        "{page}"
    );
}

#[test]
fn defer_on_visible_root_margin_and_retries() {
    let mochi = mochi();
    let visible = render(&mochi, || {
        html! { (recommendations(7, 2).defer_on_visible()) }
    });
    assert!(
        visible.ends_with("\" defer-on=\"visible\"></mochi-server-island>"),
        "{visible}"
    );
    assert_eq!(attr(&visible, "root-margin"), None);

    let margin = render(&mochi, || {
        html! { (recommendations(7, 2).root_margin("200px").fallback("…")) }
    });
    assert!(
        margin.ends_with("\" defer-on=\"visible\" root-margin=\"200px\">…</mochi-server-island>"),
        "{margin}"
    );

    let retries = render(&mochi, || html! { (recommendations(7, 2).retries(3)) });
    assert!(
        retries.ends_with("\" retries=\"3\"></mochi-server-island>"),
        "{retries}"
    );
    assert_eq!(attr(&retries, "defer-on"), None);
    let capped = render(&mochi, || html! { (recommendations(7, 2).retries(99)) });
    assert_eq!(attr(&capped, "retries"), Some("10"));

    let all = render(&mochi, || {
        html! { (recommendations(7, 2).retries(0).root_margin("\"><x>").fallback("f")) }
    });
    assert!(
        all.ends_with(
            "\" defer-on=\"visible\" root-margin=\"&quot;&gt;&lt;x&gt;\" retries=\"0\">f\
             </mochi-server-island>"
        ),
        "{all}"
    );
}

#[test]
fn ids_count_up_within_a_page_and_restart_per_page() {
    let mochi = mochi();
    let page = || html! { (cart_count(1)) (greeting()) (cart_count(1)) };
    let first = render(&mochi, page);
    assert_eq!(attrs(&first, "island-id"), ["i0", "i1", "i2"]);
    assert_eq!(render(&mochi, page), first, "same page, same markup");
}

#[test]
fn same_props_same_token() {
    let mochi = mochi();
    let page = render(
        &mochi,
        || html! { (cart_count(5)) (cart_count(5)) (cart_count(6)) },
    );
    let tokens = attrs(&page, "signed-props");
    assert_eq!(tokens.len(), 3);
    assert_eq!(tokens[0], tokens[1]);
    assert_ne!(tokens[0], tokens[2]);
}

#[test]
fn props_round_trip_through_the_endpoint() {
    let filter = Filter {
        tags: vec!["red".into(), "</script>".into()],
        max_price: Some(30),
    };
    assert_eq!(
        answer_of(|| search_results("socks & shoes".into(), filter, None)).unwrap(),
        "Results for socks &amp; shoes tagged red+&lt;/script&gt; under 30 page 1"
    );
}

#[test]
fn endpoint_renders_sync_async_and_results() {
    assert_eq!(
        answer_of(|| cart_count(3)).unwrap(),
        "<span class=\"cart\">3 items</span>"
    );
    assert_eq!(
        answer("Recommendations", r#"[{"product":1,"limit":2},7,2]"#).unwrap(),
        "<ol><li>7-0</li><li>7-1</li></ol>"
    );
    assert_eq!(answer("Greeting", "[{}]").unwrap(), "hello");
    assert_eq!(answer("Flaky", r#"[{"fail":1},false]"#).unwrap(), "fine");
    assert_eq!(
        answer("Flaky", r#"[{"fail":1},true]"#).unwrap_err(),
        "render: backend down"
    );
    assert_eq!(answer("Parsed", r#"[{"text":1},"21"]"#).unwrap(), "42");
    assert_eq!(answer_of(|| stock_level(9)).unwrap(), "2 in stock");
    assert_eq!(
        answer("StockLevel", r#"[{"product":1},0]"#).unwrap_err(),
        "render: no such product"
    );
    assert!(answer("Parsed", r#"[{"text":1},"x"]"#)
        .unwrap_err()
        .starts_with("render: "));
    assert_eq!(
        answer("LateFooter", r#"[{"year":1},2025]"#).unwrap(),
        "<footer>© 2025</footer>"
    );
}

#[test]
fn endpoint_rejects_props_that_do_not_fit() {
    for bad in [
        r#"[{"items":1},"three"]"#,
        r#"[{"items":1},-1]"#,
        r#"[{}]"#,
        r#"[{"count":1},3]"#,
        "[",
        "",
    ] {
        let err = answer("CartCount", bad).unwrap_err();
        assert!(err.starts_with("decode: "), "{bad}: {err}");
    }
}

#[test]
fn outside_a_page_the_island_cannot_be_signed() {
    let html = maud::Render::render(&cart_count(1).fallback("x")).into_string();
    assert_eq!(attr(&html, "signed-props"), None);
    assert!(html.starts_with("<mochi-server-island component-name=\"CartCount\""));
}

#[test]
fn call_site_accessors() {
    let mochi = mochi();
    mochi.render_page(|| {
        let island = public::late_footer(2025);
        assert_eq!(island.island_id(), "i0");
        assert!(island.signed_props().is_some());
    });
}

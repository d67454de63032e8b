//! Live server islands at the call site: `reload_on`, `refresh_every` and
//! `error_fallback` and what they put into the page.
#![deny(missing_docs)]

mod common;

use std::time::Duration;

use common::{attr, mochi, render};
use maud::{html, Markup};
use mochi::island;

#[island(defer)]
fn cart_badge(items: u32) -> Markup {
    html! { span { (items) } }
}

#[test]
fn no_live_options_no_live_markup() {
    let page = render(&mochi(), || html! { (cart_badge(1).fallback("f")) });
    assert_eq!(attr(&page, "reload-on"), None);
    assert_eq!(attr(&page, "refresh-every"), None);
    assert!(!page.contains("<template"), "{page}");
}

#[test]
fn reload_on_appends_names_and_escapes_them() {
    let page = render(&mochi(), || {
        html! { (cart_badge(1).reload_on(["cart:changed"]).reload_on(vec!["a\"<b>&".to_string(), "c".into()])) }
    });
    assert_eq!(
        attr(&page, "reload-on"),
        Some("cart:changed a&quot;&lt;b&gt;&amp; c")
    );
}

/// One event name is as good as a list of one.
#[test]
fn reload_on_takes_one_name_or_several() {
    let one = render(
        &mochi(),
        || html! { (cart_badge(1).reload_on("cart:changed")) },
    );
    assert_eq!(attr(&one, "reload-on"), Some("cart:changed"));
    let names = ["a".to_string(), "b".to_string()];
    let page = render(&mochi(), || {
        html! { (cart_badge(1).reload_on(String::from("s")).reload_on(&names[..]).reload_on(&names[0])) }
    });
    assert_eq!(attr(&page, "reload-on"), Some("s a b a"));
}

#[test]
fn reload_on_skips_empty_names_and_names_with_whitespace() {
    let page = render(&mochi(), || {
        html! { (cart_badge(1).reload_on(["", "two words", "tab\there", "nbsp\u{a0}", "ok"])) }
    });
    assert_eq!(attr(&page, "reload-on"), Some("ok"));
    let none = render(&mochi(), || html! { (cart_badge(1).reload_on(["a b"])) });
    assert_eq!(attr(&none, "reload-on"), None, "{none}");
}

#[test]
fn refresh_every_is_milliseconds_with_a_one_second_floor() {
    let mochi = mochi();
    let every = |d: Duration| {
        let page = render(&mochi, || html! { (cart_badge(1).refresh_every(d)) });
        attr(&page, "refresh-every").map(str::to_owned)
    };
    assert_eq!(every(Duration::from_millis(2500)).as_deref(), Some("2500"));
    assert_eq!(every(Duration::from_millis(10)).as_deref(), Some("1000"));
    assert_eq!(every(Duration::ZERO).as_deref(), Some("1000"));
    // Browsers fire longer timers at once: capped at their limit.
    assert_eq!(every(Duration::MAX).as_deref(), Some("2147483647"));
}

#[test]
fn error_fallback_is_a_template_after_the_fallback() {
    let mochi = mochi();
    let page = render(&mochi, || {
        html! {
            (cart_badge(1)
                .error_fallback(html! { span.err { "Cart unavailable" } })
                .fallback(html! { span { "Loading…" } })
                .reload_on(["cart:changed"])
                .refresh_every(Duration::from_secs(30))
                .retries(1))
        }
    });
    assert!(
        page.ends_with(
            "\" retries=\"1\" reload-on=\"cart:changed\" refresh-every=\"30000\">\
             <span>Loading…</span>\
             <template mochi-error-fallback><span class=\"err\">Cart unavailable</span></template>\
             </mochi-server-island>"
        ),
        "{page}"
    );
    // Given twice: the last one wins, written once.
    let twice = render(&mochi, || {
        html! { (cart_badge(1).error_fallback("first").error_fallback("second")) }
    });
    assert!(
        twice.ends_with("><template mochi-error-fallback>second</template></mochi-server-island>"),
        "{twice}"
    );
    // Text is escaped like any maud splice.
    let escaped = render(&mochi, || html! { (cart_badge(1).error_fallback("<b>")) });
    assert!(
        escaped.contains("<template mochi-error-fallback>&lt;b&gt;</template>"),
        "{escaped}"
    );
}

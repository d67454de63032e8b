//! Island names: the function name in PascalCase unless `name = "…"`, the
//! module path kept for messages, and the list of what is registered.

mod common;

use common::{attr, def, mochi_and_keys, render};
use maud::{html, Markup};
use mochi::island;

#[island(defer)]
fn user_avatar(size: u32) -> Markup {
    html! { (size) }
}

#[island(defer)]
fn cart_count2(n: u8) -> Markup {
    html! { (n) }
}

#[island(defer)]
fn r#type(kind: String) -> Markup {
    html! { (kind) }
}

// The user's attributes stay on the function: no `non_snake_case` warnings.
#[island(defer)]
#[allow(non_snake_case)]
fn _leading__and_double_underscores() -> Markup {
    html! {}
}

#[allow(non_snake_case)]
#[island(defer)]
fn already_PascalCase_ish() -> Markup {
    html! {}
}

#[island(defer, name = "Basket")]
fn shopping_cart(items: u32) -> Markup {
    html! { (items) }
}

#[island(client = "tests/static/counter.js", name = "Click_Counter_2")]
fn counter(count: i64) -> Markup {
    html! { (count) }
}

mod nested {
    pub(crate) mod deeper {
        use super::super::*;

        #[island(defer)]
        pub(crate) fn deep_thought(answer: u8) -> Markup {
            html! { (answer) }
        }
    }
}

struct Widgets;

impl Widgets {
    #[island(defer)]
    fn widget_list(n: u8) -> Markup {
        html! { (n) }
    }
}

#[test]
fn lists_every_island_by_name() {
    let names: Vec<_> = mochi::islands().unwrap().iter().map(|d| d.name()).collect();
    assert_eq!(
        names,
        [
            "AlreadyPascalCaseIsh",
            "Basket",
            "CartCount2",
            "Click_Counter_2",
            "DeepThought",
            "LeadingAndDoubleUnderscores",
            "Type",
            "UserAvatar",
            "WidgetList",
        ]
    );
}

#[test]
fn module_paths() {
    assert_eq!(def("UserAvatar").module_path, "naming");
    assert_eq!(def("DeepThought").module_path, "naming::nested::deeper");
    assert_eq!(def("WidgetList").module_path, "naming");
    assert_eq!(
        def("DeepThought").location().split(" (").next().unwrap(),
        "naming::nested::deeper::DeepThought"
    );
    assert!(def("DeepThought").location().contains("naming.rs:"));
}

#[test]
fn has_props() {
    assert!(def("UserAvatar").has_props);
    assert!(!def("LeadingAndDoubleUnderscores").has_props);
    assert!(!def("AlreadyPascalCaseIsh").has_props);
}

#[test]
fn the_name_is_on_the_element_and_in_the_signature() {
    let (mochi, keys) = mochi_and_keys();
    let page = render(&mochi, || {
        html! {
            (user_avatar(1)) (cart_count2(2)) (r#type("t".into())) (shopping_cart(3))
            (nested::deeper::deep_thought(42)) (Widgets::widget_list(1))
        }
    });
    let names: Vec<_> = common::attrs(&page, "component-name");
    assert_eq!(
        names,
        [
            "UserAvatar",
            "CartCount2",
            "Type",
            "Basket",
            "DeepThought",
            "WidgetList"
        ]
    );
    let basket = &page[page.find("component-name=\"Basket\"").unwrap()..];
    let token = attr(basket, "signed-props").unwrap();
    assert!(mochi::__private::verify(&keys, "Basket", token).is_ok());
    assert!(mochi::__private::verify(&keys, "ShoppingCart", token).is_err());
}

#[test]
fn a_renamed_hydrated_island_names_its_module_url() {
    let (mochi, _) = mochi_and_keys();
    let page = render(&mochi, || html! { (counter(1)) });
    let hash = def("Click_Counter_2").client.unwrap().hash();
    assert_eq!(attr(&page, "component-name"), Some("Click_Counter_2"));
    assert_eq!(
        attr(&page, "client"),
        Some(format!("/_mochi/client/Click_Counter_2-{hash}.js").as_str())
    );
}

#[test]
fn every_name_is_a_valid_island_name() {
    for d in mochi::islands().unwrap() {
        assert!(mochi::__private::is_valid_name(d.name()), "{}", d.name());
    }
}

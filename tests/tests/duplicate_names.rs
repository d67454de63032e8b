//! Two islands with one name anywhere in a binary stop startup with an error
//! naming both definitions. This is its own test binary: the duplicate
//! poisons the registry of every test linked with it.

use maud::{html, Markup};

mod shop {
    use super::*;

    /// One `Twin`.
    #[mochi::island(defer)]
    pub(crate) fn twin(n: u32) -> Markup {
        html! { (n) }
    }
}

mod blog {
    pub(crate) mod widgets {
        use maud::{html, Markup};

        /// The other `Twin`, under a custom name that collides.
        #[mochi::island(defer, name = "Twin")]
        pub(crate) fn another_twin(label: String) -> Markup {
            html! { (label) }
        }
    }
}

/// An innocent bystander with a unique name.
#[mochi::island(defer)]
fn unique() -> Markup {
    html! { "unique" }
}

const SHOP: &str = "duplicate_names::shop";
const BLOG: &str = "duplicate_names::blog::widgets";

#[test]
fn build_refuses_to_start_and_names_both_definitions() {
    let err = mochi::Mochi::builder(mochi::Key::generate())
        .build()
        .expect_err("a duplicate island name must stop startup");
    let mochi::StartupError::DuplicateIsland(dup) = &err else {
        panic!("expected DuplicateIsland, got {err:?}");
    };
    assert_eq!(dup.name, "Twin");
    let both = format!("{} {}", dup.first, dup.second);
    assert!(both.contains(SHOP) && both.contains(BLOG), "{both}");
    assert_ne!(dup.first, dup.second);

    let message = err.to_string();
    assert!(message.contains("Twin"), "{message}");
    assert!(message.contains(SHOP), "names the first module: {message}");
    assert!(message.contains(BLOG), "names the second module: {message}");
    assert!(
        message.contains("duplicate_names.rs"),
        "names the file: {message}"
    );
    // It says how to fix it.
    assert!(message.contains("name ="), "{message}");
}

#[test]
fn every_configuration_refuses() {
    // Valid settings, so the only reason to refuse is the duplicate.
    let key = mochi::Key::generate();
    let builders = [
        mochi::Mochi::builder(key.clone()),
        mochi::Mochi::builder(key.clone()).asset_prefix("/islands"),
        mochi::Mochi::builder(key.clone())
            .fallback_keys(vec![mochi::Key::generate()])
            .max_url_len(1024)
            .max_body_len(1024)
            .post_threshold(512),
        mochi::Mochi::builder(key.clone())
            .island_timeout(std::time::Duration::from_secs(1))
            .public_origin("https://shop.example")
            .allow_cross_site(true)
            .error_details(false),
        mochi::Mochi::builder(key).trust_forwarded_headers(),
        mochi::MochiBuilder::new(mochi::Keys::new(mochi::Key::generate(), Vec::new())),
    ];
    for (n, builder) in builders.into_iter().enumerate() {
        let err = builder.build().unwrap_err();
        assert!(
            matches!(err, mochi::StartupError::DuplicateIsland(_)),
            "{n}: {err}"
        );
    }
    // `Mochi::from_env` and `MochiBuilder::from_env` refuse too (this test
    // binary's environment has no MOCHI_KEY set, or a valid one).
    if std::env::var("MOCHI_KEY").is_err() {
        let err = mochi::Mochi::from_env().unwrap_err();
        assert!(
            matches!(err, mochi::StartupError::DuplicateIsland(_)),
            "{err}"
        );
    }
}

#[test]
fn listing_islands_is_an_error() {
    let err = mochi::islands().expect_err("listing a registry with a duplicate");
    assert_eq!(err.name, "Twin");
    let message = err.to_string();
    assert!(
        message.contains(SHOP) && message.contains(BLOG),
        "{message}"
    );
    // Asking again gives the same answer (no half-built registry).
    assert_eq!(mochi::islands().unwrap_err(), err);
}

#[test]
fn the_error_is_the_same_every_time() {
    let a = mochi::Mochi::builder(mochi::Key::generate())
        .build()
        .unwrap_err();
    let b = mochi::Mochi::builder(mochi::Key::generate())
        .build()
        .unwrap_err();
    assert_eq!(a, b);
}

#[test]
fn the_islands_themselves_still_render_as_markup() {
    // Calling the functions is harmless; only starting mochi refuses.
    let html = html! { (shop::twin(1)) (blog::widgets::another_twin("x".into())) (unique()) }
        .into_string();
    assert!(html.contains(r#"component-name="Twin""#), "{html}");
    assert!(html.contains(r#"component-name="Unique""#), "{html}");
}

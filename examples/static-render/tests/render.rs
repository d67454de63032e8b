//! The core renders islands into a page without any server: signed server
//! islands with their fallbacks, hydrated islands with one shared props
//! block, and the runtime script, with ids a page would get.

use mochi::{Key, Mochi};

#[test]
fn a_page_renders_its_islands_without_a_server() {
    let mochi = Mochi::builder(Key::generate())
        .build()
        .expect("mochi starts");
    let html = example_static_render::render(&mochi, &[1, 2]);
    assert!(
        html.contains(r#"<script type="module" async src="/_mochi/runtime-"#),
        "{html}"
    );
    assert_eq!(html.matches("<mochi-server-island").count(), 2, "{html}");
    assert!(
        html.contains(r#"component-name="PriceBadge" island-id="i0""#),
        "{html}"
    );
    assert!(html.contains("signed-props=\""), "{html}");
    assert_eq!(html.matches("<mochi-island").count(), 2, "{html}");
    assert!(html.contains(r#"client="/_mochi/client/Stars-"#), "{html}");
    // Each product's stars have their own props: two blocks.
    assert!(html.contains(r#"id="mochi-props-0""#), "{html}");
    assert!(html.contains(r#"id="mochi-props-1""#), "{html}");
    assert!(html.contains("4 stars for 2"), "{html}");
}

#[test]
fn the_same_page_renders_the_same_bytes() {
    let mochi = Mochi::builder(Key::generate())
        .build()
        .expect("mochi starts");
    let first = example_static_render::render(&mochi, &[7]);
    assert_eq!(first, example_static_render::render(&mochi, &[7]));
}

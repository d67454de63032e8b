//! Hydrated islands, `#[island(client = "…")]`: registration, the markup
//! with its props table and triggers, the island id, and islands that are
//! both deferred and hydrated.

mod common;

use common::{answer, attr, attrs, def, mochi, render, without_signed_props};
use maud::{html, Markup};
use mochi::{island, Hydrate};
use serde::Serialize;

/// Counts clicks.
#[island(client = "tests/static/counter.js")]
pub fn counter(count: i64) -> Markup {
    html! { button { (count) } }
}

#[island(client = "tests/static/counter.js", hydrate = "idle")]
fn idle_counter(count: i64) -> Markup {
    html! { button { (count) } }
}

#[island(client = "tests/static/counter.js", hydrate = "load")]
fn eager_counter(count: i64) -> Markup {
    html! { button { (count) } }
}

#[island(client = "tests/static/counter.js", hydrate = "visible")]
fn visible_counter(count: i64) -> Markup {
    html! { button { (count) } }
}

#[island(
    client = "tests/static/counter.js",
    hydrate = "visible",
    root_margin = "200px 0px"
)]
fn lazy_counter(count: i64) -> Markup {
    html! { button { (count) } }
}

#[island(
    client = "tests/static/counter.js",
    hydrate = "media",
    media = "(max-width: 600px)"
)]
fn mobile_counter(count: i64) -> Markup {
    html! { button { (count) } }
}

#[island(client = "tests/static/clock.js")]
fn clock() -> Markup {
    html! { time { "now" } }
}

#[island(client = "tests/static/whoami.js")]
fn whoami(tag: String) -> Markup {
    html! { span.id { (tag) "=" (mochi::island_id().unwrap_or_default()) } }
}

#[island(client = "tests/static/whoami.js")]
fn outer(tag: String) -> Markup {
    html! {
        b { (mochi::island_id().unwrap_or_default()) }
        (whoami(tag))
        i { (mochi::island_id().unwrap_or_default()) }
    }
}

/// Only `Serialize`: a hydrated island never decodes its props in Rust.
#[derive(Serialize)]
struct Label {
    text: String,
}

#[island(client = "tests/static/whoami.js")]
fn labelled(label: Label) -> Markup {
    html! { (label.text) }
}

#[island(defer, client = "tests/static/counter.js")]
async fn live_counter(count: i64) -> Markup {
    html! { button { (count) } }
}

#[island(defer, client = "tests/static/counter.js", hydrate = "visible")]
fn late_counter(count: i64) -> Result<Markup, String> {
    Ok(html! { button { (count) } })
}

fn client_url(name: &str) -> String {
    let module = def(name)
        .client
        .expect("a hydrated island has a client module");
    format!("/_mochi/client/{name}-{}.js", module.hash())
}

#[test]
fn registers_client_modules_and_triggers() {
    let counter = def("Counter");
    assert_eq!(counter.module_path, "hydrated_islands");
    assert!(
        counter.endpoint.is_none(),
        "a hydrated island has no endpoint"
    );
    assert!(counter.has_props);
    assert_eq!(counter.hydrate, Hydrate::Load);
    let module = counter.client.unwrap();
    assert_eq!(module.path(), "tests/static/counter.js");
    assert_eq!(module.source(), include_str!("static/counter.js"));
    let hash = module.hash();
    assert_eq!(hash.len(), 16);
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()), "{hash}");
    assert_eq!(def("IdleCounter").client.unwrap().hash(), hash, "same file");
    assert_ne!(def("Clock").client.unwrap().hash(), hash, "other file");

    assert_eq!(def("IdleCounter").hydrate, Hydrate::Idle);
    assert_eq!(def("EagerCounter").hydrate, Hydrate::Load);
    assert_eq!(
        def("VisibleCounter").hydrate,
        Hydrate::Visible { root_margin: None }
    );
    assert_eq!(
        def("LazyCounter").hydrate,
        Hydrate::Visible {
            root_margin: Some("200px 0px".into())
        }
    );
    assert_eq!(
        def("MobileCounter").hydrate,
        Hydrate::Media("(max-width: 600px)".into())
    );
    assert!(!def("Clock").has_props);
    assert_eq!(def("Clock").cache_control, None);

    let live = def("LiveCounter");
    assert!(live.endpoint.is_some() && live.client.is_some());
    assert_eq!(
        def("LateCounter").hydrate,
        Hydrate::Visible { root_margin: None }
    );
}

#[test]
fn renders_inline_with_its_props_block() {
    let page = render(&mochi(), || html! { (counter(3)) });
    assert_eq!(
        page,
        format!(
            "<script type=\"application/json\" id=\"mochi-props-0\">[{{\"count\":1}},3]</script>\
             <mochi-island component-name=\"Counter\" island-id=\"i0\" \
             props-ref=\"mochi-props-0\" client=\"{}\" hydrate-on=\"load\">\
             <button>3</button></mochi-island>",
            client_url("Counter")
        )
    );
}

#[test]
fn identical_props_share_one_block() {
    let page = render(&mochi(), || {
        html! { (counter(3)) (counter(3)) (counter(4)) (idle_counter(3)) }
    });
    assert_eq!(page.matches("<script").count(), 2, "{page}");
    assert_eq!(
        attrs(&page, "props-ref"),
        [
            "mochi-props-0",
            "mochi-props-0",
            "mochi-props-1",
            "mochi-props-0"
        ]
    );
    assert_eq!(attrs(&page, "island-id"), ["i0", "i1", "i2", "i3"]);
    // Each block comes right before the first island that uses it.
    assert!(page.contains(
        "<script type=\"application/json\" id=\"mochi-props-1\">[{\"count\":1},4]</script>\
         <mochi-island component-name=\"Counter\" island-id=\"i2\""
    ));
}

#[test]
fn no_props_no_block_no_ref() {
    let page = render(&mochi(), || html! { (clock()) });
    assert_eq!(
        page,
        format!(
            "<mochi-island component-name=\"Clock\" island-id=\"i0\" client=\"{}\" \
             hydrate-on=\"load\"><time>now</time></mochi-island>",
            client_url("Clock")
        )
    );
}

#[test]
fn triggers_from_the_attribute() {
    let mochi = mochi();
    let tail = |page: String| page[page.find(" hydrate-on=").unwrap()..].to_owned();
    assert_eq!(
        tail(render(&mochi, || html! { (idle_counter(1)) })),
        " hydrate-on=\"idle\"><button>1</button></mochi-island>"
    );
    assert_eq!(
        tail(render(&mochi, || html! { (eager_counter(1)) })),
        " hydrate-on=\"load\"><button>1</button></mochi-island>"
    );
    assert_eq!(
        tail(render(&mochi, || html! { (visible_counter(1)) })),
        " hydrate-on=\"visible\"><button>1</button></mochi-island>"
    );
    assert_eq!(
        tail(render(&mochi, || html! { (lazy_counter(1)) })),
        " hydrate-on=\"visible\" root-margin=\"200px 0px\"><button>1</button></mochi-island>"
    );
    assert_eq!(
        tail(render(&mochi, || html! { (mobile_counter(1)) })),
        " hydrate-on=\"media\" media=\"(max-width: 600px)\"><button>1</button></mochi-island>"
    );
}

#[test]
fn triggers_overridden_at_the_call_site() {
    let mochi = mochi();
    let page = render(&mochi, || {
        html! {
            (counter(1).hydrate(Hydrate::Idle))
            (lazy_counter(1).hydrate(Hydrate::Load))
            (counter(1).hydrate(Hydrate::Visible { root_margin: Some("50px".into()) }))
            (counter(1).hydrate(Hydrate::Media("print".into())))
        }
    });
    assert_eq!(
        attrs(&page, "hydrate-on"),
        ["idle", "load", "visible", "media"]
    );
    assert_eq!(attrs(&page, "root-margin"), ["50px"]);
    assert_eq!(attrs(&page, "media"), ["print"]);
}

#[test]
fn island_id_inside_the_body_is_the_elements() {
    let page = render(
        &mochi(),
        || html! { (whoami("a".into())) (whoami("b".into())) },
    );
    assert_eq!(attrs(&page, "island-id"), ["i0", "i1"]);
    assert!(page.contains("<span class=\"id\">a=i0</span>"), "{page}");
    assert!(page.contains("<span class=\"id\">b=i1</span>"), "{page}");
    assert_eq!(mochi::island_id(), None, "outside an island");
}

#[test]
fn island_id_of_nested_islands() {
    let page = render(&mochi(), || html! { (outer("in".into())) });
    assert_eq!(attrs(&page, "island-id"), ["i0", "i1"]);
    assert!(
        page.contains(
            "<b>i0</b><mochi-island component-name=\"Whoami\" island-id=\"i1\" \
             props-ref=\"mochi-props-0\""
        ),
        "{page}"
    );
    assert!(page.contains("<span class=\"id\">in=i1</span></mochi-island><i>i0</i>"));
}

#[test]
fn serialize_only_props() {
    let page = render(&mochi(), || {
        html! { (labelled(Label { text: "</script><!--".into() })) }
    });
    assert!(
        page.starts_with(
            "<script type=\"application/json\" id=\"mochi-props-0\">\
             [{\"label\":1},{\"text\":2},\"\\u003C/script>\\u003C!--\"]</script>"
        ),
        "{page}"
    );
    assert!(
        page.ends_with("&lt;/script&gt;&lt;!--</mochi-island>"),
        "{page}"
    );
}

#[test]
fn deferred_and_hydrated_renders_as_a_server_island() {
    let page = render(&mochi(), || {
        html! { (live_counter(5).fallback("…")) (late_counter(6)) }
    });
    assert!(
        !page.contains("<script"),
        "server islands stay out of the table"
    );
    assert_eq!(
        without_signed_props(&page),
        "<mochi-server-island component-name=\"LiveCounter\" island-id=\"i0\" \
         signed-props=\"…\">…</mochi-server-island>\
         <mochi-server-island component-name=\"LateCounter\" island-id=\"i1\" \
         signed-props=\"…\"></mochi-server-island>"
    );
    assert!(attr(&page, "signed-props").is_some());
    // Answered as hydrated islands of their own, inside the requested id.
    let live = answer("LiveCounter", r#"[{"count":1},5]"#).unwrap();
    assert!(live.starts_with(r#"<script type="application/json" id="mochi-props-i0-0">[{"count":1},5]</script><mochi-island component-name="LiveCounter" island-id="i0-i0" props-ref="mochi-props-i0-0""#), "{live}");
    assert!(
        live.ends_with("><button>5</button></mochi-island>"),
        "{live}"
    );
    let late = answer("LateCounter", r#"[{"count":1},6]"#).unwrap();
    assert!(
        late.ends_with("><button>6</button></mochi-island>"),
        "{late}"
    );
}

#[test]
fn outside_a_page_it_still_renders_its_html() {
    let html = maud::Render::render(&counter(2)).into_string();
    assert!(
        html.starts_with("<mochi-island component-name=\"Counter\""),
        "{html}"
    );
    assert!(
        html.ends_with("><button>2</button></mochi-island>"),
        "{html}"
    );
    assert_eq!(attr(&html, "client"), None);
}

/// Props only a client module reads are used: `unused_variables` is denied
/// here, and a hydrated island (or a server island with a client module)
/// whose Rust body ignores a prop still compiles.
#[deny(unused_variables)]
mod props_the_module_reads {
    use maud::{html, Markup};

    /// `start` is the module's alone.
    #[mochi::island(client = "tests/static/counter.js")]
    pub(super) fn module_counter(start: i64, label: String) -> Markup {
        html! { button { (label) } }
    }

    /// `theme` is the module's, after the swap.
    #[mochi::island(defer, client = "tests/static/counter.js")]
    pub(super) fn module_themed(theme: String) -> Markup {
        html! { button { "0" } }
    }
}

#[test]
fn props_only_the_module_reads_still_reach_it() {
    let html = render(&mochi(), || {
        html! { (props_the_module_reads::module_counter(7, "go".into())) }
    });
    assert!(html.contains(r#"[{"start":1,"label":2},7,"go"]"#), "{html}");
}

/// Every hydrated island declares its props' TypeScript types; a type
/// that says nothing of TypeScript is `unknown`, a server island is not
/// declared.
#[test]
fn props_are_declared_for_typescript() {
    let d = mochi::typescript::declarations("hydrated_islands");
    assert!(
        d.contains("export interface CounterProps {\n  count: number | bigint;\n}\n"),
        "{d}"
    );
    assert!(d.contains("export interface ClockProps {\n}\n"), "{d}");
    assert!(
        d.contains("export interface WhoamiProps {\n  tag: string;\n}\n"),
        "{d}"
    );
    assert!(
        d.contains("export interface LabelledProps {\n  label: unknown;\n}\n"),
        "{d}"
    );
    assert!(
        d.contains("export interface LiveCounterProps {"),
        "deferred + client: {d}"
    );
    // Sorted by name, each once.
    let names: Vec<&str> = d
        .lines()
        .filter_map(|l| l.strip_prefix("export interface "))
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(names, sorted);
    assert!(mochi::typescript::declarations("no_such_crate")
        .find("interface")
        .is_none());
}

//! The per-request props table of hydrated islands, as `docs/protocol.md`
//! ("Props table", "Ids") describes it: one block per distinct props text,
//! numbered in order of first use, written before the first island that
//! uses it; escaping; ids inside a server island's answer; and deferred +
//! hydrated islands.

use std::collections::{BTreeSet, HashMap};

use actix_web::test::{self, TestRequest};
use actix_web::{web, App, HttpResponse};
use maud::{html, Markup};
use mochi::{Hydrate, Key, Mochi};
use serde::Deserialize;

// ---------------------------------------------------------------- islands

/// A counter-like hydrated island with two props.
#[mochi::island(client = "static/table_probe.js")]
fn table_counter(start: i64, label: String) -> Markup {
    html! { button.table-counter { (label) ": " (start) } }
}

/// What `TableCounter`'s props decode into.
#[derive(Debug, Deserialize, PartialEq)]
struct CounterProps {
    start: i64,
    label: String,
}

/// A hydrated island without props.
#[mochi::island(client = "static/table_probe.js", hydrate = "idle")]
fn table_plain() -> Markup {
    html! { span.table-plain { "plain" } }
}

/// Renders the island id its Rust code sees.
#[mochi::island(client = "static/table_probe.js")]
fn table_id_probe(n: u32) -> Markup {
    html! { span.own-id data-n=(n) { (mochi::island_id().unwrap_or_else(|| "none".into())) } }
}

/// Holds another hydrated island inside its own HTML.
#[mochi::island(client = "static/table_probe.js")]
fn table_outer(start: i64, label: String) -> Markup {
    html! { div.outer { (table_counter(start + 1, label)) (table_id_probe(1)) } }
}

/// Holds a hydrated island with exactly its own props.
#[mochi::island(client = "static/table_probe.js")]
fn table_shell(start: i64, label: String) -> Markup {
    html! { div.shell { (table_counter(start, label)) } }
}

/// A server island on the same page: its props stay inline and signed.
#[mochi::island(defer)]
fn table_server(start: i64, label: String) -> Markup {
    html! { span { (label) (start) } }
}

/// A server island whose answer renders hydrated islands.
#[mochi::island(defer)]
fn table_nest(label: String) -> Markup {
    html! {
        div.nest {
            (table_counter(1, label.clone()))
            (table_counter(1, label))
            (table_counter(2, "other".into()))
            (table_plain())
            (table_id_probe(3))
            (table_server(4, "inner".into()))
        }
    }
}

/// Deferred and hydrated: fetched after load, then hydrated.
#[mochi::island(defer, client = "static/table_combo.js", hydrate = "visible")]
fn table_combo(n: u32) -> Markup {
    html! { span.combo { (n) "@" (mochi::island_id().unwrap_or_else(|| "none".into())) } }
}

// ---------------------------------------------------------------- HTML

/// A `<script type="application/json">` props block.
#[derive(Debug, Clone)]
struct Block {
    id: String,
    text: String,
    /// Byte offset just after its `</script>`.
    end: usize,
}

/// An opening tag of interest and its attributes.
#[derive(Debug, Clone)]
struct Tag {
    start: usize,
    attrs: HashMap<String, String>,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).map(String::as_str)
    }
}

const BLOCK_OPEN: &str = r#"<script type="application/json" id=""#;

fn blocks(html: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = html[from..].find(BLOCK_OPEN) {
        let id_start = from + i + BLOCK_OPEN.len();
        let id_len = html[id_start..].find('"').expect("id ends");
        let id = html[id_start..id_start + id_len].to_owned();
        let text_start = id_start + id_len + 2; // `">`
        assert_eq!(&html[text_start - 2..text_start], "\">");
        let text_len = html[text_start..].find("</script>").expect("block ends");
        let end = text_start + text_len + "</script>".len();
        out.push(Block {
            id,
            text: html[text_start..text_start + text_len].to_owned(),
            end,
        });
        from = end;
    }
    out
}

/// Opening tags `<{name} …>` in document order.
fn tags(html: &str, name: &str) -> Vec<Tag> {
    let open = format!("<{name} ");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = html[from..].find(&open) {
        let start = from + i;
        let mut rest = &html[start + open.len()..];
        let mut attrs = HashMap::new();
        loop {
            rest = rest.trim_start();
            if rest.starts_with('>') {
                break;
            }
            let name_len = rest.find(['=', ' ', '>']).expect("attribute name ends");
            let attr = rest[..name_len].to_owned();
            rest = &rest[name_len..];
            if let Some(value) = rest.strip_prefix("=\"") {
                let len = value.find('"').expect("attribute value ends");
                assert!(
                    attrs
                        .insert(attr.clone(), value[..len].to_owned())
                        .is_none(),
                    "duplicate attribute {attr}"
                );
                rest = &value[len + 1..];
            } else {
                attrs.insert(attr, String::new());
            }
        }
        out.push(Tag { start, attrs });
        from = start + open.len();
    }
    out
}

fn hydrated(html: &str) -> Vec<Tag> {
    tags(html, "mochi-island")
}

/// Every `id="…"` and `island-id="…"` value in `html`.
fn all_ids(html: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for attr in [" id=\"", " island-id=\"", " props-ref=\""] {
        let mut from = 0;
        while let Some(i) = html[from..].find(attr) {
            let start = from + i + attr.len();
            let len = html[start..].find('"').unwrap();
            if attr != " props-ref=\"" {
                ids.push(html[start..start + len].to_owned());
            }
            from = start + len;
        }
    }
    ids
}

/// The structural rules of the props table, checked on any HTML fragment:
/// block ids are `{prefix}N` in document order, each block is immediately
/// followed by an island referring to it, no island refers to a block
/// before that block appears, blocks hold distinct texts, and every
/// `props-ref` resolves.
#[track_caller]
fn check_table(html: &str, prefix: &str) -> Vec<Block> {
    let blocks = blocks(html);
    let islands = hydrated(html);
    let mut texts = BTreeSet::new();
    for (n, block) in blocks.iter().enumerate() {
        assert_eq!(block.id, format!("{prefix}{n}"), "ids in order: {html}");
        assert!(texts.insert(block.text.clone()), "duplicate block: {html}");
        let next = islands
            .iter()
            .find(|t| t.start == block.end)
            .unwrap_or_else(|| panic!("block {} is not right before an island: {html}", block.id));
        assert_eq!(next.attr("props-ref"), Some(block.id.as_str()), "{html}");
        for earlier in islands.iter().filter(|t| t.start < block.end) {
            assert_ne!(
                earlier.attr("props-ref"),
                Some(block.id.as_str()),
                "an island refers to {} before it is written: {html}",
                block.id
            );
        }
    }
    for island in &islands {
        if let Some(r) = island.attr("props-ref") {
            assert!(
                blocks.iter().any(|b| b.id == r),
                "props-ref {r} resolves to no block: {html}"
            );
        }
    }
    blocks
}

/// The id a `TableIdProbe` rendered, for the first probe at or after `at`
/// (it must be inside that island's element).
fn own_id_after(html: &str, at: usize) -> &str {
    let rest = &html[at..];
    let span = rest.find(r#"<span class="own-id""#).expect("a probe");
    assert!(
        span < rest.find("</mochi-island>").expect("island ends"),
        "the probe is inside its island"
    );
    let text = &rest[span..];
    let start = text.find('>').unwrap() + 1;
    let len = text[start..].find('<').unwrap();
    &text[start..start + len]
}

fn block<'b>(blocks: &'b [Block], id: &str) -> &'b Block {
    blocks
        .iter()
        .find(|b| b.id == id)
        .unwrap_or_else(|| panic!("no block {id} in {blocks:?}"))
}

fn counter_props(block: &Block) -> CounterProps {
    mochi::devalue::from_str(&block.text)
        .unwrap_or_else(|e| panic!("block {} does not decode: {e}: {}", block.id, block.text))
}

fn mochi() -> Mochi {
    Mochi::builder(Key::generate())
        .build()
        .expect("mochi starts")
}

// ---------------------------------------------------------------- the table

#[test]
fn identical_props_share_one_block_in_order_of_first_use() {
    let html = mochi()
        .render_page(|| {
            html! {
                p { "before" }
                (table_counter(1, "a".into()))
                (table_counter(1, "a".into()))
                (table_counter(2, "b".into()))
                (table_server(1, "a".into()).fallback(html! { "…" }))
                (table_plain())
                (table_counter(1, "a".into()))
                (table_counter(1, "b".into()))
                (table_counter(2, "b".into()))
            }
        })
        .into_string();
    let blocks = check_table(&html, "mochi-props-");
    assert_eq!(blocks.len(), 3, "three distinct props: {html}");
    assert_eq!(
        blocks.iter().map(counter_props).collect::<Vec<_>>(),
        [
            CounterProps {
                start: 1,
                label: "a".into()
            },
            CounterProps {
                start: 2,
                label: "b".into()
            },
            CounterProps {
                start: 1,
                label: "b".into()
            },
        ]
    );
    // Exactly one block each, written once.
    assert_eq!(html.matches("<script").count(), 3, "{html}");

    let islands = hydrated(&html);
    let refs: Vec<_> = islands
        .iter()
        .map(|t| (t.attr("component-name").unwrap(), t.attr("props-ref")))
        .collect();
    assert_eq!(
        refs,
        [
            ("TableCounter", Some("mochi-props-0")),
            ("TableCounter", Some("mochi-props-0")),
            ("TableCounter", Some("mochi-props-1")),
            ("TablePlain", None),
            ("TableCounter", Some("mochi-props-0")),
            ("TableCounter", Some("mochi-props-2")),
            ("TableCounter", Some("mochi-props-1")),
        ]
    );
    // Island ids: unique, in call order, the server island included.
    let ids: Vec<_> = islands
        .iter()
        .map(|t| t.attr("island-id").unwrap())
        .collect();
    assert_eq!(ids, ["i0", "i1", "i2", "i4", "i5", "i6", "i7"]);

    // The first block opens the page's islands: nothing between it and the
    // first island.
    assert!(
        html.starts_with(r#"<p>before</p><script type="application/json" id="mochi-props-0">"#),
        "{html}"
    );
}

#[test]
fn islands_carry_their_client_and_trigger() {
    let html = mochi()
        .render_page(|| {
            html! {
                (table_counter(1, "a".into()))
                (table_plain())
                (table_counter(1, "a".into()).hydrate(Hydrate::Visible { root_margin: Some("50px".into()) }))
                (table_counter(1, "a".into()).hydrate(Hydrate::Media("(max-width: 600px)".into())))
            }
        })
        .into_string();
    check_table(&html, "mochi-props-");
    let islands = hydrated(&html);
    let counter_client = islands[0].attr("client").unwrap();
    assert!(
        counter_client.starts_with("/_mochi/client/TableCounter-")
            && counter_client.ends_with(".js"),
        "{counter_client}"
    );
    assert!(islands[1]
        .attr("client")
        .unwrap()
        .starts_with("/_mochi/client/TablePlain-"));
    assert_eq!(islands[0].attr("hydrate-on"), Some("load"));
    assert_eq!(islands[1].attr("hydrate-on"), Some("idle"));
    assert_eq!(islands[2].attr("hydrate-on"), Some("visible"));
    assert_eq!(islands[2].attr("root-margin"), Some("50px"));
    assert_eq!(islands[3].attr("hydrate-on"), Some("media"));
    assert_eq!(islands[3].attr("media"), Some("(max-width: 600px)"));
    // An override does not change the props sharing.
    assert!(islands
        .iter()
        .filter(|t| t.attr("component-name") == Some("TableCounter"))
        .all(|t| t.attr("props-ref") == Some("mochi-props-0")));
}

#[test]
fn server_islands_stay_out_of_the_table() {
    let mochi = mochi();
    let html = mochi
        .render_page(|| {
            html! {
                (table_server(1, "a".into()))
                (table_counter(1, "a".into()))
                (table_server(1, "a".into()))
                (table_combo(9))
            }
        })
        .into_string();
    let blocks = check_table(&html, "mochi-props-");
    // Only the hydrated island's props are in the table, as block 0 even
    // though a server island with identical props came first.
    assert_eq!(blocks.len(), 1, "{html}");
    assert_eq!(blocks[0].id, "mochi-props-0");
    let servers = tags(&html, "mochi-server-island");
    assert_eq!(servers.len(), 3);
    for server in &servers {
        assert!(server.attr("signed-props").is_some(), "{html}");
        assert!(server.attr("props-ref").is_none(), "{html}");
    }
    // The deferred + hydrated island is a server island on the page.
    assert_eq!(servers[2].attr("component-name"), Some("TableCombo"));
    assert_eq!(hydrated(&html).len(), 1);
}

#[test]
fn the_table_is_per_request() {
    let mochi = mochi();
    let page =
        || html! { (table_counter(5, "x".into())) (table_counter(6, "y".into())) }.into_string();
    let first = mochi.render_page(page);
    let second = mochi.render_page(page);
    assert_eq!(first, second, "a render is deterministic");
    let blocks = check_table(&second, "mochi-props-");
    assert_eq!(blocks.len(), 2);
    assert_eq!(hydrated(&second)[0].attr("island-id"), Some("i0"));
}

#[test]
fn islands_without_params_carry_no_props_ref() {
    let html = mochi()
        .render_page(|| html! { (table_plain()) (table_plain()) })
        .into_string();
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("props-ref"), "{html}");
    assert_eq!(hydrated(&html).len(), 2);
}

#[test]
fn island_id_inside_a_hydrated_island_is_its_island_id() {
    let html = mochi()
        .render_page(|| {
            html! {
                (table_id_probe(1))
                (table_counter(1, "a".into()))
                (table_id_probe(1))
                (table_id_probe(2))
            }
        })
        .into_string();
    check_table(&html, "mochi-props-");
    let probes: Vec<_> = hydrated(&html)
        .into_iter()
        .filter(|t| t.attr("component-name") == Some("TableIdProbe"))
        .collect();
    assert_eq!(probes.len(), 3);
    let mut seen = BTreeSet::new();
    for probe in probes {
        let id = probe.attr("island-id").unwrap();
        assert!(seen.insert(id.to_owned()), "island ids are unique: {html}");
        assert_eq!(own_id_after(&html, probe.start), id, "{html}");
    }
    // Outside an island render there is no island id.
    assert_eq!(mochi().render_page(mochi::island_id), None);
}

/// Asserts every id in `html` is unique and every `props-ref` resolves to
/// a block written before the island that uses it.
#[track_caller]
fn check_nested(html: &str) {
    let ids = all_ids(html);
    assert_eq!(
        ids.len(),
        ids.iter().collect::<BTreeSet<_>>().len(),
        "unique ids: {html}"
    );
    let blocks = blocks(html);
    for island in hydrated(html) {
        if let Some(r) = island.attr("props-ref") {
            let b = block(&blocks, r);
            assert!(
                b.end <= island.start,
                "{r} is written after island {:?} that uses it: {html}",
                island.attr("island-id")
            );
        }
    }
}

#[test]
fn hydrated_islands_nested_in_a_hydrated_island() {
    let html = mochi()
        .render_page(|| {
            html! {
                (table_outer(7, "outer".into()))
                (table_counter(7, "in".into()))
            }
        })
        .into_string();
    check_nested(&html);
    assert_eq!(blocks(&html).len(), 4, "{html}");
    // The inner probe sees its own id, not the outer island's.
    let probe = hydrated(&html)
        .into_iter()
        .find(|t| t.attr("component-name") == Some("TableIdProbe"))
        .unwrap();
    let id = probe.attr("island-id").unwrap();
    assert_eq!(own_id_after(&html, probe.start), id, "{html}");
}

/// Islands nested in a hydrated island render while the outer island is
/// being built, before the outer is written. The outer reserves its props
/// block first, so even when an inner island has the same props text:
/// - the block is written before the outer island, not inside it (so it is
///   found while streaming);
/// - block numbers follow document order.
#[test]
fn nested_islands_keep_the_table_rules() {
    let html = mochi()
        .render_page(|| {
            html! {
                (table_shell(7, "in".into()))
                (table_outer(7, "out".into()))
            }
        })
        .into_string();
    check_nested(&html);
    check_table(&html, "mochi-props-");
}

// ---------------------------------------------------------------- escaping

#[test]
fn props_never_end_the_script_or_open_a_comment() {
    let nasty = [
        "</script><script>alert(1)</script>",
        "</SCRIPT >",
        "</script\t>",
        "<!-- comment",
        "<!--<script>",
        "<script",
        "-->",
        "]]>",
        "<\\/script>",
        "line\u{2028}separator\u{2029}paragraph",
        "\u{2028}",
        "quote \" backslash \\ amp & lt < gt >",
        "\u{0}\u{1f}\u{7f}",
    ];
    let mochi = mochi();
    for label in nasty {
        let html = mochi
            .render_page(|| html! { (table_counter(1, label.into())) })
            .into_string();
        let blocks = check_table(&html, "mochi-props-");
        assert_eq!(blocks.len(), 1, "{label:?}: {html}");
        let text = &blocks[0].text;
        let lower = text.to_ascii_lowercase();
        for bad in ["</script", "<script", "<!--", "<"] {
            assert!(
                !lower.contains(bad),
                "{label:?}: raw {bad:?} in block {text}"
            );
        }
        for bad in ['\u{2028}', '\u{2029}'] {
            assert!(
                !text.contains(bad),
                "{label:?}: raw {bad:?} in block {text:?}"
            );
        }
        // The block ends exactly where the island begins: nothing leaked out.
        assert_eq!(html.matches("</script>").count(), 1, "{label:?}: {html}");
        assert!(!html.contains("<!--"), "{label:?}: {html}");
        assert_eq!(
            counter_props(&blocks[0]),
            CounterProps {
                start: 1,
                label: label.into()
            },
            "{label:?} round-trips"
        );
    }
}

#[test]
fn a_page_of_many_nasty_props_keeps_one_script_per_block() {
    let labels: Vec<String> = (0..20)
        .map(|n| format!("</script><!--{n}<script>\u{2028}"))
        .collect();
    let html = mochi()
        .render_page(|| {
            html! {
                @for label in &labels { (table_counter(1, label.clone())) }
                @for label in &labels { (table_counter(1, label.clone())) }
            }
        })
        .into_string();
    let blocks = check_table(&html, "mochi-props-");
    assert_eq!(blocks.len(), 20);
    assert_eq!(html.to_ascii_lowercase().matches("<script").count(), 20);
    assert_eq!(html.to_ascii_lowercase().matches("</script").count(), 20);
    for (block, label) in blocks.iter().zip(&labels) {
        assert_eq!(&counter_props(block).label, label);
    }
}

// ---------------------------------------------------------------- endpoint

async fn page() -> HttpResponse {
    let body = html! {
        (mochi::runtime_script())
        (table_counter(1, "a".into()))
        (table_counter(1, "a".into()))
        (table_id_probe(3))
        (table_nest("a".into()).fallback(html! { "…" }))
        (table_combo(9).fallback(html! { "…" }))
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body.into_string())
}

struct Answer {
    status: u16,
    content_type: String,
    body: String,
}

async fn get(mochi: &Mochi, uri: &str) -> Answer {
    let app = test::init_service(
        App::new()
            .wrap(mochi.clone())
            .route("/", web::get().to(page)),
    )
    .await;
    let res = test::call_service(&app, TestRequest::get().uri(uri).to_request()).await;
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = String::from_utf8_lossy(&test::read_body(res).await).into_owned();
    Answer {
        status,
        content_type,
        body,
    }
}

/// The signed props of the server island `name` on `html`.
fn signed_props(html: &str, name: &str) -> String {
    tags(html, "mochi-server-island")
        .into_iter()
        .find(|t| t.attr("component-name") == Some(name))
        .and_then(|t| t.attrs.get("signed-props").cloned())
        .unwrap_or_else(|| panic!("no signed {name} on {html}"))
}

#[actix_web::test]
async fn ids_inside_a_server_island_answer_are_prefixed() {
    let mochi = mochi();
    let page = get(&mochi, "/").await;
    assert_eq!(page.status, 200);
    let page_blocks = check_table(&page.body, "mochi-props-");
    assert_eq!(page_blocks.len(), 2, "{}", page.body);
    let token = signed_props(&page.body, "TableNest");
    let nest_id = tags(&page.body, "mochi-server-island")
        .into_iter()
        .find(|t| t.attr("component-name") == Some("TableNest"))
        .unwrap()
        .attr("island-id")
        .unwrap()
        .to_owned();
    assert_eq!(nest_id, "i3");

    let answer = get(&mochi, &format!("/_mochi/island/TableNest?p={token}&i=i7")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.content_type, "text/html; charset=utf-8");
    let html = &answer.body;
    let blocks = check_table(html, "mochi-props-i7-");
    assert_eq!(blocks.len(), 3, "{html}");
    assert_eq!(
        counter_props(&blocks[0]),
        CounterProps {
            start: 1,
            label: "a".into()
        }
    );
    // Same props as the page's first block, but its own block: the answer
    // must stand alone.
    assert_eq!(blocks[0].text, page_blocks[0].text);

    let islands = hydrated(html);
    let ids: Vec<_> = islands
        .iter()
        .map(|t| t.attr("island-id").unwrap())
        .collect();
    assert_eq!(ids, ["i7-i0", "i7-i1", "i7-i2", "i7-i3", "i7-i4"], "{html}");
    assert_eq!(islands[3].attr("props-ref"), None, "TablePlain: {html}");
    // The nested probe sees its prefixed id.
    assert_eq!(own_id_after(html, islands[4].start), "i7-i4", "{html}");
    // A server island inside the answer is prefixed too, and signed.
    let inner = tags(html, "mochi-server-island");
    assert_eq!(inner.len(), 1);
    assert_eq!(inner[0].attr("island-id"), Some("i7-i5"));
    assert!(inner[0].attr("signed-props").is_some());

    // No id of the answer collides with one of the page.
    let page_ids: BTreeSet<_> = all_ids(&page.body).into_iter().collect();
    let answer_ids: BTreeSet<_> = all_ids(html).into_iter().collect();
    assert!(
        page_ids.is_disjoint(&answer_ids),
        "page {page_ids:?} vs answer {answer_ids:?}"
    );
    // Nor with another server island's answer.
    let other = get(&mochi, &format!("/_mochi/island/TableNest?p={token}&i=i8")).await;
    let other_ids: BTreeSet<_> = all_ids(&other.body).into_iter().collect();
    assert!(
        answer_ids.is_disjoint(&other_ids),
        "{answer_ids:?} vs {other_ids:?}"
    );
    check_table(&other.body, "mochi-props-i8-");

    // Without `i` the answer still works, with its own prefix.
    let bare = get(&mochi, &format!("/_mochi/island/TableNest?p={token}")).await;
    assert_eq!(bare.status, 200);
    let bare_ids: BTreeSet<_> = all_ids(&bare.body).into_iter().collect();
    assert!(
        page_ids.is_disjoint(&bare_ids),
        "{page_ids:?} vs {bare_ids:?}"
    );
}

#[actix_web::test]
async fn deferred_hydrated_answer_is_wrapped_with_its_props_block() {
    let mochi = mochi();
    let page = get(&mochi, "/").await;
    let token = signed_props(&page.body, "TableCombo");
    let combo = tags(&page.body, "mochi-server-island")
        .into_iter()
        .find(|t| t.attr("component-name") == Some("TableCombo"))
        .unwrap();
    assert_eq!(combo.attr("island-id"), Some("i4"));

    let answer = get(&mochi, &format!("/_mochi/island/TableCombo?p={token}&i=i4")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.content_type, "text/html; charset=utf-8");
    let html = &answer.body;
    let blocks = check_table(html, "mochi-props-i4-");
    assert_eq!(blocks.len(), 1, "{html}");
    #[derive(Debug, Deserialize, PartialEq)]
    struct ComboProps {
        n: u32,
    }
    assert_eq!(
        mochi::devalue::from_str::<ComboProps>(&blocks[0].text).unwrap(),
        ComboProps { n: 9 }
    );
    // The whole answer: the block, then the island around the HTML.
    assert!(html.starts_with(BLOCK_OPEN), "{html}");
    assert!(html.ends_with("</mochi-island>"), "{html}");
    let islands = hydrated(html);
    assert_eq!(islands.len(), 1, "{html}");
    let island = &islands[0];
    assert_eq!(island.start, blocks[0].end);
    assert_eq!(island.attr("component-name"), Some("TableCombo"));
    assert_eq!(island.attr("props-ref"), Some("mochi-props-i4-0"));
    assert_eq!(island.attr("hydrate-on"), Some("visible"));
    let client = island.attr("client").unwrap();
    assert!(
        client.starts_with("/_mochi/client/TableCombo-") && client.ends_with(".js"),
        "{client}"
    );
    assert!(html.contains(r#"<span class="combo">9@"#), "{html}");
    // The id the Rust code saw is the id the client module will get.
    let id = island.attr("island-id").unwrap();
    assert!(
        html.contains(&format!(r#"<span class="combo">9@{id}</span>"#)),
        "island_id() inside the island vs its island-id: {html}"
    );
    // The client module is served.
    let module = get(&mochi, client).await;
    assert_eq!(module.status, 200);
    assert!(module.content_type.starts_with("text/javascript"));
    assert!(module.body.contains("tableCombo"));
}

//! One render context per response: fragments that compose with the page
//! they are spliced into, deterministic pages, and signed-token caching
//! that cannot hand one render's props to another.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};

use actix_web::test::{self as actix_test, TestRequest};
use actix_web::{web, App, HttpResponse};
use maud::{html, Markup};
use mochi::{Key, Keys, Mochi};
use serde::ser::{Error as _, SerializeStruct};
use serde::{Deserialize, Serialize, Serializer};

// ---------------------------------------------------------------- islands

/// The htmx case: a button that adds one product to the cart.
#[mochi::island(client = "static/probe.js")]
fn add_to_cart(product_id: u32, price: u32) -> Markup {
    html! { button.add data-product=(product_id) { "Add " (product_id) " for " (price) } }
}

/// A server island in the same fragment.
#[mochi::island(defer)]
fn stock(product_id: u32) -> Markup {
    html! { span.stock { (product_id) " in stock" } }
}

/// Renders the ids of the islands its answer holds.
#[mochi::island(defer)]
fn id_probe() -> Markup {
    html! {
        span.own { (mochi::island_id().unwrap_or_else(|| "none".into())) }
        (add_to_cart(9, 1))
    }
}

fn product_fragment(id: u32) -> Markup {
    html! { div.product { (add_to_cart(id, id * 100)) (stock(id)) } }
}

/// A page: the runtime, then product 1.
async fn product_page() -> HttpResponse {
    let page = html! {
        head { (mochi::runtime_script()) }
        body { (product_fragment(1)) }
    };
    HttpResponse::Ok().body(page.into_string())
}

/// The same fragment HTML, fetched by htmx, Turbo or `fetch`.
async fn fragment_route(id: web::Path<u32>) -> HttpResponse {
    HttpResponse::Ok().body(product_fragment(*id).into_string())
}

/// Marked as a fragment by the handler itself.
async fn marked_fragment(id: web::Path<u32>) -> HttpResponse {
    HttpResponse::Ok().body(mochi::fragment(|| product_fragment(*id)).into_string())
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(product_page))
        .route("/fragment/product/{id}", web::get().to(fragment_route))
        .route("/marked/product/{id}", web::get().to(marked_fragment));
}

async fn body(mochi: &Mochi, req: TestRequest) -> String {
    let app = actix_test::init_service(App::new().wrap(mochi.clone()).configure(routes)).await;
    let bytes = actix_test::call_and_read_body(&app, req.to_request()).await;
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

/// Every value of `name="…"` in `html`.
fn attrs(html: &str, name: &str) -> Vec<String> {
    let needle = format!(" {name}=\"");
    html.match_indices(&needle)
        .map(|(at, _)| {
            let start = at + needle.len();
            let len = html[start..].find('"').expect("closed attribute");
            html[start..start + len].to_owned()
        })
        .collect()
}

fn mochi() -> Mochi {
    Mochi::builder(Key::generate()).build().unwrap()
}

// ---------------------------------------------------------------- fragments

#[actix_web::test]
async fn fragment_requests_get_ids_no_page_shares() {
    let mochi = mochi();
    let page = body(&mochi, TestRequest::get().uri("/")).await;
    assert_eq!(attrs(&page, "island-id"), ["i0", "i1"]);
    assert_eq!(attrs(&page, "id"), ["mochi-props-0"]);

    let mut seen: HashSet<String> = attrs(&page, "island-id").into_iter().collect();
    seen.extend(attrs(&page, "id"));
    let requests = [
        TestRequest::get()
            .uri("/fragment/product/2")
            .insert_header(("hx-request", "true")),
        TestRequest::get()
            .uri("/fragment/product/2")
            .insert_header(("turbo-frame", "product")),
        TestRequest::get()
            .uri("/fragment/product/2")
            .insert_header(("sec-fetch-dest", "empty")),
        TestRequest::get().uri("/marked/product/2"),
        TestRequest::get().uri("/marked/product/2"),
    ];
    for req in requests {
        let fragment = body(&mochi, req).await;
        let ids = attrs(&fragment, "island-id");
        let blocks = attrs(&fragment, "id");
        assert_eq!(ids.len(), 2, "{fragment}");
        assert_eq!(blocks.len(), 1, "{fragment}");
        let prefix = ids[0].strip_suffix("i0").expect("first island").to_owned();
        assert!(prefix.starts_with('f') && prefix.ends_with('-'), "{prefix}");
        assert_eq!(ids[1], format!("{prefix}i1"));
        assert_eq!(blocks[0], format!("mochi-props-{prefix}0"));
        assert_eq!(attrs(&fragment, "props-ref"), [blocks[0].clone()]);
        for id in ids.into_iter().chain(blocks) {
            assert!(seen.insert(id.clone()), "{id} reused by two responses");
        }
    }
}

#[actix_web::test]
async fn pages_render_the_same_bytes_every_time() {
    let mochi = mochi();
    // Given the same trace (W3C Trace Context), the same bytes.
    let traced = || {
        let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        TestRequest::get()
            .uri("/")
            .insert_header(("traceparent", tp))
    };
    let first = body(&mochi, traced()).await;
    let second = body(&mochi, traced()).await;
    assert_eq!(first, second);
    assert!(first.contains(r#"content="00-4bf92f3577b34da6a3ce929d0e0e4736-"#));
    // Without one, each page starts a trace of its own: only that differs.
    let third = body(&mochi, TestRequest::get().uri("/")).await;
    let fourth = body(&mochi, TestRequest::get().uri("/")).await;
    assert_ne!(third, fourth);
    let without_trace = |html: &str| {
        let at = html.find(r#"content="00-"#).expect("a trace") + r#"content=""#.len();
        format!("{}{}", &html[..at], &html[at + 55..])
    };
    assert_eq!(without_trace(&third), without_trace(&fourth));
    assert_eq!(without_trace(&third), without_trace(&first));
    // Without fragment headers, the fragment route is a page too.
    let plain = body(&mochi, TestRequest::get().uri("/fragment/product/2")).await;
    assert_eq!(attrs(&plain, "island-id"), ["i0", "i1"]);
}

#[actix_web::test]
async fn an_answer_without_an_island_id_invents_none() {
    let mochi = mochi();
    let app = actix_test::init_service(App::new().wrap(mochi.clone())).await;
    let token = mochi.render_page(|| id_probe().signed_props().unwrap().to_owned());
    let without = actix_test::call_and_read_body(
        &app,
        TestRequest::get()
            .uri(&format!("/_mochi/island/IdProbe?p={token}"))
            .to_request(),
    )
    .await;
    let without = String::from_utf8(without.to_vec()).unwrap();
    assert!(
        without.starts_with(r#"<span class="own">none</span>"#),
        "{without}"
    );
    let nested = &attrs(&without, "island-id")[0];
    assert!(nested.starts_with('f'), "fragment ids inside: {nested}");

    let with = actix_test::call_and_read_body(
        &app,
        TestRequest::get()
            .uri(&format!("/_mochi/island/IdProbe?p={token}&i=i7"))
            .to_request(),
    )
    .await;
    let with = String::from_utf8(with.to_vec()).unwrap();
    assert!(with.starts_with(r#"<span class="own">i7</span>"#), "{with}");
    assert_eq!(attrs(&with, "island-id"), ["i7-i0"]);
    assert_eq!(attrs(&with, "id"), ["mochi-props-i7-0"]);
}

// ---------------------------------------------------------------- caches

/// Never serializes.
struct Unserializable;

impl Serialize for Unserializable {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(S::Error::custom("not today"))
    }
}

/// A best-effort impl: it ignores one field's error and writes the rest.
#[derive(Debug, Clone, Deserialize)]
struct BestEffort {
    text: String,
}

impl Serialize for BestEffort {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("BestEffort", 2)?;
        let _ = st.serialize_field("broken", &Unserializable);
        st.serialize_field("text", &self.text)?;
        st.end()
    }
}

#[mochi::island(defer)]
fn best_effort(note: BestEffort) -> Markup {
    html! { (note.text) }
}

static SHARED: AtomicU32 = AtomicU32::new(1);

/// Not a pure function: it writes whatever `SHARED` holds now.
#[derive(Debug, Deserialize)]
struct Live(u32);

impl Serialize for Live {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(SHARED.load(Ordering::SeqCst))
    }
}

#[mochi::island(defer)]
fn live(value: Live) -> Markup {
    html! { (value.0) }
}

fn payload(keys: &Keys, island: &str, token: &str) -> String {
    let bytes = mochi::__private::verify(keys, island, token).expect("verifies");
    String::from_utf8(bytes).expect("UTF-8")
}

/// Two pages whose props differ only in a 300-byte string of the same
/// length, through an impl that swallows an error: each page's token
/// carries its own text.
#[test]
fn an_error_swallowing_impl_never_shares_a_token() {
    let key = Key::generate();
    let keys = Keys::new(key.clone(), Vec::new());
    let mochi = Mochi::builder(key).build().unwrap();
    let (a, b) = ("a".repeat(300), "b".repeat(300));
    for round in 0..3 {
        let token_a = mochi.render_page(|| {
            let island = best_effort(BestEffort { text: a.clone() });
            island.signed_props().map(str::to_owned)
        });
        let token_b = mochi.render_page(|| {
            let island = best_effort(BestEffort { text: b.clone() });
            island.signed_props().map(str::to_owned)
        });
        match (token_a, token_b) {
            (Some(ta), Some(tb)) => {
                assert_ne!(ta, tb, "round {round}");
                assert!(
                    payload(&keys, "BestEffort", &ta).contains(&a),
                    "round {round}"
                );
                assert!(
                    payload(&keys, "BestEffort", &tb).contains(&b),
                    "round {round}"
                );
            }
            // Props that fail to encode are not signed at all: no token to
            // share either.
            (None, None) => {}
            other => panic!("round {round}: {other:?}"),
        }
    }
}

/// A `Serialize` whose output changes between calls: every render signs
/// what it encodes now, never an earlier encoding.
#[test]
fn an_impure_impl_is_signed_as_it_is_now() {
    let key = Key::generate();
    let keys = Keys::new(key.clone(), Vec::new());
    let mochi = Mochi::builder(key).build().unwrap();
    for value in [1, 2, 2, 3, 1] {
        SHARED.store(value, Ordering::SeqCst);
        let token = mochi.render_page(|| live(Live(0)).signed_props().unwrap().to_owned());
        assert_eq!(
            payload(&keys, "Live", &token),
            format!("[{{\"value\":1}},{value}]")
        );
    }
}

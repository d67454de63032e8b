//! Fragments in the browser: HTML fetched after the page and spliced in
//! with `innerHTML` keeps ids of its own, so every hydrated island gets its
//! own props and every server island loads. Preloaded islands: a page's
//! eager islands load once, in the one batch its `Link` header preloaded.

use futures_util::FutureExt as _;
use maud::{html, Markup};
use serde_json::{json, Value as Json};

use super::harness::{Ctx, TestResult};
use super::server::{Answer, Req, Route};
use super::{ensure, ensure_eq, fresh, page, probe, K};

/// A server island in the page and in each fragment.
#[mochi::island(defer)]
fn frag_stock(product: u32) -> Markup {
    html! { span.stock { "stock of " (product) } }
}

fn product(label: &str, n: u32) -> Markup {
    html! { div.product { (probe(label.to_owned(), i64::from(n))) (frag_stock(n)) } }
}

async fn fragments_page(_: Req) -> Answer {
    page(
        "fragments",
        true,
        html! {
            (product("page", 1))
            div #slot-a {}
            div #slot-b {}
        },
    )
}

/// An htmx-style fragment: no runtime, no explicit marking; the request's
/// `HX-Request` header makes it a fragment.
async fn htmx_fragment(req: Req) -> Answer {
    let n: u32 = req.param("n").parse().expect("a number");
    Answer::new(product(&format!("htmx-{n}"), n).into_string().into())
}

/// A fragment marked with `mochi::fragment`.
async fn marked_fragment(req: Req) -> Answer {
    let n: u32 = req.param("n").parse().expect("a number");
    let html = mochi::fragment(|| product(&format!("marked-{n}"), n));
    Answer::new(html.into_string().into())
}

/// The fragment pages and the preload page.
pub(crate) const ROUTES: &[Route] = &[
    Route::get("/test/fragments", |r| fragments_page(r).boxed()),
    Route::get("/test/fragments/htmx/{n}", |r| htmx_fragment(r).boxed()),
    Route::get("/test/fragments/marked/{n}", |r| marked_fragment(r).boxed()),
    Route::get("/test/preload", |r| preload_page(r).boxed()),
];

/// The page, then two fragments swapped in with `innerHTML`: no duplicate
/// ids, each hydrated island hydrates with its own props, each server
/// island loads.
pub(crate) async fn fragments_compose(cx: &Ctx) -> TestResult {
    cx.goto("/test/fragments").await?;
    cx.wait_for(
        "the page's islands",
        "window.__probe && Object.keys(window.__probe).length === 1",
    )
    .await?;
    cx.exec(
        r#"(async () => {
            const a = await fetch('/test/fragments/htmx/2', { headers: { 'HX-Request': 'true' } });
            document.getElementById('slot-a').innerHTML = await a.text();
            const b = await fetch('/test/fragments/marked/3');
            document.getElementById('slot-b').innerHTML = await b.text();
        })();"#,
        vec![],
    )
    .await?;
    cx.wait_for(
        "three hydrations and three loaded server islands",
        "Object.keys(window.__probe).length === 3 && \
         document.querySelectorAll('mochi-server-island[mochi-state=loaded]').length === 3",
    )
    .await?;
    let ids: Json = cx
        .eval(
            "[...document.querySelectorAll('[id]')].map(e => e.id)\
             .concat([...document.querySelectorAll('[island-id]')].map(e => 'island:' + e.getAttribute('island-id')))",
        )
        .await?;
    let ids: Vec<String> = serde_json::from_value(ids)?;
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    ensure_eq(
        unique.len(),
        ids.len(),
        &format!("ids in the document are unique: {ids:?}"),
    )?;
    ensure(ids.len() >= 3 + 3 + 3 + 2, || {
        format!("islands and blocks present: {ids:?}")
    })?;

    // Each module got the props of its own island.
    let received: Json = cx
        .eval(
            "[...document.querySelectorAll('mochi-island')].map(el => [\
               el.querySelector('.label').dataset.label,\
               window.__probe[el.getAttribute('island-id')]?.props?.label])",
        )
        .await?;
    ensure_eq(
        received,
        json!([
            ["page", "page"],
            ["htmx-2", "htmx-2"],
            ["marked-3", "marked-3"]
        ]),
        "hydrated props",
    )?;
    let stock: Json = cx
        .eval("[...document.querySelectorAll('mochi-server-island')].map(el => el.textContent.trim())")
        .await?;
    ensure_eq(
        stock,
        json!(["stock of 1", "stock of 2", "stock of 3"]),
        "server islands",
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Preloaded islands: the `Link` header's batch is the runtime's fetch
// ---------------------------------------------------------------------------

static PRELOAD_HITS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Counts every request for it, by label.
#[mochi::island(defer)]
fn preload_probe(label: String) -> Markup {
    PRELOAD_HITS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(label.clone());
    html! { span.preloaded { "loaded " (label) } }
}

async fn preload_page(req: Req) -> Answer {
    let k = &req.query::<K>().k;
    page(
        "preload",
        true,
        html! {
            (preload_probe(format!("{k}-a")).fallback("a…"))
            (preload_probe(format!("{k}-b")).fallback("b…"))
            div style="height: 3000px" {}
            (preload_probe(format!("{k}-below")).defer_on_visible().fallback("below…"))
        },
    )
}

/// The page's eager islands are preloaded from its `Link` header, as the
/// one batch the runtime asks for, and the runtime's fetch takes the
/// preloaded answer: one request for both, each island rendered once. The
/// below-the-fold island is not preloaded.
pub(crate) async fn preload_from_headers(cx: &Ctx) -> TestResult {
    let k = fresh("p");
    cx.goto(&format!("/test/preload?k={k}")).await?;
    cx.wait_for(
        "both eager islands",
        "document.querySelectorAll('mochi-server-island[mochi-state=loaded]').length === 2",
    )
    .await?;
    let initiators: Json = cx
        .eval(
            "performance.getEntriesByType('resource')\
             .filter(e => e.name.includes('/_mochi/island/') || e.name.includes('/_mochi/batch'))\
             .map(e => [new URL(e.name).pathname, new URL(e.name).searchParams.getAll('i'), e.initiatorType])",
        )
        .await?;
    ensure_eq(
        initiators,
        json!([["/_mochi/batch", ["i0", "i1"], "link"]]),
        "eager islands fetched by the preload, in one batch, once",
    )?;
    let mut hits: Vec<String> = PRELOAD_HITS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|l| l.starts_with(&k))
        .cloned()
        .collect();
    hits.sort();
    ensure_eq(
        hits,
        vec![format!("{k}-a"), format!("{k}-b")],
        "server saw one request per island",
    )?;
    Ok(())
}

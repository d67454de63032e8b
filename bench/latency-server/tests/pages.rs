//! The time-to-islands pages deliver what `bench/latency.mjs` measures:
//! every variant ends with the same islands' final HTML, and the variants
//! differ only in how it gets there. Nothing is timed here except the plain
//! page's floor.

use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::test::{call_service, init_service, read_body, TestRequest};
use example_bench_latency::{app, Mochis, SLOW};

fn mochi() -> Mochis {
    let key = mochi::Key::generate();
    Mochis::new(|| mochi::Mochi::builder(key.clone())).expect("mochi starts")
}

/// The W3C spec's example trace.
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// `(status, Link values in order, body)` of GET `uri`. A macro: actix's
/// test service type is not nameable here.
macro_rules! get {
    ($service:expr, $uri:expr) => {{
        let res = call_service(
            $service,
            TestRequest::get()
                .uri(AsRef::<str>::as_ref(&$uri))
                // One trace for every page, so pages compare byte for byte.
                .insert_header(("traceparent", TRACEPARENT))
                .to_request(),
        )
        .await;
        let status = res.status().as_u16();
        let links: Vec<String> = res
            .headers()
            .get_all(header::LINK)
            .map(|v| v.to_str().expect("ASCII Link").to_owned())
            .collect();
        let body = String::from_utf8(read_body(res).await.to_vec()).expect("UTF-8 body");
        (status, links, body)
    }};
}

/// The island URL of a preload `Link` value.
fn link_url(link: &str) -> &str {
    let end = link.find('>').expect("`<url>` in the Link");
    &link[1..end]
}

/// The parts of a batch answer, `{index} {status} {length}\n{body}` each,
/// as `(index, status, body)` in the order they came.
fn batch_parts(mut answer: &str) -> Vec<(usize, u16, String)> {
    let mut parts = Vec::new();
    while !answer.is_empty() {
        let (head, rest) = answer.split_once('\n').expect("a part's head line");
        let mut fields = head.split(' ').map(|f| f.parse::<usize>().expect(head));
        let (index, status, length) = (
            fields.next().expect(head),
            fields.next().expect(head),
            fields.next().expect(head),
        );
        parts.push((index, status as u16, rest[..length].to_owned()));
        answer = &rest[length..];
    }
    parts
}

/// The contents of a streamed page's `<template for="mochi-…">`s, each
/// with the `<mochi-swap>` that follows it.
fn stream_parts(html: &str) -> Vec<(String, String)> {
    html.match_indices("<template for=\"mochi-")
        .map(|(at, open)| {
            let id_end = html[at + open.len()..].find('"').expect("id end") + at + open.len();
            let id = html[at + open.len()..id_end].to_owned();
            let content = html[id_end..].find('>').expect("tag end") + id_end + 1;
            let end = html[content..].find("</template>").expect("template end") + content;
            let swap = format!("</template><mochi-swap island-id=\"{id}\"></mochi-swap>");
            assert!(
                html[end..].starts_with(&swap),
                "part {id} is settled by its swap"
            );
            (id, html[content..end].to_owned())
        })
        .collect()
}

/// A page's `Link`s split into its islands' preloads and its runtime
/// modules' (`rel=modulepreload`), each module's file name.
fn split_links(links: Vec<String>) -> (Vec<String>, Vec<String>) {
    let (modules, islands): (Vec<String>, Vec<String>) = links
        .into_iter()
        .partition(|l| l.ends_with(">; rel=modulepreload"));
    let modules = modules
        .iter()
        .map(|l| {
            l[..l.find('>').expect("url end")]
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    (islands, modules)
}

/// The `data-done` elements of `html`, in order (each is one leaf element).
fn finals(html: &str) -> Vec<String> {
    html.match_indices(" data-done>")
        .map(|(at, _)| {
            let start = html[..at].rfind('<').expect("element start");
            let end = html[at..].find("</").expect("element end") + at;
            let close = html[end..].find('>').expect("closing tag end") + end + 1;
            html[start..close].to_owned()
        })
        .collect()
}

#[actix_web::test]
async fn the_plain_page_holds_every_islands_final_html_after_the_slow_islands_time() {
    let service = init_service(app(mochi())).await;
    for n in [3, 20] {
        let started = Instant::now();
        let (status, links, body) = get!(&service, format!("/plain/{n}"));
        assert!(started.elapsed() >= SLOW - Duration::from_millis(5));
        assert_eq!(status, 200);
        assert!(links.is_empty());
        assert_eq!(finals(&body).len(), n);
        assert!(body.contains(&format!(r#"<meta name="bench-islands" content="{n}">"#)));
        assert!(!body.contains("fallback") && !body.contains("<script"));
    }
}

#[actix_web::test]
async fn deferred_islands_answer_what_the_plain_page_holds() {
    let service = init_service(app(mochi())).await;
    for n in [3, 20] {
        let (_, _, plain) = get!(&service, format!("/plain/{n}"));
        let (status, links, body) = get!(&service, format!("/deferred/{n}"));
        let (links, modules) = split_links(links);
        assert_eq!(modules, ["island.js"]);
        assert_eq!(status, 200);
        assert_eq!(body.matches("<mochi-server-island ").count(), n);
        assert_eq!(body.matches(r#"class="fallback""#).count(), n);
        assert!(body.contains("<script type=\"module\" async src=\"/_mochi/runtime-"));
        assert!(finals(&body).is_empty());
        // One request per island, each preloaded (mochi preloads at most
        // 16 per page).
        assert_eq!(body.matches(r#" transport="get""#).count(), n);
        assert_eq!(links.len(), n.min(16));
        let mut answers = Vec::new();
        for link in &links {
            assert!(link.starts_with("</_mochi/island/"), "{link}");
            assert!(link.ends_with("; rel=preload; as=fetch; crossorigin=anonymous"));
            let (status, _, html) = get!(&service, link_url(link));
            assert_eq!(status, 200, "{link}");
            answers.push(html);
        }
        assert_eq!(answers, finals(&plain)[..links.len()]);
    }
}

#[actix_web::test]
async fn nopreload_is_the_deferred_page_without_its_links() {
    let service = init_service(app(mochi())).await;
    let (_, _, deferred) = get!(&service, "/deferred/3");
    let (status, links, body) = get!(&service, "/nopreload/3");
    assert_eq!(status, 200);
    assert!(links.is_empty());
    assert_eq!(body, deferred);
}

#[actix_web::test]
async fn runtimefirst_preloads_the_runtime_before_the_islands() {
    let service = init_service(app(mochi())).await;
    let (_, deferred_links, deferred) = get!(&service, "/deferred/20");
    let (status, links, body) = get!(&service, "/runtimefirst/20");
    assert_eq!(status, 200);
    assert_eq!(body, deferred);
    assert!(
        links[0].starts_with("</_mochi/runtime-") && links[0].ends_with(".js>; rel=modulepreload"),
        "{links:?}"
    );
    assert_eq!(links[1..], deferred_links[..]);
}

#[actix_web::test]
async fn the_streamed_page_ends_with_every_islands_final_html_in_its_parts() {
    let service = init_service(app(mochi())).await;
    for n in [3, 20] {
        let (_, _, plain) = get!(&service, format!("/plain/{n}"));
        let started = Instant::now();
        let (status, links, body) = get!(&service, format!("/streamed/{n}"));
        let (links, modules) = split_links(links);
        assert_eq!(modules, ["island.js", "stream.js"]);
        // The response ends with the last island, the slow one.
        assert!(started.elapsed() >= SLOW - Duration::from_millis(5));
        assert_eq!(status, 200);
        assert!(
            links.is_empty(),
            "streamed islands are not preloaded: {links:?}"
        );
        assert!(body.contains("<script type=\"module\" async src=\"/streamed/_mochi/runtime-"));
        let (page, streamed) = body
            .split_once("<mochi-stream-start></mochi-stream-start>")
            .expect("the page, then its parts");
        assert_eq!(page.matches("<mochi-server-island ").count(), n);
        assert_eq!(page.matches(" stream").count(), n);
        assert_eq!(page.matches(r#"class="fallback""#).count(), n);
        assert!(finals(page).is_empty());
        let parts = stream_parts(streamed);
        assert_eq!(parts.len(), n);
        // Every final HTML is in a part, in the order the islands finished:
        // the slow one last.
        let mut got: Vec<String> = parts.iter().flat_map(|(_, html)| finals(html)).collect();
        assert_eq!(
            got.last().map(String::as_str),
            finals(&plain).get(2).map(String::as_str)
        );
        assert_eq!(finals(streamed).len(), n, "nothing outside the parts");
        let mut want = finals(&plain);
        got.sort();
        want.sort();
        assert_eq!(got, want);
        assert!(streamed.ends_with("</body></html>"));
    }
}

#[actix_web::test]
async fn the_batched_page_preloads_one_batch_that_answers_every_island() {
    let service = init_service(app(mochi())).await;
    for n in [3, 20] {
        let (_, _, plain) = get!(&service, format!("/plain/{n}"));
        let (status, links, body) = get!(&service, format!("/batched/{n}"));
        let (links, modules) = split_links(links);
        assert_eq!(modules, ["island.js"]);
        assert_eq!(status, 200);
        assert_eq!(body.matches("<mochi-server-island ").count(), n);
        assert_eq!(body.matches(r#"class="fallback""#).count(), n);
        assert!(!body.contains(" transport="));
        assert!(body.contains("<script type=\"module\" async src=\"/batched/_mochi/runtime-"));
        assert!(finals(&body).is_empty());
        assert_eq!(links.len(), 1, "{links:?}");
        assert!(links[0].ends_with("; rel=preload; as=fetch; crossorigin=anonymous"));
        let url = link_url(&links[0]);
        assert!(url.starts_with("/batched/_mochi/batch?"), "{url}");
        let names: Vec<&str> = url
            .split(['?', '&'])
            .filter_map(|kv| kv.strip_prefix("n="))
            .collect();
        let mut want = vec!["User", "Cart", "Slow"];
        want.resize(n, "Item");
        assert_eq!(names, want);
        let (status, _, answer) = get!(&service, url);
        assert_eq!(status, 200);
        let mut parts = batch_parts(&answer);
        assert_eq!(parts.len(), n);
        // Parts come as the islands finish: the slow one last.
        assert_eq!(parts.last().map(|p| p.0), Some(2));
        parts.sort();
        assert!(parts.iter().all(|p| p.1 == 200), "{parts:?}");
        let bodies: Vec<String> = parts.into_iter().map(|p| p.2).collect();
        assert_eq!(bodies, finals(&plain));
    }
}

#[actix_web::test]
async fn batched_nopreload_is_the_batched_page_without_its_link() {
    let service = init_service(app(mochi())).await;
    let (_, _, batched) = get!(&service, "/batched/20");
    let (status, links, body) = get!(&service, "/batched-nopreload/20");
    let (links, modules) = split_links(links);
    assert_eq!(status, 200);
    assert!(links.is_empty(), "{links:?}");
    assert_eq!(
        modules,
        ["island.js"],
        "its runtime modules are still preloaded"
    );
    assert!(body.contains("/batched-nopreload/_mochi/runtime-"));
    assert_eq!(
        body.replace("/batched-nopreload/_mochi/", "/batched/_mochi/"),
        batched
    );
}

#[actix_web::test]
async fn batched_runtimefirst_preloads_the_runtime_before_the_batch() {
    let service = init_service(app(mochi())).await;
    let (status, links, body) = get!(&service, "/batched-runtimefirst/20");
    assert_eq!(status, 200);
    assert_eq!(links.len(), 3, "{links:?}");
    assert!(
        links[2].ends_with("/island.js>; rel=modulepreload"),
        "{links:?}"
    );
    assert!(
        links[0].starts_with("</batched-runtimefirst/_mochi/runtime-")
            && links[0].ends_with(".js>; rel=modulepreload"),
        "{links:?}"
    );
    assert!(body.contains(&links[0][1..links[0].find('>').expect("url end")]));
    assert!(link_url(&links[1]).starts_with("/batched-runtimefirst/_mochi/batch?"));
}

#[actix_web::test]
async fn pages_have_3_to_100_islands() {
    let service = init_service(app(mochi())).await;
    for path in [
        "/plain/2",
        "/deferred/101",
        "/nopreload/0",
        "/streamed/2",
        "/batched/101",
        "/batched-nopreload/1",
    ] {
        let (status, _, _) = get!(&service, path);
        assert_eq!(status, 404, "{path}");
    }
}

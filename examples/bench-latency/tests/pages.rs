//! The time-to-islands pages deliver what `bench/latency.mjs` measures:
//! every variant ends with the same islands' final HTML, and the variants
//! differ only in how it gets there. Nothing is timed here except the plain
//! page's floor.

use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::test::{call_service, init_service, read_body, TestRequest};
use example_bench_latency::{app, SLOW};

fn mochi() -> mochi::Mochi {
    mochi::Mochi::builder(mochi::Key::generate())
        .build()
        .expect("mochi starts")
}

/// `(status, Link values in order, body)` of GET `uri`. A macro: actix's
/// test service type is not nameable here.
macro_rules! get {
    ($service:expr, $uri:expr) => {{
        let res = call_service(
            $service,
            TestRequest::get()
                .uri(AsRef::<str>::as_ref(&$uri))
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
        assert_eq!(status, 200);
        assert_eq!(body.matches("<mochi-server-island ").count(), n);
        assert_eq!(body.matches(r#"class="fallback""#).count(), n);
        assert!(body.contains("<script type=\"module\" src=\"/_mochi/runtime-"));
        assert!(finals(&body).is_empty());
        // mochi preloads at most 16 islands per page.
        assert_eq!(links.len(), n.min(16));
        let mut answers = Vec::new();
        for link in &links {
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
async fn pages_have_3_to_100_islands() {
    let service = init_service(app(mochi())).await;
    for path in ["/plain/2", "/deferred/101", "/nopreload/0"] {
        let (status, _, _) = get!(&service, path);
        assert_eq!(status, 404, "{path}");
    }
}

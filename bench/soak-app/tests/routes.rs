//! Every route the soak sends answers the status `bench/soak.py` expects of
//! it, through actix's test service: the soak's expectations stay true as
//! mochi changes. No load here.

use actix_web::test::{call_service, init_service, read_body, TestRequest};
use example_soak::{app, overdue, panicking, slow};

fn mochi() -> mochi::Mochi {
    mochi::Mochi::builder(mochi::Key::generate())
        .build()
        .expect("mochi starts")
}

#[actix_web::test]
async fn each_route_answers_the_status_the_soak_expects() {
    let mochi = mochi();
    let token = |island: fn() -> mochi::ServerIsland| {
        mochi.render_page(|| island().signed_props().expect("signed").to_owned())
    };
    let greeting = token(|| example_bench_page::greeting("Ada".into()));
    let cases = [
        ("/".to_owned(), None, 200),
        ("/faults".to_owned(), None, 200),
        (format!("/_mochi/island/Greeting?p={greeting}"), None, 200),
        (
            format!("/_mochi/island/Slow?p={}", token(|| slow(1))),
            None,
            200,
        ),
        (
            format!("/_mochi/island/Panicking?p={}", token(|| panicking(2))),
            None,
            500,
        ),
        (
            format!("/_mochi/island/Overdue?p={}", token(|| overdue(3))),
            None,
            504,
        ),
        (
            format!("/_mochi/island/Greeting?p={greeting}"),
            Some("cross-site"),
            403,
        ),
    ];
    let service = init_service(app(mochi.clone())).await;
    for (uri, fetch_site, expected) in cases {
        let mut req = TestRequest::get().uri(&uri);
        if let Some(site) = fetch_site {
            req = req.insert_header(("sec-fetch-site", site));
        }
        let res = call_service(&service, req.to_request()).await;
        let status = res.status().as_u16();
        let body = read_body(res).await;
        assert_eq!(status, expected, "{uri} ({fetch_site:?}): {body:?}");
    }
}

#[actix_web::test]
async fn the_pages_carry_the_tokens_the_soak_scrapes() {
    let service = init_service(app(mochi())).await;
    for (path, names) in [
        ("/", &["Avatar", "CartCount", "Greeting"][..]),
        ("/faults", &["Slow", "Panicking", "Overdue"][..]),
    ] {
        let res = call_service(&service, TestRequest::get().uri(path).to_request()).await;
        let page = String::from_utf8(read_body(res).await.to_vec()).expect("UTF-8");
        for name in names {
            assert!(
                page.contains(&format!("<mochi-server-island component-name=\"{name}\"")),
                "{path} has no {name} island"
            );
        }
    }
}

//! A page handler that panics under the middleware is answered `500` with
//! a body over a real connection (it used to close it with no answer),
//! logged once, and the worker goes on serving.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use mochi_tests::log_capture;

async fn boom() -> HttpResponse {
    panic!("the page handler panics on purpose")
}

async fn fine() -> HttpResponse {
    HttpResponse::Ok().body("fine")
}

fn get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn a_panicking_page_is_answered_500_with_a_body() {
    log_capture::install();
    let mochi = mochi::Mochi::builder(mochi::Key::generate())
        .build()
        .expect("mochi starts");
    let server = HttpServer::new(move || {
        App::new()
            .wrap(mochi.clone())
            .route("/boom", web::get().to(boom))
            .route("/fine", web::get().to(fine))
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    std::thread::spawn(move || actix_web::rt::System::new().block_on(server));

    let answer = get(addr, "/boom");
    assert!(answer.starts_with("HTTP/1.1 500"), "{answer:?}");
    assert!(answer.ends_with("internal server error"), "{answer:?}");
    let logged = log_capture::records_with("page /boom panicked");
    assert_eq!(logged.len(), 1, "{logged:?}");
    let answer = get(addr, "/fine");
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "the worker goes on: {answer:?}"
    );
    drop(handle.stop(false));
}

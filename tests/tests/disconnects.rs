//! Abandoned requests stop costing anything: clients that send an island
//! request and hang up leave no socket, descriptor or render behind once
//! the island's deadline has passed. Runs a real server on loopback and
//! counts this process's open descriptors (Linux `/proc/self/fd`).

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actix_web::{App, HttpServer};
use maud::{html, Markup};

static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// Never finishes on its own; counts the renders alive right now.
#[mochi::island(defer, timeout = "300ms")]
async fn stuck(n: u32) -> Markup {
    struct Alive;
    impl Drop for Alive {
        fn drop(&mut self) {
            RUNNING.fetch_sub(1, Ordering::SeqCst);
        }
    }
    RUNNING.fetch_add(1, Ordering::SeqCst);
    let _alive = Alive;
    std::future::pending::<()>().await;
    html! { (n) }
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |dir| dir.count())
}

#[test]
fn abandoned_island_requests_release_everything_by_the_deadline() {
    let mochi = mochi::Mochi::builder(mochi::Key::generate())
        .build()
        .unwrap();
    let token = mochi.render_page(|| stuck(1).signed_props().unwrap().to_owned());
    let server = {
        let mochi = mochi.clone();
        HttpServer::new(move || App::new().wrap(mochi.clone()))
            .workers(1)
            .bind(("127.0.0.1", 0))
            .unwrap()
    };
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    let runtime = std::thread::spawn(move || actix_web::rt::System::new().block_on(server));

    // Warm up: one complete request, so lazily opened descriptors exist.
    let mut warm = TcpStream::connect(addr).unwrap();
    write!(
        warm,
        "GET /_mochi/island/Stuck?p={token}&i=i0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    warm.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 504"), "{answer}");
    std::thread::sleep(Duration::from_millis(200));
    let before = open_fds();

    // 200 clients ask and hang up at once.
    for _ in 0..200 {
        let mut s = TcpStream::connect(addr).unwrap();
        write!(
            s,
            "GET /_mochi/island/Stuck?p={token}&i=i0 HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (fds, running) = (open_fds(), RUNNING.load(Ordering::SeqCst));
        if fds <= before && running == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "10 s after 200 abandoned requests: {fds} descriptors open (before: {before}), \
             {running} renders alive"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    actix_web::rt::System::new().block_on(handle.stop(false));
    runtime.join().unwrap().unwrap();
}

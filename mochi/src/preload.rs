//! A page's preload `Link` headers: one per URL the runtime will fetch the
//! page's eager server islands with (one per batch), so the browser starts
//! those fetches from the response headers, in parallel with the runtime.

use std::cell::RefCell;
use std::collections::HashMap;

use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};

use crate::context::{Preload, RenderContext};

/// Preload `Link`s per page: a bound on the header.
const MAX_PRELOAD_LINKS: usize = 16;

/// Pages' links kept per thread; a full table is emptied and starts over.
const CACHED_PAGES: usize = 64;

/// What follows the URL: `crossorigin=anonymous` is the runtime's
/// `credentials: 'same-origin'`, so its own fetch takes the preloaded
/// answer.
const REL: &str = ">; rel=preload; as=fetch; crossorigin=anonymous";

/// The links of one page: a pure function of the asset prefix and the
/// page's eager islands in order (name, id, token, whether batched), which
/// are kept whole and compared in full before the links are reused.
struct Links {
    prefix: Box<str>,
    islands: Vec<Preload>,
    values: Vec<HeaderValue>,
}

type Table = HashMap<u64, Links, foldhash::fast::RandomState>;

/// Where a page's links are looked for: the islands' count and the last
/// bytes of their tokens, which are their signatures. A collision only
/// costs a miss, since a hit is compared in full.
fn slot(islands: &[Preload]) -> u64 {
    islands.iter().fold(islands.len() as u64, |hash, island| {
        let token = island.token.as_bytes();
        let tail = token
            .len()
            .checked_sub(8)
            .and_then(|at| token[at..].try_into().ok());
        hash.rotate_left(5) ^ tail.map_or(token.len() as u64, u64::from_le_bytes)
    })
}

thread_local! {
    /// Hash of (prefix, islands) → the links made from them. A cacheable
    /// page names the same islands with the same tokens for every visitor,
    /// and making the links (the batch URLs, then a `HeaderValue` that
    /// checks every byte of each) is most of what the links cost.
    static PAGES: RefCell<Table> = RefCell::default();
}

/// Adds `Link: <url>; rel=preload; as=fetch; crossorigin=anonymous` for
/// the page's eager server islands, on a successful HTML page.
pub(crate) fn add_links<B>(res: &mut ServiceResponse<B>, cx: &RenderContext) {
    let islands = cx.take_preloads();
    if islands.is_empty() || !crate::setup::is_html_page(res) {
        return;
    }
    let prefix = cx.asset_prefix();
    let headers = res.headers_mut();
    PAGES.with(|pages| {
        let mut pages = pages.borrow_mut();
        let hash = slot(&islands);
        let hit = pages
            .get(&hash)
            .filter(|links| *links.prefix == *prefix && links.islands == islands);
        let values = match hit {
            Some(links) => &links.values,
            None => {
                if pages.len() >= CACHED_PAGES {
                    pages.clear();
                }
                let values = make_links(&prefix, &islands);
                let links = Links {
                    prefix: (*prefix).into(),
                    islands,
                    values,
                };
                &pages.entry(hash).insert_entry(links).into_mut().values
            }
        };
        for value in values {
            headers.append(header::LINK, value.clone());
        }
    });
}

/// The link values for `islands`: all eager islands are split into
/// batches first, so each `Link` names exactly a URL the runtime fetches;
/// then only the first few are kept.
fn make_links(prefix: &str, islands: &[Preload]) -> Vec<HeaderValue> {
    let max_len = crate::config::MAX_BATCH_URL;
    let urls = crate::batch::preload_urls(prefix, islands, max_len);
    // mochi's URLs are always valid header text (names, ids and tokens
    // need no escaping); one that were not would be left out.
    let links = urls.iter().take(MAX_PRELOAD_LINKS);
    links
        .filter_map(|url| HeaderValue::try_from(format!("<{url}{REL}")).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use actix_web::http::header;
    use actix_web::test::TestRequest;
    use actix_web::HttpResponse;

    use super::{add_links, CACHED_PAGES};
    use crate::config::Config;
    use crate::context::{IdSpace, Preload, RenderContext, RenderKind};
    use crate::signing::{Key, Keys};

    fn links(mount: &str, islands: &[Preload]) -> Vec<String> {
        let config = Config::for_tests(Keys::new(Key::generate(), Vec::new()));
        let cx = RenderContext::new(config.into(), None, RenderKind::Page, IdSpace::page())
            .mounted(mount);
        for island in islands {
            cx.note_preload(|| island.clone());
        }
        let req = TestRequest::get().to_http_request();
        let mut res = actix_web::dev::ServiceResponse::new(req, HttpResponse::Ok().finish());
        add_links(&mut res, &cx);
        res.headers()
            .get_all(header::LINK)
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    fn island(id: &str, token: &str) -> Preload {
        Preload {
            name: "A",
            token: token.into(),
            id: id.into(),
            batched: true,
        }
    }

    /// Hits and misses give the links made from the page's islands,
    /// whatever the table held before (overflow included): a page that
    /// differs in any island, or in where it is mounted, gets its own.
    #[test]
    fn links_are_made_from_the_islands() {
        let rel = "; rel=preload; as=fetch; crossorigin=anonymous";
        for round in 0..2 {
            for n in 0..CACHED_PAGES * 2 + 3 {
                let (i, t) = (format!("i{n}"), format!("t.{round}"));
                let page = [island("i0", "x.x"), island(&i, &t)];
                let expected = format!("</_mochi/batch?n=A&i=i0&p=x.x&n=A&i={i}&p={t}>{rel}");
                assert_eq!(links("", &page), std::slice::from_ref(&expected));
                assert_eq!(links("", &page), [expected], "again");
                assert_eq!(
                    links("/shop", &page),
                    [format!(
                        "</shop/_mochi/batch?n=A&i=i0&p=x.x&n=A&i={i}&p={t}>{rel}"
                    )]
                );
            }
        }
        let own = Preload {
            batched: false,
            ..island("i0", "x.x")
        };
        assert_eq!(
            links("", &[own]),
            [format!("</_mochi/island/A?p=x.x&i=i0>{rel}")]
        );
    }
}

//! A page's preload `Link` headers: one per URL the runtime will fetch the
//! page's eager server islands with (one per batch), so the browser starts
//! those fetches from the response headers, in parallel with the runtime.

use std::cell::RefCell;
use std::collections::HashMap;

use bytes::Bytes;

use crate::assets::Features;
use crate::config::{Config, MAX_BATCH};
use crate::context::Preload;

/// Preload `Link`s per page: a bound on the header.
const MAX_PRELOAD_LINKS: usize = 16;

/// What follows the URL: `crossorigin=anonymous` is the runtime's
/// `credentials: 'same-origin'`, so its own fetch takes the preloaded
/// answer.
const REL: &str = ">; rel=preload; as=fetch; crossorigin=anonymous";

/// The `Link` values for a page's eager `islands`, whose assets are served
/// under `prefix`: all eager islands are split into batches first, so each
/// `Link` names exactly a URL the runtime fetches; then only the first few
/// are kept. mochi's URLs are valid header text (names, ids and tokens need
/// no escaping, and the mount is a plain path).
pub(crate) fn links(prefix: &str, islands: &[Preload], trace: Option<&str>) -> Vec<String> {
    let max_len = crate::config::MAX_BATCH_URL;
    let urls = preload_urls(prefix, islands, max_len, trace);
    let links = urls.into_iter().take(MAX_PRELOAD_LINKS);
    links.map(|url| format!("<{url}{REL}")).collect()
}

/// Pages' preload links kept per thread; a full table starts over.
const CACHED_PAGES: usize = 64;

/// Where a cached link holds the page's trace, at the end of its URL: as
/// long as any `traceparent`, so the batches split the same.
const TRACE_SLOT: &str = "~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~";

const _: () = assert!(TRACE_SLOT.len() == crate::trace::TEXT_LEN);

type LinkTable = HashMap<(Box<str>, Vec<Preload>, bool), Vec<String>, foldhash::fast::RandomState>;

thread_local! {
    /// (asset prefix, eager islands, whether the page has a trace) → their
    /// `Link` values, the trace left as a slot. A cacheable page names the
    /// same islands with the same tokens for every visitor, and making the
    /// batch URLs costs about a tenth of the page; the key is exactly what
    /// the links are made from, compared in full.
    static LINKS: RefCell<LinkTable> = RefCell::default();
}

/// The preload `Link` values of a page (see [`links`]) whose eager
/// `islands` are served under `prefix`; `trace` is the page's
/// `traceparent`, which its private URLs end with. Made once per thread
/// for the same islands, then the page's trace filled in.
pub(crate) fn page_links(prefix: &str, islands: Vec<Preload>, trace: Option<&str>) -> Vec<String> {
    let links = LINKS.with(|table| {
        let mut table = table.borrow_mut();
        let key = (Box::from(prefix), islands, trace.is_some());
        if let Some(links) = table.get(&key) {
            return links.clone();
        }
        let slot = trace.map(|_| TRACE_SLOT);
        let links = links(prefix, &key.1, slot);
        if table.len() >= CACHED_PAGES {
            table.clear();
        }
        table.insert(key, links.clone());
        links
    });
    // The slot ends the URL, just before the `>` (a mount may hold `~`).
    let fill = |mut link: String| {
        let end = link.find('>').unwrap_or(0);
        let at = end.saturating_sub(TRACE_SLOT.len());
        if let (Some(trace), Some(TRACE_SLOT)) = (trace, link.get(at..end)) {
            link.replace_range(at..end, trace);
        }
        link
    };
    links.into_iter().map(fill).collect()
}

/// The `Link` values preloading the runtime modules of a page's
/// `features`, for a page mounted at `mount`: the browser fetches them with
/// the page, not one after another as the entry imports them. At the
/// app's root they are the values made once with the config.
pub(crate) fn module_links(config: &Config, mount: &str, features: Features) -> Vec<Bytes> {
    let modules = features.modules().into_iter();
    if mount.is_empty() {
        let made = |m| config.module_links.iter().find(|(n, _)| *n == m);
        return modules
            .filter_map(|m| made(m).map(|(_, v)| v.clone()))
            .collect();
    }
    let prefix = [mount, &config.prefix].concat();
    modules
        .map(|m| Bytes::from(module_link(&prefix, m)))
        .collect()
}

/// `<{prefix}/runtime-{hash}/{module}.js>; rel=modulepreload`.
pub(crate) fn module_link(prefix: &str, module: &str) -> String {
    let url = crate::assets::runtime_url(prefix, module);
    format!("<{url}>; rel=modulepreload")
}

/// The URLs the runtime fetches a page's eager islands with (see the
/// module docs for the rule), for the page's preload `Link`s. `prefix` is
/// where the page's assets are served; `trace`, the page's `traceparent`,
/// ends every URL whose answer is private anyway (see [`crate::trace`]),
/// and counts towards a batch URL's length as the runtime counts it.
pub(crate) fn preload_urls(
    prefix: &str,
    preloads: &[Preload],
    max_len: usize,
    trace: Option<&str>,
) -> Vec<String> {
    let tail = trace.map(|t| ["&", crate::trace::PARAM, "=", t].concat());
    let tail = tail.as_deref().unwrap_or("");
    let base = prefix.len() + "/batch".len() + tail.len();
    // Islands with a GET of their own first (the runtime does not hold
    // them back), then the others, in order, cut into batches.
    let (batched, own): (Vec<&Preload>, Vec<&Preload>) = preloads.iter().partition(|p| p.batched);
    let mut urls: Vec<String> = own.iter().map(|p| single_url(prefix, p, "")).collect();
    let mut start = 0;
    let mut len = base;
    for (n, p) in batched.iter().enumerate() {
        let add = 1 + entry_len(p);
        if n > start && (len + add > max_len || n - start == MAX_BATCH) {
            urls.push(batch_url(prefix, &batched[start..n], tail));
            start = n;
            len = base;
        }
        len += add;
    }
    if start < batched.len() {
        urls.push(batch_url(prefix, &batched[start..], tail));
    }
    urls
}

/// `{prefix}/island/{Name}?p={token}&i={id}`, then `tail`.
fn single_url(prefix: &str, p: &Preload, tail: &str) -> String {
    let parts = [
        prefix, "/island/", p.name, "?p=", &p.token, "&i=", &p.id, tail,
    ];
    concat(&parts)
}

/// `{prefix}/batch?n=…&i=…&p=…&…` then `tail`, or the single island's URL
/// for one.
fn batch_url(prefix: &str, chunk: &[&Preload], tail: &str) -> String {
    if let [one] = chunk {
        return single_url(prefix, one, tail);
    }
    let entries = chunk.iter().map(|p| 1 + entry_len(p)).sum::<usize>();
    let len = prefix.len() + "/batch".len() + entries + tail.len();
    let mut url = String::with_capacity(len);
    url.push_str(prefix);
    url.push_str("/batch");
    for (n, p) in chunk.iter().enumerate() {
        url.push(if n == 0 { '?' } else { '&' });
        for part in ["n=", p.name, "&i=", &p.id, "&p=", &p.token] {
            url.push_str(part);
        }
    }
    url.push_str(tail);
    url
}

/// The length of `n={Name}&i={id}&p={token}` (names, ids and tokens need
/// no escaping).
fn entry_len(p: &Preload) -> usize {
    "n=&i=&p=".len() + p.name.len() + p.id.len() + p.token.len()
}

fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    parts.iter().for_each(|p| out.push_str(p));
    out
}

#[cfg(test)]
mod tests {
    use super::{links, preload_urls};
    use crate::config::MAX_BATCH;
    use crate::context::Preload;

    /// The links made once per thread carry each page's own trace, and a
    /// page without one has none.
    #[test]
    fn cached_page_links_carry_each_pages_trace() {
        let page = [island("i0", "x.x"), island("i1", "t.1")];
        let traces = [
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ];
        for trace in traces {
            let links = super::page_links("/~shop/_mochi", page.to_vec(), Some(trace));
            assert_eq!(links, links_with(trace));
        }
        let plain = super::page_links("/~shop/_mochi", page.to_vec(), None);
        assert_eq!(plain, links("/~shop/_mochi", &page, None));

        fn links_with(trace: &str) -> Vec<String> {
            let page = [island("i0", "x.x"), island("i1", "t.1")];
            links("/~shop/_mochi", &page, Some(trace))
        }
    }

    /// A page's modules are preloaded as the entry imports them, at the
    /// root from the config's values, under a mount made anew.
    #[test]
    fn module_links_name_the_features_modules() {
        use crate::assets::{runtime_hash, Features};
        use crate::config::Config;
        use crate::signing::{Key, Keys};
        let config = Config::for_tests(Keys::new(Key::generate(), Vec::new()));
        let hash = runtime_hash();
        let link = |mount: &str, module: &str| {
            format!("<{mount}/_mochi/runtime-{hash}/{module}.js>; rel=modulepreload")
        };
        let features = Features::ISLAND.with(Features::HYDRATE);
        for mount in ["", "/shop"] {
            let links = super::module_links(&config, mount, features);
            let links: Vec<&[u8]> = links.iter().map(|l| &l[..]).collect();
            let want = [link(mount, "island"), link(mount, "hydrate")];
            assert_eq!(links, [want[0].as_bytes(), want[1].as_bytes()], "{mount:?}");
        }
        assert!(super::module_links(&config, "", Features::NONE).is_empty());
    }

    fn island(id: &str, token: &str) -> Preload {
        Preload {
            name: "A",
            token: token.into(),
            id: id.into(),
            batched: true,
        }
    }

    /// The links are made from the page's islands and where it is mounted.
    #[test]
    fn links_are_made_from_the_islands() {
        let rel = "; rel=preload; as=fetch; crossorigin=anonymous";
        let page = [island("i0", "x.x"), island("i1", "t.1")];
        assert_eq!(
            links("/_mochi", &page, None),
            [format!(
                "</_mochi/batch?n=A&i=i0&p=x.x&n=A&i=i1&p=t.1>{rel}"
            )]
        );
        assert_eq!(
            links("/shop/_mochi", &page, None),
            [format!(
                "</shop/_mochi/batch?n=A&i=i0&p=x.x&n=A&i=i1&p=t.1>{rel}"
            )]
        );
        let own = Preload {
            batched: false,
            ..island("i0", "x.x")
        };
        assert_eq!(
            links("/_mochi", &[own], None),
            [format!("</_mochi/island/A?p=x.x&i=i0>{rel}")]
        );
    }

    fn preload(name: &'static str, id: &str, token: &str, batched: bool) -> Preload {
        Preload {
            name,
            token: token.into(),
            id: id.into(),
            batched,
        }
    }

    #[test]
    fn eager_islands_share_a_batch_url() {
        let preloads = [
            preload("A", "i0", "a.a", true),
            preload("Cached", "i1", "c.c", false),
            preload("B", "i2", "b.b", true),
        ];
        assert_eq!(
            preload_urls("/_mochi", &preloads, 2048, None),
            [
                "/_mochi/island/Cached?p=c.c&i=i1",
                "/_mochi/batch?n=A&i=i0&p=a.a&n=B&i=i2&p=b.b",
            ]
        );
        // Alone, an island is fetched as itself.
        assert_eq!(
            preload_urls("/_mochi", &preloads[..1], 2048, None),
            ["/_mochi/island/A?p=a.a&i=i0"]
        );
    }

    #[test]
    fn batches_split_at_the_threshold_and_the_cap() {
        let token = "t".repeat(100);
        let preloads: Vec<Preload> = (0..40)
            .map(|n| preload("A", &format!("i{n}"), &token, true))
            .collect();
        for threshold in [200, 1000, 2048, 100_000] {
            let urls = preload_urls("/_mochi", &preloads, threshold, None);
            let mut seen = 0;
            for url in &urls {
                let islands = url.matches("n=A").count().max(1);
                assert!(islands <= MAX_BATCH);
                assert!(islands == 1 || url.len() <= threshold, "{threshold}: {url}");
                seen += islands;
            }
            assert_eq!(seen, preloads.len(), "{threshold}: every island once");
        }
        assert_eq!(preload_urls("/_mochi", &preloads, 100_000, None).len(), 2);
    }

    /// The page's trace ends each private URL and counts towards a batch
    /// URL's length; a cacheable island's URL stays the same for everyone.
    #[test]
    fn the_trace_ends_private_urls_within_the_length() {
        let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let preloads = [
            preload("A", "i0", "a.a", true),
            preload("Cached", "i1", "c.c", false),
            preload("B", "i2", "b.b", true),
        ];
        assert_eq!(
            preload_urls("/_mochi", &preloads, 2048, Some(tp)),
            [
                "/_mochi/island/Cached?p=c.c&i=i1".to_owned(),
                format!("/_mochi/batch?n=A&i=i0&p=a.a&n=B&i=i2&p=b.b&tp={tp}"),
            ]
        );
        assert_eq!(
            preload_urls("/_mochi", &preloads[..1], 2048, Some(tp)),
            [format!("/_mochi/island/A?p=a.a&i=i0&tp={tp}")]
        );
        let token = "t".repeat(100);
        let many: Vec<Preload> = (0..40)
            .map(|n| preload("A", &format!("i{n}"), &token, true))
            .collect();
        for url in preload_urls("/_mochi", &many, 1000, Some(tp)) {
            assert!(url.len() <= 1000 && url.ends_with(tp), "{url}");
        }
    }
}

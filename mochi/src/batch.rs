//! Batched island requests: the server islands that start loading together
//! in one request to `{prefix}/batch`, answered as a stream of parts in the
//! order the islands finish.
//!
//! The request names each island as `n={Name}&i={id}&p={token}`, in order,
//! in the query (`GET`) or in a form body (`POST`). The answer is `200`
//! with `Content-Type: application/x-mochi-batch`, a sequence of parts
//!
//! ```text
//! {index} {status} {length}\n{body}
//! ```
//!
//! where `index` is the island's place in the request, `status` what a
//! request for that island alone would have answered, and `length` the
//! byte length of `body` (its HTML, or the error text). Every island is
//! verified exactly as a single request would be, against its own name: a
//! bad token fails that island's part, not the batch.
//!
//! Which islands go in which batch is one rule, here and in the runtime
//! (so a page's preload `Link` names the very URL the runtime fetches):
//! in order, an island joins the current batch unless that would pass
//! [`MAX_BATCH`] islands or make the URL (path and query) longer than
//! [`MAX_BATCH_URL`](crate::MAX_BATCH_URL); a batch of one is fetched as a
//! single island.

use std::convert::Infallible;
use std::future::ready;
use std::sync::Arc;

use actix_web::body::BodyStream;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::http::{Method, StatusCode};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use compact_str::CompactString;
use futures_util::future::LocalBoxFuture;
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt as _, StreamExt as _};
use maud::Markup;

use crate::config::{Config, MAX_BATCH};
use crate::context::Preload;
use crate::endpoint::{self, Refusal};

/// The batch answer's media type.
pub(crate) const CONTENT_TYPE: &str = "application/x-mochi-batch";

/// One island of a batch request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BatchEntry<'q> {
    pub(crate) name: &'q str,
    pub(crate) id: &'q str,
    pub(crate) token: &'q str,
}

/// Reads `n=…&i=…&p=…` triples; other keys are ignored, like the island
/// endpoint's cache busters.
pub(crate) fn parse_batch(query: &str) -> Result<Vec<BatchEntry<'_>>, &'static str> {
    #[derive(Default)]
    struct Open<'q> {
        name: &'q str,
        id: Option<&'q str>,
        token: Option<&'q str>,
    }
    fn close<'q>(open: Open<'q>) -> Result<BatchEntry<'q>, &'static str> {
        let id = open.id.ok_or("an island without `i`")?;
        let token = open
            .token
            .filter(|t| !t.is_empty())
            .ok_or("an island without `p`")?;
        if !endpoint::is_valid_island_id(id) {
            return Err("bad island id `i`");
        }
        Ok(BatchEntry {
            name: open.name,
            id,
            token,
        })
    }
    let mut entries = Vec::new();
    let mut open: Option<Open<'_>> = None;
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "n" => {
                if let Some(done) = open.take() {
                    entries.push(close(done)?);
                }
                open = Some(Open {
                    name: value,
                    ..Open::default()
                });
            }
            "i" | "p" => {
                let current = open.as_mut().ok_or("`i` or `p` before any `n`")?;
                let slot = if key == "i" {
                    &mut current.id
                } else {
                    &mut current.token
                };
                if slot.replace(value).is_some() {
                    return Err("repeated query parameter");
                }
            }
            _ => {}
        }
    }
    entries.push(close(open.ok_or("no islands")?)?);
    // The query itself is bounded (the URL and body caps), so the count is
    // checked once, at the end.
    if entries.len() > MAX_BATCH {
        return Err("too many islands in one batch");
    }
    Ok(entries)
}

/// Answers `{prefix}/batch`.
pub(crate) async fn handle(
    config: Arc<Config>,
    req: HttpRequest,
    payload: Payload,
    mount: &str,
) -> HttpResponse {
    let uri_len = req.path().len() + req.query_string().len() + 1;
    if uri_len > config.settings.max_url {
        return endpoint::error(StatusCode::URI_TOO_LONG, "URI too long");
    }
    if endpoint::is_refused_cross_site(&req, &config) {
        let why = "cross-site island request (see `MochiBuilder::allow_cross_site`)";
        return Refusal(StatusCode::FORBIDDEN, "forbidden", Some(why.into())).answer(&config);
    }
    let post = req.method() == Method::POST;
    let body = if post {
        match endpoint::read_form(&req, payload, &config).await {
            Ok(body) => body,
            Err(refusal) => return refusal.answer(&config),
        }
    } else {
        String::new()
    };
    let query = if post { &body } else { req.query_string() };
    let entries = match parse_batch(query) {
        Ok(entries) => entries,
        Err(why) => {
            return Refusal(StatusCode::BAD_REQUEST, "bad request", Some(why.into()))
                .answer(&config)
        }
    };
    // An island that opted into a shared cache is fetched on its own, where
    // a cache can answer for it; the runtime never batches one.
    let cacheable = entries.iter().find(|entry| {
        endpoint::server_island(entry.name).is_some_and(|def| def.cache_control.is_some())
    });
    if let Some(entry) = cacheable {
        let why = format!(
            "island `{}` opted into a shared cache: it is fetched on its own, not in a batch",
            entry.name
        );
        return Refusal(StatusCode::BAD_REQUEST, "bad request", Some(why)).answer(&config);
    }
    // Verified before anything renders; the islands share the request.
    let request = endpoint::island_request(&config, &req);
    let parts: FuturesUnordered<LocalBoxFuture<'static, Bytes>> = FuturesUnordered::new();
    for group in same_island_groups(&entries) {
        let first = &entries[group[0]];
        let verified = endpoint::server_island(first.name)
            .ok_or(Refusal(StatusCode::NOT_FOUND, "no such island", None))
            .and_then(|def| Ok((def, endpoint::verified_text(&config, def, first.token)?)));
        let config = config.clone();
        let (def, text) = match verified {
            Ok(verified) => verified,
            Err(refusal) => {
                let answers = group.iter().map(|&index| (index, Err(refusal.clone())));
                parts.push(ready(parts_of(answers, &config)).boxed_local());
                continue;
            }
        };
        let ids: Vec<(usize, CompactString)> = group
            .iter()
            .map(|&index| (index, entries[index].id.into()))
            .collect();
        let (request, mount) = (request.clone(), CompactString::from(mount));
        let req = req.clone();
        parts.push(
            async move {
                let render = |id: &str| {
                    let cx = endpoint::island_context(&config, &request, def, Some(id), &mount);
                    let answer = endpoint::answer(&config, cx.clone(), def, text.clone());
                    let answer = crate::actix::with_request(req.clone(), answer);
                    answer.map(move |answer| (answer, cx.ids.used()))
                };
                let (answer, ids_used) = render(&ids[0].1).await;
                let mut answers = vec![(ids[0].0, answer.clone())];
                if ids_used {
                    // Its HTML holds ids made from the island's id: each
                    // copy renders under its own.
                    let rest = ids[1..]
                        .iter()
                        .map(|(index, id)| render(id).map(move |(answer, _)| (*index, answer)));
                    answers.extend(futures_util::future::join_all(rest).await);
                } else {
                    answers.extend(ids[1..].iter().map(|(index, _)| (*index, answer.clone())));
                }
                parts_of(answers.into_iter(), &config)
            }
            .boxed_local(),
        );
    }
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CONTENT_TYPE, CONTENT_TYPE))
        .insert_header(endpoint::PRIVATE_ONLY)
        .insert_header(endpoint::NOINDEX)
        .insert_header(endpoint::UNBUFFERED);
    endpoint::not_sniffed_or_framed(&mut res);
    res.body(BodyStream::new(parts.map(Ok::<_, Infallible>)))
}

/// The batch's entries grouped by (name, token), each group's indices in
/// request order, groups in the order of their first entry: one
/// verification and, where the answer does not depend on the island's id,
/// one render per group.
fn same_island_groups(entries: &[BatchEntry<'_>]) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let same = |group: &&mut Vec<usize>| {
            let first = &entries[group[0]];
            (first.name, first.token) == (entry.name, entry.token)
        };
        match groups.iter_mut().find(same) {
            Some(group) => group.push(index),
            None => groups.push(vec![index]),
        }
    }
    groups
}

/// The parts of `answers`, one after the other.
fn parts_of(
    answers: impl Iterator<Item = (usize, Result<Markup, Refusal>)>,
    config: &Config,
) -> Bytes {
    let parts: Vec<Bytes> = answers
        .map(|(index, answer)| part(index, answer, config))
        .collect();
    parts.concat().into()
}

/// `{index} {status} {length}\n{body}`.
fn part(index: usize, answer: Result<Markup, Refusal>, config: &Config) -> Bytes {
    let (status, body) = match answer {
        Ok(markup) => (StatusCode::OK, markup.0),
        Err(refusal) => (refusal.0, refusal.text(config)),
    };
    let mut out = format!("{index} {} {}\n", status.as_u16(), body.len());
    out.push_str(&body);
    Bytes::from(out)
}

/// The URLs the runtime fetches a page's eager islands with (see the
/// module docs for the rule), for the page's preload `Link`s. `prefix` is
/// where the page's assets are served.
pub(crate) fn preload_urls(prefix: &str, preloads: &[Preload], max_len: usize) -> Vec<String> {
    let base = prefix.len() + "/batch".len();
    // Islands with a GET of their own first (the runtime does not hold
    // them back), then the others, in order, cut into batches.
    let (batched, own): (Vec<&Preload>, Vec<&Preload>) = preloads.iter().partition(|p| p.batched);
    let mut urls: Vec<String> = own.iter().map(|p| single_url(prefix, p)).collect();
    let mut start = 0;
    let mut len = base;
    for (n, p) in batched.iter().enumerate() {
        let add = 1 + entry_len(p);
        if n > start && (len + add > max_len || n - start == MAX_BATCH) {
            urls.push(batch_url(prefix, &batched[start..n]));
            start = n;
            len = base;
        }
        len += add;
    }
    if start < batched.len() {
        urls.push(batch_url(prefix, &batched[start..]));
    }
    urls
}

/// `{prefix}/island/{Name}?p={token}&i={id}`.
fn single_url(prefix: &str, p: &Preload) -> String {
    let parts = [prefix, "/island/", p.name, "?p=", &p.token, "&i=", &p.id];
    concat(&parts)
}

/// `{prefix}/batch?n=…&i=…&p=…&…`, or the single island's URL for one.
fn batch_url(prefix: &str, chunk: &[&Preload]) -> String {
    if let [one] = chunk {
        return single_url(prefix, one);
    }
    let len = prefix.len() + "/batch".len() + chunk.iter().map(|p| 1 + entry_len(p)).sum::<usize>();
    let mut url = String::with_capacity(len);
    url.push_str(prefix);
    url.push_str("/batch");
    for (n, p) in chunk.iter().enumerate() {
        url.push(if n == 0 { '?' } else { '&' });
        for part in ["n=", p.name, "&i=", &p.id, "&p=", &p.token] {
            url.push_str(part);
        }
    }
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
    use super::*;

    fn preload(name: &'static str, id: &str, token: &str, batched: bool) -> Preload {
        Preload {
            name,
            token: token.into(),
            id: id.into(),
            batched,
        }
    }

    #[test]
    fn entries_are_read_in_order() {
        let entries = parse_batch("n=A&i=i0&p=t.0&v=2&n=B&p=t.1&i=i1").unwrap();
        assert_eq!(
            entries,
            [
                BatchEntry {
                    name: "A",
                    id: "i0",
                    token: "t.0"
                },
                BatchEntry {
                    name: "B",
                    id: "i1",
                    token: "t.1"
                }
            ]
        );
    }

    #[test]
    fn malformed_batches_are_refused() {
        for bad in [
            "",
            "p=t&n=A&i=i0",
            "n=A&i=i0",
            "n=A&p=t",
            "n=A&i=i0&p=",
            "n=A&i=i0&i=i1&p=t",
            "n=A&i=%3C&p=t",
        ] {
            assert!(parse_batch(bad).is_err(), "{bad:?}");
        }
        let full: String = (0..MAX_BATCH).map(|n| format!("n=A&i=i{n}&p=t&")).collect();
        assert_eq!(parse_batch(&full).unwrap().len(), MAX_BATCH);
        assert_eq!(
            parse_batch(&format!("{full}n=A&i=x&p=t")),
            Err("too many islands in one batch")
        );
    }

    #[test]
    fn eager_islands_share_a_batch_url() {
        let preloads = [
            preload("A", "i0", "a.a", true),
            preload("Cached", "i1", "c.c", false),
            preload("B", "i2", "b.b", true),
        ];
        assert_eq!(
            preload_urls("/_mochi", &preloads, 2048),
            [
                "/_mochi/island/Cached?p=c.c&i=i1",
                "/_mochi/batch?n=A&i=i0&p=a.a&n=B&i=i2&p=b.b",
            ]
        );
        // Alone, an island is fetched as itself.
        assert_eq!(
            preload_urls("/_mochi", &preloads[..1], 2048),
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
            let urls = preload_urls("/_mochi", &preloads, threshold);
            let mut seen = 0;
            for url in &urls {
                let islands = url.matches("n=A").count().max(1);
                assert!(islands <= MAX_BATCH);
                assert!(islands == 1 || url.len() <= threshold, "{threshold}: {url}");
                seen += islands;
            }
            assert_eq!(seen, preloads.len(), "{threshold}: every island once");
        }
        assert_eq!(preload_urls("/_mochi", &preloads, 100_000).len(), 2);
    }
}

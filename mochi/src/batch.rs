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
//! [`MAX_BATCH_URL`](crate::config::MAX_BATCH_URL); a batch of one is fetched as a
//! single island.

use std::future::ready;
use std::sync::Arc;

use bytes::Bytes;
use compact_str::CompactString;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt as _, Stream, StreamExt as _};
use http::StatusCode;
use maud::Markup;
use tracing::Instrument as _;

use crate::answer::{self as endpoint, Answer, AnswerBody, Header, Refusal};
use crate::config::Config;
use crate::endpoint::AssetRequest;
use crate::protocol::{parse_batch, BatchEntry, BATCH_CONTENT_TYPE};

/// Answers `{prefix}/batch`.
pub(crate) async fn handle<B, E>(config: Arc<Config>, req: AssetRequest<B>) -> Answer
where
    B: Stream<Item = Result<Bytes, E>> + Unpin,
{
    if endpoint::target_len(&req.head) > config.settings.max_url {
        return endpoint::error(StatusCode::URI_TOO_LONG, "URI too long");
    }
    if endpoint::is_refused_cross_site(&req.head, &config) {
        let why = "cross-site island request (see `MochiBuilder::allow_cross_site`)";
        return Refusal(StatusCode::FORBIDDEN, "forbidden", Some(why.into())).answer(&config);
    }
    let post = req.head.is_method("POST");
    let body = if post {
        match endpoint::read_form(&req.head, req.body, &config).await {
            Ok(body) => body,
            Err(refusal) => return refusal.answer(&config),
        }
    } else {
        String::new()
    };
    let query = req.head.query().to_owned();
    let query = if post { &body } else { &query };
    let entries = match parse_batch(query) {
        Ok(entries) => entries,
        Err(why) => {
            return Refusal(StatusCode::BAD_REQUEST, "bad request", Some(why.into()))
                .answer(&config)
        }
    };
    // Every part's island spans are children of the batch's.
    let span = tracing::debug_span!(
        "mochi.batch",
        islands = entries.len(),
        trace_id = tracing::field::Empty,
        parent_span_id = tracing::field::Empty,
    );
    crate::trace::record_on(&span, &req.head);
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
    let request = endpoint::island_request(&config, req.head);
    let parts: FuturesUnordered<BoxFuture<'static, Bytes>> = FuturesUnordered::new();
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
                parts.push(ready(parts_of(answers, &config)).boxed());
                continue;
            }
        };
        let ids: Vec<(usize, CompactString)> = group
            .iter()
            .map(|&index| (index, entries[index].id.into()))
            .collect();
        let (request, mount) = (request.clone(), req.mount.clone());
        parts.push(
            async move {
                let render = |id: &str| {
                    let cx = endpoint::island_context(&config, &request, def, Some(id), &mount);
                    let answer = endpoint::answer(&config, cx.clone(), def, Some(id), text.clone());
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
            .instrument(span.clone())
            .boxed(),
        );
    }
    answer(parts.boxed())
}

/// A batch's answer: parts streamed as the islands finish.
fn answer(parts: futures_util::stream::BoxStream<'static, Bytes>) -> Answer {
    Answer::island_html(AnswerBody::Parts(parts), BATCH_CONTENT_TYPE)
        .header(Header::CacheControl, endpoint::PRIVATE)
        .header(Answer::UNBUFFERED.0, Answer::UNBUFFERED.1)
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

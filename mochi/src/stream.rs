//! Streamed islands: a page's [`ServerIsland::stream`] islands, rendered
//! after the page on the page's own request and written to the end of the
//! same response.
//!
//! The page goes out at once, up to its `</body>`, followed by
//! `<mochi-stream-start></mochi-stream-start>` (everything before it is
//! parsed: the runtime may start the page's other islands). Then, in the
//! order the islands finish, one part each:
//!
//! ```text
//! <template for="mochi-{id}">{html}</template><mochi-swap island-id="{id}"></mochi-swap>
//! <mochi-swap island-id="{id}" fetch></mochi-swap>    past its deadline: fetch it instead
//! <mochi-swap island-id="{id}" failed></mochi-swap>   failed or panicked: keep the fallback
//! ```
//!
//! and last the rest of the page (`</body></html>`). A streamed island's
//! fallback stands between `<?start name="mochi-{id}">` and `<?end>`, so
//! a browser with Declarative Partial Updates replaces it with the
//! template's content as its parser meets the template, with no script
//! (and with JavaScript off). The parser then runs the `<mochi-swap>`'s
//! `connectedCallback`, which sets the island's state and fires its
//! events, or, in a browser without them, moves the template's content in
//! itself. Either way a strict `script-src 'self'` needs no nonce.
//!
//! [`ServerIsland::stream`]: crate::ServerIsland::stream

use std::fmt::Write as _;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::{BoxStream, FuturesUnordered};
use futures_util::{FutureExt as _, StreamExt as _};
use maud::Markup;
use tracing::Instrument as _;

use crate::answer::{self as endpoint, Refusal};
use crate::context::{RenderContext, SharedRequest, Streamed};

/// Written after the page, before the first part: everything before it is
/// parsed.
pub(crate) const START: &str = "<mochi-stream-start></mochi-stream-start>";

/// What a streamed island's marker name starts with, before its id: the
/// `name` of its `<?start>`, the `for` of its part's `<template>`.
pub(crate) const MARKER: &str = "mochi-";

/// The parts of a page's streamed `islands`, in the order they finish,
/// each rendered on `request`, the page's own (its handler is done with it
/// now: the islands see its cookies and headers); none for a `HEAD`.
pub(crate) fn parts(
    cx: &RenderContext,
    request: &Arc<SharedRequest>,
    islands: Vec<Streamed>,
) -> BoxStream<'static, Bytes> {
    let parts = FuturesUnordered::new();
    if request.is_method("HEAD") {
        // The head says what a `GET` would; no body goes out, so no island
        // is rendered for one.
        return parts.boxed();
    }
    // Each part's island span is a child of the page's (current here).
    let page = tracing::Span::current();
    for island in islands {
        let config = cx.config.clone();
        let isle =
            endpoint::island_context(&config, request, island.def, Some(&island.id), cx.mount());
        parts.push(
            async move {
                let (def, id) = (island.def, Some(island.id.as_str()));
                let answer = endpoint::answer(&config, isle, def, id, island.text).await;
                part(&island.id, answer)
            }
            .instrument(page.clone())
            .boxed(),
        );
    }
    parts.boxed()
}

/// The `Cache-Control` a streamed page goes out with, given the lines its
/// handler set: `None` keeps them (they already keep it out of shared
/// caches), else `private, no-store`. A streamed page holds personal
/// content; its `Expires` is dropped as well (a cache would read it as
/// permission).
pub(crate) fn cache_control(lines: &[String]) -> Option<&'static str> {
    (!is_private(lines)).then_some(endpoint::PRIVATE)
}

/// Where the page's `</body>` starts (its last, in any case), or its end.
pub(crate) fn body_end(page: &[u8]) -> usize {
    const END: &[u8] = b"</body";
    (0..page.len().saturating_sub(END.len() - 1))
        .rev()
        .find(|&at| page[at..at + END.len()].eq_ignore_ascii_case(END))
        .unwrap_or(page.len())
}

/// Whether `Cache-Control` lines keep a response out of shared caches.
fn is_private(lines: &[String]) -> bool {
    let directives = || {
        lines.iter().flat_map(|line| line.split(',')).map(|d| {
            let name = d.split('=').next().unwrap_or("");
            name.trim().to_ascii_lowercase()
        })
    };
    let private = directives().any(|d| d == "private" || d == "no-store");
    let shared = directives().any(|d| d == "public" || d == "s-maxage");
    private && !shared
}

/// The part that settles island `id`.
fn part(id: &str, answer: Result<Markup, Refusal>) -> Bytes {
    let mut out = String::new();
    match answer {
        Ok(html) => {
            let _ = write!(
                out,
                "<template for=\"{MARKER}{id}\">{}</template><mochi-swap island-id=\"{id}\"></mochi-swap>",
                html.0
            );
        }
        Err(Refusal(status, ..)) if status == http::StatusCode::GATEWAY_TIMEOUT => {
            let _ = write!(out, "<mochi-swap island-id=\"{id}\" fetch></mochi-swap>");
        }
        Err(_) => {
            let _ = write!(out, "<mochi-swap island-id=\"{id}\" failed></mochi-swap>");
        }
    }
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_private_cache_control_is_kept() {
        let private =
            |lines: &[&str]| is_private(&lines.iter().map(|l| l.to_string()).collect::<Vec<_>>());
        assert!(private(&["private"]));
        assert!(private(&["no-store"]));
        assert!(private(&["Private, max-age=60"]));
        assert!(private(&["max-age=60", "private"]));
        assert!(!private(&[]));
        assert!(!private(&["max-age=60"]));
        assert!(!private(&["no-cache"]));
        assert!(!private(&["private", "public"]));
        assert!(!private(&["private, s-maxage=60"]));
        assert!(!private(&["no-store, public"]));
        // A directive's name, not its value, counts.
        assert!(!private(&["max-age=60, ext=private"]));
    }

    #[test]
    fn the_page_is_cut_before_its_last_body_end_tag() {
        let page = b"<html><body><p>&lt;/body&gt;</p></BODY></html>";
        assert_eq!(&page[body_end(page)..], b"</BODY></html>");
        assert_eq!(body_end(b"<p>no end</p>"), 13);
        assert_eq!(body_end(b""), 0);
        assert_eq!(body_end(b"</body"), 0);
    }
}

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
//! <template mochi-part="{id}">{html}</template><mochi-swap island-id="{id}"></mochi-swap>
//! <mochi-swap island-id="{id}" fetch></mochi-swap>    past its deadline: fetch it instead
//! <mochi-swap island-id="{id}" failed></mochi-swap>   failed or panicked: keep the fallback
//! ```
//!
//! and last the rest of the page (`</body></html>`). The parser runs each
//! `<mochi-swap>`'s `connectedCallback` as it arrives, which moves the
//! template's content into its island: inert markup, so a strict
//! `script-src 'self'` needs no nonce.
//!
//! [`ServerIsland::stream`]: crate::ServerIsland::stream

use std::convert::Infallible;
use std::fmt::Write as _;
use std::sync::Arc;

use actix_web::body::{self, BodyStream, BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use futures_util::future::LocalBoxFuture;
use futures_util::stream::{self, FuturesUnordered};
use futures_util::{FutureExt as _, StreamExt as _};
use maud::Markup;

use crate::context::{RenderContext, RequestKind, SharedRequest, Streamed};
use crate::endpoint::{self, Refusal};

const START: &str = "<mochi-stream-start></mochi-stream-start>";

/// Whether `res` can carry streamed islands: a successful HTML page that
/// no inner middleware has encoded.
pub(crate) fn can_stream<B>(res: &ServiceResponse<B>) -> bool {
    crate::setup::is_html_page(res) && !res.headers().contains_key(header::CONTENT_ENCODING)
}

/// `res`, with `islands` streamed after its page.
pub(crate) async fn respond<B>(
    res: ServiceResponse<B>,
    cx: &RenderContext,
    islands: Vec<Streamed>,
) -> ServiceResponse<BoxBody>
where
    B: MessageBody + 'static,
{
    let (req, res) = res.into_parts();
    let (mut res, page) = res.into_parts();
    let page = match body::to_bytes(page).await {
        Ok(page) => page,
        Err(_) => {
            log::error!(
                "mochi: page {} could not be read to stream its islands",
                req.path()
            );
            let res = HttpResponse::InternalServerError().finish();
            return ServiceResponse::new(req, res);
        }
    };
    let cut = body_end(&page);
    let head = [&page[..cut], START.as_bytes()].concat();
    let tail = page.slice(cut..);
    private(&mut res, req.path());

    // The page's own request, now that its handler is done with it: the
    // islands see its cookies and headers, and extract from it.
    let origin = cx.config.settings.origin.clone();
    let page_head = crate::actix::head_of(&req);
    let request = Arc::new(SharedRequest::new(page_head, RequestKind::Streamed, origin));
    let parts: FuturesUnordered<LocalBoxFuture<'static, Bytes>> = FuturesUnordered::new();
    for island in islands {
        let (config, page_request) = (cx.config.clone(), req.clone());
        let isle =
            endpoint::island_context(&config, &request, island.def, Some(&island.id), cx.mount());
        parts.push(
            async move {
                let answer = endpoint::answer(&config, isle, island.def, island.text);
                let answer = crate::actix::with_request(page_request, answer).await;
                part(&island.id, answer)
            }
            .boxed_local(),
        );
    }
    let body = stream::once(async move { Bytes::from(head) })
        .chain(parts)
        .chain(stream::once(async move { tail }));
    let res = res.set_body(BoxBody::new(BodyStream::new(body.map(Ok::<_, Infallible>))));
    ServiceResponse::new(req, res)
}

/// Where the page's `</body>` starts (its last, in any case), or its end.
fn body_end(page: &[u8]) -> usize {
    const END: &[u8] = b"</body";
    (0..page.len().saturating_sub(END.len() - 1))
        .rev()
        .find(|&at| page[at..at + END.len()].eq_ignore_ascii_case(END))
        .unwrap_or(page.len())
}

/// A streamed page holds personal content: never in a shared cache. It
/// keeps the handler's `Cache-Control` only if that already keeps it out of
/// shared caches (`private` or `no-store`, and neither `public` nor
/// `s-maxage`, on every line); otherwise it goes out `private, no-store`,
/// and `Expires` (which a cache would read as permission) is dropped.
fn private(res: &mut HttpResponse<()>, path: &str) {
    let headers = res.headers_mut();
    let given: Vec<String> = headers
        .get_all(header::CACHE_CONTROL)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    if !given.is_empty() && !is_private(&given) {
        crate::warn_once::warn_once("stream-cache", path, || {
            format!(
                "mochi: page {path} streams islands (personal content) but its \
                 `Cache-Control: {}` lets a shared cache keep it: it is sent `{}` instead",
                given.join(", "),
                endpoint::PRIVATE
            )
        });
    }
    if !is_private(&given) {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(endpoint::PRIVATE),
        );
    }
    headers.remove(header::EXPIRES);
    headers.remove(header::CONTENT_LENGTH);
    let (name, value) = endpoint::UNBUFFERED;
    headers.insert(name, value);
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
                "<template mochi-part=\"{id}\">{}</template><mochi-swap island-id=\"{id}\"></mochi-swap>",
                html.0
            );
        }
        Err(Refusal(status, ..)) if status == actix_web::http::StatusCode::GATEWAY_TIMEOUT => {
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

//! Streamed islands on axum: the page's body, cut before its `</body>`,
//! then the parts as the islands finish, then the rest of the page.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use futures_util::{stream, StreamExt as _};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};

use super::{IslandRequest, Scoped};
use crate::context::{RenderContext, SharedRequest, Streamed};
use crate::stream::{body_end, START};

/// `res`, with `islands` streamed after its page, each rendered on the
/// page's `request` (and extracting from `island_request`).
pub(super) async fn respond(
    res: Response,
    cx: &RenderContext,
    request: &Arc<SharedRequest>,
    islands: Vec<Streamed>,
    island_request: IslandRequest,
) -> Response {
    let path = island_request.path().to_owned();
    let (mut head, page) = res.into_parts();
    let page = match axum::body::to_bytes(page, usize::MAX).await {
        Ok(page) => page,
        Err(_) => {
            log::error!("mochi: page {path} could not be read to stream its islands");
            let mut res = Response::new(Body::empty());
            *res.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            return res;
        }
    };
    let cut = body_end(&page);
    let start = Bytes::from([&page[..cut], START.as_bytes()].concat());
    let tail = page.slice(cut..);
    private(&mut head.headers, &path);
    let parts = Scoped::new(island_request, crate::stream::parts(cx, request, islands));
    let body = stream::iter([Ok::<_, Infallible>(start)])
        .chain(parts)
        .chain(stream::iter([Ok(tail)]));
    Response::from_parts(head, Body::from_stream(body))
}

/// A streamed page is never shared-cacheable (see
/// [`crate::page::streamed_cache_control`]).
fn private(headers: &mut HeaderMap, path: &str) {
    let given: Vec<String> = headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    if let Some(value) = crate::page::streamed_cache_control(path, &given) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    headers.remove(header::EXPIRES);
    headers.remove(header::CONTENT_LENGTH);
    let (name, value) = crate::answer::Answer::UNBUFFERED;
    headers.insert(
        HeaderName::from_static(name.name()),
        HeaderValue::from_static(value),
    );
}

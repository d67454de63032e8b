//! Streamed islands on actix: the page's body, cut before its `</body>`,
//! then the parts as the islands finish, then the rest of the page.

use std::convert::Infallible;
use std::sync::Arc;

use actix_web::body::{self, BodyStream, BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use futures_util::stream;
use futures_util::StreamExt as _;

use crate::context::{RenderContext, SharedRequest, Streamed};
use crate::stream::{body_end, START};

/// `res`, with `islands` streamed after its page, each rendered on the
/// page's `request`.
pub(crate) async fn respond<B>(
    res: ServiceResponse<B>,
    cx: &RenderContext,
    request: &Arc<SharedRequest>,
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
    let parts = crate::stream::parts(cx, request, islands);
    let parts = super::Scoped::new(req.clone(), parts);
    let body = stream::once(async move { Bytes::from(head) })
        .chain(parts)
        .chain(stream::once(async move { tail }));
    let res = res.set_body(BoxBody::new(BodyStream::new(body.map(Ok::<_, Infallible>))));
    ServiceResponse::new(req, res)
}

/// A streamed page is never shared-cacheable (see
/// [`crate::stream::cache_control`]).
fn private(res: &mut HttpResponse<()>, path: &str) {
    let headers = res.headers_mut();
    let given: Vec<String> = headers
        .get_all(header::CACHE_CONTROL)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    if let Some(value) = crate::page::streamed_cache_control(path, &given) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    headers.remove(header::EXPIRES);
    headers.remove(header::CONTENT_LENGTH);
    let (name, value) = crate::answer::Answer::UNBUFFERED;
    headers.insert(super::actix_name(name), HeaderValue::from_static(value));
}

//! Everything under the asset prefix: the island endpoint, the runtime and
//! the client modules. Every step that can refuse a request runs before the
//! next one reads more of it.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::{FutureExt as _, StreamExt as _};
use maud::Markup;

use crate::config::{Config, Origin};
use crate::context::{self, Reads, RenderContext, RequestKind, SharedRequest};
use crate::error::IslandError;
use crate::registry::{self, IslandDef, Registry};
use crate::signing::TokenError;
use crate::warn_once::error_limited;

pub(crate) const NO_STORE: &str = "no-store";
pub(crate) const PRIVATE: &str = "private, no-store";

/// A header made at compile time: a `&str` pair is parsed, checked and
/// copied into a new allocation on every insert.
const fn pair(name: HeaderName, value: &'static str) -> (HeaderName, HeaderValue) {
    (name, HeaderValue::from_static(value))
}
pub(crate) const HTML: (HeaderName, HeaderValue) =
    pair(header::CONTENT_TYPE, "text/html; charset=utf-8");
const TEXT: (HeaderName, HeaderValue) = pair(header::CONTENT_TYPE, "text/plain; charset=utf-8");
pub(crate) const NOT_CACHED: (HeaderName, HeaderValue) = pair(header::CACHE_CONTROL, NO_STORE);
pub(crate) const PRIVATE_ONLY: (HeaderName, HeaderValue) = pair(header::CACHE_CONTROL, PRIVATE);
pub(crate) const NOINDEX: (HeaderName, HeaderValue) =
    pair(HeaderName::from_static("x-robots-tag"), "noindex");
/// Parts are written as they are ready: a buffering proxy would hold the
/// fast ones back for the slow.
pub(crate) const UNBUFFERED: (HeaderName, HeaderValue) =
    pair(HeaderName::from_static("x-accel-buffering"), "no");
const NOSNIFF: (HeaderName, HeaderValue) = pair(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
const FRAME_ANCESTORS: (HeaderName, HeaderValue) =
    pair(header::CONTENT_SECURITY_POLICY, "frame-ancestors 'self'");
const SAME_ORIGIN_FRAMES: (HeaderName, HeaderValue) = pair(header::X_FRAME_OPTIONS, "SAMEORIGIN");
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Island ids from the client become id prefixes: keep them short and plain.
pub(crate) const MAX_ISLAND_ID: usize = 64;

/// Answers a request whose path is `{prefix}{rest}`; `mount` is the path
/// of the actix scope mochi is mounted in.
pub(crate) async fn handle(
    config: Arc<Config>,
    req: HttpRequest,
    payload: Payload,
    mount: &str,
    rest: &str,
) -> HttpResponse {
    let island = rest.strip_prefix("/island/");
    let batch = rest == "/batch";
    let method = req.method();
    let allowed = method == Method::GET
        || method == Method::HEAD
        || (method == Method::POST && (island.is_some() || batch));
    if !allowed {
        let allow = if island.is_some() || batch {
            "GET, HEAD, POST"
        } else {
            "GET, HEAD"
        };
        let mut res = error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
        res.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
        return res;
    }
    if let Some(name) = island {
        return self::island(config, req, payload, mount, name).await;
    }
    if batch {
        return crate::batch::handle(config, req, payload, mount).await;
    }
    if rest == format!("/runtime-{}.js", crate::assets::runtime_hash()) {
        return javascript(crate::assets::runtime_source());
    }
    if let Some(file) = rest.strip_prefix("/client/") {
        if let Some(source) = client_module(file) {
            return javascript(source);
        }
    }
    error(StatusCode::NOT_FOUND, "not found")
}

/// `{Name}-{hash}.js` → the module's source, if the hash is current.
fn client_module(file: &str) -> Option<&'static str> {
    let (name, hash) = file.strip_suffix(".js")?.rsplit_once('-')?;
    let def = Registry::global().ok()?.get(name)?;
    let module = def.client?;
    (module.hash() == hash).then(|| module.source())
}

fn javascript(source: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/javascript; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, IMMUTABLE))
        .insert_header(NOSNIFF)
        .body(source)
}

/// Why a request is refused: its status, the public word for it, and a
/// detail that only debug builds send.
#[derive(Clone)]
pub(crate) struct Refusal(
    pub(crate) StatusCode,
    pub(crate) &'static str,
    pub(crate) Option<String>,
);

impl Refusal {
    pub(crate) fn answer(self, config: &Config) -> HttpResponse {
        let status = self.0;
        let mut res = error_with(status, self.1, self.detail(config));
        if status == StatusCode::REQUEST_TIMEOUT {
            // The rest of the body may still come: the connection cannot
            // carry another request.
            res.head_mut()
                .set_connection_type(actix_web::http::ConnectionType::Close);
        }
        res
    }

    /// The detail, if the app asked for details.
    fn detail(self, config: &Config) -> Option<String> {
        self.2.filter(|_| config.settings.error_details)
    }

    /// The answer's body text: the public word, and the detail if the app
    /// asked for details.
    pub(crate) fn text(self, config: &Config) -> String {
        let public = self.1;
        body_text(public, self.detail(config))
    }
}

/// The public word of an error status an island chose.
fn public_word(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not found",
        409 => "conflict",
        410 => "gone",
        422 => "unprocessable content",
        429 => "too many requests",
        500 => "internal server error",
        502 => "bad gateway",
        503 => "service unavailable",
        504 => "gateway timeout",
        _ if status.is_client_error() => "client error",
        _ => "server error",
    }
}

fn body_text(public: &str, detail: Option<String>) -> String {
    match detail {
        Some(detail) => format!("{public}: {detail}"),
        None => public.to_owned(),
    }
}

/// An error answer without a detail.
pub(crate) fn error(status: StatusCode, public: &'static str) -> HttpResponse {
    error_with(status, public, None)
}

/// An error answer; `detail` is sent only if the app asked for details
/// ([`crate::MochiBuilder::error_details`]).
fn error_with(status: StatusCode, public: &'static str, detail: Option<String>) -> HttpResponse {
    let body = body_text(public, detail);
    let mut res = HttpResponse::build(status);
    res.insert_header(NOT_CACHED).insert_header(TEXT);
    not_sniffed_or_framed(&mut res);
    res.body(body)
}

/// Island answers are HTML meant for one page of this origin: never
/// sniffed as something else, never framed by another site.
pub(crate) fn not_sniffed_or_framed(res: &mut actix_web::HttpResponseBuilder) {
    res.insert_header(NOSNIFF)
        .insert_header(FRAME_ANCESTORS)
        .insert_header(SAME_ORIGIN_FRAMES);
}

/// The query parameters the endpoint reads.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct IslandQuery<'q> {
    pub(crate) token: &'q str,
    pub(crate) island_id: Option<&'q str>,
}

pub(crate) fn parse_query(query: &str) -> Result<IslandQuery<'_>, &'static str> {
    let (mut token, mut island_id) = (None, None);
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match key {
            "p" => &mut token,
            "i" => &mut island_id,
            _ => continue, // cache busters, empty pairs and the like
        };
        if slot.replace(value).is_some() {
            return Err("repeated query parameter");
        }
    }
    let token = token.ok_or("missing `p`")?;
    if token.is_empty() {
        return Err("empty `p`");
    }
    if island_id.is_some_and(|id| !is_valid_island_id(id)) {
        return Err("bad island id `i`");
    }
    Ok(IslandQuery { token, island_id })
}

/// Island ids from the client become id prefixes: short and plain.
pub(crate) fn is_valid_island_id(id: &str) -> bool {
    let plain = id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    !id.is_empty() && id.len() <= MAX_ISLAND_ID && plain
}

async fn island(
    config: Arc<Config>,
    req: HttpRequest,
    payload: Payload,
    mount: &str,
    name: &str,
) -> HttpResponse {
    let uri_len = req.path().len() + req.query_string().len() + 1;
    if uri_len > config.settings.max_url {
        return error(StatusCode::URI_TOO_LONG, "URI too long");
    }
    let Some(def) = server_island(name) else {
        return error(StatusCode::NOT_FOUND, "no such island");
    };
    if is_refused_cross_site(&req, &config) {
        let why = "cross-site island request (see `MochiBuilder::allow_cross_site`)";
        return Refusal(StatusCode::FORBIDDEN, "forbidden", Some(why.into())).answer(&config);
    }
    let post = req.method() == Method::POST;
    let body = if post {
        match read_form(&req, payload, &config).await {
            Ok(body) => body,
            Err(refusal) => return refusal.answer(&config),
        }
    } else {
        String::new()
    };
    let query = match parse_query(if post { &body } else { req.query_string() }) {
        Ok(q) => q,
        Err(why) => {
            return Refusal(StatusCode::BAD_REQUEST, "bad request", Some(why.into()))
                .answer(&config)
        }
    };
    let text = match verified_text(&config, def, query.token) {
        Ok(text) => text,
        Err(refusal) => return refusal.answer(&config),
    };
    let island_id = query.island_id.map(str::to_owned);
    let request = island_request(&config, &req);
    let cx = island_context(&config, &request, def, island_id.as_deref(), mount);
    let answer = match crate::actix::with_request(req, answer(&config, cx, def, text)).await {
        Ok(markup) => markup,
        Err(refusal) => return refusal.answer(&config),
    };
    let mut res = HttpResponse::Ok();
    res.insert_header(HTML).insert_header(NOINDEX);
    not_sniffed_or_framed(&mut res);
    cache_headers(&mut res, def, post, &request.reads());
    res.body(answer.0)
}

/// The registered server island `name`.
pub(crate) fn server_island(name: &str) -> Option<&'static IslandDef> {
    let def = match Registry::global() {
        Ok(registry) if registry::is_valid_name(name) => registry.get(name),
        _ => None,
    };
    def.filter(|d| d.endpoint.is_some())
}

/// The render context of `def`'s answer for the element `id`, on `request`.
pub(crate) fn island_context(
    config: &Arc<Config>,
    request: &Arc<SharedRequest>,
    def: &IslandDef,
    id: Option<&str>,
    mount: &str,
) -> Arc<RenderContext> {
    let cx = RenderContext::for_island(config.clone(), request.clone(), id, def.client.is_some());
    Arc::new(cx.mounted(mount))
}

/// The core's view of an island's own request (the endpoint or a batch).
pub(crate) fn island_request(config: &Config, req: &HttpRequest) -> Arc<SharedRequest> {
    let head = crate::actix::head_of(req);
    let origin = config.settings.origin.clone();
    Arc::new(SharedRequest::new(head, RequestKind::Island, origin))
}

/// Renders `def` with its verified props `text` inside `cx`, within the
/// island's deadline: its HTML, or the refusal a request for it gets
/// (logged here, once, whoever answers).
pub(crate) async fn answer(
    config: &Config,
    cx: Arc<RenderContext>,
    def: &'static IslandDef,
    text: Arc<str>,
) -> Result<Markup, Refusal> {
    let deadline = def.timeout.unwrap_or(config.settings.island_timeout);
    let internal = StatusCode::INTERNAL_SERVER_ERROR;
    match tokio::time::timeout(deadline, render(cx, def, text)).await {
        Ok(Rendered::Html(markup)) => Ok(markup),
        Ok(Rendered::BadProps(e)) => {
            let why = format!("props do not fit island `{}`: {e}", def.name);
            Err(Refusal(StatusCode::BAD_REQUEST, "bad request", Some(why)))
        }
        Ok(Rendered::Failed(e)) => {
            let why = e.to_string();
            let status = StatusCode::from_u16(e.status()).unwrap_or(internal);
            if status.is_server_error() {
                error_limited("failed", def.name, || {
                    format!("mochi: island `{}` failed ({status}): {why}", def.name)
                });
            } else {
                // The island's own answer, such as a 404: not a fault.
                log::debug!("mochi: island `{}` answered {status}: {why}", def.name);
            }
            Err(Refusal(status, public_word(status), Some(why)))
        }
        Ok(Rendered::Panicked) => {
            error_limited("panicked", def.name, || {
                format!("mochi: island `{}` panicked", def.name)
            });
            Err(Refusal(internal, "internal server error", None))
        }
        Err(_) => {
            // Dropping the render drops the wait for the blocking pool, not
            // the thread: blocking code cannot be stopped from outside.
            let still_running = if def.blocking {
                " (its body runs on to its end on the blocking pool)"
            } else {
                ""
            };
            error_limited("deadline", def.name, || {
                format!(
                    "mochi: island `{}` passed its {deadline:?} deadline; its render was \
                     dropped{still_running}",
                    def.name
                )
            });
            Err(Refusal(
                StatusCode::GATEWAY_TIMEOUT,
                "gateway timeout",
                None,
            ))
        }
    }
}

/// What an island's render ended with.
enum Rendered {
    Html(Markup),
    BadProps(crate::devalue::Error),
    Failed(IslandError),
    Panicked,
}

/// Decodes the props and renders the island inside `cx`: the one path of
/// every island answer, sync or async, with one panic boundary.
async fn render(cx: Arc<RenderContext>, def: &'static IslandDef, text: Arc<str>) -> Rendered {
    let endpoint = def
        .endpoint
        .expect("only server islands reach the endpoint");
    let body = async {
        // A deferred + hydrated island's answer is a hydrated island of its
        // own, whose props block is reserved before its body renders (see
        // `PropsTable`).
        let reserved = def.client.is_some() && def.has_props && cx.props.reserve(&text);
        let future = match endpoint(&text) {
            Ok(future) => future,
            Err(e) => return Rendered::BadProps(e),
        };
        let markup = match future.await {
            Ok(markup) => markup,
            Err(e) => return Rendered::Failed(e),
        };
        if reserved {
            cx.props.body_done(&text);
        }
        match (def.client, cx.current_island()) {
            (Some(_), Some(id)) => {
                Rendered::Html(crate::render::wrap_hydrated(&cx, def, &id, &text, markup))
            }
            _ => Rendered::Html(markup),
        }
    };
    match context::run(cx.clone(), AssertUnwindSafe(body).catch_unwind()).await {
        Ok(rendered) => rendered,
        Err(_) => Rendered::Panicked,
    }
}

/// Runs a `blocking` island's body on tokio's blocking pool (what
/// `web::block` runs on) inside the current render context, and waits for
/// it without holding the worker thread.
///
/// The context is shared, so what the body reads of the request joins the
/// answer's `Vary` and the ids it hands out are the answer's. A panic on
/// the blocking thread resumes here, where the render's panic boundary
/// answers it like any island's. Dropping this future (past the deadline,
/// or when the client has gone) keeps a body that has not started (the
/// pool is busy) from starting; one that has runs on to its end: blocking
/// code cannot be stopped from outside.
pub(crate) async fn run_blocking(
    body: impl FnOnce() -> Result<Markup, IslandError> + Send + 'static,
) -> Result<Markup, IslandError> {
    /// Aborts the task when the wait is dropped, which only a task that
    /// has not started heeds.
    struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);
    impl<T> Drop for AbortOnDrop<T> {
        fn drop(&mut self) {
            self.0.abort();
        }
    }

    let cx = context::current();
    let mut task = AbortOnDrop(tokio::task::spawn_blocking(move || match cx {
        Some(cx) => context::run_sync(cx, body),
        None => body(),
    }));
    match (&mut task.0).await {
        Ok(result) => result,
        Err(e) => match e.try_into_panic() {
            Ok(payload) => std::panic::resume_unwind(payload),
            Err(_) => Err(IslandError::new(
                "the blocking pool shut down before the island's body finished",
            )),
        },
    }
}

/// The props text `token` carries for `def`.
pub(crate) fn verified_text(
    config: &Config,
    def: &'static IslandDef,
    token: &str,
) -> Result<Arc<str>, Refusal> {
    if let Some(text) = crate::verified::get(&config.keys, def.name, token) {
        return Ok(text);
    }
    let bad = |why: String| Refusal(StatusCode::BAD_REQUEST, "bad request", Some(why));
    match config.keys.verify(def.name, token) {
        Ok(payload) => match String::from_utf8(payload) {
            Ok(text) => {
                let text: Arc<str> = text.into();
                crate::verified::put(&config.keys, def.name, token, &text);
                Ok(text)
            }
            Err(_) => Err(bad("props are not UTF-8".into())),
        },
        Err(e @ TokenError::Malformed(_)) => Err(bad(e.to_string())),
        Err(_) => Err(Refusal(StatusCode::FORBIDDEN, "forbidden", None)),
    }
}

/// Whether a page of another site asked, and the app has not allowed
/// that: `Sec-Fetch-Site: cross-site`, or an `Origin` that is not the
/// request's own (`Origin: null` included), for browsers that send no
/// `Sec-Fetch-*` headers. Clients that send neither are not refused (they
/// are not browsers, and cookies are the only thing a cross-site request
/// could borrow).
///
/// The own origin is found as [`RequestContext::page_url`] finds it. By
/// default (from the connection and `Host`) only the host and port are
/// compared: behind a proxy that ends TLS the connection is `http` while
/// the browser's origin is `https`.
///
/// [`RequestContext::page_url`]: crate::RequestContext::page_url
pub(crate) fn is_refused_cross_site(req: &HttpRequest, config: &Config) -> bool {
    // A name made once: a `&str` name is parsed again on every lookup.
    const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");
    if config.settings.allow_cross_site {
        return false;
    }
    let headers = req.headers();
    let cross_site = headers
        .get(SEC_FETCH_SITE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"));
    let Some(sent) = headers.get(header::ORIGIN) else {
        return cross_site;
    };
    let Ok(sent) = sent.to_str() else {
        return true;
    };
    let own = island_request(config, req).origin();
    let same = match config.settings.origin {
        Origin::Connection => host_of(sent).is_some_and(|h| Some(h) == host_of(&own)),
        Origin::TrustForwarded | Origin::Fixed(_) => sent.eq_ignore_ascii_case(&own),
    };
    cross_site || !same
}

/// `host[:port]` of `scheme://host[:port]`, lowercase, without a default
/// port.
fn host_of(origin: &str) -> Option<String> {
    let (scheme, host) = origin.split_once("://")?;
    let host = host.to_ascii_lowercase();
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => ":80",
        "https" => ":443",
        _ => return None,
    };
    Some(
        host.strip_suffix(default_port)
            .map_or(host.clone(), str::to_owned),
    )
}

/// A POST island body, `application/x-www-form-urlencoded`, read up to
/// `max_body` bytes (over it, 413 before anything is decoded) within the
/// island timeout (past it, 408): a client that declares a body and goes
/// quiet holds a connection no longer than an island may render.
pub(crate) async fn read_form(
    req: &HttpRequest,
    mut payload: Payload,
    config: &Config,
) -> Result<String, Refusal> {
    let cap = config.settings.max_body;
    let too_large = || Refusal(StatusCode::PAYLOAD_TOO_LARGE, "payload too large", None);
    let bad = |why: &str| Refusal(StatusCode::BAD_REQUEST, "bad request", Some(why.into()));
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|len| len > cap as u64) {
        return Err(too_large());
    }
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form {
        return Err(Refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported media type",
            Some("an island POST is application/x-www-form-urlencoded".into()),
        ));
    }
    let read = async {
        let mut body = Vec::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|_| bad("the body could not be read"))?;
            if body.len() + chunk.len() > cap {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    };
    let deadline = config.settings.island_timeout;
    let body = match tokio::time::timeout(deadline, read).await {
        Ok(body) => body?,
        Err(_) => {
            let why = format!("the body did not arrive within {deadline:?}");
            return Err(Refusal(
                StatusCode::REQUEST_TIMEOUT,
                "request timeout",
                Some(why),
            ));
        }
    };
    String::from_utf8(body).map_err(|_| bad("body is not UTF-8"))
}

/// `Cache-Control` and `Vary` of a successful answer.
///
/// Answers are private unless the island opted into a cache. A POST answer
/// never is: its token is in the body, where no cache keys. An opted-in
/// answer varies on every header its render read (cookies: `Cookie`); one
/// that read the whole header map cannot say what it varies on, so it is
/// made private, with a warning.
fn cache_headers(
    res: &mut actix_web::HttpResponseBuilder,
    def: &IslandDef,
    post: bool,
    reads: &Reads,
) {
    let cache = match def.cache_control {
        Some(cache) if !post => cache,
        _ => {
            res.insert_header(PRIVATE_ONLY);
            return;
        }
    };
    if reads.all_headers {
        crate::warn_once::warn_once("vary", def.name, || {
            format!(
                "mochi: island `{}` opted into `Cache-Control: {cache}` but read every request \
                 header (`RequestContext::headers`), so no `Vary` can describe its answer: it \
                 is sent `{PRIVATE}`. Read headers by name (`RequestContext::header`, \
                 `cookie`) to keep it cacheable (said once per island)",
                def.name
            )
        });
        res.insert_header(PRIVATE_ONLY);
        return;
    }
    res.insert_header((header::CACHE_CONTROL, HeaderValue::from_static(cache)));
    if !reads.names.is_empty() {
        let vary: Vec<&str> = reads.names.iter().map(|n| n.as_str()).collect();
        if let Ok(vary) = HeaderValue::from_str(&vary.join(", ")) {
            res.insert_header((header::VARY, vary));
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The query rules written the plain way, as the byte-offset parser's
    /// reference: (token, island id), or `None` for a repeated parameter.
    fn reference(query: &str) -> Option<(Option<&str>, Option<&str>)> {
        let (mut token, mut island_id) = (None, None);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let slot = match key {
                "p" => &mut token,
                "i" => &mut island_id,
                _ => continue,
            };
            if slot.replace(value).is_some() {
                return None;
            }
        }
        Some((token, island_id))
    }

    proptest! {
        #[test]
        /// Ids of every length around the limit, from the id alphabet and
        /// just outside it.
        #[test]
        fn island_ids_are_accepted_iff_plain_and_at_most_64_bytes(id in "[A-Za-z0-9_%+;.-]{0,70}") {
            let query = format!("p=t.x&i={id}");
            let parsed = parse_query(&query);
            let plain = id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            let ok = !id.is_empty() && id.len() <= MAX_ISLAND_ID && plain;
            prop_assert_eq!(parsed.is_ok(), ok, "{}", id);
            if let Ok(q) = parsed {
                prop_assert_eq!(q.island_id, Some(id.as_str()));
            }
        }

        #[test]
        fn query_parser_matches_reference(query in "[piPI=&xé%+;_-]{0,40}") {
            let parsed = parse_query(&query);
            match reference(&query) {
                None => prop_assert_eq!(parsed, Err("repeated query parameter")),
                Some((token, island_id)) => match parsed {
                    Ok(q) => {
                        prop_assert_eq!(Some(q.token), token);
                        prop_assert_eq!(q.island_id, island_id);
                    }
                    // Refused for what the values hold, never for repeats.
                    Err(why) => {
                        prop_assert_ne!(why, "repeated query parameter");
                        let ok_token = token.is_some_and(|t| !t.is_empty());
                        let ok_id = island_id.is_none_or(|i| {
                            !i.is_empty()
                                && i.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                        });
                        prop_assert!(!(ok_token && ok_id), "{query:?}: {why}");
                    }
                },
            }
        }
    }

    #[test]
    fn query() {
        assert_eq!(
            parse_query("p=a.b&i=i3").unwrap(),
            IslandQuery {
                token: "a.b",
                island_id: Some("i3")
            }
        );
        assert_eq!(parse_query("v=2&p=a.b").unwrap().token, "a.b");
        assert!(parse_query("").is_err());
        assert!(parse_query("p=").is_err());
        assert!(parse_query("p").is_err());
        assert!(parse_query("p=a&p=a").is_err());
        assert!(parse_query("p=a&i=1&i=2").is_err());
        assert!(parse_query("p=a&i=").is_err());
        assert!(parse_query("p=a&i=%3Cx").is_err());
        assert!(parse_query(&format!("p=a&i={}", "x".repeat(65))).is_err());
    }
}

//! What every answer under the asset prefix shares: the [`Answer`] a
//! server integration turns into its response, refusals and their error
//! answers, token verification, the render of an island within its
//! deadline and panic boundary, the cross-site check, reading a form body,
//! and the cache policy of an island's answer.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use std::borrow::Cow;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{FutureExt as _, Stream, StreamExt as _};
use http::header::{self, HeaderName};
use http::StatusCode;
use maud::{Markup, PreEscaped};
use tokio::time::Instant;

use crate::config::{Config, Origin};
use crate::context::{
    self, origin_of, Reads, RenderContext, RequestHead, RequestKind, SharedRequest,
};
use crate::error::IslandError;
use crate::registry::{self, IslandDef, Registry};
use crate::signing::TokenError;
use crate::warn_once::error_limited;

pub(crate) const PRIVATE: &str = "private, no-store";

/// What the core answers: a status, headers and a body, which the server
/// integration turns into its own response.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    /// Each header at most once, in the order set.
    pub(crate) headers: Vec<(Header, Cow<'static, str>)>,
    pub(crate) body: AnswerBody,
    /// The connection cannot carry another request (a body was left
    /// unread).
    pub(crate) close: bool,
}

/// An answer's body: whole, or parts written as they are ready.
pub(crate) enum AnswerBody {
    Full(Bytes),
    Parts(BoxStream<'static, Bytes>),
}

impl Answer {
    pub(crate) fn new(status: StatusCode, body: AnswerBody) -> Answer {
        Answer {
            status,
            headers: Vec::with_capacity(8),
            body,
            close: false,
        }
    }

    pub(crate) fn header(mut self, name: Header, value: &'static str) -> Answer {
        self.set(name, Cow::Borrowed(value));
        self
    }

    /// Sets header `name`, replacing a value set before.
    pub(crate) fn set(&mut self, name: Header, value: Cow<'static, str>) {
        match self.headers.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.headers.push((name, value)),
        }
    }

    /// Island answers are HTML meant for one page of this origin: never
    /// sniffed as something else, never framed by another site, never
    /// indexed.
    fn not_sniffed_or_framed(self) -> Answer {
        self.header(Header::XContentTypeOptions, "nosniff")
            .header(Header::ContentSecurityPolicy, "frame-ancestors 'self'")
            .header(Header::XFrameOptions, "SAMEORIGIN")
    }

    /// A successful island answer's headers, but for its cache policy.
    pub(crate) fn island_html(body: AnswerBody, content_type: &'static str) -> Answer {
        Answer::new(StatusCode::OK, body)
            .header(Header::ContentType, content_type)
            .header(Header::XRobotsTag, "noindex")
            .not_sniffed_or_framed()
    }

    /// Parts are written as they are ready: a buffering proxy would hold
    /// the fast ones back for the slow (batches and streamed pages).
    pub(crate) const UNBUFFERED: (Header, &'static str) = (Header::XAccelBuffering, "no");
}

/// A header the core sets on its answers: each server makes its own
/// header name from it (a constant, nothing parsed per answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Header {
    Allow,
    CacheControl,
    ContentEncoding,
    ContentSecurityPolicy,
    ContentType,
    Vary,
    XAccelBuffering,
    XContentTypeOptions,
    XFrameOptions,
    XRobotsTag,
}

impl Header {
    /// The lowercase name (what an integration on `http` types uses).
    #[cfg_attr(not(feature = "axum"), allow(dead_code))]
    pub(crate) fn name(self) -> &'static str {
        match self {
            Header::Allow => "allow",
            Header::CacheControl => "cache-control",
            Header::ContentEncoding => "content-encoding",
            Header::ContentSecurityPolicy => "content-security-policy",
            Header::ContentType => "content-type",
            Header::Vary => "vary",
            Header::XAccelBuffering => "x-accel-buffering",
            Header::XContentTypeOptions => "x-content-type-options",
            Header::XFrameOptions => "x-frame-options",
            Header::XRobotsTag => "x-robots-tag",
        }
    }
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
    pub(crate) fn answer(self, config: &Config) -> Answer {
        let status = self.0;
        let mut answer = error_with(status, self.1, self.detail(config));
        // The rest of the body may still come: the connection cannot carry
        // another request.
        answer.close = status == StatusCode::REQUEST_TIMEOUT;
        answer
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
pub(crate) fn error(status: StatusCode, public: &'static str) -> Answer {
    error_with(status, public, None)
}

/// An error answer; `detail` is sent only if the app asked for details
/// ([`crate::MochiBuilder::error_details`]).
fn error_with(status: StatusCode, public: &'static str, detail: Option<String>) -> Answer {
    let body = Bytes::from(body_text(public, detail));
    Answer::new(status, AnswerBody::Full(body))
        .header(Header::CacheControl, "no-store")
        .header(Header::ContentType, "text/plain; charset=utf-8")
        .not_sniffed_or_framed()
}

/// The length of the request target (path, `?` and query) as it came.
pub(crate) fn target_len(head: &RequestHead) -> usize {
    head.target().len() + 1
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
    Arc::new(
        cx.mounted(mount)
            .nested_in(context::Nesting::new(def.cache_control)),
    )
}

/// The core's view of an island's own request (the endpoint or a batch).
pub(crate) fn island_request(config: &Config, head: RequestHead) -> Arc<SharedRequest> {
    let origin = config.settings.origin.clone();
    Arc::new(SharedRequest::new(head, RequestKind::Island, origin))
}

/// Renders `def` (element `id`) with its verified props `text` inside
/// `cx`, within the island's deadline: its HTML, or the refusal a request
/// for it gets (logged here, once, whoever answers). Every island answer
/// (its own request, a batch part, a streamed part, an island rendered
/// inline in another's answer) is one `mochi.island` span with the
/// island's name, id, status and duration.
pub(crate) fn answer<'a>(
    config: &'a Config,
    cx: Arc<RenderContext>,
    def: &'static IslandDef,
    id: Option<&str>,
    text: Arc<str>,
) -> impl Future<Output = Result<Markup, Refusal>> + Send + 'a {
    answer_by(config, cx, def, id, text, None)
}

/// [`answer`], done by `bound` at the latest (the deadline of the answer
/// it is rendered inline in).
fn answer_by<'a>(
    config: &'a Config,
    cx: Arc<RenderContext>,
    def: &'static IslandDef,
    id: Option<&str>,
    text: Arc<str>,
    bound: Option<Instant>,
) -> impl Future<Output = Result<Markup, Refusal>> + Send + 'a {
    use tracing::field::Empty;
    use tracing::Instrument as _;
    // Made now, so the answer does not hold on to `id`.
    let span = tracing::debug_span!(
        "mochi.island",
        island = def.name,
        id = id.unwrap_or(""),
        status = Empty,
        duration_ms = Empty,
        trace_id = Empty,
        parent_span_id = Empty,
    );
    // The trace of an island's or a batch's request (a streamed or inline
    // island's span is a child of its page's or parent's, which has it).
    if let Some(request) = cx
        .request()
        .filter(|r| r.is_island_request() && bound.is_none())
    {
        crate::trace::record_on(&span, request.head());
    }
    async move {
        // No clock read for a span no subscriber wants.
        let started = (!span.is_disabled()).then(std::time::Instant::now);
        let answered = answer_within_deadline(config, cx, def, text, bound)
            .instrument(span.clone())
            .await;
        if let Some(started) = started {
            let status = match &answered {
                Ok(_) => 200,
                Err(Refusal(status, ..)) => status.as_u16(),
            };
            span.record("status", status);
            span.record("duration_ms", started.elapsed().as_secs_f64() * 1e3);
        }
        answered
    }
}

async fn answer_within_deadline(
    config: &Config,
    cx: Arc<RenderContext>,
    def: &'static IslandDef,
    text: Arc<str>,
    bound: Option<Instant>,
) -> Result<Markup, Refusal> {
    let deadline = def.timeout.unwrap_or(config.settings.island_timeout);
    let own = Instant::now() + deadline;
    let until = bound.map_or(own, |bound| bound.min(own));
    let internal = StatusCode::INTERNAL_SERVER_ERROR;
    match tokio::time::timeout_at(until, render(cx.clone(), def, text)).await {
        Ok(Rendered::Html(markup)) => Ok(render_inline(config, &cx, markup, until).await),
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

/// Renders the server islands nested in `cx`'s answer that it noted for
/// inline rendering (`context::Inline`), all at once, each in a context of
/// its own and within `until`, and puts each element where its
/// placeholder is in `markup`: holding the island's HTML, or marked failed
/// (the browser shows its error fallback), or, not done in time, deferred
/// (the browser fetches it). An island rendered inline renders its own
/// nested islands the same way before it is done.
async fn render_inline(
    config: &Config,
    cx: &RenderContext,
    markup: Markup,
    until: Instant,
) -> Markup {
    let mut nested = cx.take_inline();
    // Only islands whose element reached the answer as written: one kept
    // aside (or escaped into a prop) loads as a deferred island instead.
    nested.retain(|inline| markup.0.contains(&inline.placeholder));
    if nested.is_empty() {
        return markup;
    }
    let answers = nested.iter().map(|inline| {
        let child = Arc::new(cx.inline_child(inline.def, &inline.id));
        let (def, id, text) = (inline.def, Some(inline.id.as_str()), inline.text.clone());
        // Boxed: an answer holds the answers inline in it.
        let answer = answer_by(config, child, def, id, text, Some(until)).boxed();
        tokio::time::timeout_at(until, answer)
    });
    let answers = futures_util::future::join_all(answers).await;
    let mut html = markup.0;
    for (inline, answer) in nested.iter().zip(answers) {
        // What the browser would retry (502, 503, 504, and the answer's
        // own deadline) it fetches; a failure it would not retry shows.
        let element = match answer {
            Ok(Ok(markup)) => inline.loaded(&markup.0),
            Ok(Err(Refusal(status, ..))) if !is_retried(status) => inline.failed(),
            Ok(Err(_)) | Err(_) => inline.deferred(),
        };
        html = html.replace(&inline.placeholder, &element);
    }
    PreEscaped(html)
}

/// Whether the runtime retries an answer with `status`.
fn is_retried(status: StatusCode) -> bool {
    crate::config::RETRIED_STATUSES.contains(&status.as_u16())
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
    match config.keys.open(def.name, token) {
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
pub(crate) fn is_refused_cross_site(head: &RequestHead, config: &Config) -> bool {
    const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");
    if config.settings.allow_cross_site {
        return false;
    }
    let cross_site = head
        .header(&SEC_FETCH_SITE)
        .is_some_and(|v| v.eq_ignore_ascii_case("cross-site"));
    let Some(sent) = head.header(&header::ORIGIN) else {
        // Absent, or not visible ASCII (which no origin is).
        return cross_site || head.has_header(&header::ORIGIN);
    };
    let own = origin_of(head, &config.settings.origin);
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
pub(crate) async fn read_form<B, E>(
    head: &RequestHead,
    mut body: B,
    config: &Config,
) -> Result<String, Refusal>
where
    B: Stream<Item = Result<Bytes, E>> + Unpin,
{
    let cap = config.settings.max_body;
    let too_large = || Refusal(StatusCode::PAYLOAD_TOO_LARGE, "payload too large", None);
    let bad = |why: &str| Refusal(StatusCode::BAD_REQUEST, "bad request", Some(why.into()));
    let declared = head
        .header(&header::CONTENT_LENGTH)
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > cap as u64) {
        return Err(too_large());
    }
    let form = head
        .header(&header::CONTENT_TYPE)
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
        let mut read = Vec::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|_| bad("the body could not be read"))?;
            if read.len() + chunk.len() > cap {
                return Err(too_large());
            }
            read.extend_from_slice(&chunk);
        }
        Ok(read)
    };
    let deadline = config.settings.island_timeout;
    let read = match tokio::time::timeout(deadline, read).await {
        Ok(read) => read?,
        Err(_) => {
            let why = format!("the body did not arrive within {deadline:?}");
            return Err(Refusal(
                StatusCode::REQUEST_TIMEOUT,
                "request timeout",
                Some(why),
            ));
        }
    };
    String::from_utf8(read).map_err(|_| bad("body is not UTF-8"))
}

/// `Cache-Control` and `Vary` of a successful answer.
///
/// Answers are private unless the island opted into a cache, and so is
/// one the caller says must be (`private`): a POST answer, whose token is
/// in the body, where no cache keys; one holding islands rendered inline
/// whose policies differ from its own. An opted-in
/// answer varies on every header its render read (cookies: `Cookie`); one
/// that read the whole header map cannot say what it varies on, so it is
/// made private, with a warning.
pub(crate) fn cache_headers(answer: &mut Answer, def: &IslandDef, private: bool, reads: &Reads) {
    let never = private;
    let private = Cow::Borrowed(PRIVATE);
    let cache = match def.cache_control {
        Some(cache) if !never => cache,
        _ => {
            answer.set(Header::CacheControl, private);
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
        answer.set(Header::CacheControl, private);
        return;
    }
    answer.set(Header::CacheControl, Cow::Borrowed(cache));
    if !reads.names.is_empty() {
        let vary: Vec<&str> = reads.names.iter().map(|n| n.as_str()).collect();
        // Header names are valid header text.
        answer.set(Header::Vary, Cow::Owned(vary.join(", ")));
    }
}

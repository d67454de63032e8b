//! What component code sees of the request: [`RequestContext`].

use std::cell::{OnceCell, RefCell};
use std::rc::Rc;

use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, Uri};
use actix_web::HttpRequest;
use compact_str::CompactString;

use crate::config::Origin;

/// The request a render belongs to, shared by the render and every render
/// nested in it (fragments, streamed islands).
#[derive(Debug)]
pub(crate) struct SharedRequest {
    source: Source,
    /// How the page's own origin is found.
    origin: Origin,
    /// What renders read of it: the answer's `Vary`.
    reads: RefCell<Reads>,
}

#[derive(Debug)]
enum Source {
    /// A page render: a copy of the head. actix must own the `HttpRequest`
    /// uniquely while it routes (nested scopes route while the page's
    /// future runs), so a page render cannot hold the request itself.
    Page(RequestHead),
    /// An island endpoint render: the request itself.
    Island(HttpRequest),
    /// A streamed island's render: the page's own request, once its
    /// handler has answered (so actix no longer routes it).
    Streamed(HttpRequest),
    /// A render on another thread (a `blocking` island's body, on the
    /// blocking pool): a copy of the head of the request it was detached
    /// from, which stays on its worker. `island`: whether that was an
    /// island's own request (it answers as [`Source::Island`] does), else
    /// as a page's.
    Copied { head: RequestHead, island: bool },
}

/// A request's head, as the handler saw it: `Send`, unlike the request.
#[derive(Debug, Clone)]
pub(crate) struct RequestHead {
    method: Method,
    uri: Uri,
    headers: CopiedHeaders,
    /// Whether the connection is TLS (actix's `AppConfig::secure`).
    secure: bool,
    /// The app's configured host, used when `Host` is missing or invalid
    /// (inline, without an allocation, up to 24 bytes).
    config_host: CompactString,
}

impl RequestHead {
    /// The head of a request the middleware was handed.
    pub(crate) fn of(req: &actix_web::dev::ServiceRequest) -> RequestHead {
        RequestHead::of_request(req.request())
    }

    /// Whether the request asks for a fragment rather than a document:
    /// it carries `HX-Request` or `Turbo-Frame`, or `Sec-Fetch-Dest:
    /// empty` (what `fetch` sends).
    pub(crate) fn wants_fragment(&self) -> bool {
        // One pass over the copied pairs, not a lookup per name.
        self.headers
            .pairs
            .iter()
            .any(|(name, value)| match name.as_str() {
                "hx-request" | "turbo-frame" => true,
                "sec-fetch-dest" => value.as_bytes() == b"empty",
                _ => false,
            })
    }

    fn of_request(req: &HttpRequest) -> RequestHead {
        let config = req.app_config();
        RequestHead {
            method: req.method().clone(),
            uri: req.uri().clone(),
            headers: CopiedHeaders::of(req.headers()),
            secure: config.secure(),
            config_host: config.host().into(),
        }
    }
}

/// A request's headers, copied: the pairs in a list, looked up by a scan
/// (a request has a few, and actix bounds their number); the `HeaderMap`
/// is built only for a render that asks for the whole map.
#[derive(Debug, Clone)]
struct CopiedHeaders {
    pairs: Vec<(HeaderName, HeaderValue)>,
    map: OnceCell<HeaderMap>,
}

impl CopiedHeaders {
    fn of(map: &HeaderMap) -> CopiedHeaders {
        CopiedHeaders {
            pairs: map.iter().map(|(n, v)| (n.clone(), v.clone())).collect(),
            map: OnceCell::new(),
        }
    }

    fn get(&self, name: &HeaderName) -> Option<&HeaderValue> {
        self.pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    fn get_all<'h>(&'h self, name: &'h HeaderName) -> impl Iterator<Item = &'h HeaderValue> {
        let pairs = self.pairs.iter().filter(move |(n, _)| n == name);
        pairs.map(|(_, v)| v)
    }

    fn map(&self) -> &HeaderMap {
        self.map.get_or_init(|| {
            let mut map = HeaderMap::with_capacity(self.pairs.len());
            for (name, value) in &self.pairs {
                map.append(name.clone(), value.clone());
            }
            map
        })
    }
}

/// A [`SharedRequest`] to be rebuilt on another thread: the request's head
/// and the origin setting, all `Send`.
#[derive(Debug)]
pub(crate) struct DetachedRequest {
    head: RequestHead,
    island: bool,
    origin: Origin,
}

impl DetachedRequest {
    /// The request, on this thread, with nothing read of it yet.
    pub(crate) fn attach(self) -> SharedRequest {
        let source = Source::Copied {
            head: self.head,
            island: self.island,
        };
        SharedRequest::new(source, self.origin)
    }
}

/// What renders read of their request: the headers an answer varies on.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Reads {
    /// Header names read one by one (lowercase), `cookie` for cookies.
    pub(crate) names: Vec<HeaderName>,
    /// Whether a render took the whole header map (nothing to vary on).
    pub(crate) all_headers: bool,
}

impl Reads {
    fn note(&mut self, name: HeaderName) {
        if !self.names.contains(&name) {
            self.names.push(name);
        }
    }
}

impl SharedRequest {
    pub(crate) fn page(head: RequestHead, origin: Origin) -> SharedRequest {
        SharedRequest::new(Source::Page(head), origin)
    }

    pub(crate) fn island(req: HttpRequest, origin: Origin) -> SharedRequest {
        SharedRequest::new(Source::Island(req), origin)
    }

    pub(crate) fn streamed(page: HttpRequest, origin: Origin) -> SharedRequest {
        SharedRequest::new(Source::Streamed(page), origin)
    }

    fn new(source: Source, origin: Origin) -> SharedRequest {
        SharedRequest {
            source,
            origin,
            reads: RefCell::new(Reads::default()),
        }
    }

    /// A copy of what a render on another thread needs of this request.
    pub(crate) fn detach(&self) -> DetachedRequest {
        let (head, island) = match &self.source {
            Source::Page(head) => (head.clone(), false),
            Source::Island(req) => (RequestHead::of_request(req), true),
            Source::Streamed(req) => (RequestHead::of_request(req), false),
            Source::Copied { head, island } => (head.clone(), *island),
        };
        DetachedRequest {
            head,
            island,
            origin: self.origin.clone(),
        }
    }

    /// The values of request header `name`, unrecorded.
    fn header_values<'r>(
        &'r self,
        name: &'r HeaderName,
    ) -> impl Iterator<Item = &'r HeaderValue> + 'r {
        let (copied, live) = match &self.source {
            Source::Page(head) | Source::Copied { head, .. } => {
                (Some(head.headers.get_all(name)), None)
            }
            Source::Island(req) | Source::Streamed(req) => {
                (None, Some(req.headers().get_all(name)))
            }
        };
        copied
            .into_iter()
            .flatten()
            .chain(live.into_iter().flatten())
    }

    /// The first value of request header `name`, unrecorded.
    fn header(&self, name: &HeaderName) -> Option<&HeaderValue> {
        match &self.source {
            Source::Page(head) | Source::Copied { head, .. } => head.headers.get(name),
            Source::Island(req) | Source::Streamed(req) => req.headers().get(name),
        }
    }

    /// The request headers, unrecorded.
    fn header_map(&self) -> &HeaderMap {
        match &self.source {
            Source::Page(head) | Source::Copied { head, .. } => head.headers.map(),
            Source::Island(req) | Source::Streamed(req) => req.headers(),
        }
    }

    /// What renders have read so far.
    pub(crate) fn reads(&self) -> Reads {
        self.reads.borrow().clone()
    }

    /// Adds what a render of this request on another thread read.
    pub(crate) fn merge_reads(&self, other: Reads) {
        let mut reads = self.reads.borrow_mut();
        for name in other.names {
            reads.note(name);
        }
        reads.all_headers |= other.all_headers;
    }

    fn uri(&self) -> &Uri {
        match &self.source {
            Source::Page(head) | Source::Copied { head, .. } => &head.uri,
            Source::Island(req) | Source::Streamed(req) => req.uri(),
        }
    }

    /// Whether this render answers an island's own request.
    fn is_island(&self) -> bool {
        matches!(
            self.source,
            Source::Island(_) | Source::Copied { island: true, .. }
        )
    }

    /// Records the headers [`origin`](Self::origin) reads.
    fn note_origin_reads(&self) {
        let mut reads = self.reads.borrow_mut();
        match self.origin {
            Origin::Fixed(_) => {}
            Origin::Connection => reads.note(header::HOST),
            Origin::TrustForwarded => {
                for name in [
                    header::HOST,
                    header::FORWARDED,
                    X_FORWARDED_PROTO,
                    X_FORWARDED_HOST,
                ] {
                    reads.note(name);
                }
            }
        }
    }

    /// `scheme://host[:port]` of this request, as [`Origin`] says to find
    /// it; always `http` or `https`.
    pub(crate) fn origin(&self) -> String {
        let (secure, config_host) = match &self.source {
            Source::Page(head) | Source::Copied { head, .. } => {
                (head.secure, head.config_host.as_str())
            }
            Source::Island(req) | Source::Streamed(req) => {
                (req.app_config().secure(), req.app_config().host())
            }
        };
        let connection_scheme = if secure { "https" } else { "http" };
        let host_header = self
            .header(&header::HOST)
            .and_then(|v| v.to_str().ok())
            .filter(|h| is_valid_host(h));
        match &self.origin {
            Origin::Fixed(origin) => origin.clone(),
            Origin::Connection => {
                let host = host_header.unwrap_or(config_host);
                format!("{connection_scheme}://{host}")
            }
            Origin::TrustForwarded => {
                let (scheme, host) = forwarded(self);
                let scheme = scheme.unwrap_or(connection_scheme);
                let host = host.or(host_header).unwrap_or(config_host);
                format!("{scheme}://{host}")
            }
        }
    }
}

const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// Scheme and host from `Forwarded`, else `X-Forwarded-Proto` / `-Host`:
/// only values that are `http`/`https` and syntactically valid hosts.
fn forwarded(request: &SharedRequest) -> (Option<&'static str>, Option<&str>) {
    let (mut scheme, mut host) = (None, None);
    let first_forwarded = request
        .header(&header::FORWARDED)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next());
    for pair in first_forwarded.into_iter().flat_map(|v| v.split(';')) {
        let Some((name, value)) = pair.trim().split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"');
        match name.trim().to_ascii_lowercase().as_str() {
            "proto" => scheme = scheme.or(http_scheme(value)),
            "host" if is_valid_host(value) => host = host.or(Some(value)),
            _ => {}
        }
    }
    let first = |name: &HeaderName| -> Option<&str> {
        let value = request.header(name)?.to_str().ok()?;
        Some(value.split(',').next()?.trim())
    };
    let scheme = scheme.or_else(|| first(&X_FORWARDED_PROTO).and_then(http_scheme));
    let host = host.or_else(|| first(&X_FORWARDED_HOST).filter(|h| is_valid_host(h)));
    (scheme, host)
}

fn http_scheme(value: &str) -> Option<&'static str> {
    if value.eq_ignore_ascii_case("https") {
        Some("https")
    } else if value.eq_ignore_ascii_case("http") {
        Some("http")
    } else {
        None
    }
}

/// `host[:port]` where host is a DNS name or IPv4 address (letters,
/// digits, `-`, `.`) or a bracketed IPv6 address, and port is 1–5 digits.
/// Anything else (`@`, `/`, quotes, `<`, spaces) is refused.
pub(crate) fn is_valid_host(value: &str) -> bool {
    if value.is_empty() || value.len() > 255 {
        return false;
    }
    let (host, port) = if let Some(rest) = value.strip_prefix('[') {
        let Some((v6, after)) = rest.split_once(']') else {
            return false;
        };
        if v6.is_empty()
            || !v6
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return false;
        }
        match after {
            "" => ("[v6]", None),
            _ => match after.strip_prefix(':') {
                Some(port) => ("[v6]", Some(port)),
                None => return false,
            },
        }
    } else {
        match value.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (value, None),
        }
    };
    let host_ok = host == "[v6]"
        || (!host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'));
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

/// The request being served, as seen from component code.
///
/// Available inside every island render and every page render under the
/// mochi middleware; [`request_context`](crate::request_context) returns
/// `None` elsewhere. What a render reads of the headers (a cookie, a
/// header by name) is recorded, so an island that opted into a shared cache
/// answers with the matching `Vary`.
#[derive(Clone)]
pub struct RequestContext {
    shared: Rc<SharedRequest>,
}

impl std::fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestContext")
            .field("method", self.method())
            .field("path", &self.path())
            .field("island", &self.is_island_request())
            .finish()
    }
}

impl RequestContext {
    pub(crate) fn new(shared: Rc<SharedRequest>) -> RequestContext {
        RequestContext { shared }
    }

    /// The value of cookie `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.shared.reads.borrow_mut().note(header::COOKIE);
        self.shared
            .header_values(&header::COOKIE)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|header| header.split(';'))
            .filter_map(|pair| actix_web::cookie::Cookie::parse(pair.trim()).ok())
            .find(|c| c.name() == name)
            .map(|c| c.value().to_owned())
    }

    /// The value of header `name`, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = HeaderName::try_from(name).ok()?;
        let value = self.shared.header(&name);
        self.shared.reads.borrow_mut().note(name);
        value?.to_str().ok()
    }

    /// All request headers. An island that reads them this way cannot say
    /// what it varies on, so its answer is never shared-cached.
    pub fn headers(&self) -> &HeaderMap {
        self.shared.reads.borrow_mut().all_headers = true;
        self.shared.header_map()
    }

    /// The request method.
    pub fn method(&self) -> &Method {
        match &self.shared.source {
            Source::Page(head) | Source::Copied { head, .. } => &head.method,
            Source::Island(req) | Source::Streamed(req) => req.method(),
        }
    }

    /// The request URI (for an island: the endpoint's).
    pub fn uri(&self) -> &Uri {
        self.shared.uri()
    }

    /// The request path (for an island: the endpoint path).
    pub fn path(&self) -> &str {
        self.uri().path()
    }

    /// The raw query string (empty if none).
    pub fn query_string(&self) -> &str {
        self.uri().query().unwrap_or("")
    }

    /// The URL of the page the user is looking at, always `http:` or
    /// `https:`.
    ///
    /// For a page render (and a streamed island's): the request's origin
    /// and path. The origin comes
    /// from the connection and a valid `Host` header unless the app
    /// configured otherwise ([`MochiBuilder::public_origin`],
    /// [`MochiBuilder::trust_forwarded_headers`]): `X-Forwarded-*` and
    /// `Forwarded` are spoofable by any client. For a server island: the
    /// `Referer` the browser sent, if it is on the request's own origin;
    /// `None` otherwise.
    ///
    /// [`MochiBuilder::public_origin`]: crate::MochiBuilder::public_origin
    /// [`MochiBuilder::trust_forwarded_headers`]: crate::MochiBuilder::trust_forwarded_headers
    ///
    /// What it reads is recorded like any header: an island that opted into
    /// a shared cache and calls it answers with `Vary: Host, Referer` (and
    /// the forwarded headers, when they are trusted), so a cache keeps one
    /// answer per page, never one page's answer for another.
    pub fn page_url(&self) -> Option<String> {
        self.shared.note_origin_reads();
        let origin = self.shared.origin();
        if self.shared.is_island() {
            self.shared.reads.borrow_mut().note(header::REFERER);
            let referer = self.shared.header(&header::REFERER);
            let referer = referer?.to_str().ok()?;
            let rest = referer.strip_prefix(origin.as_str())?;
            return (rest.is_empty() || rest.starts_with('/')).then(|| referer.to_owned());
        }
        let uri = self.shared.uri();
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        Some(format!("{origin}{path}"))
    }

    /// Whether this is a server island's own request.
    pub fn is_island_request(&self) -> bool {
        self.shared.is_island()
    }

    /// The actix request itself, inside island renders, streamed ones
    /// included (for `app_data`, such as a database pool). Page handlers
    /// have theirs as an extractor.
    ///
    /// `None` in the body of a `blocking` island: it runs on a thread of
    /// the blocking pool, and the request stays on its worker (the
    /// `HttpRequest` is not `Send`). The rest of this context (cookies,
    /// headers, method, URI, [`page_url`](Self::page_url)) is a copy of
    /// the request's head there. Keep what such a body needs in a
    /// `static` (a `OnceLock` set at startup), or make the island `async`
    /// and call `web::block` yourself with what it takes from app data.
    pub fn http_request(&self) -> Option<&HttpRequest> {
        match &self.shared.source {
            Source::Page(_) | Source::Copied { .. } => None,
            Source::Island(req) | Source::Streamed(req) => Some(req),
        }
    }

    /// Application data registered with `App::app_data`, inside island
    /// renders (streamed ones included; not `blocking` ones, see
    /// [`http_request`](Self::http_request)).
    pub fn app_data<T: 'static>(&self) -> Option<&T> {
        self.http_request()?.app_data::<T>()
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use actix_web::test::TestRequest;

    use super::{is_valid_host, RequestContext, RequestHead, SharedRequest};
    use crate::config::Origin;

    fn page_url(headers: &[(&str, &str)], uri: &str, origin: Origin) -> Option<String> {
        let mut req = TestRequest::get().uri(uri);
        for &(name, value) in headers {
            req = req.insert_header((name, value));
        }
        let head = RequestHead::of(&req.to_srv_request());
        RequestContext::new(Rc::new(SharedRequest::page(head, origin))).page_url()
    }

    #[test]
    fn hosts() {
        for ok in [
            "a.test",
            "a.test:8080",
            "127.0.0.1:1",
            "[::1]",
            "[::1]:80",
            "x-y.z",
        ] {
            assert!(is_valid_host(ok), "{ok}");
        }
        for bad in [
            "", "a@b", "a/b", "a\"b", "<x>", "a b", "a:", "a:123456", "[::1", "[]", "a:b:c",
            "[::1]x", "[x]",
        ] {
            assert!(!is_valid_host(bad), "{bad}");
        }
    }

    /// By default only the connection and a valid `Host` count.
    #[test]
    fn spoofable_headers_are_ignored_by_default() {
        let spoof = [
            ("host", "shop.test"),
            ("x-forwarded-host", "evil.example"),
            ("x-forwarded-proto", "https"),
            ("forwarded", "proto=javascript;host=evil.example"),
        ];
        assert_eq!(
            page_url(&spoof, "/where?q=1", Origin::Connection).as_deref(),
            Some("http://shop.test/where?q=1")
        );
        for host in ["evil.example@x", "a/b", "a\"<b", "x y"] {
            assert_eq!(
                page_url(&[("host", host)], "/p", Origin::Connection).as_deref(),
                Some("http://localhost:8080/p"),
                "{host}"
            );
        }
        // Absolute-form request targets: the path only.
        assert_eq!(
            page_url(
                &[("host", "shop.test")],
                "http://evil.example/where",
                Origin::Connection
            )
            .as_deref(),
            Some("http://shop.test/where")
        );
    }

    #[test]
    fn forwarded_headers_count_when_trusted_and_valid() {
        let trusted = |h: &[(&str, &str)]| page_url(h, "/p", Origin::TrustForwarded);
        assert_eq!(
            trusted(&[("host", "a.test"), ("x-forwarded-host", "b.test, c.test")]).as_deref(),
            Some("http://b.test/p")
        );
        assert_eq!(
            trusted(&[
                ("host", "a.test"),
                ("forwarded", "for=1.2.3.4;proto=https;host=\"f.test\"")
            ])
            .as_deref(),
            Some("https://f.test/p")
        );
        // Junk in a trusted header is still refused.
        assert_eq!(
            trusted(&[
                ("host", "a.test"),
                ("forwarded", "proto=javascript;host=x@y")
            ])
            .as_deref(),
            Some("http://a.test/p")
        );
        assert_eq!(
            page_url(
                &[("host", "a.test"), ("x-forwarded-host", "b.test")],
                "/p",
                Origin::Fixed("https://shop.example".into())
            )
            .as_deref(),
            Some("https://shop.example/p")
        );
    }

    /// A copy made for another thread answers as its source does, but
    /// has no `HttpRequest`; what it reads joins the source's reads.
    #[test]
    fn a_detached_request_answers_as_its_source() {
        let req = TestRequest::get()
            .uri("/_mochi/island/X?p=t")
            .insert_header(("host", "shop.test"))
            .insert_header(("cookie", "user=ann"))
            .insert_header(("referer", "http://shop.test/cart?x=1"))
            .to_http_request();
        let island = Rc::new(SharedRequest::island(req.clone(), Origin::Connection));
        let streamed = Rc::new(SharedRequest::streamed(req, Origin::Connection));
        for source in [island, streamed] {
            let copy = Rc::new(source.detach().attach());
            let (source_cx, copy_cx) = (
                RequestContext::new(source.clone()),
                RequestContext::new(copy.clone()),
            );
            assert_eq!(copy_cx.is_island_request(), source_cx.is_island_request());
            assert_eq!(copy_cx.uri(), source_cx.uri());
            assert_eq!(copy_cx.method(), source_cx.method());
            assert_eq!(copy.origin(), source.origin());
            assert!(source_cx.http_request().is_some() && copy_cx.http_request().is_none());
            assert_eq!(copy_cx.cookie("user").as_deref(), Some("ann"));
            assert_eq!(copy_cx.header("x-none"), None);
            assert_eq!(source.reads(), super::Reads::default());
            source.merge_reads(copy.reads());
            let names: Vec<_> = source.reads().names.iter().map(|n| n.to_string()).collect();
            assert_eq!(names, ["cookie", "x-none"]);
            let _ = copy_cx.headers();
            source.merge_reads(copy.reads());
            assert!(source.reads().all_headers);
            assert_eq!(source.reads().names.len(), 2, "merged without repeats");
            assert_eq!(copy_cx.page_url(), source_cx.page_url());
        }
    }

    /// What `page_url` reads is what an island's answer varies on.
    #[test]
    fn page_url_records_what_it_reads() {
        let req = || {
            TestRequest::get()
                .uri("/_mochi/island/X?p=t")
                .insert_header(("host", "shop.test"))
                .insert_header(("referer", "http://shop.test/a"))
                .to_http_request()
        };
        let names = |origin: Origin| {
            let shared = Rc::new(SharedRequest::island(req(), origin));
            RequestContext::new(shared.clone()).page_url();
            let reads = shared.reads().names;
            reads.iter().map(|n| n.to_string()).collect::<Vec<_>>()
        };
        assert_eq!(names(Origin::Connection), ["host", "referer"]);
        assert_eq!(
            names(Origin::Fixed("https://shop.test".into())),
            ["referer"]
        );
        assert_eq!(
            names(Origin::TrustForwarded),
            [
                "host",
                "forwarded",
                "x-forwarded-proto",
                "x-forwarded-host",
                "referer"
            ]
        );
    }

    #[test]
    fn reads_are_recorded() {
        let req = TestRequest::get()
            .insert_header(("cookie", "a=1; b=2"))
            .insert_header(("accept-language", "de"))
            .to_srv_request();
        let shared = Rc::new(SharedRequest::page(
            RequestHead::of(&req),
            Origin::Connection,
        ));
        let cx = RequestContext::new(shared.clone());
        assert_eq!(shared.reads(), super::Reads::default());
        assert_eq!(cx.cookie("b").as_deref(), Some("2"));
        assert_eq!(cx.header("Accept-Language"), Some("de"));
        assert_eq!(cx.header("x-missing"), None);
        let reads = shared.reads();
        let names: Vec<_> = reads.names.iter().map(|n| n.as_str()).collect();
        assert_eq!(names, ["cookie", "accept-language", "x-missing"]);
        assert!(!reads.all_headers);
        let _ = cx.headers();
        assert!(shared.reads().all_headers);
    }
}

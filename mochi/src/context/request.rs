//! What component code sees of the request: [`RequestContext`], on
//! `http` types whatever the server.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Uri};

use crate::config::Origin;

/// A request's head as a server integration holds it: read by name without
/// copying, and whole only when a render asks for it. `Send` and `Sync`, so
/// a render (and a `blocking` island's body on another thread) can read it
/// anywhere.
pub(crate) trait HeadSource: Send + Sync + fmt::Debug + 'static {
    /// The method, e.g. `GET`.
    fn method(&self) -> &str;
    /// The request target's path and query, as received.
    fn target(&self) -> &str;
    /// The first value of header `name` (lowercase).
    fn header(&self, name: &str) -> Option<&[u8]>;
    /// Every header, in order, with repeats.
    fn pairs(&self) -> Box<dyn Iterator<Item = (&str, &[u8])> + '_>;
    /// Whether the connection is TLS.
    fn secure(&self) -> bool;
    /// The server's configured host, used when `Host` is missing or
    /// invalid.
    fn config_host(&self) -> &str;
}

/// A request's head for the core: read through its [`HeadSource`], and
/// on `http` types (made once, when first asked for) for component code.
#[derive(Debug)]
pub(crate) struct RequestHead {
    source: Box<dyn HeadSource>,
    method: OnceLock<Method>,
    uri: OnceLock<Uri>,
    headers: OnceLock<HeaderMap>,
}

impl RequestHead {
    pub(crate) fn new(source: impl HeadSource) -> RequestHead {
        RequestHead {
            source: Box::new(source),
            method: OnceLock::new(),
            uri: OnceLock::new(),
            headers: OnceLock::new(),
        }
    }

    /// Whether the method is `method` (uppercase).
    pub(crate) fn is_method(&self, method: &str) -> bool {
        self.source.method() == method
    }

    pub(crate) fn method(&self) -> &Method {
        self.method.get_or_init(|| {
            Method::from_bytes(self.source.method().as_bytes()).unwrap_or(Method::GET)
        })
    }

    /// The path and query.
    pub(crate) fn uri(&self) -> &Uri {
        self.uri.get_or_init(|| {
            self.source
                .target()
                .parse()
                .unwrap_or_else(|_| Uri::from_static("/"))
        })
    }

    /// The request target's path and query, as received.
    pub(crate) fn target(&self) -> &str {
        self.source.target()
    }

    /// The query string, as received (empty if none).
    pub(crate) fn query(&self) -> &str {
        self.target().split_once('?').map_or("", |(_, query)| query)
    }

    /// The first value of header `name`, if it is visible ASCII (what
    /// `HeaderValue::to_str` accepts).
    pub(crate) fn header(&self, name: &HeaderName) -> Option<&str> {
        visible_ascii(self.source.header(name.as_str())?)
    }

    /// Whether the request carries header `name`.
    pub(crate) fn has_header(&self, name: &HeaderName) -> bool {
        self.source.header(name.as_str()).is_some()
    }

    /// Every value of header `name` that is visible ASCII.
    pub(crate) fn header_all<'h>(&'h self, name: &'h str) -> impl Iterator<Item = &'h str> + 'h {
        let values = self.source.pairs().filter(move |(n, _)| *n == name);
        values.filter_map(|(_, value)| visible_ascii(value))
    }

    /// All headers, on `http` types.
    pub(crate) fn headers(&self) -> &HeaderMap {
        self.headers.get_or_init(|| {
            let mut map = HeaderMap::new();
            for (name, value) in self.source.pairs() {
                if let (Ok(name), Ok(value)) = (
                    HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_bytes(value),
                ) {
                    map.append(name, value);
                }
            }
            map
        })
    }

    /// Whether the request asks for a fragment rather than a document:
    /// it carries `HX-Request` or `Turbo-Frame`, or `Sec-Fetch-Dest:
    /// empty` (what `fetch` sends).
    pub(crate) fn wants_fragment(&self) -> bool {
        self.source.pairs().any(|(name, value)| match name {
            "hx-request" | "turbo-frame" => true,
            "sec-fetch-dest" => value == b"empty",
            _ => false,
        })
    }
}

/// `bytes` as text if they are visible ASCII or tabs.
fn visible_ascii(bytes: &[u8]) -> Option<&str> {
    let visible = bytes.iter().all(|&b| b == b'\t' || (32..127).contains(&b));
    visible.then(|| std::str::from_utf8(bytes).ok()).flatten()
}

/// A head already on `http` types, as tests build it (and, next, what an
/// integration on `http` types hands over).
#[cfg(test)]
#[derive(Debug)]
pub(crate) struct HttpHead {
    pub(crate) method: Method,
    /// The path and query.
    pub(crate) target: String,
    pub(crate) headers: HeaderMap,
    pub(crate) secure: bool,
    pub(crate) config_host: String,
}

#[cfg(test)]
impl HeadSource for HttpHead {
    fn method(&self) -> &str {
        self.method.as_str()
    }

    fn target(&self) -> &str {
        &self.target
    }

    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers.get(name).map(HeaderValue::as_bytes)
    }

    fn pairs(&self) -> Box<dyn Iterator<Item = (&str, &[u8])> + '_> {
        Box::new(self.headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())))
    }

    fn secure(&self) -> bool {
        self.secure
    }

    fn config_host(&self) -> &str {
        &self.config_host
    }
}

/// The request headers that make a response a fragment
/// ([`RequestHead::wants_fragment`]): a response whose render gave out ids
/// varies on them.
pub(crate) const FRAGMENT_HEADERS: &str = "HX-Request, Turbo-Frame, Sec-Fetch-Dest";

/// Which request a render reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestKind {
    /// A page (or fragment) response's own request, which its streamed
    /// islands render on too, once its handler has answered.
    Page,
    /// A server island's own request (the endpoint or a batch).
    Island,
    /// No request: a render outside any server (a static render, a unit
    /// test) sees an empty one.
    Absent,
}

/// The head of the empty request a render outside any server sees:
/// `GET /`, no headers.
#[derive(Debug)]
struct NoRequest;

impl HeadSource for NoRequest {
    fn method(&self) -> &str {
        "GET"
    }

    fn target(&self) -> &str {
        "/"
    }

    fn header(&self, _: &str) -> Option<&[u8]> {
        None
    }

    fn pairs(&self) -> Box<dyn Iterator<Item = (&str, &[u8])> + '_> {
        Box::new(std::iter::empty())
    }

    fn secure(&self) -> bool {
        false
    }

    fn config_host(&self) -> &str {
        "localhost"
    }
}

/// The request a render belongs to, shared by the render and every render
/// nested in it (fragments, streamed islands, a `blocking` island's body on
/// the blocking pool).
#[derive(Debug)]
pub(crate) struct SharedRequest {
    head: RequestHead,
    kind: RequestKind,
    /// How the page's own origin is found.
    origin: Origin,
    /// What renders read of it: the answer's `Vary`.
    reads: Mutex<Reads>,
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
    pub(crate) fn new(head: RequestHead, kind: RequestKind, origin: Origin) -> SharedRequest {
        SharedRequest {
            head,
            kind,
            origin,
            reads: Mutex::new(Reads::default()),
        }
    }

    /// Whether the request's method is `method` (uppercase).
    pub(crate) fn is_method(&self, method: &str) -> bool {
        self.head.is_method(method)
    }

    /// The request's head, read by mochi itself (no `Vary` is noted).
    pub(crate) fn head(&self) -> &RequestHead {
        &self.head
    }

    /// Whether this is an island's own request (the endpoint or a batch).
    pub(crate) fn is_island_request(&self) -> bool {
        self.kind == RequestKind::Island
    }

    fn reads_mut(&self) -> MutexGuard<'_, Reads> {
        self.reads.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The first value of request header `name`, unrecorded.
    fn header(&self, name: &HeaderName) -> Option<&str> {
        self.head.header(name)
    }

    /// What renders have read so far.
    pub(crate) fn reads(&self) -> Reads {
        self.reads_mut().clone()
    }

    /// Whether this render answers an island's own request.
    fn is_island(&self) -> bool {
        self.kind == RequestKind::Island
    }

    /// Records the headers [`origin`](Self::origin) reads.
    fn note_origin_reads(&self) {
        let mut reads = self.reads_mut();
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
        origin_of(&self.head, &self.origin)
    }
}

/// `scheme://host[:port]` of the request with `head`, as `origin` says to
/// find it; always `http` or `https`.
pub(crate) fn origin_of(head: &RequestHead, origin: &Origin) -> String {
    let source = &head.source;
    let connection_scheme = if source.secure() { "https" } else { "http" };
    let config_host = source.config_host();
    let host_header = head.header(&header::HOST).filter(|h| is_valid_host(h));
    match origin {
        Origin::Fixed(origin) => origin.clone(),
        Origin::Connection => {
            let host = host_header.unwrap_or(config_host);
            format!("{connection_scheme}://{host}")
        }
        Origin::TrustForwarded => {
            let (scheme, host) = forwarded(head);
            let scheme = scheme.unwrap_or(connection_scheme);
            let host = host.or(host_header).unwrap_or(config_host);
            format!("{scheme}://{host}")
        }
    }
}

const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// Scheme and host from `Forwarded`, else `X-Forwarded-Proto` / `-Host`:
/// only values that are `http`/`https` and syntactically valid hosts.
fn forwarded(head: &RequestHead) -> (Option<&'static str>, Option<&str>) {
    let (mut scheme, mut host) = (None, None);
    let first_forwarded = head
        .header(&header::FORWARDED)
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
        let value = head.header(name)?;
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
/// Inside every island render and every page render under a server
/// integration it is that request; elsewhere (a static render, a unit
/// test) it is an empty one: `GET /`, no headers, no cookies, no page URL
/// ([`has_request`](Self::has_request) says which). What a render reads of the headers (a cookie, a
/// header by name) is recorded, so an island that opted into a shared cache
/// answers with the matching `Vary`. It is the same on every server: the
/// request's head on `http` types. Typed app state comes from
/// [`extract`](crate::extract).
#[derive(Clone)]
pub struct RequestContext {
    shared: Arc<SharedRequest>,
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
    pub(crate) fn new(shared: Arc<SharedRequest>) -> RequestContext {
        RequestContext { shared }
    }

    /// The empty request of a render outside any server.
    pub(crate) fn absent() -> RequestContext {
        static ABSENT: OnceLock<Arc<SharedRequest>> = OnceLock::new();
        let shared = ABSENT.get_or_init(|| {
            let head = RequestHead::new(NoRequest);
            Arc::new(SharedRequest::new(
                head,
                RequestKind::Absent,
                Origin::Connection,
            ))
        });
        RequestContext::new(shared.clone())
    }

    /// Whether a request is behind this context: `false` in a render
    /// outside any server (a static render, a unit test), whose request is
    /// empty.
    pub fn has_request(&self) -> bool {
        self.shared.kind != RequestKind::Absent
    }

    /// The value of cookie `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.shared.reads_mut().note(header::COOKIE);
        self.shared
            .head
            .header_all("cookie")
            .flat_map(|header| header.split(';'))
            .filter_map(|pair| cookie::Cookie::parse(pair.trim()).ok())
            .find(|c| c.name() == name)
            .map(|c| c.value().to_owned())
    }

    /// The value of header `name`, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = HeaderName::try_from(name).ok()?;
        let value = self.shared.header(&name);
        self.shared.reads_mut().note(name);
        value
    }

    /// All request headers. An island that reads them this way cannot say
    /// what it varies on, so its answer is never shared-cached.
    pub fn headers(&self) -> &HeaderMap {
        self.shared.reads_mut().all_headers = true;
        self.shared.head.headers()
    }

    /// The request method.
    pub fn method(&self) -> &Method {
        self.shared.head.method()
    }

    /// The request's path and query (for an island: the endpoint's).
    pub fn uri(&self) -> &Uri {
        self.shared.head.uri()
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
    /// What it reads is recorded like any header: an island that opted into
    /// a shared cache and calls it answers with `Vary: Host, Referer` (and
    /// the forwarded headers, when they are trusted), so a cache keeps one
    /// answer per page, never one page's answer for another.
    ///
    /// [`MochiBuilder::public_origin`]: crate::MochiBuilder::public_origin
    /// [`MochiBuilder::trust_forwarded_headers`]: crate::MochiBuilder::trust_forwarded_headers
    pub fn page_url(&self) -> Option<String> {
        if !self.has_request() {
            return None;
        }
        self.shared.note_origin_reads();
        let origin = self.shared.origin();
        if self.shared.is_island() {
            self.shared.reads_mut().note(header::REFERER);
            let referer = self.shared.header(&header::REFERER);
            let referer = referer?;
            let rest = referer.strip_prefix(origin.as_str())?;
            return (rest.is_empty() || rest.starts_with('/')).then(|| referer.to_owned());
        }
        let uri = self.shared.head.uri();
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        Some(format!("{origin}{path}"))
    }

    /// Whether this is a server island's own request.
    pub fn is_island_request(&self) -> bool {
        self.shared.is_island()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;

    use super::{is_valid_host, HttpHead, RequestContext, RequestHead, RequestKind, SharedRequest};
    use crate::config::Origin;

    /// The head of a request for `uri` with `headers`, as an integration
    /// would copy it (host `localhost:8080`, plain connection).
    pub(crate) fn head(uri: &str, headers: &[(&str, &str)]) -> RequestHead {
        let mut map = http::HeaderMap::new();
        for &(name, value) in headers {
            map.append(
                http::HeaderName::try_from(name).unwrap(),
                http::HeaderValue::try_from(value).unwrap(),
            );
        }
        let uri: http::Uri = uri.parse().unwrap();
        let target = uri.path_and_query().map_or("/", |p| p.as_str());
        RequestHead::new(HttpHead {
            method: http::Method::GET,
            target: target.into(),
            headers: map,
            secure: false,
            config_host: "localhost:8080".into(),
        })
    }

    fn shared(
        uri: &str,
        headers: &[(&str, &str)],
        kind: RequestKind,
        origin: Origin,
    ) -> Arc<SharedRequest> {
        Arc::new(SharedRequest::new(head(uri, headers), kind, origin))
    }

    fn page_url(headers: &[(&str, &str)], uri: &str, origin: Origin) -> Option<String> {
        RequestContext::new(shared(uri, headers, RequestKind::Page, origin)).page_url()
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

    /// A render on another thread (a `blocking` island's body) reads the
    /// same request, and what it reads joins the answer's `Vary`.
    #[test]
    fn the_request_is_shared_across_threads() {
        let request = shared(
            "/_mochi/island/X?p=t",
            &[("cookie", "user=ann")],
            RequestKind::Island,
            Origin::Connection,
        );
        let cx = RequestContext::new(request.clone());
        let user = std::thread::spawn(move || cx.cookie("user"))
            .join()
            .unwrap();
        assert_eq!(user.as_deref(), Some("ann"));
        let names: Vec<_> = request
            .reads()
            .names
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(names, ["cookie"]);
    }

    /// What `page_url` reads is what an island's answer varies on.
    #[test]
    fn page_url_records_what_it_reads() {
        let names = |origin: Origin| {
            let request = shared(
                "/_mochi/island/X?p=t",
                &[("host", "shop.test"), ("referer", "http://shop.test/a")],
                RequestKind::Island,
                origin,
            );
            RequestContext::new(request.clone()).page_url();
            let reads = request.reads().names;
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
        let shared = shared(
            "/",
            &[("cookie", "a=1; b=2"), ("accept-language", "de")],
            RequestKind::Page,
            Origin::Connection,
        );
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

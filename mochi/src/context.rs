//! The per-request scope: request context, island ids and the props table.
//!
//! The mochi middleware runs every request inside a task-local [`Scope`], so
//! component code reaches the request without it being threaded through
//! every function, exactly like `getRequestContext()` in the original.

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, Uri};
use actix_web::HttpRequest;
use compact_str::CompactString;

use crate::config::Config;

tokio::task_local! {
    static SCOPE: Rc<Scope>;
}

macro_rules! page_ids {
    ($($n:literal)*) => { [$(CompactString::const_new(concat!("i", $n))),*] };
}

/// `i0` … `i63`.
static PAGE_IDS: [CompactString; 64] = page_ids!(
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
    32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60
    61 62 63
);

/// Where a props block is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlockState {
    /// Numbered; the island that owns it is rendering its body.
    Building,
    /// Numbered, not yet in the output.
    Pending,
    /// In the output.
    Written,
}

/// Ids of one page render: island ids and props blocks.
#[derive(Debug, Default)]
pub(crate) struct PageState {
    /// Prepended to island and props ids: empty on a page, `"{island-id}-"`
    /// inside a server island's answer, so ids never collide.
    pub(crate) prefix: CompactString,
    next_island: Cell<u32>,
    /// devalue text → props block number and whether it is written.
    /// foldhash: the table holds one page's props, so even texts chosen to
    /// collide cost no more than a scan of that page's islands.
    props: RefCell<HashMap<Box<str>, (u32, BlockState), foldhash::fast::RandomState>>,
    pub(crate) islands_rendered: Cell<u32>,
    pub(crate) runtime_rendered: Cell<bool>,
}

impl PageState {
    pub(crate) fn with_prefix(prefix: CompactString) -> PageState {
        PageState {
            prefix,
            ..PageState::default()
        }
    }

    /// The next island id of this page: `i0`, `i1`, … (or `{prefix}i0`).
    pub(crate) fn next_island_id(&self) -> CompactString {
        let n = self.next_island.get();
        self.next_island.set(n + 1);
        self.islands_rendered.set(self.islands_rendered.get() + 1);
        // A page's first ids are static strings: no formatting, no copy.
        if self.prefix.is_empty() {
            if let Some(id) = PAGE_IDS.get(n as usize) {
                return id.clone();
            }
        }
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(n);
        let mut id = CompactString::with_capacity(self.prefix.len() + 1 + digits.len());
        id.push_str(&self.prefix);
        id.push('i');
        id.push_str(digits);
        id
    }

    /// Reserves the props block for `text` before the island's body
    /// renders, so islands nested in that body (rendered first) neither
    /// take an earlier number nor write the block inside their parent.
    /// Returns whether this call made the reservation; the caller then
    /// calls [`PageState::props_built`] once the body is done.
    pub(crate) fn props_reserve(&self, text: &str) -> bool {
        let mut table = self.props.borrow_mut();
        if table.contains_key(text) {
            return false;
        }
        let n = table.len() as u32;
        table.insert(text.into(), (n, BlockState::Building));
        true
    }

    /// Ends a reservation made by [`PageState::props_reserve`].
    pub(crate) fn props_built(&self, text: &str) {
        if let Some(entry) = self.props.borrow_mut().get_mut(text) {
            if entry.1 == BlockState::Building {
                entry.1 = BlockState::Pending;
            }
        }
    }

    /// The props block number for `text`, and whether the caller must write
    /// the block now (the first island rendered with it that is not nested
    /// inside the island that reserved it).
    pub(crate) fn props_block(&self, text: &str) -> (u32, bool) {
        let mut table = self.props.borrow_mut();
        if let Some(entry) = table.get_mut(text) {
            let write = entry.1 == BlockState::Pending;
            if write {
                entry.1 = BlockState::Written;
            }
            return (entry.0, write);
        }
        let n = table.len() as u32;
        table.insert(text.into(), (n, BlockState::Written));
        (n, true)
    }
}

/// What the middleware (or [`crate::render_page`]) installs per request.
pub(crate) struct Scope {
    pub(crate) config: Arc<Config>,
    pub(crate) request: Option<ScopeRequest>,
    pub(crate) page: PageState,
    /// For island endpoint renders: the island's id and the page URL.
    pub(crate) island: Option<IslandRequest>,
}

pub(crate) struct IslandRequest {
    pub(crate) id: CompactString,
}

impl Scope {
    pub(crate) fn new(
        config: Arc<Config>,
        request: Option<ScopeRequest>,
        page: PageState,
    ) -> Scope {
        Scope {
            config,
            request,
            page,
            island: None,
        }
    }
}

/// Runs `fut` inside `scope`.
pub(crate) async fn run<F: std::future::Future>(scope: Rc<Scope>, fut: F) -> F::Output {
    SCOPE.scope(scope, fut).await
}

/// Runs `f` inside `scope`, synchronously.
pub(crate) fn run_sync<R>(scope: Rc<Scope>, f: impl FnOnce() -> R) -> R {
    SCOPE.sync_scope(scope, f)
}

/// Calls `f` with the current scope, if any.
pub(crate) fn with_scope<R>(f: impl FnOnce(&Scope) -> R) -> Option<R> {
    SCOPE.try_with(|s| f(s)).ok()
}

thread_local! {
    /// Ids of the hydrated islands whose Rust body is running right now.
    static CURRENT_ISLAND: RefCell<Vec<CompactString>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with `id` as the current island id.
pub(crate) fn with_island_id<R>(id: &CompactString, f: impl FnOnce() -> R) -> R {
    struct Pop;
    impl Drop for Pop {
        fn drop(&mut self) {
            CURRENT_ISLAND.with(|s| s.borrow_mut().pop());
        }
    }
    CURRENT_ISLAND.with(|s| s.borrow_mut().push(id.clone()));
    let _pop = Pop;
    f()
}

/// The id of the island being rendered: unique within the page and stable
/// for a given render. `None` outside an island.
pub fn island_id() -> Option<String> {
    if let Some(id) = CURRENT_ISLAND.with(|s| s.borrow().last().map(|id| id.to_string())) {
        return Some(id);
    }
    with_scope(|s| s.island.as_ref().map(|i| i.id.to_string())).flatten()
}

/// What a page render can see of its request.
///
/// actix must own its `HttpRequest` uniquely while it routes (and nested
/// scopes route while the page's future runs), so the middleware keeps a
/// copy of the request head for page renders instead of the request itself.
#[derive(Debug)]
pub(crate) struct RequestHead {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    /// The headers as the request had them, copied into one buffer: each
    /// entry is the name's and the value's lengths (`u32`, native order),
    /// then their bytes. Cloning the request's `HeaderMap` (a hash table
    /// whose buckets hold small vectors of reference-counted values) cost
    /// several times more, and most pages never look at a header: the map
    /// is built the first time one is asked for.
    header_bytes: Vec<u8>,
    headers: OnceCell<HeaderMap>,
    /// The app's `secure` and `host` settings: the page URL's last resorts.
    secure: bool,
    config_host: CompactString,
}

impl RequestHead {
    pub(crate) fn of(req: &actix_web::dev::ServiceRequest) -> RequestHead {
        let config = req.app_config();
        // One pass over the map (its iterator is not cheap); most heads fit.
        let mut header_bytes = Vec::with_capacity(512);
        for (name, value) in req.headers() {
            let (name, value) = (name.as_str().as_bytes(), value.as_bytes());
            // actix caps a request's head far below 4 GiB.
            header_bytes.extend_from_slice(&(name.len() as u32).to_ne_bytes());
            header_bytes.extend_from_slice(&(value.len() as u32).to_ne_bytes());
            header_bytes.extend_from_slice(name);
            header_bytes.extend_from_slice(value);
        }
        RequestHead {
            method: req.method().clone(),
            uri: req.uri().clone(),
            header_bytes,
            headers: OnceCell::new(),
            secure: config.secure(),
            config_host: config.host().into(),
        }
    }

    /// The request headers.
    pub(crate) fn headers(&self) -> &HeaderMap {
        self.headers.get_or_init(|| {
            let mut map = HeaderMap::new();
            let mut rest = self.header_bytes.as_slice();
            while let Some((name, value, tail)) = next_header(rest) {
                // Both came from a valid header, so both parse again.
                if let (Ok(name), Ok(value)) =
                    (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
                {
                    map.append(name, value);
                }
                rest = tail;
            }
            map
        })
    }

    /// The page's absolute URL, with the scheme and host found as actix's
    /// `ConnectionInfo` finds them (`Forwarded`, `X-Forwarded-Proto` /
    /// `-Host`, `Host`, the URI, the app config).
    ///
    /// Computed when asked for rather than for every page: building
    /// `ConnectionInfo` and the URL up front was a tenth of a page request's
    /// CPU time, and few pages ask.
    pub(crate) fn full_url(&self) -> String {
        let first = |name: &HeaderName| -> Option<&str> {
            let value = self.headers().get(name)?.to_str().ok()?;
            Some(value.split(',').next()?.trim())
        };
        let unquote = |v: &'_ str| -> String {
            v.trim()
                .trim_start_matches('"')
                .trim_end_matches('"')
                .to_owned()
        };
        let (mut scheme, mut host) = (None, None);
        let forwarded = self
            .headers()
            .get_all(header::FORWARDED)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .flat_map(|v| v.split(','))
            .filter_map(|pair| pair.trim().split_once('='));
        for (name, value) in forwarded {
            match name.trim().to_ascii_lowercase().as_str() {
                "proto" => scheme.get_or_insert_with(|| unquote(value)),
                "host" => host.get_or_insert_with(|| unquote(value)),
                _ => continue,
            };
        }
        let scheme = scheme
            .as_deref()
            .or_else(|| first(&header::X_FORWARDED_PROTO))
            .or_else(|| self.uri.scheme_str())
            .or_else(|| self.secure.then_some("https"))
            .unwrap_or("http");
        let host = host
            .as_deref()
            .or_else(|| first(&header::X_FORWARDED_HOST))
            .or_else(|| self.headers().get(header::HOST)?.to_str().ok())
            .or_else(|| self.uri.authority().map(|a| a.as_str()))
            .unwrap_or(&self.config_host);
        format!("{scheme}://{host}{}", self.uri)
    }
}

/// Splits the first entry of [`RequestHead::header_bytes`] off `bytes`:
/// name, value and the rest.
fn next_header(bytes: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let len = |b: &[u8]| -> Option<usize> { Some(u32::from_ne_bytes(b.try_into().ok()?) as usize) };
    let name_len = len(bytes.get(0..4)?)?;
    let value_len = len(bytes.get(4..8)?)?;
    let rest = bytes.get(8..)?;
    let (name, rest) = rest.split_at_checked(name_len)?;
    let (value, rest) = rest.split_at_checked(value_len)?;
    Some((name, value, rest))
}

/// The request a scope belongs to.
pub(crate) enum ScopeRequest {
    /// A page render: a copy of the head.
    Page(Rc<RequestHead>),
    /// An island endpoint render: the request itself.
    Island(HttpRequest),
}

/// The request being served, as seen from component code.
///
/// Available inside every island render and every page render under the
/// mochi middleware; [`request_context`] returns `None` elsewhere.
#[derive(Clone)]
pub struct RequestContext {
    source: Source,
}

#[derive(Clone)]
enum Source {
    Page(Rc<RequestHead>),
    Island(HttpRequest),
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
    /// The value of cookie `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers()
            .get_all(actix_web::http::header::COOKIE)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|header| header.split(';'))
            .filter_map(|pair| actix_web::cookie::Cookie::parse(pair.trim()).ok())
            .find(|c| c.name() == name)
            .map(|c| c.value().to_owned())
    }

    /// The value of header `name`, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers().get(name)?.to_str().ok()
    }

    /// All request headers.
    pub fn headers(&self) -> &HeaderMap {
        match &self.source {
            Source::Page(head) => head.headers(),
            Source::Island(req) => req.headers(),
        }
    }

    /// The request method.
    pub fn method(&self) -> &Method {
        match &self.source {
            Source::Page(head) => &head.method,
            Source::Island(req) => req.method(),
        }
    }

    /// The request URI (for an island: the endpoint's).
    pub fn uri(&self) -> &Uri {
        match &self.source {
            Source::Page(head) => &head.uri,
            Source::Island(req) => req.uri(),
        }
    }

    /// The request path (for an island: the endpoint path).
    pub fn path(&self) -> &str {
        self.uri().path()
    }

    /// The raw query string (empty if none).
    pub fn query_string(&self) -> &str {
        self.uri().query().unwrap_or("")
    }

    /// The URL of the page the user is looking at: the request URL for a
    /// page render; for a server island, the `Referer` the browser sent
    /// (`None` if it sent none).
    pub fn page_url(&self) -> Option<String> {
        match &self.source {
            Source::Page(head) => Some(head.full_url()),
            Source::Island(_) => self.header("referer").map(str::to_owned),
        }
    }

    /// Whether this is a server island's own request.
    pub fn is_island_request(&self) -> bool {
        matches!(self.source, Source::Island(_))
    }

    /// The actix request itself, inside island renders (for `app_data`, such
    /// as a database pool). Page handlers have theirs as an extractor.
    pub fn http_request(&self) -> Option<&HttpRequest> {
        match &self.source {
            Source::Page(_) => None,
            Source::Island(req) => Some(req),
        }
    }

    /// Application data registered with `App::app_data`, inside island
    /// renders.
    pub fn app_data<T: 'static>(&self) -> Option<&T> {
        self.http_request()?.app_data::<T>()
    }
}

/// The current request, inside island and page renders under mochi.
///
/// ```
/// # use maud::{html, Markup};
/// fn greeting() -> Markup {
///     let user = mochi::request_context()
///         .and_then(|cx| cx.cookie("user"))
///         .unwrap_or_else(|| "guest".into());
///     html! { "Hello, " (user) }
/// }
/// // Outside a request there is no context, and no panic either.
/// assert_eq!(greeting().into_string(), "Hello, guest");
/// ```
pub fn request_context() -> Option<RequestContext> {
    with_scope(|s| {
        let source = match s.request.as_ref()? {
            ScopeRequest::Page(head) => Source::Page(head.clone()),
            ScopeRequest::Island(req) => Source::Island(req.clone()),
        };
        Some(RequestContext { source })
    })
    .flatten()
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::RequestHead;

    /// The copied head has every header value, repeated names in order.
    #[test]
    fn head_keeps_all_headers() {
        let req = TestRequest::get()
            .uri("/p")
            .append_header(("cookie", "a=1"))
            .append_header(("x-custom", "x"))
            .append_header(("cookie", "b=2"))
            .to_srv_request();
        let head = RequestHead::of(&req);
        let copied = head.headers();
        assert_eq!(copied.len(), req.headers().len());
        for (name, _) in req.headers().iter() {
            assert!(
                copied.get_all(name).eq(req.headers().get_all(name)),
                "{name}"
            );
        }
        let cookies: Vec<_> = copied.get_all("cookie").collect();
        assert_eq!(cookies, ["a=1", "b=2"]);
    }

    /// The lazily computed page URL is the one actix's `ConnectionInfo` gives.
    #[test]
    fn full_url_matches_connection_info() {
        let cases: &[&[(&str, &str)]] = &[
            &[],
            &[("host", "example.com")],
            &[("host", "example.com:8080")],
            &[("host", "a.test"), ("x-forwarded-host", "b.test, c.test")],
            &[("host", "a.test"), ("x-forwarded-proto", "https")],
            &[
                ("host", "a.test"),
                ("forwarded", "for=1.2.3.4; proto=https; host=\"f.test\""),
            ],
            &[
                ("host", "a.test"),
                (
                    "forwarded",
                    "For=1.2.3.4, for=5.6.7.8;Proto=http;HOST=g.test",
                ),
                ("x-forwarded-host", "ignored.test"),
            ],
            &[("forwarded", "by=x;host")],
        ];
        for headers in cases {
            for uri in ["/", "/a/b?q=1&r=%20", "https://uri.test/p"] {
                let mut req = TestRequest::get().uri(uri);
                for &(name, value) in *headers {
                    req = req.insert_header((name, value));
                }
                let req = req.to_srv_request();
                let expected = {
                    let conn = req.connection_info();
                    format!("{}://{}{}", conn.scheme(), conn.host(), req.uri())
                };
                assert_eq!(
                    RequestHead::of(&req).full_url(),
                    expected,
                    "{headers:?} {uri}"
                );
            }
        }
    }
}

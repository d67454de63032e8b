//! The render context: everything one render owns.
//!
//! Islands are plain functions, so what they need of the render (ids, the
//! props table, the request) is ambient: the middleware, the endpoint and
//! [`Mochi::render_page`](crate::Mochi::render_page) run each render inside
//! a task-local [`RenderContext`], and nothing per-render lives anywhere
//! else.

mod ids;
mod inline;
mod props_table;
mod request;

use std::borrow::Cow;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use compact_str::CompactString;

pub(crate) use ids::IdSpace;
pub(crate) use inline::{Inline, Nesting};
#[cfg(test)]
pub(crate) use props_table::Placement;
pub(crate) use props_table::PropsTable;
pub use request::RequestContext;
pub(crate) use request::{
    is_valid_host, origin_of, Reads, RequestHead, RequestKind, SharedRequest,
};
#[cfg(any(feature = "actix", feature = "axum"))]
pub(crate) use request::{HeadSource, FRAGMENT_HEADERS};

use crate::assets::Features;
use crate::config::Config;
use crate::registry::IslandDef;
use crate::trace::TraceParent;

/// An eagerly loaded server island of a page, for its preload `Link`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Preload {
    pub(crate) name: &'static str,
    pub(crate) token: Arc<str>,
    pub(crate) id: CompactString,
    /// Loaded in a batch with the others (not by a `GET` of its own).
    pub(crate) batched: bool,
}

/// A server island the page streams: rendered after the page, on the
/// page's request, and written to the end of the same response.
#[derive(Debug)]
pub(crate) struct Streamed {
    pub(crate) def: &'static IslandDef,
    pub(crate) id: CompactString,
    /// The props' devalue text.
    pub(crate) text: Arc<str>,
}

/// Eager islands noted per page for preloading: a bound on memory whatever
/// a page renders (the `Link` count has its own, smaller bound).
const MAX_PRELOADS: usize = 1024;
/// Streamed islands per page; past it, islands are deferred.
const MAX_STREAMED: usize = 64;

tokio::task_local! {
    static CURRENT: Arc<RenderContext>;
}

/// What a render is for, which decides its ids and its warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RenderKind {
    /// A whole document: deterministic ids; islands without the runtime
    /// script are worth a warning.
    Page,
    /// HTML to be spliced into a page already in the browser: ids of its
    /// own, and no runtime script expected.
    Fragment,
    /// A server island's answer.
    Island,
}

/// One render: a page response, a fragment response, a server island's
/// answer, or a [`Mochi::render_page`](crate::Mochi::render_page) call.
///
/// It owns the render's [`IdSpace`] (the id rule), its [`PropsTable`] (the
/// placement rule), the stack of hydrated islands whose bodies are running
/// (what [`island_id`] answers), and a handle to the request, which nested
/// renders share.
///
/// Renders nest: [`crate::fragment`] runs its closure in a child context
/// with its own ids and table. A streamed page can render each island
/// concurrently in a child context of its own (each child is its own
/// task-local scope on its own future, its ids prefixed by the island's id,
/// its props blocks written into its own part of the stream), and a
/// batched endpoint can answer several islands in one response the same
/// way: one child context per island, all sharing the batch's request.
#[derive(Debug)]
pub(crate) struct RenderContext {
    pub(crate) config: Arc<Config>,
    request: Option<Arc<SharedRequest>>,
    pub(crate) kind: RenderKind,
    pub(crate) ids: IdSpace,
    pub(crate) props: PropsTable,
    /// The path of the actix scope mochi is mounted in (`""` at the app's
    /// root): asset URLs go under it.
    mount: CompactString,
    /// The island this render answers, for a server island's answer.
    own_island: Option<CompactString>,
    /// Ids of the hydrated islands whose bodies are running, innermost
    /// last.
    running: Mutex<Vec<CompactString>>,
    islands_rendered: AtomicU32,
    runtime_rendered: AtomicBool,
    /// The runtime features its islands use ([`crate::assets::Features`]).
    features: AtomicU8,
    /// The server islands that load as soon as the page does.
    preloads: Mutex<Vec<Preload>>,
    /// Whether this render's response can stream islands (a page under
    /// the middleware), and the islands it streams.
    streaming: bool,
    streams: Mutex<Vec<Streamed>>,
    /// For an island's answer: the answer its nested server islands are
    /// rendered inline in, and those this render noted.
    nesting: Option<Arc<Nesting>>,
    inline: Mutex<Vec<Inline>>,
    /// A page's trace, made when the runtime's tag is rendered.
    trace: OnceLock<TraceParent>,
}

/// `mutex`'s value; a render that panicked while holding one left nothing
/// half-written (every change is one push, pop or take).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl RenderContext {
    pub(crate) fn new(
        config: Arc<Config>,
        request: Option<Arc<SharedRequest>>,
        kind: RenderKind,
        ids: IdSpace,
    ) -> RenderContext {
        RenderContext {
            config,
            request,
            kind,
            ids,
            props: PropsTable::default(),
            mount: CompactString::const_new(""),
            own_island: None,
            running: Mutex::new(Vec::new()),
            islands_rendered: AtomicU32::new(0),
            runtime_rendered: AtomicBool::new(false),
            features: AtomicU8::new(0),
            preloads: Mutex::new(Vec::new()),
            streaming: false,
            streams: Mutex::new(Vec::new()),
            nesting: None,
            inline: Mutex::new(Vec::new()),
            trace: OnceLock::new(),
        }
    }

    /// The render of a response under the middleware, mounted in the
    /// actix scope at `mount`: a page (which can stream islands) or a
    /// fragment.
    pub(crate) fn response(
        config: Arc<Config>,
        request: Arc<SharedRequest>,
        fragment: bool,
        mount: &str,
    ) -> RenderContext {
        let (kind, ids) = match fragment {
            true => (RenderKind::Fragment, IdSpace::fragment()),
            false => (RenderKind::Page, IdSpace::page()),
        };
        RenderContext {
            mount: mount.into(),
            streaming: kind == RenderKind::Page,
            ..RenderContext::new(config, Some(request), kind, ids)
        }
    }

    /// The answer of the island `id` (`None`: the client sent no id, so
    /// the answer's islands get fragment ids). The answer of a `defer` +
    /// `client` island is a hydrated island of its own: its Rust code sees
    /// the answer's first id, the one its client module will get.
    pub(crate) fn for_island(
        config: Arc<Config>,
        request: Arc<SharedRequest>,
        id: Option<&str>,
        hydrated: bool,
    ) -> RenderContext {
        let ids = match id {
            Some(id) => IdSpace::inside(id),
            None => IdSpace::fragment(),
        };
        let own_island = match (hydrated, id) {
            (true, _) => Some(ids.next_island()),
            (false, id) => id.map(CompactString::from),
        };
        RenderContext {
            own_island,
            ..RenderContext::new(config, Some(request), RenderKind::Island, ids)
        }
    }

    /// The same render, rendering nested server islands inline in the
    /// answer `nesting` stands for.
    pub(crate) fn nested_in(self, nesting: Arc<Nesting>) -> RenderContext {
        RenderContext {
            nesting: Some(nesting),
            ..self
        }
    }

    /// The answer of island `def` (element `id`) rendered inline in this
    /// one: same request and mount, ids inside `id`, the same nesting.
    pub(crate) fn inline_child(&self, def: &IslandDef, id: &str) -> RenderContext {
        let request = self
            .request
            .clone()
            .expect("an island's answer has a request");
        let cx =
            RenderContext::for_island(self.config.clone(), request, Some(id), def.client.is_some())
                .mounted(&self.mount);
        match &self.nesting {
            Some(nesting) => cx.nested_in(nesting.clone()),
            None => cx,
        }
    }

    /// The trace a page carries (see [`crate::trace`]), made on first use;
    /// `None` for anything but a page render with a request.
    pub(crate) fn page_trace(&self) -> Option<&TraceParent> {
        let request = self
            .request
            .as_ref()
            .filter(|_| self.kind == RenderKind::Page)?;
        Some(
            self.trace
                .get_or_init(|| TraceParent::for_page(request.head())),
        )
    }

    /// The page's trace, if its render made one.
    pub(crate) fn used_trace(&self) -> Option<&TraceParent> {
        self.trace.get()
    }

    /// Whether nested server islands are rendered inline here (an
    /// island's answer).
    pub(crate) fn renders_inline(&self) -> bool {
        self.nesting.is_some()
    }

    /// A placeholder for island `def`, if this render renders nested
    /// islands inline and its answer has room for one more.
    pub(crate) fn inline_placeholder(&self, def: &IslandDef) -> Option<(u64, u32)> {
        self.nesting.as_ref()?.placeholder(def)
    }

    /// Notes an island to render inline where its placeholder is.
    pub(crate) fn note_inline(&self, inline: Inline) {
        lock(&self.inline).push(inline);
    }

    /// The islands to render inline, taken.
    pub(crate) fn take_inline(&self) -> Vec<Inline> {
        std::mem::take(&mut lock(&self.inline))
    }

    /// Whether an island rendered inline in this answer has a cache
    /// policy other than the answer's own.
    pub(crate) fn inline_policy_mixed(&self) -> bool {
        self.nesting.as_ref().is_some_and(|n| n.mixed_policy())
    }

    /// The same render, mounted in the actix scope at `mount`.
    pub(crate) fn mounted(self, mount: &str) -> RenderContext {
        RenderContext {
            mount: mount.into(),
            ..self
        }
    }

    /// A fragment nested in this render: same request, ids of its own.
    pub(crate) fn fragment(&self) -> RenderContext {
        RenderContext::new(
            self.config.clone(),
            self.request.clone(),
            RenderKind::Fragment,
            IdSpace::fragment(),
        )
        .mounted(&self.mount)
    }

    /// Where this render's assets are served: the scope's path, then the
    /// asset prefix.
    pub(crate) fn asset_prefix(&self) -> Cow<'_, str> {
        if self.mount.is_empty() {
            Cow::Borrowed(&self.config.prefix)
        } else {
            Cow::Owned(format!("{}{}", self.mount, self.config.prefix))
        }
    }

    /// The runtime's script tag for this render.
    pub(crate) fn runtime_tag(&self) -> Cow<'_, str> {
        if self.mount.is_empty() {
            Cow::Borrowed(&self.config.runtime_tag)
        } else {
            let url = format!("{}{}", self.mount, self.config.runtime_url);
            Cow::Owned(crate::assets::runtime_tag(&url))
        }
    }

    /// The request, if the render has one.
    pub(crate) fn request(&self) -> Option<&Arc<SharedRequest>> {
        self.request.as_ref()
    }

    /// The next island id; counts the island for the runtime warning.
    pub(crate) fn next_island_id(&self) -> CompactString {
        self.islands_rendered.fetch_add(1, Ordering::Relaxed);
        self.ids.next_island()
    }

    /// Runs a hydrated island's body with `id` as the current island.
    pub(crate) fn run_island_body<R>(&self, id: &CompactString, body: impl FnOnce() -> R) -> R {
        struct Pop<'a>(&'a Mutex<Vec<CompactString>>);
        impl Drop for Pop<'_> {
            fn drop(&mut self) {
                lock(self.0).pop();
            }
        }
        lock(&self.running).push(id.clone());
        let _pop = Pop(&self.running);
        body()
    }

    /// The innermost island being rendered.
    pub(crate) fn current_island(&self) -> Option<CompactString> {
        let running = lock(&self.running).last().cloned();
        running.or_else(|| self.own_island.clone())
    }

    /// Notes an eagerly loaded server island, for a page render's preload
    /// `Link`s.
    pub(crate) fn note_preload(&self, preload: impl FnOnce() -> Preload) {
        if self.kind != RenderKind::Page || !self.config.settings.preload {
            return;
        }
        let mut preloads = lock(&self.preloads);
        if preloads.len() < MAX_PRELOADS {
            preloads.push(preload());
        }
    }

    /// The page's eagerly loaded server islands, taken.
    pub(crate) fn take_preloads(&self) -> Vec<Preload> {
        std::mem::take(&mut lock(&self.preloads))
    }

    /// Streams the island, if this render can: whether it will.
    pub(crate) fn note_stream(&self, streamed: impl FnOnce() -> Streamed) -> bool {
        let mut streams = lock(&self.streams);
        let accepted = self.streaming && streams.len() < MAX_STREAMED;
        if accepted {
            streams.push(streamed());
        }
        accepted
    }

    /// The islands the page streams, taken.
    pub(crate) fn take_streams(&self) -> Vec<Streamed> {
        std::mem::take(&mut lock(&self.streams))
    }

    /// The path of the actix scope mochi is mounted in.
    pub(crate) fn mount(&self) -> &str {
        &self.mount
    }

    /// Notes that an island rendered here uses the runtime's `features`.
    pub(crate) fn note_features(&self, features: Features) {
        self.features.fetch_or(features.bits(), Ordering::Relaxed);
    }

    /// The runtime modules a page should preload: those of the features
    /// its islands use, if it loads the runtime.
    pub(crate) fn runtime_features(&self) -> Features {
        let runtime = self.runtime_rendered.load(Ordering::Relaxed);
        match self.kind == RenderKind::Page && runtime {
            true => Features::from_bits(self.features.load(Ordering::Relaxed)),
            false => Features::NONE,
        }
    }

    pub(crate) fn note_runtime_rendered(&self) {
        self.runtime_rendered.store(true, Ordering::Relaxed);
    }

    /// Islands rendered, when the runtime script was not: a page that
    /// forgot it.
    pub(crate) fn islands_without_runtime(&self) -> Option<u32> {
        let n = self.islands_rendered.load(Ordering::Relaxed);
        let runtime = self.runtime_rendered.load(Ordering::Relaxed);
        (self.kind == RenderKind::Page && n > 0 && !runtime).then_some(n)
    }
}

/// The render context of the running code, if any.
pub(crate) fn current() -> Option<Arc<RenderContext>> {
    CURRENT.try_with(Arc::clone).ok()
}

/// Runs `fut` inside `cx`.
pub(crate) async fn run<F: Future>(cx: Arc<RenderContext>, fut: F) -> F::Output {
    CURRENT.scope(cx, fut).await
}

/// Runs `f` inside `cx`, synchronously.
pub(crate) fn run_sync<R>(cx: Arc<RenderContext>, f: impl FnOnce() -> R) -> R {
    CURRENT.sync_scope(cx, f)
}

/// The id of the island being rendered: unique within the page and stable
/// for a given render. `None` outside an island.
pub fn island_id() -> Option<String> {
    current()?.current_island().map(|id| id.to_string())
}

/// The current request: the island's or the page's, inside island and
/// page renders under a server integration; an empty one elsewhere.
///
/// ```
/// # use maud::{html, Markup};
/// fn greeting() -> Markup {
///     let user = mochi::request_context()
///         .cookie("user")
///         .unwrap_or_else(|| "guest".into());
///     html! { "Hello, " (user) }
/// }
/// // Outside a request the request is empty: no cookie, and no panic.
/// assert_eq!(greeting().into_string(), "Hello, guest");
/// assert!(!mochi::request_context().has_request());
/// ```
pub fn request_context() -> RequestContext {
    let request = current().and_then(|cx| cx.request().cloned());
    request.map_or_else(RequestContext::absent, RequestContext::new)
}

/// Renders `render` as a **fragment**: HTML meant to be spliced into a page
/// that is already in the browser (htmx `hx-get`, Turbo Frames, `fetch` +
/// `innerHTML`).
///
/// Its islands get ids and props blocks of their own, which no other
/// response shares, so each hydrates with its own props wherever it lands.
/// Requests carrying `HX-Request`, `Turbo-Frame` or `Sec-Fetch-Dest: empty`
/// (what `fetch` sends) are rendered as fragments without this call; use
/// it for the others. Outside a mochi render, `render` runs as it is.
///
/// ```
/// use maud::{html, Markup};
///
/// #[mochi::island(defer)]
/// fn stock(product: u32) -> Markup {
///     html! { (product) " in stock" }
/// }
///
/// let mochi = mochi::Mochi::builder(mochi::Key::generate()).build().unwrap();
/// let html = mochi.render_page(|| html! {
///     (stock(1))
///     (mochi::fragment(|| html! { (stock(2)) }))
/// });
/// let html = html.into_string();
/// assert!(html.contains(r#"island-id="i0""#), "the page's own island: {html}");
/// assert!(html.contains(r#"island-id="f"#), "the fragment's: {html}");
/// ```
pub fn fragment<R>(render: impl FnOnce() -> R) -> R {
    match current() {
        Some(cx) => run_sync(Arc::new(cx.fragment()), render),
        None => render(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::config::Config;
    use crate::signing::{Key, Keys};

    fn page() -> Arc<RenderContext> {
        let config = Arc::new(Config::for_tests(Keys::new(Key::generate(), Vec::new())));
        Arc::new(RenderContext::new(
            config,
            None,
            RenderKind::Page,
            IdSpace::page(),
        ))
    }

    #[test]
    fn island_id_follows_the_running_bodies() {
        let cx = page();
        run_sync(cx.clone(), || {
            assert_eq!(island_id(), None);
            let outer = cx.next_island_id();
            cx.run_island_body(&outer, || {
                assert_eq!(island_id().as_deref(), Some("i0"));
                let inner = cx.next_island_id();
                cx.run_island_body(&inner, || assert_eq!(island_id().as_deref(), Some("i1")));
                assert_eq!(island_id().as_deref(), Some("i0"));
            });
            assert_eq!(island_id(), None);
        });
    }

    /// A panicking body leaves the stack as it found it.
    #[test]
    fn a_panicking_body_pops_its_id() {
        let cx = page();
        let id = cx.next_island_id();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            cx.run_island_body(&id, || panic!("on purpose"))
        }));
        assert!(caught.is_err());
        assert_eq!(cx.current_island(), None);
    }

    #[test]
    fn a_fragment_has_its_own_ids_and_table() {
        let cx = page();
        run_sync(cx.clone(), || {
            assert_eq!(cx.next_island_id(), "i0");
            let (id, placed) = fragment(|| {
                let f = current().expect("inside");
                (f.next_island_id(), f.props.place("[1]"))
            });
            assert!(id.starts_with('f') && id.ends_with("-i0"), "{id}");
            assert_eq!(
                placed,
                Placement {
                    number: 0,
                    write: true
                }
            );
            // The page's table never saw the fragment's props.
            assert_eq!(
                cx.props.place("[1]"),
                Placement {
                    number: 0,
                    write: true
                }
            );
            assert_eq!(cx.next_island_id(), "i1");
        });
    }

    #[test]
    fn an_answer_without_an_id_gets_fragment_ids() {
        let config = Arc::new(Config::for_tests(Keys::new(Key::generate(), Vec::new())));
        let shared = island_request();
        let with_id = RenderContext::for_island(config.clone(), shared.clone(), Some("i4"), false);
        assert_eq!(with_id.current_island().as_deref(), Some("i4"));
        assert_eq!(with_id.next_island_id(), "i4-i0");
        let without = RenderContext::for_island(config.clone(), shared.clone(), None, false);
        assert_eq!(without.current_island(), None);
        assert!(without.next_island_id().starts_with('f'));
        // A deferred + hydrated answer is its own first island.
        let hydrated = RenderContext::for_island(config, shared, Some("i4"), true);
        assert_eq!(hydrated.current_island().as_deref(), Some("i4-i0"));
        assert_eq!(hydrated.next_island_id(), "i4-i1");
    }

    /// A render goes on on another thread (a `blocking` island's body on
    /// the blocking pool) where it was: same ids, island and asset URLs.
    #[test]
    fn an_answer_goes_on_on_another_thread() {
        let config = Arc::new(Config::for_tests(Keys::new(Key::generate(), Vec::new())));
        let cx = RenderContext::for_island(config, island_request(), Some("i4"), false);
        let cx = Arc::new(cx.mounted("/shop"));
        let there = cx.clone();
        let (next, assets) = std::thread::spawn(move || {
            let seen = run_sync(there.clone(), || {
                (island_id(), request_context().has_request())
            });
            assert_eq!(seen, (Some("i4".to_owned()), true));
            let next = there.next_island_id().to_string();
            (next, there.asset_prefix().into_owned())
        })
        .join()
        .unwrap();
        assert_eq!(next, "i4-i0");
        assert_eq!(assets, "/shop/_mochi");
        assert_eq!(
            cx.next_island_id(),
            "i4-i1",
            "one id space, wherever it is used"
        );
    }

    fn island_request() -> Arc<SharedRequest> {
        let head = request::tests::head("/_mochi/island/X?p=t", &[]);
        Arc::new(SharedRequest::new(
            head,
            RequestKind::Island,
            crate::config::Origin::Connection,
        ))
    }

    #[test]
    fn fragment_requests() {
        let with = |name: &'static str, value: &'static str| {
            request::tests::head("/", &[(name, value)]).wants_fragment()
        };
        assert!(with("hx-request", "true"));
        assert!(with("turbo-frame", "cart"));
        assert!(with("sec-fetch-dest", "empty"));
        assert!(!with("sec-fetch-dest", "document"));
        assert!(!with("accept", "text/html"));
    }
}

//! What island calls put into a page: `<mochi-server-island>` with signed
//! props and a fallback, or `<mochi-island>` with its props block.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use compact_str::CompactString;
use maud::{Markup, PreEscaped, Render};
use serde::Serialize;

use crate::assets::Features;
use crate::context::{self, Inline, Preload, RenderContext, Streamed};
use crate::registry::{Hydrate, IslandDef};
use crate::token_cache;

/// A server island at its call site: renders its fallback inside
/// `<mochi-server-island>`; the browser fetches the real HTML later.
///
/// Made by calling a `#[island(defer)]` function; configure it with the
/// builder methods, then splice it into `html!`. `F` is the fallback's
/// type: it is kept as given and rendered straight into the page, so a
/// fallback costs no copy.
#[derive(Debug)]
#[must_use = "an island does nothing until it is rendered into a page"]
pub struct ServerIsland<F = NoFallback> {
    def: &'static IslandDef,
    id: CompactString,
    /// Shared with the per-thread token cache.
    token: Option<Arc<str>>,
    fallback: F,
    visible: bool,
    root_margin: Option<Cow<'static, str>>,
    retries: Option<u32>,
    /// The island URL would pass the POST threshold.
    post: bool,
    /// Loaded by a `GET` of its own, never in a batch: the island has a
    /// cache policy, or the app turned batching off.
    own_get: bool,
    stream: bool,
    /// Rendered inline when nested in an island's answer.
    inline: bool,
    live: Live,
}

/// The fallback of a [`ServerIsland`] that was given none: nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoFallback;

impl Render for NoFallback {
    fn render_to(&self, _: &mut String) {}
}

impl<F> ServerIsland<F> {
    /// HTML shown until the island's answer arrives (and kept if it fails).
    pub fn fallback<G: Render>(self, fallback: G) -> ServerIsland<G> {
        let ServerIsland {
            def,
            id,
            token,
            fallback: _,
            visible,
            root_margin,
            retries,
            post,
            own_get,
            stream,
            inline,
            live,
        } = self;
        ServerIsland {
            def,
            id,
            token,
            fallback,
            visible,
            root_margin,
            retries,
            post,
            own_get,
            stream,
            inline,
            live,
        }
    }

    /// Renders the island with the page, in the same response: the page
    /// goes out at once with the fallback in place, the island renders
    /// concurrently on the page's own request, and its HTML is written to
    /// the end of the response as soon as it is done, then moved into place
    /// by the runtime (inert markup: no inline script, no nonce).
    ///
    /// Choose it for personal parts of a page that is personal anyway (an
    /// account page): the page cannot be cached, and mochi sends it with
    /// `Cache-Control: private, no-store`. Choose plain `defer` for the
    /// personal parts of a cacheable page.
    ///
    /// An island not done within its deadline (the island timeout) is left
    /// as a deferred island and the browser fetches it; one that fails
    /// keeps its fallback, or shows its error fallback. Outside a page
    /// response under the [`Mochi`](crate::Mochi) middleware (inside an
    /// island's answer, a fragment, [`Mochi::render_page`](crate::Mochi::render_page))
    /// a streamed island is an ordinary deferred one.
    pub fn stream(mut self) -> Self {
        self.stream = true;
        self
    }

    /// Whether the island, nested in another server island's answer, is
    /// rendered inline in that answer (the default) or deferred, fetched
    /// by a request of its own once the answer is in the page.
    ///
    /// Inline, it costs no round trip; it is rendered on the answer's
    /// request, within the answer's deadline, and what it reads of the
    /// request joins the answer's `Vary`. Up to 32 islands are rendered
    /// inline per answer (all levels together); past that, and for islands
    /// that load when visible ([`ServerIsland::defer_on_visible`]), nested
    /// islands are deferred. An island that fails inline shows its error
    /// fallback (or keeps its fallback); one not done by its deadline, or
    /// by the answer's, is deferred. An answer holding an inline island
    /// whose `cache` policy differs from its own goes out `private,
    /// no-store`. In a page, islands are deferred (or streamed) as before.
    pub fn inline(mut self, inline: bool) -> Self {
        self.inline = inline;
        self
    }

    /// Fetch only once the element scrolls into view.
    pub fn defer_on_visible(mut self) -> Self {
        self.visible = true;
        self
    }

    /// Fetch once the element comes within `margin` (CSS, e.g. `"200px"`)
    /// of the viewport. Implies [`ServerIsland::defer_on_visible`].
    pub fn root_margin(mut self, margin: impl Into<Cow<'static, str>>) -> Self {
        self.visible = true;
        self.root_margin = Some(margin.into());
        self
    }

    /// How often the browser retries network errors and 502, 503 and 504
    /// answers
    /// (default 2, at most 10). 4xx answers are never retried.
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = Some(retries.min(crate::config::MAX_RETRIES));
        self
    }

    /// Reloads the island whenever one of `events` (one name, or several)
    /// is dispatched on `document`, e.g. `.reload_on("cart:changed")` and,
    /// in the browser,
    /// `document.dispatchEvent(new Event("cart:changed"))`. Calling it again
    /// adds names. A name that is empty or holds whitespace cannot be
    /// written into the space-separated `reload-on` attribute: it is
    /// skipped, with a warning.
    pub fn reload_on(mut self, events: impl EventNames) -> Self {
        let name = self.def.name;
        events.each(|event| self.live.add_reload_on(name, event));
        self
    }

    /// Reloads the island every `interval` while the page is visible and the
    /// element is within the viewport (grown by its
    /// [`root_margin`](ServerIsland::root_margin), which also defers the
    /// first load until then). Intervals under one
    /// second are raised to one second (the browser enforces the same
    /// floor), and capped at about 24 days, the longest browser timer.
    pub fn refresh_every(mut self, interval: Duration) -> Self {
        let ms = u64::try_from(interval.as_millis()).unwrap_or(u64::MAX);
        self.live.refresh_every_ms = Some(ms.clamp(Live::MIN_REFRESH_MS, Live::MAX_REFRESH_MS));
        self
    }

    /// HTML shown in place of the fallback if the island's first load fails
    /// for good (a 4xx answer, or every retry spent). It travels inert, in a
    /// `<template mochi-error-fallback>` after the fallback; without one the
    /// fallback stays. A failed *reload* keeps the island's last content.
    pub fn error_fallback(mut self, html: impl Render) -> Self {
        let mut out = String::new();
        html.render_to(&mut out);
        self.live.error_fallback = Some(out);
        self
    }

    /// The island id in the page.
    pub fn island_id(&self) -> &str {
        &self.id
    }

    /// The signed props (`None` when rendered outside mochi, without a key).
    pub fn signed_props(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The island's endpoint name, e.g. `CartBadge`.
    pub fn name(&self) -> &'static str {
        self.def.name
    }

    /// Whether the browser will load it by `POST` (its URL would pass the
    /// POST threshold).
    pub fn is_post(&self) -> bool {
        self.post
    }
}

impl<F: Render> Render for ServerIsland<F> {
    fn render_to(&self, out: &mut String) {
        let start = out.len();
        open_tag(
            out,
            "<mochi-server-island component-name=\"",
            self.def,
            &self.id,
        );
        let cx = context::current();
        if let Some(token) = &self.token {
            // base64url, and `.` in a signed token: nothing to escape.
            debug_assert!(token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
            out.push_str(" signed-props=\"");
            out.push_str(token);
            out.push('"');
        }
        let streamed = match (&cx, &self.token, self.stream) {
            (Some(cx), Some(token), true) => {
                // The props the page just sealed, read back for the part.
                let text = cx
                    .config
                    .keys
                    .open(self.def.name, token)
                    .map(String::from_utf8);
                match text {
                    Ok(Ok(text)) => cx.note_stream(|| Streamed {
                        def: self.def,
                        id: self.id.clone(),
                        text: text.into(),
                    }),
                    _ => false,
                }
            }
            _ => false,
        };
        if streamed {
            out.push_str(" stream");
        }
        if self.visible {
            out.push_str(" defer-on=\"visible\"");
        }
        if let Some(margin) = &self.root_margin {
            out.push_str(" root-margin=\"");
            escape_into(out, margin);
            out.push('"');
        }
        if let Some(n) = self.retries {
            let _ = write!(out, " retries=\"{n}\"");
        }
        if self.post {
            out.push_str(" transport=\"post\"");
        } else if self.own_get {
            out.push_str(" transport=\"get\"");
        }
        self.live.write_attributes(out);
        if let Some(inline) = self.inline_in(cx.as_deref(), &out[start..]) {
            out.truncate(start);
            out.push_str(&inline.placeholder);
            cx.expect("inline only in a render").note_inline(inline);
            return;
        }
        out.push('>');
        if let Some(cx) = &cx {
            let mut features = Features::ISLAND;
            if streamed {
                features = features.with(Features::STREAM);
            }
            if self.live.is_live() {
                features = features.with(Features::LIVE);
            }
            if self.def.client.is_some() {
                // Its answer is a hydrated island.
                features = features.with(Features::HYDRATE);
            }
            cx.note_features(features);
        }
        if let (Some(cx), Some(token), false, false, false) =
            (&cx, &self.token, self.visible, self.post, streamed)
        {
            // Loaded as soon as the page is: the browser may start the fetch
            // from the response headers, before the runtime has arrived.
            cx.note_preload(|| Preload {
                name: self.def.name,
                token: token.clone(),
                id: self.id.clone(),
                batched: !self.own_get,
            });
        }
        if streamed {
            // Its fallback is what the part replaces (see `crate::stream`).
            out.push_str("<?start name=\"");
            out.push_str(crate::stream::MARKER);
            out.push_str(&self.id);
            out.push_str("\">");
        }
        self.fallback.render_to(out);
        self.live.write_error_fallback(out);
        if streamed {
            out.push_str("<?end>");
        }
        out.push_str("</mochi-server-island>");
    }
}

impl<F: Render> ServerIsland<F> {
    /// What rendering the island inline needs, if it is nested in an
    /// island's answer that has room for it; `open` is its element's open
    /// tag, without the `>`.
    fn inline_in(&self, cx: Option<&RenderContext>, open: &str) -> Option<Inline> {
        if !self.inline || self.visible {
            return None;
        }
        let (cx, token) = (cx?, self.token.as_ref()?);
        if !cx.renders_inline() {
            return None;
        }
        // The props the answer just sealed, read back.
        let text = String::from_utf8(cx.config.keys.open(self.def.name, token).ok()?).ok()?;
        let (nonce, n) = cx.inline_placeholder(self.def)?;
        let mark = format!(" mochi-inline=\"{nonce:016x}:{n}\"");
        let mut content = String::new();
        self.fallback.render_to(&mut content);
        self.live.write_error_fallback(&mut content);
        Some(Inline::new(
            self.def,
            self.id.clone(),
            text.into(),
            open.to_owned(),
            content,
            &mark,
        ))
    }
}

/// A server island's live options (`reload-on`, `refresh-every`, the error
/// fallback): all off unless the call site asks.
#[derive(Debug, Default)]
struct Live {
    /// Event names, space-separated, none empty or holding whitespace.
    reload_on: String,
    refresh_every_ms: Option<u64>,
    /// Rendered at the call: it is only ever written once.
    error_fallback: Option<String>,
}

impl Live {
    const MIN_REFRESH_MS: u64 = crate::config::MIN_REFRESH_MS;
    /// Browser timers' limit: a longer delay fires at once.
    const MAX_REFRESH_MS: u64 = i32::MAX as u64;

    fn add_reload_on(&mut self, island: &str, name: &str) {
        if name.is_empty() || name.chars().any(char::is_whitespace) {
            log::warn!(
                "mochi: island `{island}`: reload_on({name:?}) skipped: an event name cannot \
                 be empty or hold whitespace"
            );
            return;
        }
        if !self.reload_on.is_empty() {
            self.reload_on.push(' ');
        }
        self.reload_on.push_str(name);
    }

    /// Whether the island reloads on events or on a timer.
    fn is_live(&self) -> bool {
        !self.reload_on.is_empty() || self.refresh_every_ms.is_some()
    }

    fn write_attributes(&self, out: &mut String) {
        if !self.reload_on.is_empty() {
            out.push_str(" reload-on=\"");
            escape_into(out, &self.reload_on);
            out.push('"');
        }
        if let Some(ms) = self.refresh_every_ms {
            let _ = write!(out, " refresh-every=\"{ms}\"");
        }
    }

    fn write_error_fallback(&self, out: &mut String) {
        if let Some(html) = &self.error_fallback {
            out.push_str("<template mochi-error-fallback>");
            out.push_str(html);
            out.push_str("</template>");
        }
    }
}

/// Builds a server island call (used by `#[island(defer)]`).
pub(crate) fn server_island<P: Serialize>(def: &'static IslandDef, props: &P) -> ServerIsland {
    let Some(cx) = context::current() else {
        log::error!(
            "mochi: island `{}` rendered outside a mochi request (wrap the App with the \
             `mochi::Mochi` middleware, or use `Mochi::render_page`): it cannot be signed \
             and will not load",
            def.name
        );
        return ServerIsland::unsigned(def, CompactString::const_new("i?"));
    };
    let id = cx.next_island_id();
    let Some(token) = token_cache::token(&cx.config.keys, def, props) else {
        return ServerIsland::unsigned(def, id);
    };
    // `{prefix}/island/{Name}?p={token}&i={id}`, as the runtime builds it.
    let url_len = cx.asset_prefix().len() + 8 + def.name.len() + 3 + token.len() + 3 + id.len();
    let settings = &cx.config.settings;
    let post = url_len > settings.post_threshold;
    refuse_oversized(def, post, url_len, token.len() + id.len() + 5, settings);
    ServerIsland {
        post,
        own_get: def.cache_control.is_some() || !cx.config.settings.batch,
        token: Some(token),
        ..ServerIsland::unsigned(def, id)
    }
}

/// Logs, at render, an island whose request the endpoint is bound to
/// refuse: its `POST` body (`p={token}&i={id}`, `body_len` bytes) over
/// `max_body_len`, or its `GET` URL over `max_url_len`. Otherwise it would
/// surface only as a 413 or 414 in the browser.
fn refuse_oversized(
    def: &IslandDef,
    post: bool,
    url_len: usize,
    body_len: usize,
    settings: &crate::config::Settings,
) {
    let (size, limit, what, setting, status) = match post {
        true => (
            body_len,
            settings.max_body,
            "POST body",
            "max_body_len",
            413,
        ),
        false => (url_len, settings.max_url, "URL", "max_url_len", 414),
    };
    if size <= limit {
        return;
    }
    crate::warn_once::error_limited("oversized props", def.name, || {
        format!(
            "mochi: island `{}` cannot load: its signed props make a {size}-byte {what}, over \
             the {limit}-byte limit (MochiBuilder::{setting}), so the endpoint answers every \
             request for it {status}: pass less data, e.g. an id to look up",
            def.name
        )
    });
}

impl ServerIsland {
    fn unsigned(def: &'static IslandDef, id: CompactString) -> ServerIsland {
        ServerIsland {
            def,
            id,
            token: None,
            fallback: NoFallback,
            visible: false,
            root_margin: None,
            retries: None,
            post: false,
            own_get: false,
            stream: false,
            inline: true,
            live: Live::default(),
        }
    }
}

/// A hydrated island at its call site: its HTML, rendered now, inside
/// `<mochi-island>`, plus the props block the first time those props appear
/// in the render.
#[derive(Debug)]
#[must_use = "an island does nothing until it is rendered into a page"]
pub struct HydratedIsland {
    def: &'static IslandDef,
    id: CompactString,
    /// The props' devalue text.
    props: Option<String>,
    html: Markup,
    hydrate: Hydrate,
    /// The render that gave the island its id: its props table numbers
    /// the island's block, wherever the island value ends up rendered.
    cx: Option<Arc<RenderContext>>,
}

impl HydratedIsland {
    /// Overrides the island's hydration trigger at this call site.
    pub fn hydrate(mut self, hydrate: Hydrate) -> Self {
        self.hydrate = hydrate;
        self
    }

    /// The island id in the page.
    pub fn island_id(&self) -> &str {
        &self.id
    }
}

impl Render for HydratedIsland {
    fn render_to(&self, out: &mut String) {
        let Some(cx) = &self.cx else {
            // Outside any render: the markup alone, with no props or module.
            return Element::bare(self.def, &self.id, &self.hydrate).write(out, &self.html.0);
        };
        cx.note_features(Features::HYDRATE);
        let block = self
            .props
            .as_deref()
            .map(|text| write_props_block(out, cx, text));
        let assets = cx.asset_prefix();
        let element = Element {
            props_block: block.map(|n| (&**cx, n)),
            asset_prefix: Some(&assets),
            ..Element::bare(self.def, &self.id, &self.hydrate)
        };
        element.write(out, &self.html.0);
    }
}

/// Writes the props block for `text` if the render's [`PropsTable`] says
/// so; returns its number.
///
/// [`PropsTable`]: crate::context::PropsTable
fn write_props_block(out: &mut String, cx: &RenderContext, text: &str) -> u32 {
    let placement = cx.props.place(text);
    if placement.write {
        out.push_str("<script type=\"application/json\" id=\"");
        cx.ids.push_props_block_id(out, placement.number);
        out.push_str("\">");
        push_script_safe(out, text);
        out.push_str("</script>");
    }
    placement.number
}

/// `{start}{name}" island-id="{id}"`: every island element opens with its
/// name and id (`start` is the tag up to the name's opening quote, one
/// literal so it is one copy).
#[inline]
fn open_tag(out: &mut String, start: &str, def: &IslandDef, id: &str) {
    // Island names are identifiers and ids are `[A-Za-z0-9_-]` (the
    // endpoint checks the prefix it is given): nothing to escape.
    debug_assert!(!needs_escape(def.name) && !needs_escape(id));
    out.push_str(start);
    out.push_str(def.name);
    out.push_str("\" island-id=\"");
    out.push_str(id);
    out.push('"');
}

/// devalue text never holds a raw `<` (it writes `\u003C`), so it cannot end
/// the script element or open a comment; this keeps that true even for text
/// that did not come from our encoder.
pub(crate) fn push_script_safe(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        out.push_str("\\u003C");
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
}

/// A `<mochi-island>` element's attributes.
struct Element<'a> {
    def: &'a IslandDef,
    id: &'a str,
    /// The render whose props table holds the block, and its number.
    props_block: Option<(&'a RenderContext, u32)>,
    /// Where mochi serves assets, for the client module's URL.
    asset_prefix: Option<&'a str>,
    hydrate: &'a Hydrate,
}

impl<'a> Element<'a> {
    /// The element with no props block and no module.
    fn bare(def: &'a IslandDef, id: &'a str, hydrate: &'a Hydrate) -> Element<'a> {
        Element {
            def,
            id,
            props_block: None,
            asset_prefix: None,
            hydrate,
        }
    }

    fn write(&self, out: &mut String, html: &str) {
        open_tag(out, "<mochi-island component-name=\"", self.def, self.id);
        if let Some((cx, n)) = self.props_block {
            out.push_str(" props-ref=\"");
            cx.ids.push_props_block_id(out, n);
            out.push('"');
        }
        if let (Some(assets), Some(module)) = (self.asset_prefix, self.def.client) {
            // `{assets}/client/{Name}-{hash}.js`, where the endpoint serves it.
            out.push_str(" client=\"");
            escape_into(out, assets);
            out.push_str("/client/");
            out.push_str(self.def.name);
            out.push('-');
            out.push_str(module.hash());
            out.push_str(".js\"");
        }
        out.push_str(" hydrate-on=\"");
        out.push_str(self.hydrate.trigger());
        out.push('"');
        match self.hydrate {
            Hydrate::Visible {
                root_margin: Some(margin),
            } => {
                out.push_str(" root-margin=\"");
                escape_into(out, margin);
                out.push('"');
            }
            Hydrate::Media(query) => {
                out.push_str(" media=\"");
                escape_into(out, query);
                out.push('"');
            }
            _ => {}
        }
        out.push('>');
        out.push_str(html);
        out.push_str("</mochi-island>");
    }
}

/// Builds a hydrated island call: runs the component now, with its island id
/// current (used by `#[island(client = …)]`).
pub(crate) fn hydrated_island<P: Serialize>(
    def: &'static IslandDef,
    props: P,
    render: impl FnOnce(P) -> Markup,
) -> HydratedIsland {
    let text = if def.has_props {
        token_cache::encode(def, &props)
    } else {
        None
    };
    let Some(cx) = context::current() else {
        log::error!(
            "mochi: island `{}` rendered outside a mochi request: it will not hydrate",
            def.name
        );
        return HydratedIsland {
            def,
            id: CompactString::const_new("i?"),
            props: text,
            html: render(props),
            hydrate: def.hydrate.clone(),
            cx: None,
        };
    };
    let id = cx.next_island_id();
    // Reserved before the body renders: see `PropsTable`'s placement rule.
    let reserved = text.as_deref().is_some_and(|t| cx.props.reserve(t));
    let html = cx.run_island_body(&id, || render(props));
    if let (true, Some(text)) = (reserved, text.as_deref()) {
        cx.props.body_done(text);
    }
    HydratedIsland {
        def,
        id,
        props: text,
        html,
        hydrate: def.hydrate.clone(),
        cx: Some(cx),
    }
}

/// Wraps a server island's answer for a `defer` + `client` island so the
/// browser hydrates it after the swap; `id` is the island id its Rust code
/// saw while rendering.
pub(crate) fn wrap_hydrated(
    cx: &RenderContext,
    def: &'static IslandDef,
    id: &str,
    props_text: &str,
    html: Markup,
) -> Markup {
    let mut out = String::with_capacity(html.0.len() + props_text.len() + 256);
    let block = def
        .has_props
        .then(|| write_props_block(&mut out, cx, props_text));
    let assets = cx.asset_prefix();
    let element = Element {
        props_block: block.map(|n| (cx, n)),
        asset_prefix: Some(&assets),
        ..Element::bare(def, id, &def.hydrate)
    };
    element.write(&mut out, &html.0);
    PreEscaped(out)
}

/// The `<script type="module">` tag loading the client runtime. Put it in
/// the `<head>` of every page that renders islands. In a page response it
/// comes after `<meta name="traceparent">`, the page's W3C trace context,
/// which the runtime sends back with its island requests.
pub fn runtime_script() -> Markup {
    match context::current() {
        Some(cx) => {
            cx.note_runtime_rendered();
            let tag = cx.runtime_tag();
            match cx.page_trace() {
                // The page's trace, for the runtime to send back with its
                // island requests (and for OpenTelemetry's browser code).
                Some(trace) => {
                    let text = trace.text();
                    let parts = [
                        "<meta name=\"traceparent\" content=\"",
                        std::str::from_utf8(&text).expect("hex is ASCII"),
                        "\">",
                        &tag,
                    ];
                    PreEscaped(parts.concat())
                }
                None => PreEscaped(tag.into_owned()),
            }
        }
        None => PreEscaped(crate::assets::runtime_tag(&crate::assets::runtime_url(
            crate::config::DEFAULT_ASSET_PREFIX,
            "mochi",
        ))),
    }
}

/// HTML-escapes `text` for a double-quoted attribute value or a text node,
/// exactly as maud's own splices do.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    // Names, ids and URLs almost never need escaping: one scan, one copy
    // (maud's escaper pushes byte by byte).
    if !needs_escape(text) {
        out.push_str(text);
        return;
    }
    let _ = maud::Escaper::new(out).write_str(text);
}

fn needs_escape(text: &str) -> bool {
    text.bytes().any(|b| matches!(b, b'&' | b'<' | b'>' | b'"'))
}

/// What [`ServerIsland::reload_on`] takes: one event name (`"cart:changed"`)
/// or several (an array, a slice or a `Vec` of names).
pub trait EventNames {
    /// Calls `f` with each name, in order.
    fn each(self, f: impl FnMut(&str));
}

impl EventNames for &str {
    fn each(self, mut f: impl FnMut(&str)) {
        f(self)
    }
}

impl EventNames for String {
    fn each(self, mut f: impl FnMut(&str)) {
        f(&self)
    }
}

impl EventNames for &String {
    fn each(self, mut f: impl FnMut(&str)) {
        f(self)
    }
}

impl<S: AsRef<str>, const N: usize> EventNames for [S; N] {
    fn each(self, mut f: impl FnMut(&str)) {
        self.iter().for_each(|name| f(name.as_ref()))
    }
}

impl<S: AsRef<str>> EventNames for &[S] {
    fn each(self, mut f: impl FnMut(&str)) {
        self.iter().for_each(|name| f(name.as_ref()))
    }
}

impl<S: AsRef<str>> EventNames for Vec<S> {
    fn each(self, mut f: impl FnMut(&str)) {
        self.iter().for_each(|name| f(name.as_ref()))
    }
}

//! What island calls put into a page: `<mochi-server-island>` with signed
//! props and a fallback, or `<mochi-island>` with its props block.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use maud::{Markup, PreEscaped, Render};
use serde::Serialize;

use crate::config::SIGNED_PROPS_WARN_LEN;
use crate::context::{self, with_scope, PageState};
use crate::devalue;
use crate::registry::{Hydrate, IslandDef};
use crate::signing::Keys;

/// A server island at its call site: renders its fallback inside
/// `<mochi-server-island>`; the browser fetches the real HTML later.
///
/// Made by calling a `#[island(defer)]` function; configure it with the
/// builder methods, then splice it into `html!`.
#[derive(Debug)]
#[must_use = "an island does nothing until it is rendered into a page"]
pub struct ServerIsland {
    def: &'static IslandDef,
    id: String,
    /// Shared with the per-thread token cache.
    token: Option<Arc<str>>,
    fallback: Option<Markup>,
    visible: bool,
    root_margin: Option<Cow<'static, str>>,
    retries: Option<u32>,
}

impl ServerIsland {
    /// HTML shown until the island's answer arrives (and kept if it fails).
    pub fn fallback(mut self, fallback: impl Render) -> Self {
        self.fallback = Some(fallback.render());
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

    /// How often the browser retries network errors and 5xx answers
    /// (default 2, at most 10). 4xx answers are never retried.
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = Some(retries.min(10));
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
}

impl Render for ServerIsland {
    fn render_to(&self, out: &mut String) {
        out.push_str("<mochi-server-island component-name=\"");
        escape_into(out, self.def.name);
        out.push_str("\" island-id=\"");
        escape_into(out, &self.id);
        out.push('"');
        if let Some(token) = &self.token {
            // base64url and `.`: nothing to escape.
            debug_assert!(token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
            out.push_str(" signed-props=\"");
            out.push_str(token);
            out.push('"');
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
        out.push('>');
        if let Some(fallback) = &self.fallback {
            out.push_str(&fallback.0);
        }
        out.push_str("</mochi-server-island>");
    }
}

/// Builds a server island call (used by `#[island(defer)]`).
pub(crate) fn server_island<P: Serialize>(def: &'static IslandDef, props: &P) -> ServerIsland {
    let signed = with_scope(|scope| {
        let id = scope.page.next_island_id();
        let token = match devalue::to_string(props) {
            Ok(text) => Some(cached_token(&scope.config.keys, def, &text)),
            Err(e) => {
                log::error!(
                    "mochi: props of island `{}` do not serialize: {e}",
                    def.name
                );
                None
            }
        };
        (id, token)
    });
    let (id, token) = signed.unwrap_or_else(|| {
        log::error!(
            "mochi: island `{}` rendered outside a mochi request (wrap the App with the \
             `mochi::Mochi` middleware, or use `mochi::render_page`): it cannot be signed \
             and will not load",
            def.name
        );
        (String::from("i?"), None)
    });
    ServerIsland {
        def,
        id,
        token,
        fallback: None,
        visible: false,
        root_margin: None,
        retries: None,
    }
}

/// Props texts longer than this are signed every time, not cached.
const TOKEN_CACHE_MAX_TEXT: usize = 256;
/// Entries per thread; a full cache is emptied and starts over.
const TOKEN_CACHE_ENTRIES: usize = 256;

/// Tokens this thread signed recently, by island name and props text.
///
/// Tokens are deterministic, so a page that renders the same island with
/// the same props on every request (the common case) need not run HMAC
/// every time: on the bench page signing was two thirds of mochi's render
/// cost. Per thread, so no locks; bounded in entries and text length, so
/// memory stays flat whatever the props; tied to one set of keys.
struct TokenCache {
    keys: u64,
    /// `"{name}\0{text}"` → token.
    /// foldhash, not SipHash: the table is capped at a few hundred entries,
    /// so colliding keys cannot cost more than a scan of those, and SipHash
    /// was a fifth of a cached lookup.
    tokens: HashMap<Box<str>, Arc<str>, foldhash::fast::RandomState>,
    scratch: String,
}

thread_local! {
    static TOKENS: RefCell<TokenCache> = RefCell::new(TokenCache {
        keys: u64::MAX,
        tokens: HashMap::with_hasher(foldhash::fast::RandomState::default()),
        scratch: String::new(),
    });
}

/// The token for `text` under `def`, from this thread's cache if possible.
fn cached_token(keys: &Keys, def: &IslandDef, text: &str) -> Arc<str> {
    if text.len() > TOKEN_CACHE_MAX_TEXT {
        return sign_props(keys, def, text).into();
    }
    TOKENS.with(|cache| {
        let mut cache = cache.borrow_mut();
        let TokenCache {
            keys: cached_keys,
            tokens,
            scratch,
        } = &mut *cache;
        if *cached_keys != keys.id() {
            tokens.clear();
            *cached_keys = keys.id();
        }
        // Island names are identifiers: `\0` cannot occur in one.
        scratch.clear();
        scratch.push_str(def.name);
        scratch.push('\0');
        scratch.push_str(text);
        if let Some(token) = tokens.get(scratch.as_str()) {
            return token.clone();
        }
        let token: Arc<str> = sign_props(keys, def, text).into();
        if tokens.len() >= TOKEN_CACHE_ENTRIES {
            tokens.clear();
        }
        tokens.insert(scratch.as_str().into(), token.clone());
        token
    })
}

fn sign_props(keys: &Keys, def: &IslandDef, text: &str) -> String {
    let token = keys.sign_encoded(def.name, &URL_SAFE_NO_PAD.encode(text));
    if token.len() > SIGNED_PROPS_WARN_LEN {
        log::warn!(
            "mochi: signed props of island `{}` are {} bytes (over ~{SIGNED_PROPS_WARN_LEN}); \
             proxies and CDNs may cut URLs that long: pass less data, e.g. an id to look up",
            def.name,
            token.len()
        );
    }
    token
}

/// A hydrated island at its call site: its HTML, rendered now, inside
/// `<mochi-island>`, plus the props block the first time those props appear
/// in the page.
#[derive(Debug)]
#[must_use = "an island does nothing until it is rendered into a page"]
pub struct HydratedIsland {
    def: &'static IslandDef,
    id: String,
    props: Option<String>,
    html: Markup,
    hydrate: Hydrate,
    client_url: Option<String>,
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
        let props_id = self
            .props
            .as_deref()
            .and_then(|text| with_scope(|scope| write_props_block(out, &scope.page, text)));
        write_hydrated(
            out,
            self.def,
            &self.id,
            props_id.as_deref(),
            self.client_url.as_deref(),
            &self.hydrate,
            &self.html.0,
        );
    }
}

/// Writes the props block for `text` unless the page has it already; returns
/// its id.
fn write_props_block(out: &mut String, page: &PageState, text: &str) -> String {
    let (n, new) = page.props_block(text);
    let id = format!("mochi-props-{}{n}", page.prefix);
    if new {
        out.push_str("<script type=\"application/json\" id=\"");
        out.push_str(&id);
        out.push_str("\">");
        push_script_safe(out, text);
        out.push_str("</script>");
    }
    id
}

/// devalue text never holds a raw `<` (it writes `\u003C`), so it cannot end
/// the script element or open a comment; this keeps that true even for text
/// that did not come from our encoder.
fn push_script_safe(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        out.push_str("\\u003C");
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
}

fn write_hydrated(
    out: &mut String,
    def: &IslandDef,
    id: &str,
    props_id: Option<&str>,
    client_url: Option<&str>,
    hydrate: &Hydrate,
    html: &str,
) {
    out.push_str("<mochi-island component-name=\"");
    escape_into(out, def.name);
    out.push_str("\" island-id=\"");
    escape_into(out, id);
    out.push('"');
    if let Some(props_id) = props_id {
        out.push_str(" props-ref=\"");
        escape_into(out, props_id);
        out.push('"');
    }
    if let Some(url) = client_url {
        out.push_str(" client=\"");
        escape_into(out, url);
        out.push('"');
    }
    out.push_str(" hydrate-on=\"");
    out.push_str(hydrate.trigger());
    out.push('"');
    match hydrate {
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

/// Builds a hydrated island call: runs the component now, with its island id
/// current (used by `#[island(client = …)]`).
pub(crate) fn hydrated_island<P: Serialize>(
    def: &'static IslandDef,
    props: P,
    render: impl FnOnce(P) -> Markup,
) -> HydratedIsland {
    let text = if def.has_props {
        match devalue::to_string(&props) {
            Ok(text) => Some(text),
            Err(e) => {
                log::error!(
                    "mochi: props of island `{}` do not serialize: {e}",
                    def.name
                );
                None
            }
        }
    } else {
        None
    };
    let (id, client_url) =
        with_scope(|scope| (scope.page.next_island_id(), scope.config.client_url(def)))
            .unwrap_or_else(|| {
                log::error!(
                    "mochi: island `{}` rendered outside a mochi request: it will not hydrate",
                    def.name
                );
                (String::from("i?"), None)
            });
    let reserved = text.as_deref().and_then(|text| {
        with_scope(|scope| scope.page.props_reserve(text).then_some(()))
            .flatten()
            .map(|()| text)
    });
    let html = context::with_island_id(&id, || render(props));
    if let Some(text) = reserved {
        with_scope(|scope| scope.page.props_built(text));
    }
    HydratedIsland {
        def,
        id,
        props: text,
        html,
        hydrate: def.hydrate.clone(),
        client_url,
    }
}

/// Wraps a server island's answer for a `defer` + `client` island so the
/// browser hydrates it after the swap; `id` is the island id its Rust code
/// saw while rendering.
pub(crate) fn wrap_hydrated(
    def: &'static IslandDef,
    id: &str,
    props_text: &str,
    html: Markup,
) -> Markup {
    with_scope(|scope| {
        let mut out = String::with_capacity(html.0.len() + props_text.len() + 256);
        let props_id = def
            .has_props
            .then(|| write_props_block(&mut out, &scope.page, props_text));
        let client_url = scope.config.client_url(def);
        write_hydrated(
            &mut out,
            def,
            id,
            props_id.as_deref(),
            client_url.as_deref(),
            &def.hydrate,
            &html.0,
        );
        PreEscaped(out)
    })
    .unwrap_or(html)
}

/// The `<script type="module">` tag loading the client runtime. Put it in
/// the `<head>` of every page that renders islands.
pub fn runtime_script() -> Markup {
    fn tag(url: &str) -> Markup {
        let mut out = String::with_capacity(url.len() + 40);
        out.push_str("<script type=\"module\" src=\"");
        escape_into(&mut out, url);
        out.push_str("\"></script>");
        PreEscaped(out)
    }
    with_scope(|scope| {
        scope.page.runtime_rendered.set(true);
        tag(&scope.config.runtime_url)
    })
    .unwrap_or_else(|| {
        tag(&format!(
            "{}/runtime-{}.js",
            crate::config::DEFAULT_ASSET_PREFIX,
            crate::assets::runtime_hash()
        ))
    })
}

/// HTML-escapes `text` for a double-quoted attribute value or a text node,
/// exactly as maud's own splices do.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    // Names, ids and URLs almost never need escaping: one scan, one copy
    // (maud's escaper pushes byte by byte).
    if !text.bytes().any(|b| matches!(b, b'&' | b'<' | b'>' | b'"')) {
        out.push_str(text);
        return;
    }
    let _ = maud::Escaper::new(out).write_str(text);
}

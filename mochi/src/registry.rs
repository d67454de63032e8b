//! The islands linked into this binary, collected through `inventory`.
//!
//! Every `#[island]` submits one [`Registration`]; the registry is built once
//! per process on first use and refuses to exist if two islands share a name.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;

use maud::Markup;

use crate::devalue;
use crate::error::IslandError;

/// The future an island's endpoint renders: async islands' bodies, and
/// sync islands' bodies wrapped so that both take one path. `Send`, so any
/// server (and any thread of its runtime) can run it.
pub type IslandFuture = Pin<Box<dyn Future<Output = Result<Markup, IslandError>> + Send>>;

/// Decodes verified devalue props text and returns the island's render.
///
/// Decoding happens before the component is called, so props that do not fit
/// the parameters never reach it.
pub type EndpointFn = fn(&str) -> Result<IslandFuture, devalue::Error>;

/// When a hydrated island's client module runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hydrate {
    /// As soon as the runtime sees the element (the default).
    Load,
    /// When the browser is idle (`requestIdleCallback`).
    Idle,
    /// When the element scrolls into view, optionally with a root margin
    /// such as `"200px"`.
    Visible {
        /// CSS margin around the viewport, as for `IntersectionObserver`.
        root_margin: Option<Cow<'static, str>>,
    },
    /// When the media query matches (now or later).
    Media(Cow<'static, str>),
}

impl Hydrate {
    /// When the element scrolls into view.
    pub const fn visible() -> Hydrate {
        Hydrate::Visible { root_margin: None }
    }

    /// When the element comes within `margin` (CSS, e.g. `"200px"`) of the
    /// viewport.
    pub fn visible_within(margin: impl Into<Cow<'static, str>>) -> Hydrate {
        Hydrate::Visible {
            root_margin: Some(margin.into()),
        }
    }

    /// When `query` (e.g. `"(max-width: 600px)"`) matches.
    pub fn media(query: impl Into<Cow<'static, str>>) -> Hydrate {
        Hydrate::Media(query.into())
    }

    /// The value of the `hydrate-on` attribute.
    pub fn trigger(&self) -> &'static str {
        match self {
            Hydrate::Load => "load",
            Hydrate::Idle => "idle",
            Hydrate::Visible { .. } => "visible",
            Hydrate::Media(_) => "media",
        }
    }
}

/// A client module embedded at compile time.
pub struct ClientModule {
    source: &'static str,
    path: &'static str,
    hash: OnceLock<String>,
}

impl ClientModule {
    /// Wraps the module's source text; `path` is where it was read from.
    pub const fn new(source: &'static str, path: &'static str) -> ClientModule {
        ClientModule {
            source,
            path,
            hash: OnceLock::new(),
        }
    }

    /// The module's JavaScript source.
    pub fn source(&self) -> &'static str {
        self.source
    }

    /// The path it was embedded from, relative to its crate.
    pub fn path(&self) -> &'static str {
        self.path
    }

    /// A short hash of the source, so the URL changes whenever the module does.
    pub fn hash(&self) -> &str {
        self.hash
            .get_or_init(|| crate::assets::content_hash(self.source))
    }
}

impl fmt::Debug for ClientModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientModule")
            .field("path", &self.path)
            .finish()
    }
}

/// Everything the runtime knows about one island. Built by `#[island]`.
#[derive(Debug)]
pub struct IslandDef {
    /// Endpoint name, e.g. `UserAvatar`.
    pub name: &'static str,
    /// `module_path!()` of the function, named in duplicate-name errors.
    pub module_path: &'static str,
    /// Source file of the function.
    pub file: &'static str,
    /// Source line of the function.
    pub line: u32,
    /// Present for server islands (`defer`): renders from verified props.
    pub endpoint: Option<EndpointFn>,
    /// Present for hydrated islands: the client module.
    pub client: Option<&'static ClientModule>,
    /// The default hydration trigger.
    pub hydrate: Hydrate,
    /// `Cache-Control` for a successful endpoint answer, if the island opts
    /// out of `private, no-store`.
    pub cache_control: Option<&'static str>,
    /// The island's own render deadline (`timeout = "2s"`), if it has one.
    pub timeout: Option<std::time::Duration>,
    /// Whether its body runs on actix's blocking pool (`blocking`).
    pub blocking: bool,
    /// Whether the function takes parameters at all.
    pub has_props: bool,
}

impl IslandDef {
    /// Where the island was defined, for messages.
    pub fn location(&self) -> String {
        format!(
            "{}::{} ({}:{})",
            self.module_path, self.name, self.file, self.line
        )
    }
}

/// What `#[island]` submits to `inventory`.
#[derive(Debug)]
pub struct Registration(pub &'static IslandDef);

inventory::collect!(Registration);

/// Two islands with one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateIsland {
    /// The shared name.
    pub name: &'static str,
    /// One definition.
    pub first: String,
    /// The other.
    pub second: String,
}

impl fmt::Display for DuplicateIsland {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "two islands are named `{}`: {} and {}; rename one with #[island(name = \"…\")]",
            self.name, self.first, self.second
        )
    }
}

impl std::error::Error for DuplicateIsland {}

/// The islands of this binary, by name.
#[derive(Debug)]
pub(crate) struct Registry {
    /// foldhash: the table is fixed at startup, so names a request makes up
    /// can only miss, never grow or degrade it.
    by_name: HashMap<&'static str, &'static IslandDef, foldhash::fast::RandomState>,
}

impl Registry {
    /// The registry of this process, built on first use.
    pub(crate) fn global() -> Result<&'static Registry, DuplicateIsland> {
        static GLOBAL: OnceLock<Result<Registry, DuplicateIsland>> = OnceLock::new();
        GLOBAL
            .get_or_init(|| {
                Registry::build(inventory::iter::<Registration>.into_iter().map(|r| r.0))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Builds a registry from definitions, refusing duplicate names.
    pub(crate) fn build(
        defs: impl IntoIterator<Item = &'static IslandDef>,
    ) -> Result<Registry, DuplicateIsland> {
        let mut by_name: HashMap<&'static str, &'static IslandDef, _> =
            HashMap::with_hasher(foldhash::fast::RandomState::default());
        for def in defs {
            if let Some(prev) = by_name.insert(def.name, def) {
                // Report in a stable order whatever order the linker chose.
                let (mut a, mut b) = (prev.location(), def.location());
                if a > b {
                    std::mem::swap(&mut a, &mut b);
                }
                return Err(DuplicateIsland {
                    name: def.name,
                    first: a,
                    second: b,
                });
            }
        }
        Ok(Registry { by_name })
    }

    /// The island called `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&'static IslandDef> {
        self.by_name.get(name).copied()
    }

    /// Every island, sorted by name.
    pub(crate) fn islands(&self) -> Vec<&'static IslandDef> {
        let mut all: Vec<_> = self.by_name.values().copied().collect();
        all.sort_by_key(|d| d.name);
        all
    }
}

/// Every island registered in this binary, sorted by name (for debugging
/// and tooling). Errors if two share a name.
///
/// ```
/// #[mochi::island(defer)]
/// fn cart_badge() -> maud::Markup {
///     maud::html! { "3" }
/// }
///
/// let islands = mochi::islands().unwrap();
/// let badge = islands.iter().find(|i| i.name() == "CartBadge").unwrap();
/// assert!(badge.is_server_island() && !badge.is_hydrated());
/// ```
pub fn islands() -> Result<Vec<IslandInfo>, DuplicateIsland> {
    Registry::global().map(|r| r.islands().into_iter().map(IslandInfo).collect())
}

/// What [`islands`] tells about one registered island.
#[derive(Debug, Clone, Copy)]
pub struct IslandInfo(&'static IslandDef);

impl IslandInfo {
    /// The endpoint name, e.g. `UserAvatar`.
    pub fn name(&self) -> &'static str {
        self.0.name
    }

    /// Where it is defined: `module::Name (file:line)`.
    pub fn location(&self) -> String {
        self.0.location()
    }

    /// Whether it is a server island (`defer`), fetched after the page.
    pub fn is_server_island(&self) -> bool {
        self.0.endpoint.is_some()
    }

    /// Whether it has a client module that hydrates it.
    pub fn is_hydrated(&self) -> bool {
        self.0.client.is_some()
    }

    /// The client module's path, relative to the crate that defines it.
    pub fn client_module(&self) -> Option<&'static str> {
        self.0.client.map(ClientModule::path)
    }

    /// `Cache-Control` of its answers, if it opted out of `private, no-store`.
    pub fn cache_control(&self) -> Option<&'static str> {
        self.0.cache_control
    }
}

/// Whether `name` could be an island name: an ASCII letter, then letters,
/// digits or `_`, at most 64 bytes. Anything else is answered 404 unread.
pub(crate) fn is_valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b[0].is_ascii_alphabetic()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(name: &'static str, module_path: &'static str) -> &'static IslandDef {
        Box::leak(Box::new(IslandDef {
            name,
            module_path,
            file: "src/lib.rs",
            line: 1,
            endpoint: None,
            client: None,
            hydrate: Hydrate::Load,
            cache_control: None,
            timeout: None,
            blocking: false,
            has_props: false,
        }))
    }

    #[test]
    fn duplicate_names_name_both_definitions() {
        let err = Registry::build([def("A", "x"), def("B", "x"), def("A", "y::z")]).unwrap_err();
        assert_eq!(err.name, "A");
        let msg = err.to_string();
        assert!(msg.contains("x::A") && msg.contains("y::z::A"), "{msg}");
    }

    #[test]
    fn lists_sorted() {
        let r = Registry::build([def("B", "m"), def("A", "m")]).unwrap();
        let names: Vec<_> = r.islands().iter().map(|d| d.name).collect();
        assert_eq!(names, ["A", "B"]);
        assert!(r.get("A").is_some() && r.get("C").is_none());
    }

    #[test]
    fn names() {
        for ok in ["A", "UserAvatar", "x_1"] {
            assert!(is_valid_name(ok), "{ok}");
        }
        for bad in ["", "1A", "a-b", "a.b", "é", "../x", &"a".repeat(65)] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }
}

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

/// A client module embedded at compile time, with every file it imports
/// (statically, by a relative path), each served content-hashed under
/// `{prefix}/client/` with its imports rewritten to their served names.
pub struct ClientModule {
    /// The module's import graph, the module itself first.
    files: &'static [ClientFile],
    /// Each file's served name and text, made once.
    served: OnceLock<Vec<Served>>,
}

/// One file of a client module's import graph.
#[derive(Debug)]
pub struct ClientFile {
    /// Where it was embedded from, relative to its crate.
    pub path: &'static str,
    /// Its JavaScript source.
    pub source: &'static str,
    /// Its relative imports.
    pub imports: &'static [ClientImport],
}

/// A relative import of a [`ClientFile`]: the specifier literal (quotes
/// included) at `at..at + len` of its source names file `file` of the
/// graph.
#[derive(Debug)]
pub struct ClientImport {
    /// Where the specifier literal starts.
    pub at: usize,
    /// Its length, quotes included.
    pub len: usize,
    /// The file it names, an index into the graph.
    pub file: usize,
}

/// A file as served: its hash and its text with imports rewritten.
#[derive(Debug)]
struct Served {
    /// The file's name without extension, for its URL.
    stem: String,
    hash: String,
    text: String,
}

impl Served {
    /// The name it is served at under `{prefix}/client/`.
    fn file_name(&self) -> String {
        format!("{}-{}.js", self.stem, self.hash)
    }
}

impl ClientModule {
    /// The module whose import graph is `files`, the module first.
    pub const fn new(files: &'static [ClientFile]) -> ClientModule {
        ClientModule {
            files,
            served: OnceLock::new(),
        }
    }

    /// Every file as served. A file's hash covers its rewritten text, which
    /// names the hashes of what it imports: a change anywhere below a
    /// module changes the module's URL too.
    fn served(&self) -> &[Served] {
        self.served.get_or_init(|| {
            let mut served: Vec<Option<Served>> = self.files.iter().map(|_| None).collect();
            for at in (0..self.files.len()).rev() {
                self.serve(at, &mut served);
            }
            served.into_iter().flatten().collect()
        })
    }

    /// Serves file `at` after what it imports (the graph has no cycle: the
    /// macro refuses one).
    fn serve(&self, at: usize, served: &mut Vec<Option<Served>>) {
        if served[at].is_some() {
            return;
        }
        let file = &self.files[at];
        let mut text = String::with_capacity(file.source.len());
        let mut from = 0;
        for import in file.imports {
            self.serve(import.file, served);
            let name = served[import.file].as_ref().map(Served::file_name);
            let (Some(name), Some(before)) = (name, file.source.get(from..import.at)) else {
                continue;
            };
            text.push_str(before);
            text.push_str(&format!("'./{name}'"));
            from = import.at + import.len;
        }
        text.push_str(file.source.get(from..).unwrap_or(""));
        let stem = std::path::Path::new(file.path)
            .file_stem()
            .map(|s| {
                s.to_string_lossy()
                    .replace(|c: char| !c.is_ascii_alphanumeric(), "_")
            })
            .unwrap_or_default();
        let hash = crate::assets::content_hash(&text);
        served[at] = Some(Served { stem, hash, text });
    }

    /// The module's JavaScript source as served (imports rewritten).
    pub fn source(&self) -> &str {
        self.served().first().map_or("", |s| s.text.as_str())
    }

    /// The path it was embedded from, relative to its crate.
    pub fn path(&self) -> &'static str {
        self.files.first().map_or("", |f| f.path)
    }

    /// A short hash of the module as served, so the URL changes whenever
    /// it or anything it imports does.
    pub fn hash(&self) -> &str {
        self.served().first().map_or("", |s| s.hash.as_str())
    }

    /// The text of the imported file served as `file_name`
    /// (`{stem}-{hash}.js`), if this module imports it.
    pub(crate) fn dependency(&self, file_name: &str) -> Option<&str> {
        let deps = self.served().iter().skip(1);
        deps.into_iter()
            .find(|s| s.file_name() == file_name)
            .map(|s| s.text.as_str())
    }
}

impl fmt::Debug for ClientModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientModule")
            .field("path", &self.path())
            .field("files", &self.files.len())
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
    /// A hydrated island's parameters and their TypeScript types (empty
    /// for a server island).
    pub ts_props: &'static [crate::typescript::TsProp],
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
    use super::{ClientFile, ClientImport, ClientModule};

    /// `entry.js` imports `./a.js` twice over (`a` also through `b`).
    static GRAPH: ClientModule = ClientModule::new(&[
        ClientFile {
            path: "static/entry.js",
            source: "import { a } from './a.js'; import './b.js';",
            imports: &[
                ClientImport {
                    at: 18,
                    len: 8,
                    file: 1,
                },
                ClientImport {
                    at: 35,
                    len: 8,
                    file: 2,
                },
            ],
        },
        ClientFile {
            path: "static/a.js",
            source: "export const a = 1;",
            imports: &[],
        },
        ClientFile {
            path: "static/b.js",
            source: "import { a } from \"./a.js\"; console.log(a);",
            imports: &[ClientImport {
                at: 18,
                len: 8,
                file: 1,
            }],
        },
    ]);

    #[test]
    fn a_module_is_served_with_its_imports_rewritten_to_their_hashed_names() {
        let a_hash = crate::assets::content_hash("export const a = 1;");
        let a = format!("a-{a_hash}.js");
        let b_text = format!("import {{ a }} from './{a}'; console.log(a);");
        let b = format!("b-{}.js", crate::assets::content_hash(&b_text));
        assert_eq!(
            GRAPH.source(),
            format!("import {{ a }} from './{a}'; import './{b}';")
        );
        assert_eq!(GRAPH.hash(), crate::assets::content_hash(GRAPH.source()));
        assert_eq!(GRAPH.dependency(&a), Some("export const a = 1;"));
        assert_eq!(GRAPH.dependency(&b), Some(b_text.as_str()));
        assert_eq!(GRAPH.dependency("a-0000000000000000.js"), None);
        assert_eq!(GRAPH.path(), "static/entry.js");
    }

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
            ts_props: &[],
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

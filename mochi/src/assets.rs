//! The client runtime and client modules, with content-hashed URLs.

use std::fmt::Write as _;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

/// The client runtime's modules, one per feature, so a page fetches only
/// what it uses: `mochi`, the entry a page's script tag loads, imports the
/// others as their elements appear (see `runtime/README.md`).
pub(crate) const MODULES: [&str; 5] = ["mochi", "island", "live", "stream", "hydrate"];

/// The runtime module `name` (one of [`MODULES`]) as served: built from
/// the sources beside `runtime/dist` by the pinned esbuild in
/// `tests/runtime-build` (bundled, minified, the wire constants written
/// in), and committed, so users need no JavaScript toolchain. A test
/// fails when the build is stale.
pub(crate) fn runtime_module(name: &str) -> Option<&'static str> {
    match name {
        "mochi" => Some(include_str!("runtime/dist/mochi.js")),
        "island" => Some(include_str!("runtime/dist/island.js")),
        "live" => Some(include_str!("runtime/dist/live.js")),
        "stream" => Some(include_str!("runtime/dist/stream.js")),
        "hydrate" => Some(include_str!("runtime/dist/hydrate.js")),
        _ => None,
    }
}

/// The hash in the runtime's URLs, of every module: a new mochi version
/// gets new URLs, so an immutable cache can never serve a stale module,
/// and the modules import each other by plain relative names.
pub(crate) fn runtime_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        let all: Vec<&str> = MODULES.iter().filter_map(|m| runtime_module(m)).collect();
        content_hash(&all.concat())
    })
}

/// The runtime features a render's islands use, each served by its own
/// module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Features(u8);

impl Features {
    pub(crate) const NONE: Features = Features(0);
    /// Server islands: `island.js`.
    pub(crate) const ISLAND: Features = Features(1);
    /// `reload_on` and `refresh_every`: `live.js`.
    pub(crate) const LIVE: Features = Features(2);
    /// Streamed islands: `stream.js`.
    pub(crate) const STREAM: Features = Features(4);
    /// Hydrated islands: `hydrate.js`.
    pub(crate) const HYDRATE: Features = Features(8);

    pub(crate) fn bits(self) -> u8 {
        self.0
    }

    pub(crate) fn from_bits(bits: u8) -> Features {
        Features(bits)
    }

    /// Both sets.
    pub(crate) fn with(self, other: Features) -> Features {
        Features(self.0 | other.0)
    }

    fn has(self, other: Features) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }

    /// The modules these features run on, each once, every module after
    /// those it imports: what a page using them preloads.
    pub(crate) fn modules(self) -> Vec<&'static str> {
        let mut modules = Vec::new();
        if self.has(Features::ISLAND) || self.has(Features::LIVE) || self.has(Features::STREAM) {
            modules.push("island");
        }
        if self.has(Features::LIVE) {
            modules.push("live");
        }
        if self.has(Features::STREAM) {
            modules.push("stream");
        }
        if self.has(Features::HYDRATE) {
            modules.push("hydrate");
        }
        modules
    }
}

/// `{prefix}/runtime-{hash}/{module}.js`.
pub(crate) fn runtime_url(prefix: &str, module: &str) -> String {
    format!("{prefix}/runtime-{}/{module}.js", runtime_hash())
}

/// First 64 bits of SHA-256 of `text`, as hex.
pub(crate) fn content_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut hex = String::with_capacity(16);
    for b in &digest[..8] {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// The script tag loading the runtime from `url`.
pub(crate) fn runtime_tag(url: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(url.len() + 40);
    // `async`: the runtime runs as soon as it arrives, not when the whole
    // document has (a streamed page ends only with its last island).
    out.push_str("<script type=\"module\" async src=\"");
    let _ = maud::Escaper::new(&mut out).write_str(url);
    out.push_str("\"></script>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The constants the runtime shares with the Rust side, as JavaScript
    /// literals by name: the runtime's build writes them in where they are
    /// used, so the two sides have one source.
    fn wire_constants() -> Vec<(&'static str, String)> {
        use crate::config::{
            MAX_BATCH, MAX_BATCH_URL, MAX_RETRIES, MIN_REFRESH_MS, RETRIED_STATUSES,
        };
        let batch_type = crate::protocol::BATCH_CONTENT_TYPE;
        let retried = RETRIED_STATUSES.map(|s| s.to_string()).join(",");
        vec![
            ("MOCHI_MAX_BATCH", MAX_BATCH.to_string()),
            ("MOCHI_MAX_BATCH_URL", MAX_BATCH_URL.to_string()),
            ("MOCHI_BATCH_TYPE", format!("\"{batch_type}\"")),
            ("MOCHI_MAX_RETRIES", MAX_RETRIES.to_string()),
            ("MOCHI_RETRIED", format!("[{retried}]")),
            ("MOCHI_MIN_REFRESH_MS", MIN_REFRESH_MS.to_string()),
            (
                "MOCHI_PART_MARKER",
                format!("\"{}\"", crate::stream::MARKER),
            ),
        ]
    }

    /// The committed build of the runtime is what the pinned esbuild makes
    /// of the sources now, with the Rust side's wire constants; with
    /// `MOCHI_UPDATE_RUNTIME=1` the build is written to `runtime/dist`.
    /// Needs `node` and `npm ci --prefix tests/runtime-build`: without
    /// them it says SKIPPED, a failure under `MOCHI_REQUIRE_EXTERNAL=1`.
    #[test]
    fn the_built_runtime_is_current() {
        use std::io::Write as _;
        use std::path::Path;
        use std::process::Command;
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let build = root.join("../tests/runtime-build");
        if !build.join("node_modules/esbuild/package.json").is_file() {
            let skipped = "SKIPPED: the runtime build check needs node and \
                           `npm ci --prefix tests/runtime-build`";
            // Straight to stderr: libtest captures `eprintln!` of passing tests.
            let bar = "=".repeat(78);
            let _ = writeln!(std::io::stderr(), "\n{bar}\n{skipped}\n{bar}\n");
            let required = std::env::var("MOCHI_REQUIRE_EXTERNAL").as_deref() == Ok("1");
            assert!(!required, "{skipped} (MOCHI_REQUIRE_EXTERNAL=1)");
            return;
        }
        let dist = root.join("src/runtime/dist");
        let update = std::env::var_os("MOCHI_UPDATE_RUNTIME").is_some();
        let out = match update {
            true => dist.clone(),
            false => std::env::temp_dir().join(format!("mochi-runtime-{}", std::process::id())),
        };
        let constants: Vec<String> = wire_constants()
            .into_iter()
            .map(|(name, value)| format!("{name:?}:{:?}", value))
            .collect();
        let status = Command::new("node")
            .arg(build.join("build.mjs"))
            .arg(&out)
            .arg(format!("{{{}}}", constants.join(",")))
            .status()
            .expect("run node");
        assert!(
            status.success(),
            "node tests/runtime-build/build.mjs failed"
        );
        if update {
            return;
        }
        for name in MODULES {
            let file = format!("{name}.js");
            let built = std::fs::read_to_string(out.join(&file)).expect("a built module");
            assert!(
                built == runtime_module(name).expect("a served module"),
                "mochi/src/runtime/dist/{file} is stale: run \
                 `MOCHI_UPDATE_RUNTIME=1 cargo test -p mochi --lib built_runtime` and commit it"
            );
        }
        let _ = std::fs::remove_dir_all(&out);
    }

    /// Each feature brings the modules it imports, in order.
    #[test]
    fn features_name_their_modules() {
        assert!(Features::NONE.modules().is_empty());
        assert_eq!(Features::ISLAND.modules(), ["island"]);
        let streamed_live = Features::STREAM.with(Features::LIVE);
        assert_eq!(streamed_live.modules(), ["island", "live", "stream"]);
        assert_eq!(Features::HYDRATE.modules(), ["hydrate"]);
        let all = Features::ISLAND.with(Features::HYDRATE).modules();
        assert_eq!(all, ["island", "hydrate"]);
        for features in [streamed_live, Features::ISLAND.with(Features::HYDRATE)] {
            let modules = features.modules();
            for (at, name) in modules.iter().enumerate() {
                for imported in imports(name) {
                    let before = modules[..at].contains(&imported);
                    assert!(before, "{name} imports {imported}, not preloaded before it");
                }
            }
        }
    }

    /// The modules a runtime module imports statically.
    fn imports(name: &str) -> Vec<&'static str> {
        let source = runtime_module(name).expect("a runtime module");
        MODULES
            .into_iter()
            .filter(|m| {
                source.contains(&format!("from\"./{m}.js\""))
                    || source.contains(&format!("import\"./{m}.js\""))
            })
            .collect()
    }

    /// Every module the runtime imports, statically or by the entry's
    /// name, is served; every wire constant is written in.
    #[test]
    fn the_runtime_is_whole() {
        assert_eq!(imports("live"), ["island"]);
        assert_eq!(imports("stream"), ["island"]);
        let entry = runtime_module("mochi").expect("the entry");
        for feature in &MODULES[1..] {
            assert!(entry.contains(&format!("[\"{feature}\",")), "{feature}");
        }
        for name in MODULES {
            let source = runtime_module(name).expect("a runtime module");
            for (constant, _) in wire_constants() {
                assert!(
                    !source.contains(constant),
                    "{name}.js leaves {constant} unset"
                );
            }
        }
    }
}

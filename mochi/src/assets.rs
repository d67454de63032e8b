//! The client runtime and client modules, with content-hashed URLs.

use std::fmt::Write as _;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

/// The client runtime: the devalue decoder, the wire constants the
/// runtime shares with the Rust side, then the custom elements.
pub(crate) fn runtime_source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        format!(
            "{}\n{}{}",
            include_str!("runtime/devalue.js"),
            wire_constants(),
            include_str!("runtime/runtime.js")
        )
    })
}

/// The runtime's constants whose values the Rust side decides: declared
/// from the Rust constants themselves, so the two cannot disagree.
fn wire_constants() -> String {
    use crate::config::{MAX_BATCH, MAX_BATCH_URL, MAX_RETRIES, MIN_REFRESH_MS, RETRIED_STATUSES};
    let batch_type = crate::protocol::BATCH_CONTENT_TYPE;
    let [a, b, c] = RETRIED_STATUSES;
    format!(
        "// From mochi's Rust constants (mochi/src/assets.rs).\n\
         const MOCHI_MAX_BATCH = {MAX_BATCH};\n\
         const MOCHI_MAX_BATCH_URL = {MAX_BATCH_URL};\n\
         const MOCHI_BATCH_TYPE = '{batch_type}';\n\
         const MOCHI_MAX_RETRIES = {MAX_RETRIES};\n\
         const MOCHI_MIN_REFRESH_MS = {MIN_REFRESH_MS};\n\
         const MOCHI_RETRIED = new Set([{a}, {b}, {c}]);\n"
    )
}

/// The hash in the runtime's URL: a new mochi version gets a new URL, so an
/// immutable cache can never serve a stale runtime.
pub(crate) fn runtime_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| content_hash(runtime_source()))
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

    /// Each shared constant is declared once, in the served runtime, with
    /// the Rust value; the runtime's own file declares none of them.
    #[test]
    fn the_runtime_takes_its_wire_constants_from_rust() {
        let served = runtime_source();
        let own = include_str!("runtime/runtime.js");
        let expected = [
            ("MOCHI_MAX_BATCH", crate::config::MAX_BATCH.to_string()),
            (
                "MOCHI_MAX_BATCH_URL",
                crate::config::MAX_BATCH_URL.to_string(),
            ),
            (
                "MOCHI_BATCH_TYPE",
                format!("'{}'", crate::protocol::BATCH_CONTENT_TYPE),
            ),
            ("MOCHI_MAX_RETRIES", crate::config::MAX_RETRIES.to_string()),
            (
                "MOCHI_MIN_REFRESH_MS",
                crate::config::MIN_REFRESH_MS.to_string(),
            ),
        ];
        for (name, value) in expected {
            let declaration = format!("const {name} = ");
            assert_eq!(served.matches(&declaration).count(), 1, "{name}");
            assert!(
                served.contains(&format!("{declaration}{value};\n")),
                "{name}"
            );
            assert!(
                !own.contains(&declaration),
                "runtime.js declares {name} itself"
            );
            assert!(own.contains(name), "runtime.js no longer uses {name}");
        }
    }
}

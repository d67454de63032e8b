//! The client runtime and client modules, with content-hashed URLs.

use std::fmt::Write as _;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

/// The client runtime: the devalue decoder followed by the custom elements.
pub(crate) fn runtime_source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        format!(
            "{}\n{}",
            include_str!("runtime/devalue.js"),
            include_str!("runtime/runtime.js")
        )
    })
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

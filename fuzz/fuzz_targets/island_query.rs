//! The island endpoint's query parser on arbitrary text: it never panics;
//! on success the token is non-empty, the island id (if any) is 1–256 bytes
//! of `[A-Za-z0-9_-]`, and both are slices of the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mochi::__private::parse_island_query;

/// Whether `part` is a slice of `whole` (by address, not by content).
fn within(part: &str, whole: &str) -> bool {
    let (w, p) = (whole.as_ptr() as usize, part.as_ptr() as usize);
    p >= w && p + part.len() <= w + whole.len()
}

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((token, id)) = parse_island_query(query) else {
        return;
    };
    assert!(!token.is_empty(), "empty token from {query:?}");
    assert!(
        within(token, query),
        "token {token:?} is not part of {query:?}"
    );
    if let Some(id) = id {
        assert!((1..=256).contains(&id.len()), "id {id:?} from {query:?}");
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "id {id:?} from {query:?}"
        );
        assert!(within(id, query), "id {id:?} is not part of {query:?}");
    }
});

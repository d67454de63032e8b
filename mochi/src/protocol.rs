//! The wire protocol's requests, parsed: an island request's query or
//! form (`p`, `i`) and a batch's (`n`, `i`, `p` triples). Pure functions
//! of the text, so each is tested (and fuzzed) on its own.

use crate::config::MAX_BATCH;

/// Island ids from the client become id prefixes: keep them plain and
/// bounded. An id grows by three characters per level of server islands
/// nested in answers (`i0-i0-…`): 256 is over 80 levels.
pub(crate) const MAX_ISLAND_ID: usize = 256;

/// The query parameters the endpoint reads.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct IslandQuery<'q> {
    pub(crate) token: &'q str,
    pub(crate) island_id: Option<&'q str>,
}

pub(crate) fn parse_query(query: &str) -> Result<IslandQuery<'_>, &'static str> {
    let (mut token, mut island_id) = (None, None);
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match key {
            "p" => &mut token,
            "i" => &mut island_id,
            _ => continue, // cache busters, empty pairs and the like
        };
        if slot.replace(value).is_some() {
            return Err("repeated query parameter");
        }
    }
    let token = token.ok_or("missing `p`")?;
    if token.is_empty() {
        return Err("empty `p`");
    }
    if island_id.is_some_and(|id| !is_valid_island_id(id)) {
        return Err("bad island id `i`");
    }
    Ok(IslandQuery { token, island_id })
}

/// Island ids from the client become id prefixes: short and plain.
pub(crate) fn is_valid_island_id(id: &str) -> bool {
    let plain = id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    !id.is_empty() && id.len() <= MAX_ISLAND_ID && plain
}

/// The batch answer's media type.
pub(crate) const BATCH_CONTENT_TYPE: &str = "application/x-mochi-batch";

/// One island of a batch request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BatchEntry<'q> {
    pub(crate) name: &'q str,
    pub(crate) id: &'q str,
    pub(crate) token: &'q str,
}

/// Reads `n=…&i=…&p=…` triples; other keys are ignored, like the island
/// endpoint's cache busters.
pub(crate) fn parse_batch(query: &str) -> Result<Vec<BatchEntry<'_>>, &'static str> {
    #[derive(Default)]
    struct Open<'q> {
        name: &'q str,
        id: Option<&'q str>,
        token: Option<&'q str>,
    }
    fn close<'q>(open: Open<'q>) -> Result<BatchEntry<'q>, &'static str> {
        let id = open.id.ok_or("an island without `i`")?;
        let token = open
            .token
            .filter(|t| !t.is_empty())
            .ok_or("an island without `p`")?;
        if !is_valid_island_id(id) {
            return Err("bad island id `i`");
        }
        Ok(BatchEntry {
            name: open.name,
            id,
            token,
        })
    }
    let mut entries = Vec::new();
    let mut open: Option<Open<'_>> = None;
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "n" => {
                if let Some(done) = open.take() {
                    entries.push(close(done)?);
                }
                open = Some(Open {
                    name: value,
                    ..Open::default()
                });
            }
            "i" | "p" => {
                let current = open.as_mut().ok_or("`i` or `p` before any `n`")?;
                let slot = if key == "i" {
                    &mut current.id
                } else {
                    &mut current.token
                };
                if slot.replace(value).is_some() {
                    return Err("repeated query parameter");
                }
            }
            _ => {}
        }
    }
    entries.push(close(open.ok_or("no islands")?)?);
    // The query itself is bounded (the URL and body caps), so the count is
    // checked once, at the end.
    if entries.len() > MAX_BATCH {
        return Err("too many islands in one batch");
    }
    Ok(entries)
}

/// `/segment/segment…` of letters, digits, `-`, `_`, `.` and `~`, with no
/// empty, `.` or `..` segment: a path that can only name a place on this
/// origin (not `//host`, not `/\host`) and needs no escaping in HTML or a
/// `Link` header.
pub(crate) fn is_plain_mount(mount: &str) -> bool {
    let Some(segments) = mount.strip_prefix('/') else {
        return mount.is_empty();
    };
    segments.split('/').all(|segment| {
        !segment.is_empty()
            && segment != "."
            && segment != ".."
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The query rules written the plain way, as the byte-offset parser's
    /// reference: (token, island id), or `None` for a repeated parameter.
    fn reference(query: &str) -> Option<(Option<&str>, Option<&str>)> {
        let (mut token, mut island_id) = (None, None);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let slot = match key {
                "p" => &mut token,
                "i" => &mut island_id,
                _ => continue,
            };
            if slot.replace(value).is_some() {
                return None;
            }
        }
        Some((token, island_id))
    }

    proptest! {
        #[test]
        /// Ids of every length around the limit, from the id alphabet and
        /// just outside it.
        #[test]
        fn island_ids_are_accepted_iff_plain_and_at_most_64_bytes(id in "[A-Za-z0-9_%+;.-]{0,70}") {
            let query = format!("p=t.x&i={id}");
            let parsed = parse_query(&query);
            let plain = id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            let ok = !id.is_empty() && id.len() <= MAX_ISLAND_ID && plain;
            prop_assert_eq!(parsed.is_ok(), ok, "{}", id);
            if let Ok(q) = parsed {
                prop_assert_eq!(q.island_id, Some(id.as_str()));
            }
        }

        #[test]
        fn query_parser_matches_reference(query in "[piPI=&xé%+;_-]{0,40}") {
            let parsed = parse_query(&query);
            match reference(&query) {
                None => prop_assert_eq!(parsed, Err("repeated query parameter")),
                Some((token, island_id)) => match parsed {
                    Ok(q) => {
                        prop_assert_eq!(Some(q.token), token);
                        prop_assert_eq!(q.island_id, island_id);
                    }
                    // Refused for what the values hold, never for repeats.
                    Err(why) => {
                        prop_assert_ne!(why, "repeated query parameter");
                        let ok_token = token.is_some_and(|t| !t.is_empty());
                        let ok_id = island_id.is_none_or(|i| {
                            !i.is_empty()
                                && i.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                        });
                        prop_assert!(!(ok_token && ok_id), "{query:?}: {why}");
                    }
                },
            }
        }
    }

    #[test]
    fn query() {
        assert_eq!(
            parse_query("p=a.b&i=i3").unwrap(),
            IslandQuery {
                token: "a.b",
                island_id: Some("i3")
            }
        );
        assert_eq!(parse_query("v=2&p=a.b").unwrap().token, "a.b");
        assert!(parse_query("").is_err());
        assert!(parse_query("p=").is_err());
        assert!(parse_query("p").is_err());
        assert!(parse_query("p=a&p=a").is_err());
        assert!(parse_query("p=a&i=1&i=2").is_err());
        assert!(parse_query("p=a&i=").is_err());
        assert!(parse_query("p=a&i=%3Cx").is_err());
        assert!(parse_query(&format!("p=a&i={}", "x".repeat(257))).is_err());
        assert!(parse_query(&format!("p=a&i={}", "x".repeat(256))).is_ok());
    }

    #[test]
    fn entries_are_read_in_order() {
        let entries = parse_batch("n=A&i=i0&p=t.0&v=2&n=B&p=t.1&i=i1").unwrap();
        assert_eq!(
            entries,
            [
                BatchEntry {
                    name: "A",
                    id: "i0",
                    token: "t.0"
                },
                BatchEntry {
                    name: "B",
                    id: "i1",
                    token: "t.1"
                }
            ]
        );
    }

    #[test]
    fn malformed_batches_are_refused() {
        for bad in [
            "",
            "p=t&n=A&i=i0",
            "n=A&i=i0",
            "n=A&p=t",
            "n=A&i=i0&p=",
            "n=A&i=i0&i=i1&p=t",
            "n=A&i=%3C&p=t",
        ] {
            assert!(parse_batch(bad).is_err(), "{bad:?}");
        }
        let full: String = (0..MAX_BATCH).map(|n| format!("n=A&i=i{n}&p=t&")).collect();
        assert_eq!(parse_batch(&full).unwrap().len(), MAX_BATCH);
        assert_eq!(
            parse_batch(&format!("{full}n=A&i=x&p=t")),
            Err("too many islands in one batch")
        );
    }

    #[test]
    fn only_plain_paths_are_mounts() {
        for ok in ["", "/shop", "/a/b-c/d_e/v1.2/~x"] {
            assert!(is_plain_mount(ok), "{ok:?}");
        }
        for bad in [
            "/",
            "//evil.example",
            "/\\evil",
            "shop",
            "/shop/",
            "/a//b",
            "/./a",
            "/a/..",
            "/%41",
            "/a\"b",
            "/a<b",
            "/a b",
            "/é",
        ] {
            assert!(!is_plain_mount(bad), "{bad:?}");
        }
    }
}

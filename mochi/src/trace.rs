//! W3C Trace Context (`traceparent`): a page carries its trace in
//! `<meta name="traceparent">`, and the runtime sends it back with every
//! island and batch request, so their spans can join the page's trace.
//!
//! A page carries the trace its request came with, as it came (mochi's
//! spans are `tracing` spans, with no W3C span id of their own: the
//! islands' requests join the caller's span, as the page's did), or a new
//! one. Island requests carry it in the
//! `traceparent` header and, where the URL is private anyway (batches, and
//! islands without a cache policy), in a `tp` query parameter too: a
//! preloaded request, which the browser starts from the page's `Link`
//! header before any script runs, can carry no header of its own, and the
//! runtime's URL must match the preloaded one. Cacheable islands' URLs
//! stay the same for every page, so a shared cache still answers them.

use std::fmt;

use crate::context::RequestHead;

/// The query parameter of island and batch URLs that carries the trace.
pub(crate) const PARAM: &str = "tp";
/// The request header that carries the trace.
pub(crate) const HEADER: &str = "traceparent";

/// One `traceparent` value: version 00, a trace id, the parent span's id
/// and the flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TraceParent {
    pub(crate) trace_id: [u8; 16],
    pub(crate) span_id: [u8; 8],
    pub(crate) flags: u8,
}

impl TraceParent {
    /// A new trace, sampled.
    pub(crate) fn root() -> TraceParent {
        TraceParent {
            trace_id: fastrand::u128(1..).to_be_bytes(),
            span_id: fastrand::u64(1..).to_be_bytes(),
            flags: 1,
        }
    }

    /// The trace a page carries: the one its request came with, else a
    /// new one.
    pub(crate) fn for_page(head: &RequestHead) -> TraceParent {
        let header = http::HeaderName::from_static(HEADER);
        head.header(&header)
            .and_then(TraceParent::parse)
            .unwrap_or_else(TraceParent::root)
    }

    /// Parses a `traceparent` value as the W3C spec says a receiver must:
    /// lowercase hex, no all-zero ids, version `ff` refused, and a later
    /// version read by its version-00 prefix.
    pub(crate) fn parse(text: &str) -> Option<TraceParent> {
        let text = text.trim();
        let b = text.as_bytes();
        // ASCII first: the slices below are byte ranges.
        if !text.is_ascii() || b.len() < 55 || b[2] != b'-' || b[35] != b'-' || b[52] != b'-' {
            return None;
        }
        let version = hex::<1>(&text[0..2])?[0];
        if version == 0xff || (version == 0 && b.len() != 55) || (b.len() > 55 && b[55] != b'-') {
            return None;
        }
        let trace_id = hex::<16>(&text[3..35])?;
        let span_id = hex::<8>(&text[36..52])?;
        let flags = hex::<1>(&text[53..55])?[0];
        if trace_id == [0; 16] || span_id == [0; 8] {
            return None;
        }
        Some(TraceParent {
            trace_id,
            span_id,
            flags,
        })
    }

    /// The trace an island or batch request came with: its `tp`
    /// parameter, else its `traceparent` header.
    pub(crate) fn of_island_request(head: &RequestHead) -> Option<TraceParent> {
        let param = head.query().split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (key == PARAM).then_some(value)
        });
        let header = http::HeaderName::from_static(HEADER);
        param
            .and_then(TraceParent::parse)
            .or_else(|| head.header(&header).and_then(TraceParent::parse))
    }

    /// The trace id, 32 lowercase hex digits.
    pub(crate) fn trace_id_hex(&self) -> String {
        self.part(3..35)
    }

    /// The span id, 16 lowercase hex digits.
    pub(crate) fn span_id_hex(&self) -> String {
        self.part(36..52)
    }
}

/// Records the trace an island or batch request came with on its span
/// (`trace_id`, `parent_span_id`), if a subscriber wants the span.
pub(crate) fn record_on(span: &tracing::Span, head: &RequestHead) {
    if span.is_disabled() {
        return;
    }
    if let Some(trace) = TraceParent::of_island_request(head) {
        span.record("trace_id", trace.trace_id_hex());
        span.record("parent_span_id", trace.span_id_hex());
    }
}

/// The version-00 text: `00-{trace id}-{span id}-{flags}`, 55 characters.
impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(std::str::from_utf8(&self.text()).expect("hex is ASCII"))
    }
}

impl TraceParent {
    /// Bytes `range` of the version-00 text, as a `String`.
    fn part(&self, range: std::ops::Range<usize>) -> String {
        String::from_utf8_lossy(&self.text()[range]).into_owned()
    }

    /// The version-00 text, in a buffer of its own (written on every page).
    pub(crate) fn text(&self) -> [u8; TEXT_LEN] {
        let mut out = *b"00-00000000000000000000000000000000-0000000000000000-00";
        write_hex(&mut out[3..35], &self.trace_id);
        write_hex(&mut out[36..52], &self.span_id);
        write_hex(&mut out[53..55], &[self.flags]);
        out
    }
}

/// The length of a version-00 `traceparent`.
pub(crate) const TEXT_LEN: usize = 55;

fn write_hex(out: &mut [u8], bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (pair, &b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 15)];
    }
}

fn hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let b = text.as_bytes();
    if b.len() != 2 * N {
        return None;
    }
    let mut out = [0; N];
    for (i, pair) in b.chunks(2).enumerate() {
        out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn round_trips_the_specs_example() {
        let tp = TraceParent::parse(EXAMPLE).unwrap();
        assert_eq!(tp.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(tp.span_id_hex(), "00f067aa0ba902b7");
        assert_eq!(tp.flags, 1);
        assert_eq!(tp.to_string(), EXAMPLE);
    }

    #[test]
    fn refuses_what_the_spec_refuses() {
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-é1",
            "é0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
        ] {
            assert_eq!(TraceParent::parse(bad), None, "{bad:?}");
        }
        // A later version is read by its version-00 prefix.
        let later = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-whatever";
        assert!(TraceParent::parse(later).is_some());
    }

    proptest::proptest! {
        /// Whatever a request carries, parsing answers without panicking,
        /// and only the canonical text parses to itself.
        #[test]
        fn parse_never_panics(text in ".{0,80}") {
            if let Some(tp) = TraceParent::parse(&text) {
                if text.trim().starts_with("00-") {
                    proptest::prop_assert_eq!(tp.to_string(), text.trim());
                }
            }
        }
    }

    #[test]
    fn new_traces_are_valid_and_differ() {
        let root = TraceParent::root();
        assert_eq!(TraceParent::parse(&root.to_string()), Some(root));
        assert_ne!(TraceParent::root().trace_id, root.trace_id);
    }
}

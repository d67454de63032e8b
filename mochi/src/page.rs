//! What an integration does to a page its app answered, in the same words
//! on every server: which header values change and what is logged. The
//! integration reads its own response types and applies the result.

use std::borrow::Cow;

/// Whether a response is a successful HTML page (the only kind mochi adds
/// preload `Link`s to or streams into): `200`, and a `Content-Type` that
/// is absent or `text/html`.
pub(crate) fn is_html(status: u16, content_type: Option<&[u8]>) -> bool {
    status == 200 && content_type.is_none_or(|v| v.starts_with(b"text/html"))
}

/// The one `Vary` line a response goes out with once `names` are added
/// to the lines its handler set (`given`): `None` leaves them as they are
/// (they say `*`, or name all of `names` already).
pub(crate) fn vary<'a>(
    given: impl Iterator<Item = &'a [u8]>,
    names: &'static str,
) -> Option<Cow<'static, str>> {
    let mut given = given.peekable();
    if given.peek().is_none() {
        return Some(Cow::Borrowed(names));
    }
    let mut all: Vec<&str> = given
        .filter_map(|v| std::str::from_utf8(v).ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    if all.contains(&"*") {
        return None;
    }
    let before = all.len();
    for name in names.split(", ") {
        if !all.iter().any(|g| g.eq_ignore_ascii_case(name)) {
            all.push(name);
        }
    }
    (all.len() > before).then(|| Cow::Owned(all.join(", ")))
}

/// The server integration finishing a page: its warnings say how to fix
/// the app in that server's terms.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(not(all(feature = "actix", feature = "axum")), allow(dead_code))]
pub(crate) enum Server {
    Actix,
    Axum,
}

impl Server {
    /// How to order compression around mochi on this server.
    fn order(self) -> &'static str {
        match self {
            Server::Actix => {
                "wrap mochi first, so it is the innermost, then Compress and Logger: \
                 `App::new().wrap(mochi.clone()).wrap(Compress::default())`"
            }
            Server::Axum => {
                "add compression after mochi's layer, so it is outside it: \
                 `.layer(mochi.layer()).layer(CompressionLayer::new())`"
            }
        }
    }
}

/// What an integration reads of the response a page's handler answered.
pub(crate) struct Answered<'a> {
    pub(crate) status: u16,
    pub(crate) content_type: Option<&'a [u8]>,
    pub(crate) encoding: Option<&'a [u8]>,
}

/// What finishing a page adds to its response, decided the same way on
/// every server; the integration applies it to its own response type.
pub(crate) struct Finish {
    /// Whether its ids make it vary on [`crate::context::FRAGMENT_HEADERS`].
    pub(crate) vary: bool,
    /// The eager islands to preload with `Link` headers (none unless the
    /// response is an HTML page).
    pub(crate) preloads: Vec<crate::context::Preload>,
    /// The islands to stream after it (none if it cannot carry them).
    pub(crate) streams: Vec<crate::context::Streamed>,
    /// The page's `traceparent`, which its preloaded island URLs carry as
    /// the runtime's do (`None` if the page carries no trace).
    pub(crate) trace: Option<String>,
    /// The runtime features its islands use, whose modules it preloads
    /// (none unless the response is an HTML page loading the runtime).
    pub(crate) features: crate::assets::Features,
}

/// Decides how to finish the page `path` whose render was `cx`, given what
/// its handler `answered`; records its status on its span and says, once,
/// what is wrong with it (see the functions below).
pub(crate) fn finish(
    server: Server,
    path: &str,
    cx: &crate::context::RenderContext,
    answered: Answered<'_>,
) -> Finish {
    record_status(answered.status);
    let trace = cx.used_trace();
    if let Some(trace) = trace {
        let span = tracing::Span::current();
        if !span.is_disabled() {
            span.record("trace_id", trace.trace_id_hex());
            span.record("span_id", trace.span_id_hex());
        }
    }
    let html = is_html(answered.status, answered.content_type);
    let vary = cx.ids.used();
    if vary && html {
        warn_if_encoded(server, path, answered.encoding);
    }
    let mut preloads = cx.take_preloads();
    if !html {
        preloads.clear();
    }
    if let Some(islands) = cx.islands_without_runtime() {
        warn_without_runtime(path, islands);
    }
    let mut streams = cx.take_streams();
    let streamable = streams.is_empty()
        || can_stream(
            server,
            path,
            streams.len(),
            answered.status,
            answered.content_type,
            answered.encoding,
        );
    if !streamable {
        streams.clear();
    }
    let features = match html {
        true => cx.runtime_features(),
        false => crate::assets::Features::NONE,
    };
    Finish {
        vary,
        preloads,
        streams,
        trace: trace.map(ToString::to_string),
        features,
    }
}

/// Warns, once per path, when a page whose render used islands reached
/// mochi already encoded: compression runs inside mochi, so its streamed
/// islands cannot be added to it (and, on actix, mochi's own answers miss
/// the middleware wrapped inside it, `Logger` included).
fn warn_if_encoded(server: Server, path: &str, encoding: Option<&[u8]>) {
    let Some(encoding) = encoding else { return };
    let encoding = String::from_utf8_lossy(encoding);
    crate::warn_once::warn_once("encoded", path, || {
        format!(
            "mochi: page {path} reached mochi already encoded (Content-Encoding: {encoding}): \
             compression runs inside mochi, so streamed islands cannot join the page; {}",
            server.order()
        )
    });
}

/// Whether a page can carry its `islands` streamed islands, from its
/// status, `Content-Type` and `Content-Encoding`; says once per path why
/// not (its islands then load by requests of their own).
fn can_stream(
    server: Server,
    path: &str,
    islands: usize,
    status: u16,
    content_type: Option<&[u8]>,
    encoding: Option<&[u8]>,
) -> bool {
    let why = if status != 200 {
        format!("it answered {status}, and only a 200 page streams")
    } else if !is_html(status, content_type) {
        "it is not `text/html`".to_owned()
    } else if let Some(encoding) = encoding {
        let encoding = String::from_utf8_lossy(encoding);
        format!(
            "it reached mochi already encoded ({encoding}); {}",
            server.order()
        )
    } else {
        return true;
    };
    crate::warn_once::warn_once("stream refused", path, || {
        format!(
            "mochi: page {path} asked to stream {islands} island(s) but cannot: {why}; they \
             load by requests of their own instead"
        )
    });
    false
}

/// Warns, once per path, that page `path` renders `islands` islands but
/// not the runtime that loads them.
fn warn_without_runtime(path: &str, islands: u32) {
    crate::warn_once::warn_once("runtime", path, || {
        format!(
            "mochi: page {path} renders {islands} island(s) but not the client runtime, so they \
             will never load or hydrate: add (mochi::runtime_script()) to its <head>, or render \
             it with mochi::fragment if it is HTML for a page already in the browser"
        )
    });
}

/// The `Cache-Control` a streamed page `path` goes out with, given the
/// lines its handler set (see [`crate::stream::cache_control`]); warns
/// once when it overrides what the handler said.
pub(crate) fn streamed_cache_control(path: &str, given: &[String]) -> Option<&'static str> {
    let value = crate::stream::cache_control(given)?;
    if !given.is_empty() {
        crate::warn_once::warn_once("stream-cache", path, || {
            format!(
                "mochi: page {path} streams islands (personal content) but its \
                 `Cache-Control: {}` lets a shared cache keep it: it is sent `{value}` instead",
                given.join(", ")
            )
        });
    }
    Some(value)
}

/// The `mochi.page` span a page render runs in, on either server: its
/// path, the status it answered (recorded with [`record_status`]) and, for
/// a page that carries one, its trace (`trace_id`, `span_id`: the
/// `traceparent` its island requests send back); the spans of its
/// streamed islands are its children.
pub(crate) fn span(path: &str) -> tracing::Span {
    use tracing::field::Empty;
    tracing::debug_span!(
        "mochi.page",
        path,
        status = Empty,
        trace_id = Empty,
        span_id = Empty
    )
}

/// Records the status a page answered on its span (the current one).
pub(crate) fn record_status(status: u16) {
    tracing::Span::current().record("status", status);
}

/// Logs a page that panicked while mochi ran its render.
pub(crate) fn log_panic(path: &str) {
    log::error!("mochi: page {path} panicked while rendering; answered 500");
}

/// The body of the `500` a page that panicked is answered with.
pub(crate) const PANIC_BODY: &str = "internal server error";

#[cfg(test)]
mod tests {
    use super::*;

    fn vary_of(lines: &[&str], names: &'static str) -> Option<String> {
        vary(lines.iter().map(|l| l.as_bytes()), names).map(Cow::into_owned)
    }

    #[test]
    fn vary_names_join_what_was_there() {
        assert_eq!(vary_of(&[], "A, B").as_deref(), Some("A, B"));
        assert_eq!(
            vary_of(&["A, B", "cookie, b"], "B, C").as_deref(),
            Some("A, B, cookie, b, C")
        );
        assert_eq!(vary_of(&["*"], "A"), None);
        assert_eq!(vary_of(&["a, b"], "A, B"), None);
    }

    #[test]
    fn a_page_is_html_when_its_type_says_so_or_nothing_does() {
        assert!(is_html(200, None));
        assert!(is_html(200, Some(b"text/html; charset=utf-8")));
        assert!(!is_html(200, Some(b"application/json")));
        assert!(!is_html(404, None));
    }
}

//! Server islands nested in an island's answer, rendered inline in that
//! same answer instead of by another request each.
//!
//! While an island's answer renders, a nested server island writes its
//! element as a deferred one, marked with a `mochi-inline` attribute that
//! names the answer's nonce (the placeholder), and notes what it needs:
//! its props, and its element's open tag and fallback. A placeholder that
//! does not reach the answer verbatim (HTML kept for later, escaped into a
//! prop) still loads as a deferred island. Once the answer's HTML is done,
//! the answer renders the noted islands (each in a context of its own, all
//! at once) and puts each element, holding its HTML, where its placeholder
//! is. See `answer::render_inline`.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use compact_str::CompactString;

use crate::registry::IslandDef;

/// Islands rendered inline per answer, all levels together; past it, a
/// nested island is deferred as it would be in a page.
pub(crate) const MAX_INLINE: u32 = 32;

/// Shared by an island's answer and every island rendered inline in it.
#[derive(Debug)]
pub(crate) struct Nesting {
    /// Inline renders handed out so far.
    used: AtomicU32,
    /// Marks this answer's placeholders, so no text in a page can pose as
    /// one; drawn with the first placeholder (most answers have none).
    nonce: OnceLock<u64>,
    /// The answering island's cache policy.
    policy: Option<&'static str>,
    /// Whether an island rendered inline has another policy.
    mixed_policy: AtomicBool,
}

impl Nesting {
    /// For the answer of an island whose cache policy is `policy`.
    pub(crate) fn new(policy: Option<&'static str>) -> Arc<Nesting> {
        Arc::new(Nesting {
            used: AtomicU32::new(0),
            nonce: OnceLock::new(),
            policy,
            mixed_policy: AtomicBool::new(false),
        })
    }

    /// The answer's nonce and the number of one more island `def` inline,
    /// if the answer has room for it: the element's `mochi-inline` mark.
    pub(crate) fn placeholder(&self, def: &IslandDef) -> Option<(u64, u32)> {
        let n = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < MAX_INLINE).then_some(n + 1)
            })
            .ok()?;
        if def.cache_control != self.policy {
            self.mixed_policy.store(true, Ordering::Relaxed);
        }
        let nonce = self
            .nonce
            .get_or_init(|| getrandom::u64().expect("the operating system's random source failed"));
        Some((*nonce, n))
    }

    /// Whether an island rendered inline has a cache policy other than
    /// the answer's own: the answer then goes out `private, no-store`.
    pub(crate) fn mixed_policy(&self) -> bool {
        self.mixed_policy.load(Ordering::Relaxed)
    }
}

/// A server island to render inline, noted by its call site.
#[derive(Debug)]
pub(crate) struct Inline {
    pub(crate) def: &'static IslandDef,
    pub(crate) id: CompactString,
    /// The props' devalue text.
    pub(crate) text: Arc<str>,
    /// What the answer's HTML holds in the element's place: the deferred
    /// element, marked.
    pub(crate) placeholder: String,
    /// `<mochi-server-island …`, its attributes, without the `>`.
    pub(crate) open: String,
    /// The fallback and error fallback, as a deferred element holds them.
    pub(crate) content: String,
}

const CLOSE: &str = "</mochi-server-island>";

impl Inline {
    /// What island `def` (element `id`, props `text`) notes, given its
    /// element's `open` tag, its `content` and its marking attribute.
    pub(crate) fn new(
        def: &'static IslandDef,
        id: CompactString,
        text: Arc<str>,
        open: String,
        content: String,
        mark: &str,
    ) -> Inline {
        let placeholder = [open.as_str(), mark, ">", &content, CLOSE].concat();
        Inline {
            def,
            id,
            text,
            placeholder,
            open,
            content,
        }
    }

    /// The element holding the island's HTML, loaded.
    pub(crate) fn loaded(&self, html: &str) -> String {
        [&self.open, " inline>", html, CLOSE].concat()
    }

    /// The element with its fallback, marked failed: the browser shows its
    /// error fallback, as for a first load that failed for good.
    pub(crate) fn failed(&self) -> String {
        [&self.open, " inline=\"failed\">", &self.content, CLOSE].concat()
    }

    /// The element as a deferred island: the browser fetches it.
    pub(crate) fn deferred(&self) -> String {
        [&self.open, ">", &self.content, CLOSE].concat()
    }
}

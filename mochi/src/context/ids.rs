//! The id rule: which island ids and props-block ids one render hands out.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::OnceLock;

use compact_str::CompactString;

/// The ids of one render: island ids `{prefix}i0`, `{prefix}i1`, … in the
/// order the islands are called, and props-block ids
/// `mochi-props-{prefix}{n}` for the render's [`PropsTable`] entries.
///
/// The prefix is what keeps ids of different responses apart when one is
/// spliced into another:
///
/// - **A page** has the empty prefix: `i0`, `mochi-props-0`. The same
///   request renders the same bytes, so pages stay cacheable.
/// - **A fragment** (a response meant to be spliced into a page already in
///   the browser: `mochi::fragment`, or a request carrying `HX-Request`,
///   `Turbo-Frame` or `Sec-Fetch-Dest: empty`) gets `f{8 letters}-`, unique
///   per fragment: a process-wide counter through a bijection keyed by a
///   random per-process seed, so two fragments of one process never share a
///   prefix and fragments of different processes collide with odds of
///   2^-40.
/// - **A server island's answer** gets `{island-id}-`, the id of the
///   element it will be swapped into, which is unique in the page that
///   holds it; nested answers nest prefixes.
///
/// [`PropsTable`]: super::props_table::PropsTable
#[derive(Debug)]
pub(crate) struct IdSpace {
    prefix: CompactString,
    next: AtomicU32,
    /// Whether any id (island or props block) was handed out: whether the
    /// render's bytes depend on which space this is.
    used: AtomicBool,
}

impl IdSpace {
    /// A page's ids: no prefix.
    pub(crate) fn page() -> IdSpace {
        IdSpace::with_prefix(CompactString::const_new(""))
    }

    /// A fragment's ids: a prefix no other fragment of this process gets.
    pub(crate) fn fragment() -> IdSpace {
        IdSpace::with_prefix(fragment_prefix())
    }

    /// Ids of the answer for the island `island_id`.
    pub(crate) fn inside(island_id: &str) -> IdSpace {
        let mut prefix = CompactString::with_capacity(island_id.len() + 1);
        prefix.push_str(island_id);
        prefix.push('-');
        IdSpace::with_prefix(prefix)
    }

    fn with_prefix(prefix: CompactString) -> IdSpace {
        // Ids are written into attributes unescaped.
        debug_assert!(prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        IdSpace {
            prefix,
            next: AtomicU32::new(0),
            used: AtomicBool::new(false),
        }
    }

    /// Whether this space has handed out an id: a page's ids differ from a
    /// fragment's, and an island answer's from those of the same island
    /// under another id.
    pub(crate) fn used(&self) -> bool {
        self.used.load(Ordering::Relaxed)
    }

    /// The next island id.
    pub(crate) fn next_island(&self) -> CompactString {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        self.used.store(true, Ordering::Relaxed);
        // By hand: `format!` machinery costs more than a whole id.
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(n);
        let mut id = CompactString::with_capacity(self.prefix.len() + 1 + digits.len());
        id.push_str(&self.prefix);
        id.push('i');
        id.push_str(digits);
        id
    }

    /// Writes the id of props block `n`.
    pub(crate) fn push_props_block_id(&self, out: &mut String, n: u32) {
        self.used.store(true, Ordering::Relaxed);
        out.push_str("mochi-props-");
        out.push_str(&self.prefix);
        out.push_str(itoa::Buffer::new().format(n));
    }
}

/// `f` and eight base32 letters, then `-`.
fn fragment_prefix() -> CompactString {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    const MASK: u64 = (1 << 40) - 1;
    static SEED: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = *SEED.get_or_init(|| {
        let mut bytes = [0u8; 8];
        // Without an OS random source, fragments of this process are still
        // unique among themselves; only cross-process odds suffer.
        let _ = getrandom::fill(&mut bytes);
        u64::from_ne_bytes(bytes)
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    // n ↦ n·odd + seed is a bijection modulo 2^40: distinct counters give
    // distinct prefixes until the counter wraps at 2^40.
    let mut v = (n.wrapping_mul(0x9E37_79B9_7F4A_7C15 | 1).wrapping_add(seed)) & MASK;
    let mut prefix = CompactString::with_capacity(10);
    prefix.push('f');
    for _ in 0..8 {
        prefix.push(ALPHABET[(v & 31) as usize] as char);
        v >>= 5;
    }
    prefix.push('-');
    prefix
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::IdSpace;

    fn ids(space: &IdSpace, n: usize) -> Vec<String> {
        (0..n).map(|_| space.next_island().to_string()).collect()
    }

    #[test]
    fn a_page_counts_from_i0() {
        assert_eq!(ids(&IdSpace::page(), 3), ["i0", "i1", "i2"]);
        let many = ids(&IdSpace::page(), 20);
        assert!(many
            .iter()
            .enumerate()
            .all(|(n, id)| *id == format!("i{n}")));
        let mut out = String::new();
        IdSpace::page().push_props_block_id(&mut out, 4);
        assert_eq!(out, "mochi-props-4");
    }

    #[test]
    fn an_answer_nests_under_its_island() {
        let inner = IdSpace::inside("i3");
        assert_eq!(ids(&inner, 2), ["i3-i0", "i3-i1"]);
        let deeper = IdSpace::inside("i3-i1");
        assert_eq!(ids(&deeper, 1), ["i3-i1-i0"]);
        // Past what an id holds inline, and across a digit.
        let deep = IdSpace::inside("i3-i1-i0-i9-i2-i7-i4-i1");
        assert_eq!(
            ids(&deep, 11)[9..],
            ["i3-i1-i0-i9-i2-i7-i4-i1-i9", "i3-i1-i0-i9-i2-i7-i4-i1-i10"]
        );
        let mut out = String::new();
        inner.push_props_block_id(&mut out, 0);
        assert_eq!(out, "mochi-props-i3-0");
    }

    #[test]
    fn fragments_never_share_a_prefix() {
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let id = IdSpace::fragment().next_island();
            assert!(id.starts_with('f') && id.ends_with("-i0"), "{id}");
            assert!(id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
            assert!(seen.insert(id.to_string()), "{id} twice");
        }
    }
}

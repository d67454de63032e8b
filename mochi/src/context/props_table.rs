//! The placement rule: where one render writes each props block.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// The props table of one render: one `<script type="application/json">`
/// block per distinct devalue text, numbered in order of first use, shared
/// by every hydrated island of the render whose props have that exact text.
///
/// **Placement.** A block is written once, immediately before the first
/// island that uses it, and never inside another island's element: the
/// client finds a block before the island it hydrates even while the
/// document is still streaming, and a parent island's HTML holds only its
/// own markup. An island's body renders before the island's element is
/// written, so an island [reserves](PropsTable::reserve) its block before
/// its body runs: islands nested in that body with the same props then
/// share the number without writing the block, and the parent writes it
/// when its own element is written ([`PropsTable::place`]).
///
/// The table belongs to one render context; a fragment or a server
/// island's answer has a table of its own, whose ids its
/// [`IdSpace`](super::ids::IdSpace) keeps apart from the page's.
#[derive(Debug, Default)]
pub(crate) struct PropsTable {
    /// devalue text → block number and where the block is in its life.
    /// foldhash: the table holds one render's props, so even texts chosen
    /// to collide cost no more than a scan of that render's islands.
    blocks: Mutex<Blocks>,
}

type Blocks = HashMap<Box<str>, (u32, Block), foldhash::fast::RandomState>;

/// Where a props block is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    /// Numbered; the island that reserved it is rendering its body.
    Reserved,
    /// Numbered, not yet written.
    Pending,
    /// Written.
    Written,
}

/// What [`PropsTable::place`] tells the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Placement {
    /// The block's number.
    pub(crate) number: u32,
    /// Whether the caller writes the block now, before its element.
    pub(crate) write: bool,
}

impl PropsTable {
    /// The table; a render that panicked while holding it left nothing
    /// half-written (every change is one insert or one field).
    fn blocks(&self) -> MutexGuard<'_, Blocks> {
        self.blocks.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reserves the block for `text` before an island's body renders.
    /// Returns whether this call made the reservation; if so, the caller
    /// calls [`PropsTable::body_done`] once the body has rendered.
    pub(crate) fn reserve(&self, text: &str) -> bool {
        let mut blocks = self.blocks();
        if blocks.contains_key(text) {
            return false;
        }
        let n = blocks.len() as u32;
        blocks.insert(text.into(), (n, Block::Reserved));
        true
    }

    /// Ends a reservation made by [`PropsTable::reserve`].
    pub(crate) fn body_done(&self, text: &str) {
        if let Some(entry) = self.blocks().get_mut(text) {
            if entry.1 == Block::Reserved {
                entry.1 = Block::Pending;
            }
        }
    }

    /// The block for an island with props `text` whose element is being
    /// written now.
    pub(crate) fn place(&self, text: &str) -> Placement {
        let mut blocks = self.blocks();
        if let Some(entry) = blocks.get_mut(text) {
            let write = entry.1 == Block::Pending;
            if write {
                entry.1 = Block::Written;
            }
            return Placement {
                number: entry.0,
                write,
            };
        }
        let n = blocks.len() as u32;
        blocks.insert(text.into(), (n, Block::Written));
        Placement {
            number: n,
            write: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Placement, PropsTable};

    fn placed(number: u32, write: bool) -> Placement {
        Placement { number, write }
    }

    #[test]
    fn equal_texts_share_one_block_written_once() {
        let table = PropsTable::default();
        assert_eq!(table.place("[1]"), placed(0, true));
        assert_eq!(table.place("[2]"), placed(1, true));
        assert_eq!(table.place("[1]"), placed(0, false));
    }

    /// A parent reserves; a child with the same props renders first and
    /// shares the number without writing; the parent writes it.
    #[test]
    fn a_nested_island_never_writes_its_parents_block() {
        let table = PropsTable::default();
        assert!(table.reserve("[1]"));
        assert_eq!(table.place("[1]"), placed(0, false), "child");
        assert_eq!(table.place("[2]"), placed(1, true), "other child");
        table.body_done("[1]");
        assert_eq!(table.place("[1]"), placed(0, true), "parent");
        assert_eq!(table.place("[1]"), placed(0, false), "a later sibling");
    }

    /// Only the outermost reservation counts.
    #[test]
    fn a_reservation_is_made_once() {
        let table = PropsTable::default();
        assert!(table.reserve("[1]"));
        assert!(!table.reserve("[1]"), "nested island, same props");
        table.body_done("[1]");
        assert_eq!(table.place("[1]"), placed(0, true));
        assert!(!table.reserve("[1]"), "a later island reuses the block");
        assert_eq!(table.place("[1]"), placed(0, false));
    }
}

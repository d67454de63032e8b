//! Warnings a request can trigger, logged once per subject so a flood of
//! requests cannot flood the log.

use std::collections::HashSet;
use std::sync::Mutex;

/// Subjects remembered; past this, further new subjects stay silent (the
/// log has said enough by then) and memory stays bounded.
const SUBJECTS: usize = 1024;

/// Logs `message()` at warn level the first time `subject` (in `topic`)
/// is seen in this process.
pub(crate) fn warn_once(topic: &str, subject: &str, message: impl FnOnce() -> String) {
    static SEEN: Mutex<Option<HashSet<(String, String)>>> = Mutex::new(None);
    let mut seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
    let seen = seen.get_or_insert_with(HashSet::new);
    let key = (topic.to_owned(), subject.to_owned());
    if seen.len() < SUBJECTS && !seen.contains(&key) {
        seen.insert(key);
        log::warn!("{}", message());
    }
}

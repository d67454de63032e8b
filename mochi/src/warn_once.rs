//! Warnings and errors a request can trigger, logged once (warnings) or
//! once in a while (errors) per subject, so a flood of requests cannot
//! flood the log.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

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

/// How often one subject's errors are logged, at most.
const ERROR_INTERVAL: Duration = Duration::from_secs(10);

/// Logs `message()` at error level for an error a request can trigger (an
/// island that fails, panics or passes its deadline), at most once per
/// [`ERROR_INTERVAL`] per `subject` (in `topic`): a flood of such
/// requests writes a line per interval, which says how many it stands for.
pub(crate) fn error_limited(topic: &'static str, subject: &str, message: impl FnOnce() -> String) {
    type Last = HashMap<(&'static str, String), (Instant, u64)>;
    static LAST: Mutex<Option<Last>> = Mutex::new(None);
    let now = Instant::now();
    let left_out = {
        let mut last = LAST.lock().unwrap_or_else(|p| p.into_inner());
        let last = last.get_or_insert_with(HashMap::new);
        match last.get_mut(&(topic, subject.to_owned())) {
            Some((at, n)) if now.duration_since(*at) < ERROR_INTERVAL => {
                *n += 1;
                return;
            }
            Some((at, n)) => {
                *at = now;
                std::mem::take(n)
            }
            None => {
                if last.len() >= SUBJECTS {
                    last.clear();
                }
                last.insert((topic, subject.to_owned()), (now, 0));
                0
            }
        }
    };
    match left_out {
        0 => log::error!("{}", message()),
        n => log::error!(
            "{} (and {n} more like it in the {}s before, not logged)",
            message(),
            ERROR_INTERVAL.as_secs()
        ),
    }
}

//! Workspace-level tests for mochi live in `tests/`; this library holds
//! what several of them share.

use std::sync::Mutex;

/// A logger that keeps every record, so tests can assert on what mochi
/// logged: `"{LEVEL} {target} {message}"`.
pub mod log_capture {
    use super::Mutex;

    struct Capture;

    static RECORDS: Mutex<Vec<String>> = Mutex::new(Vec::new());

    impl log::Log for Capture {
        fn enabled(&self, _: &log::Metadata<'_>) -> bool {
            true
        }
        fn log(&self, record: &log::Record<'_>) {
            let line = format!("{} {} {}", record.level(), record.target(), record.args());
            RECORDS.lock().unwrap_or_else(|p| p.into_inner()).push(line);
        }
        fn flush(&self) {}
    }

    /// Installs the capture as this test binary's logger (once; later
    /// calls keep it).
    pub fn install() {
        let _ = log::set_logger(&Capture);
        log::set_max_level(log::LevelFilter::Debug);
    }

    /// The records so far that contain `needle`.
    pub fn records_with(needle: &str) -> Vec<String> {
        let records = RECORDS.lock().unwrap_or_else(|p| p.into_inner());
        records
            .iter()
            .filter(|r| r.contains(needle))
            .cloned()
            .collect()
    }
}

//! Workspace-level tests for mochi live in `tests/`; this library is empty.

//! Compile-time errors of `#[island]`, checked with trybuild.
//!
//! - `err_*.rs`: misuse the macro itself reports; each must fail with
//!   exactly the message and span in its `.stderr`.
//! - `typeck_*.rs`: misuse the type checker reports at a span the expansion
//!   chooses (the return type, a parameter type). Their `.stderr` also holds
//!   rustc's and serde's wording, so a new toolchain may need them
//!   regenerated: check that the span is still the user's type.
//! - `pass_*.rs`: must compile.
//!
//! Regenerate with `TRYBUILD=overwrite cargo test -p mochi-macros --test ui`,
//! then read every changed `.stderr`.
//!
//! trybuild compiles the cases in a crate under `target/`; `tests/static`
//! is copied there first, so client modules resolve as in the topic tests
//! (`err_missing_import.rs` reads one whose import is missing).

/// trybuild's project for this crate, where its cases are compiled (and
/// where `CARGO_MANIFEST_DIR` points for them).
fn trybuild_project() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("../tests/trybuild")
        .join(env!("CARGO_PKG_NAME"))
}

/// Copies `tests/static` into trybuild's project, so client modules
/// resolve there as they do in the topic tests.
fn copy_static(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("trybuild's project directory");
    for entry in std::fs::read_dir(from).expect("tests/static") {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_static(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("a copy");
        }
    }
}

#[test]
fn ui() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    copy_static(
        &root.join("tests/static"),
        &trybuild_project().join("static"),
    );
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass_*.rs");
    t.compile_fail("tests/ui/err_*.rs");
    t.compile_fail("tests/ui/typeck_*.rs");
}

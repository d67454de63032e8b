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
//! trybuild compiles the cases in a crate under `target/`, where no client
//! module path resolves, so islands with `client = "…"` that must compile
//! live in the topic tests (`hydrated_islands.rs`, `naming.rs`) instead;
//! here, `client` cases fail before the file is looked up, except
//! `err_missing_client.rs`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass_*.rs");
    t.compile_fail("tests/ui/err_*.rs");
    t.compile_fail("tests/ui/typeck_*.rs");
}

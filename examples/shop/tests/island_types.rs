//! The props declarations of the shop's hydrated islands
//! (`static/islands.d.ts`), which its client modules read through JSDoc,
//! are the ones the Rust code makes: a renamed parameter fails here until
//! `MOCHI_UPDATE_TYPES=1 cargo test` rewrites the file, and then
//! `tsc --checkJs` (tests/tests/typescript.rs) fails on a module that
//! still reads the old name.

#[test]
fn island_types_are_current() {
    // The islands register when the crate is linked: name one of them.
    let _ = example_shop::add_to_cart;
    mochi::typescript::assert_current("example_shop", "static/islands.d.ts");
}

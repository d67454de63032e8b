//! Procedural macros for mochi. Use them through the `mochi` crate, which
//! re-exports [`macro@island`] and documents it with examples.
//!
//! Like maud's macros, the work is split in three: [`parse`] reads the
//! attribute's tokens, [`model`] checks them against the function and builds
//! a validated description of the island, [`generate`] writes the code.

use proc_macro::TokenStream;

mod generate;
mod model;
mod parse;

/// Turns a function returning `maud::Markup` into an island.
///
/// - `#[island(defer)]`: a server island, rendered by mochi's endpoint after
///   the page loads. May be `async` and may return `Result<Markup, E>`.
/// - `#[island(client = "static/counter.js")]`: a hydrated island, rendered
///   inline and hydrated by the module (path relative to `Cargo.toml`).
///   `hydrate = "load" | "idle" | "visible" | "media"`, `root_margin = "…"`,
///   `media = "…"` choose when.
/// - `name = "…"` overrides the endpoint name (default: the function name
///   in PascalCase); `cache = "…"` sets a server island's `Cache-Control`.
#[proc_macro_attribute]
pub fn island(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = proc_macro2::TokenStream::from(args);
    let item = proc_macro2::TokenStream::from(item);
    match expand(args, item) {
        Ok(tokens) => tokens.into(),
        Err(err) => err.to_compile_error().into(),
    }
}

fn expand(
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> syn::Result<proc_macro2::TokenStream> {
    let options = parse::parse_options(args)?;
    let function: syn::ItemFn = syn::parse2(item)?;
    let island = model::Island::new(options, function)?;
    Ok(generate::generate(&island))
}

//! Procedural macros for mochi: the [`macro@island`] attribute. Use it
//! through the `mochi` crate (`use mochi::island;`), which re-exports it:
//! what it expands to names `::mochi` items.
//!
//! Like maud's macros, the work is split in three: [`parse`] reads the
//! attribute's tokens, [`model`] checks them against the function and builds
//! a validated description of the island, [`generate`] writes the code.

use proc_macro::TokenStream;

mod generate;
mod imports;
mod model;
mod parse;

/// Turns a function returning `maud::Markup` into an island.
///
/// The function keeps its name, visibility and doc comments; calling it now
/// returns the island's call-site value, which renders into `maud::html!`.
/// Its parameters are the island's **props**. Each island registers itself
/// at link time under its **name**, the function name in PascalCase
/// (`user_avatar` → `UserAvatar`) unless `name = "…"` says otherwise; two
/// islands with one name stop `MochiBuilder::build` with an error naming
/// both definitions.
///
/// The HTML, URLs, attributes, states, events and statuses this produces
/// are specified in `docs/protocol.md` in the mochi repository: the contract
/// a client module, a CDN or a test can rely on.
///
/// # Server islands: `#[island(defer)]`
///
/// Rendered in a request of its own after the page has loaded. The page
/// gets a `<mochi-server-island>` element holding the call site's fallback
/// and the props, serialized (devalue) and signed; the browser fetches
/// `{prefix}/island/{Name}?p=…` with the user's cookies and swaps the answer
/// in.
///
/// ```ignore
/// use maud::{html, Markup};
/// use mochi::island;
///
/// /// The user's avatar, read from their cookie after the page has loaded.
/// #[island(defer, timeout = "2s")]
/// async fn user_avatar(size: u32) -> Markup {
///     let user = mochi::request_context()
///         .cookie("user")
///         .unwrap_or_else(|| "guest".into());
///     html! { img src={"/avatars/" (user) ".png"} width=(size) alt=(user); }
/// }
///
/// // In a page: no `.await`, even for an async island.
/// html! {
///     (user_avatar(64)
///         .fallback(html! { span.skeleton { "Loading…" } })
///         .defer_on_visible()
///         .retries(3))
/// }
/// ```
///
/// - It may be `async`, and may return `Markup` or `Result<Markup, E>` for
///   any `E: Display` (`Err` is answered `500`, and logged).
/// - Calling it returns a `mochi::ServerIsland`; the body runs only in the
///   endpoint, with `mochi::request_context()` giving that request
///   (cookies, headers, method, URI, page URL) and the server's `extract`
///   its app state.
/// - A sync island's body runs on the server's worker thread, which serves
///   every other request of that worker too. One that blocks (a
///   synchronous database driver, file IO, heavy computation) takes
///   `blocking`: its body then runs on actix's blocking pool, and the
///   worker goes on serving. An `async` island moves its blocking parts
///   there itself, with `web::block`.
///
/// At the call site (`mochi::ServerIsland`):
///
/// | method | effect |
/// |---|---|
/// | `.fallback(html)` | HTML shown until the answer arrives, and kept if it fails (default: nothing) |
/// | `.defer_on_visible()` | fetch only once the element is in the viewport (`defer-on="visible"`) |
/// | `.root_margin("200px")` | fetch once within that margin of the viewport; implies `.defer_on_visible()` |
/// | `.retries(n)` | retries of network errors and 502, 503, 504 answers (default 2, at most 10); any other status (4xx, 500) is final |
/// | `.reload_on("cart:changed")` or `.reload_on(["a", "b"])` | reload whenever one of these events reaches `document` (adds to earlier calls) |
/// | `.refresh_every(duration)` | reload at this interval while the page is visible and the element in view (1 s at least) |
/// | `.error_fallback(html)` | HTML shown instead of the fallback if the first load fails for good |
/// | `.island_id()`, `.name()`, `.signed_props()`, `.is_post()` | what the element will carry, for tests and tools |
///
/// # Hydrated islands: `#[island(client = "…")]`
///
/// Rendered inline, during the page's render, then handed in the browser
/// to a JavaScript module, with its props (decoded) and its island id.
///
/// ```ignore
/// /// A button that counts clicks, hydrated once it scrolls into view.
/// #[island(client = "static/counter.js", hydrate = "visible", root_margin = "200px")]
/// fn counter(start: i64, label: String) -> Markup {
///     html! { button { (label) ": " (start) } }
/// }
///
/// html! {
///     (counter(5, "Clicks".into()))
///     (counter(5, "Clicks".into()).hydrate(mochi::Hydrate::Idle))
/// }
/// ```
///
/// ```text
/// // static/counter.js, next to the crate's Cargo.toml
/// export default function (element, props, islandId) {
///   let n = props.start;
///   const button = element.querySelector('button');
///   button.addEventListener('click', () => { button.textContent = `${props.label}: ${++n}`; });
/// }
/// ```
///
/// - It must be sync and return `Markup`.
/// - Calling it renders it at once and returns a `mochi::HydratedIsland`;
///   `.hydrate(mochi::Hydrate::…)` overrides the trigger at that call site
///   (`Load`, `Idle`, `visible()`, `visible_within("200px")`,
///   `media("(max-width: 600px)")`), `.island_id()` is its id.
/// - The module is embedded at compile time (`include_str!`) and served at
///   a content-hashed URL. Its `default` export, or else its export named
///   `hydrate`, is called as `(element, props, islandId)`; `props` is an
///   object keyed by the parameter names. Its static relative imports (and
///   theirs) are embedded with it and served content-hashed; one that does
///   not resolve to a `.js`/`.mjs` file in the crate, or a cycle, is a
///   compile error.
///
/// # Both: `#[island(defer, client = "…")]`
///
/// A server island whose answer is a hydrated island: fetched after the
/// page, then hydrated by its module. It follows the server-island rules
/// (it may be `async` and return `Result`), and takes `hydrate`,
/// `root_margin` and `media` for its hydration.
///
/// # Options
///
/// | option | for | value | default |
/// |---|---|---|---|
/// | `defer` | — | no value: makes a server island | a hydrated island (then `client` is required) |
/// | `client = "static/x.js"` | — | the client module, relative to the defining crate's `Cargo.toml`; `.js` or `.mjs`; must exist | none: a server island (then `defer` is required) |
/// | `hydrate = "…"` | `client` | `"load"`, `"idle"`, `"visible"` or `"media"`: when the module runs | `"load"` |
/// | `root_margin = "200px"` | `hydrate = "visible"` | one to four lengths in `px` or `%`, as for `IntersectionObserver` | none |
/// | `media = "(max-width: 600px)"` | `hydrate = "media"`, which requires it | a CSS media query | none |
/// | `name = "CartBadge"` | any | the endpoint name: an ASCII letter, then letters, digits or `_`, at most 64 | the function name in PascalCase |
/// | `cache = "public, max-age=60"` | `defer` | the `Cache-Control` of a successful `GET` or `HEAD` answer (printable ASCII), sent with a `Vary` of the request headers the render read; answers to `POST`, and renders that read the whole header map, stay `private, no-store` | `private, no-store` |
/// | `timeout = "2s"` | `defer` | the render's deadline: a whole number of `ms`, `s` or `m`, from 1 ms to 60 min; past it, while the render waits at an `.await`, the answer is `504` and the render is dropped | `MochiBuilder::island_timeout` (10 s unless set) |
/// | `blocking` | `defer`, a sync `fn`, no `client` | no value: the body runs on tokio's blocking pool (what `web::block` uses), not on the worker thread; the props are decoded on the worker and must be `Send`; inside, `mochi::request_context()` is the island's own (cookies, headers, `page_url`), but `mochi::extract` is not (the server's request stays on its worker: extract in an `async` island instead); past the deadline the answer is `504`, but the body runs on to its end | on the worker thread |
///
/// Each option may be given once; values are string literals.
///
/// # Parameters
///
/// Each parameter is a plain name with an owned type (`String`, not
/// `&str`; `Vec<T>`, not `&[T]`; `Cow<'static, str>` is fine), `Serialize`
/// for any island and also `Deserialize` for a server island. In the
/// browser, the props are one object keyed by the parameter names. An
/// island with a client module uses every prop (the module reads them), so
/// a prop its Rust body ignores draws no `unused_variables` warning, and a
/// `_name` prop is a compile error: it would reach the module as `_name`.
///
/// Props are signed, not encrypted: anyone who sees the page can read
/// them. Pass ids, not secrets.
///
/// # Compile errors
///
/// Misuse is a compile error pointing at the offending tokens, with a hint:
/// no `defer` and no `client`; an unknown option (with a "did you mean"),
/// a repeated one, a value for `defer` or none for the others; an `async`
/// hydrated island, or one returning `Result`; a generic, `const`,
/// `unsafe`, `extern` or variadic function, or one with a `where` clause, a
/// `self` parameter, a pattern parameter, a borrowed, `impl Trait` or
/// `Self` parameter type, or no or an opaque return type; an invalid name;
/// `hydrate`, `root_margin` or `media` without `client`, `cache` or
/// `timeout` without `defer`, and malformed values of each; `blocking`
/// without `defer`, with `client` or on an `async` function; a `client`
/// file that is absolute, not JavaScript, or not there. A parameter type
/// that is not `Serialize` (or `Deserialize`), or not `Send` in a
/// `blocking` island, or a server island's return type that is neither
/// `Markup` nor `Result<Markup, E: Display>`, is an error at that type.
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

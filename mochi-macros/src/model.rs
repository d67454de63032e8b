//! Checks the options against the function and describes the island.

use std::path::Path;

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{FnArg, Ident, ItemFn, LitStr, Pat, Type};

use crate::imports::{module_graph, ModuleFile};
use crate::parse::{attribute_span, RawOption};

const OPTIONS: &str = "defer, blocking, client, hydrate, root_margin, media, name, cache, timeout";

/// A validated island.
pub(crate) struct Island {
    pub(crate) function: ItemFn,
    /// Endpoint name, e.g. `UserAvatar`.
    pub(crate) name: String,
    pub(crate) params: Vec<Param>,
    /// Server island: rendered by the endpoint.
    pub(crate) defer: bool,
    /// Hydrated: the module, and the files it imports.
    pub(crate) client: Option<ClientModel>,
    pub(crate) hydrate: HydrateModel,
    pub(crate) cache: Option<LitStr>,
    /// The island's own render deadline, in milliseconds.
    pub(crate) timeout_ms: Option<u64>,
    /// A sync server island whose body runs on actix's blocking pool.
    pub(crate) blocking: bool,
}

/// A client module: the path given (relative to the crate root) and its
/// import graph, the module itself first.
pub(crate) struct ClientModel {
    pub(crate) path: LitStr,
    pub(crate) files: Vec<ModuleFile>,
}

pub(crate) struct Param {
    pub(crate) name: Ident,
    pub(crate) ty: Type,
}

pub(crate) enum HydrateModel {
    Load,
    Idle,
    Visible(Option<LitStr>),
    Media(LitStr),
}

/// An option as written, `key = "value"`: errors about the option as a
/// whole point at both.
struct Given {
    key: Ident,
    value: LitStr,
}

impl Given {
    fn error(&self, message: impl std::fmt::Display) -> syn::Error {
        let (key, value) = (&self.key, &self.value);
        syn::Error::new_spanned(quote::quote!(#key = #value), message)
    }
}

#[derive(Default)]
struct Options {
    defer: Option<Ident>,
    blocking: Option<Ident>,
    client: Option<Given>,
    hydrate: Option<Given>,
    root_margin: Option<Given>,
    media: Option<Given>,
    name: Option<Given>,
    cache: Option<Given>,
    timeout: Option<Given>,
}

fn set<T>(slot: &mut Option<T>, value: T, error: impl FnOnce() -> syn::Error) -> syn::Result<()> {
    if slot.is_some() {
        return Err(error());
    }
    *slot = Some(value);
    Ok(())
}

impl Options {
    fn collect(raw: Vec<RawOption>) -> syn::Result<Options> {
        let mut o = Options::default();
        for option in raw {
            let key = option.key().clone();
            let duplicate = || format!("duplicate option `{key}`: give it once");
            match option {
                RawOption::Flag(k) if k == "defer" => {
                    set(&mut o.defer, k, || syn::Error::new(key.span(), duplicate()))?
                }
                RawOption::Value(k, value) if k == "defer" => {
                    return Err(Given { key: k, value }.error(
                        "`defer` takes no value: write `#[island(defer)]`, and make the fetch \
                         wait for visibility at the call site with `.defer_on_visible()`",
                    ))
                }
                RawOption::Flag(k) if k == "blocking" => set(&mut o.blocking, k, || {
                    syn::Error::new(key.span(), duplicate())
                })?,
                RawOption::Value(k, value) if k == "blocking" => {
                    return Err(Given { key: k, value }
                        .error("`blocking` takes no value: write `#[island(defer, blocking)]`"))
                }
                RawOption::Value(k, value) => {
                    let slot = match k.to_string().as_str() {
                        "client" => &mut o.client,
                        "hydrate" => &mut o.hydrate,
                        "root_margin" => &mut o.root_margin,
                        "media" => &mut o.media,
                        "name" => &mut o.name,
                        "cache" => &mut o.cache,
                        "timeout" => &mut o.timeout,
                        _ => return Err(unknown(&k)),
                    };
                    let given = Given { key: k, value };
                    let error = given.error(duplicate());
                    set(slot, given, || error)?
                }
                RawOption::Flag(k) => {
                    if VALUED.contains(&k.to_string().as_str()) {
                        return Err(syn::Error::new(
                            k.span(),
                            format!("`{k}` needs a value: `{k} = \"…\"`"),
                        ));
                    }
                    return Err(unknown(&k));
                }
            }
        }
        Ok(o)
    }
}

/// The options that take no value.
const FLAGS: [&str; 2] = ["defer", "blocking"];

/// The options that take a value.
const VALUED: [&str; 7] = [
    "client",
    "hydrate",
    "root_margin",
    "media",
    "name",
    "cache",
    "timeout",
];

fn unknown(key: &Ident) -> syn::Error {
    let written = key.to_string();
    let guess = FLAGS
        .into_iter()
        .chain(VALUED)
        .map(|known| (edit_distance(&written, known), known))
        .min()
        .filter(|(d, known)| *d <= 2.max(known.len() / 3))
        .map(|(_, known)| format!(" (did you mean `{known}`?)"))
        .unwrap_or_default();
    syn::Error::new(
        key.span(),
        format!("unknown island option `{key}`{guess}; the options are: {OPTIONS}"),
    )
}

/// Levenshtein distance, for "did you mean".
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

impl Island {
    pub(crate) fn new(raw: Vec<RawOption>, function: ItemFn) -> syn::Result<Island> {
        let o = Options::collect(raw)?;
        let sig = &function.sig;
        let defer = o.defer.is_some();
        if !defer && o.client.is_none() {
            return Err(syn::Error::new(
                attribute_span(),
                "an island needs `defer` (a server island) or `client = \"path/to/module.js\"` \
                 (a hydrated island), or both: e.g. #[island(defer)]",
            ));
        }
        check_signature(sig, defer)?;
        let params = sig
            .inputs
            .iter()
            .map(param)
            .collect::<syn::Result<Vec<_>>>()?;
        if o.client.is_some() {
            check_client_prop_names(&params)?;
        }

        let name = match &o.name {
            Some(given) => {
                let value = given.value.value();
                if !is_valid_name(&value) {
                    return Err(syn::Error::new(
                        given.value.span(),
                        format!(
                            "`{}` is not a valid island name: it must be an ASCII letter \
                             followed by ASCII letters, digits or `_` (at most 64), e.g. \
                             \"UserAvatar\"; the name goes into URLs",
                            value.escape_debug()
                        ),
                    ));
                }
                value
            }
            None => {
                let name = pascal_case(&sig.ident.to_string());
                if !is_valid_name(&name) {
                    return Err(syn::Error::new(
                        sig.ident.span(),
                        format!(
                            "the island name made from this function's name, `{name}`, is not valid \
                             (an ASCII letter followed by ASCII letters, digits or `_`, at \
                             most 64): choose one with `name = \"…\"`"
                        ),
                    ));
                }
                name
            }
        };

        for given in [&o.hydrate, &o.root_margin, &o.media].into_iter().flatten() {
            if o.client.is_none() {
                return Err(given.error(format!(
                    "`{}` chooses when a hydrated island's client module runs, and this \
                     island has none: add `client = \"path/to/module.js\"`",
                    given.key
                )));
            }
        }
        if let Some(cache) = &o.cache {
            if !defer {
                return Err(cache.error(
                    "`cache` sets the Cache-Control of a server island's answer, and only \
                     server islands have one: add `defer`",
                ));
            }
            check_cache_control(&cache.value)?;
        }
        let timeout_ms = match &o.timeout {
            Some(timeout) if !defer => {
                return Err(timeout.error(
                    "`timeout` is the deadline of a server island's answer, and only server \
                     islands have one: add `defer`",
                ))
            }
            Some(timeout) => Some(parse_timeout(&timeout.value)?),
            None => None,
        };
        if let Some(blocking) = &o.blocking {
            check_blocking(blocking, defer, o.client.is_some(), sig)?;
        }
        let hydrate = hydrate_model(&o)?;
        // Last: a missing file is easier to act on once everything else is right.
        let client = match o.client {
            Some(given) => {
                check_client_path(&given.value)?;
                let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
                let files = module_graph(Path::new(&root), &given.value.value())
                    .map_err(|e| syn::Error::new(given.value.span(), e))?;
                Some(ClientModel {
                    path: given.value,
                    files,
                })
            }
            None => None,
        };

        Ok(Island {
            function,
            name,
            params,
            defer,
            client,
            hydrate,
            cache: o.cache.map(|c| c.value),
            timeout_ms,
            blocking: o.blocking.is_some(),
        })
    }
}

/// A hydrated island's props reach its JavaScript module under their Rust
/// names, and mochi marks them used (the module uses them), so `_name`,
/// rustc's usual answer to an unused variable, would only rename the prop
/// the module reads.
fn check_client_prop_names(params: &[Param]) -> syn::Result<()> {
    for param in params {
        let name = param.name.to_string();
        if let Some(js_name) = name.strip_prefix('_') {
            return Err(syn::Error::new(
                param.name.span(),
                format!(
                    "`{name}` reaches the client module as the prop `{name}`, not `{js_name}`: \
                     a hydrated island's props are used by its JavaScript module, so mochi \
                     marks them used in Rust and no `_` is needed; name it `{js_name}`"
                ),
            ));
        }
    }
    Ok(())
}

/// `blocking` moves a sync server island's body to the blocking pool:
/// nothing else has a body that blocks the worker and can leave it.
fn check_blocking(
    blocking: &Ident,
    defer: bool,
    client: bool,
    sig: &syn::Signature,
) -> syn::Result<()> {
    if !defer {
        return Err(syn::Error::new(
            blocking.span(),
            "`blocking` runs a server island's body on actix's blocking pool, and this is \
             not a server island: add `defer` (a hydrated island renders inline, during the \
             page's render)",
        ));
    }
    if client {
        return Err(syn::Error::new(
            blocking.span(),
            "`blocking` is for server islands without a client module: drop `client`, or \
             drop `blocking`, make the island `async` and move the blocking part into \
             `web::block(…)`",
        ));
    }
    if let Some(asyncness) = &sig.asyncness {
        return Err(syn::Error::new(
            asyncness.span(),
            "`blocking` is for sync islands: an `async` island waits at its `.await`s \
             without holding the worker thread; remove `blocking` and move the blocking part \
             into `web::block(…)` (or `tokio::task::spawn_blocking`), or remove `async`",
        ));
    }
    Ok(())
}

fn check_signature(sig: &syn::Signature, defer: bool) -> syn::Result<()> {
    if let Some(asyncness) = &sig.asyncness {
        if !defer {
            return Err(syn::Error::new(
                asyncness.span(),
                "a hydrated island renders inline, during the page's render, so it cannot be \
                 `async`: remove `async`, or add `defer` to make it a server island (those may \
                 be async)",
            ));
        }
    }
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &sig.generics,
            "an island cannot be generic: its endpoint decodes props into concrete types; \
             use concrete parameter types",
        ));
    }
    if let Some(where_clause) = &sig.generics.where_clause {
        return Err(syn::Error::new_spanned(
            where_clause,
            "an island cannot have a `where` clause: its parameters are concrete props",
        ));
    }
    if let Some(variadic) = &sig.variadic {
        return Err(syn::Error::new_spanned(
            variadic,
            "an island cannot be variadic",
        ));
    }
    for (what, span) in [
        ("const", sig.constness.map(|t| t.span)),
        ("unsafe", sig.unsafety.map(|t| t.span)),
        ("extern", sig.abi.as_ref().map(|a| a.extern_token.span)),
    ] {
        if let Some(span) = span {
            return Err(syn::Error::new(
                span,
                format!("an island cannot be `{what}`: remove `{what}`"),
            ));
        }
    }
    match &sig.output {
        syn::ReturnType::Default => {
            // From `fn` to `)`: where the return type is missing.
            let fn_token = &sig.fn_token;
            let close = Ident::new("x", sig.paren_token.span.close());
            Err(syn::Error::new_spanned(
                quote::quote!(#fn_token #close),
                "an island returns its HTML: add `-> Markup` (`maud::Markup`; a server island \
                 may also return `Result<Markup, E>`)",
            ))
        }
        syn::ReturnType::Type(_, ty) => match &**ty {
            Type::ImplTrait(_) | Type::Infer(_) | Type::Never(_) => Err(syn::Error::new_spanned(
                ty,
                "an island returns `maud::Markup` (a server island may also return \
                 `Result<Markup, E>` with `E: Display`)",
            )),
            ty if !defer && last_segment_is(ty, "Result") => Err(syn::Error::new_spanned(
                ty,
                "a hydrated island renders inline and returns `maud::Markup`: only a server \
                 island (`defer`) may return `Result`, since a failure can then fall back to \
                 its fallback HTML",
            )),
            _ => Ok(()),
        },
    }
}

/// Whether `ty` is a path whose last segment is `name`, e.g. `io::Result<T>`.
fn last_segment_is(ty: &Type, name: &str) -> bool {
    match ty {
        Type::Path(p) if p.qself.is_none() => {
            p.path.segments.last().is_some_and(|s| s.ident == name)
        }
        Type::Paren(p) => last_segment_is(&p.elem, name),
        Type::Group(g) => last_segment_is(&g.elem, name),
        _ => false,
    }
}

/// The endpoint sends `cache` as a header value: printable ASCII only.
fn check_cache_control(lit: &LitStr) -> syn::Result<()> {
    let value = lit.value();
    if value.trim().is_empty()
        || !value
            .bytes()
            .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
    {
        return Err(syn::Error::new(
            lit.span(),
            "`cache` is a Cache-Control header value in printable ASCII, e.g. \
             \"public, max-age=60\"",
        ));
    }
    Ok(())
}

/// `"250ms"`, `"2s"` or `"1m"`: a whole number and a unit, at least 1 ms
/// and at most an hour.
fn parse_timeout(lit: &LitStr) -> syn::Result<u64> {
    let value = lit.value();
    let digits = value.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = value.split_at(digits);
    let scale = match unit {
        "ms" => Some(1),
        "s" => Some(1000),
        "m" => Some(60_000),
        _ => None,
    };
    let ms = scale.and_then(|scale| number.parse::<u64>().ok()?.checked_mul(scale));
    match ms {
        Some(ms @ 1..=3_600_000) => Ok(ms),
        _ => Err(syn::Error::new(
            lit.span(),
            "`timeout` is a whole number of `ms`, `s` or `m`, from 1ms to 60m, e.g. \
             `timeout = \"2s\"` or `timeout = \"500ms\"`",
        )),
    }
}

fn hydrate_model(o: &Options) -> syn::Result<HydrateModel> {
    let model = match &o.hydrate {
        None => HydrateModel::Load,
        Some(given) => match given.value.value().as_str() {
            "load" => HydrateModel::Load,
            "idle" => HydrateModel::Idle,
            "visible" => HydrateModel::Visible(None),
            "media" => match &o.media {
                Some(media) => HydrateModel::Media(media.value.clone()),
                None => {
                    return Err(given.error(
                        "`hydrate = \"media\"` needs its media query: add \
                         `media = \"(max-width: 600px)\"`",
                    ))
                }
            },
            other => {
                return Err(syn::Error::new(
                    given.value.span(),
                    format!(
                        "unknown hydration trigger \"{}\"; expected \"load\" (the default), \
                         \"idle\", \"visible\" or \"media\"",
                        other.escape_debug()
                    ),
                ))
            }
        },
    };
    if let Some(media) = &o.media {
        if !matches!(model, HydrateModel::Media(_)) {
            return Err(media.error(
                "`media` is the query of `hydrate = \"media\"`: add `hydrate = \"media\"`",
            ));
        }
        if media.value.value().trim().is_empty() {
            return Err(syn::Error::new(
                media.value.span(),
                "`media` is a CSS media query, e.g. \"(max-width: 600px)\"",
            ));
        }
    }
    match (&o.root_margin, model) {
        (None, model) => Ok(model),
        (Some(margin), HydrateModel::Visible(_)) => {
            check_root_margin(&margin.value)?;
            Ok(HydrateModel::Visible(Some(margin.value.clone())))
        }
        (Some(margin), model) => Err(margin.error(format!(
            "`root_margin` widens the viewport for `hydrate = \"visible\"`, but this island \
             hydrates on \"{}\": use `hydrate = \"visible\"` or drop `root_margin`",
            match model {
                HydrateModel::Load => "load",
                HydrateModel::Idle => "idle",
                HydrateModel::Visible(_) => "visible",
                HydrateModel::Media(_) => "media",
            }
        ))),
    }
}

/// `IntersectionObserver` accepts one to four lengths in `px` or `%` and
/// throws on anything else.
fn check_root_margin(lit: &LitStr) -> syn::Result<()> {
    let value = lit.value();
    let parts: Vec<&str> = value.split_ascii_whitespace().collect();
    let length = |part: &str| {
        let number = part
            .strip_suffix("px")
            .or_else(|| part.strip_suffix('%'))
            .map(|n| n.strip_prefix(['-', '+']).unwrap_or(n));
        number.is_some_and(|n| {
            !n.is_empty()
                && !n.starts_with('.')
                && !n.ends_with('.')
                && n.bytes().filter(|b| *b == b'.').count() <= 1
                && n.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        })
    };
    if parts.is_empty() || parts.len() > 4 || !parts.iter().all(|p| length(p)) {
        return Err(syn::Error::new(
            lit.span(),
            "`root_margin` is one to four lengths in `px` or `%`, as for \
             IntersectionObserver, e.g. \"200px\" or \"10% 0px\"",
        ));
    }
    Ok(())
}

fn param(arg: &FnArg) -> syn::Result<Param> {
    let typed = match arg {
        FnArg::Receiver(r) => {
            return Err(syn::Error::new_spanned(
                r,
                "an island is a free function, not a method: its props are its parameters, \
                 and there is no `self` to send to the browser and back; move it out of the \
                 `impl` and pass the fields it needs as parameters",
            ))
        }
        FnArg::Typed(t) => t,
    };
    let name = match &*typed.pat {
        Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => p.ident.clone(),
        other => {
            return Err(syn::Error::new_spanned(
                other,
                "an island's parameters must be plain names, like `count: u32`: each one \
                 becomes a prop of that name; destructure inside the body",
            ))
        }
    };
    if let Some((offender, hint)) = borrowed(&typed.ty) {
        return Err(syn::Error::new_spanned(
            offender,
            format!(
                "island props must be owned{hint}: they are serialized into the page and \
                 deserialized again, so they cannot borrow"
            ),
        ));
    }
    let impl_trait = match &*typed.ty {
        Type::ImplTrait(t) => Some(t.to_token_stream()),
        ty => find_ident(ty.to_token_stream(), "impl").map(|i| i.to_token_stream()),
    };
    if let Some(offender) = impl_trait {
        return Err(syn::Error::new_spanned(
            offender,
            "island props need a concrete type, not `impl Trait`: they are deserialized \
             into it",
        ));
    }
    if let Some(t) = find_ident(typed.ty.to_token_stream(), "Self") {
        return Err(syn::Error::new(
            t.span(),
            "island props cannot name `Self`: the props live in a struct of their own; \
             write the type's name",
        ));
    }
    Ok(Param {
        name,
        ty: (*typed.ty).clone(),
    })
}

/// The first identifier (or keyword) `word` in `tokens`, at any depth.
fn find_ident(tokens: TokenStream, word: &str) -> Option<Ident> {
    tokens.into_iter().find_map(|tt| match tt {
        proc_macro2::TokenTree::Ident(i) if i == word => Some(i),
        proc_macro2::TokenTree::Group(g) => find_ident(g.stream(), word),
        _ => None,
    })
}

/// The first borrow anywhere in `ty`, and a hint for the owned type.
fn borrowed(ty: &Type) -> Option<(TokenStream, &'static str)> {
    match ty {
        Type::Reference(r) => {
            let hint = match &*r.elem {
                Type::Path(p) if p.path.is_ident("str") => " (`String`, not `&str`)",
                Type::Slice(_) => " (`Vec<T>`, not `&[T]`)",
                _ => " (drop the `&`)",
            };
            Some((r.to_token_stream(), hint))
        }
        Type::Paren(p) => borrowed(&p.elem),
        Type::Group(g) => borrowed(&g.elem),
        Type::Array(a) => borrowed(&a.elem),
        Type::Slice(s) => borrowed(&s.elem),
        Type::Tuple(t) => t.elems.iter().find_map(borrowed),
        Type::Path(p) => p.path.segments.iter().find_map(|seg| match &seg.arguments {
            syn::PathArguments::AngleBracketed(args) => args.args.iter().find_map(|a| match a {
                syn::GenericArgument::Type(t) => borrowed(t),
                // `Cow<'static, str>` deserializes owned; other lifetimes borrow.
                syn::GenericArgument::Lifetime(l) if l.ident != "static" => {
                    Some((l.to_token_stream(), ""))
                }
                _ => None,
            }),
            _ => None,
        }),
        _ => None,
    }
}

fn check_client_path(lit: &LitStr) -> syn::Result<()> {
    let path = lit.value();
    if path.is_empty() || Path::new(&path).is_absolute() {
        return Err(syn::Error::new(
            lit.span(),
            "`client` is a path relative to the crate's Cargo.toml, e.g. \"static/counter.js\"",
        ));
    }
    if !path.ends_with(".js") && !path.ends_with(".mjs") {
        return Err(syn::Error::new(
            lit.span(),
            "a client module is a JavaScript file (`.js` or `.mjs`)",
        ));
    }
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    if !Path::new(&root).join(&path).is_file() {
        // Named by package, not by absolute path: the message stays the
        // same wherever the crate is built.
        let package = std::env::var("CARGO_PKG_NAME").unwrap_or_else(|_| "this crate".into());
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "client module `{path}` not found: `client` paths are relative to the \
                 directory of the Cargo.toml of the crate being built (`{package}`), \
                 e.g. \"static/counter.js\""
            ),
        ));
    }
    Ok(())
}

/// The same rule as the runtime's: a letter, then letters, digits or `_`.
fn is_valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b[0].is_ascii_alphabetic()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// `user_avatar` → `UserAvatar`.
pub(crate) fn pascal_case(snake: &str) -> String {
    snake
        .trim_start_matches("r#")
        .split('_')
        .filter(|w| !w.is_empty())
        .flat_map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase())
                .into_iter()
                .chain(c)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{check_cache_control, check_root_margin, edit_distance, pascal_case};
    use proc_macro2::Span;
    use syn::LitStr;

    #[test]
    fn pascal() {
        assert_eq!(pascal_case("user_avatar"), "UserAvatar");
        assert_eq!(pascal_case("counter"), "Counter");
        assert_eq!(pascal_case("cart_count2"), "CartCount2");
        assert_eq!(pascal_case("_x__y"), "XY");
        assert_eq!(pascal_case("r#type"), "Type");
    }

    #[test]
    fn distance() {
        assert_eq!(edit_distance("defer", "defer"), 0);
        assert_eq!(edit_distance("defered", "defer"), 2);
        assert_eq!(edit_distance("hydrat", "hydrate"), 1);
        assert_eq!(edit_distance("", "name"), 4);
        assert_eq!(edit_distance("rootmargin", "root_margin"), 1);
    }

    fn lit(s: &str) -> LitStr {
        LitStr::new(s, Span::call_site())
    }

    #[test]
    fn root_margins() {
        for ok in [
            "200px",
            "0px",
            "-10px",
            "10%",
            "1.5px",
            "10px 0px",
            "1px 2px 3px 4%",
        ] {
            assert!(check_root_margin(&lit(ok)).is_ok(), "{ok}");
        }
        for bad in [
            "",
            " ",
            "200",
            "0",
            "px",
            "10em",
            "1px 2px 3px 4px 5px",
            ".5px",
            "5.px",
        ] {
            assert!(check_root_margin(&lit(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn timeouts() {
        use super::parse_timeout;
        for (ok, ms) in [("1ms", 1), ("250ms", 250), ("2s", 2000), ("60m", 3_600_000)] {
            assert_eq!(parse_timeout(&lit(ok)).unwrap(), ms, "{ok:?}");
        }
        for bad in [
            "",
            "2",
            "s",
            "0s",
            "1.5s",
            "2 s",
            "-1s",
            "61m",
            "2h",
            "99999999999999999999s",
        ] {
            assert!(parse_timeout(&lit(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn cache_controls() {
        for ok in ["public, max-age=60", "no-cache", "private,\tmax-age=0"] {
            assert!(check_cache_control(&lit(ok)).is_ok(), "{ok:?}");
        }
        for bad in ["", "  ", "public\nmax-age=60", "max-age=60\r", "caf\u{e9}"] {
            assert!(check_cache_control(&lit(bad)).is_err(), "{bad:?}");
        }
    }
}

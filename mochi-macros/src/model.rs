//! Checks the options against the function and describes the island.

use std::path::Path;

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{FnArg, Ident, ItemFn, LitStr, Pat, Type};

use crate::parse::{attribute_span, RawOption};

const OPTIONS: &str = "defer, client, hydrate, root_margin, media, name, cache";

/// A validated island.
pub(crate) struct Island {
    pub(crate) function: ItemFn,
    /// Endpoint name, e.g. `UserAvatar`.
    pub(crate) name: String,
    pub(crate) params: Vec<Param>,
    /// Server island: rendered by the endpoint.
    pub(crate) defer: bool,
    /// Hydrated: the module path, relative to the crate root.
    pub(crate) client: Option<LitStr>,
    pub(crate) hydrate: HydrateModel,
    pub(crate) cache: Option<LitStr>,
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

#[derive(Default)]
struct Options {
    defer: Option<Ident>,
    client: Option<LitStr>,
    hydrate: Option<LitStr>,
    root_margin: Option<LitStr>,
    media: Option<LitStr>,
    name: Option<LitStr>,
    cache: Option<LitStr>,
}

fn set<T>(slot: &mut Option<T>, key: &Ident, value: T) -> syn::Result<()> {
    if slot.replace(value).is_some() {
        return Err(syn::Error::new(
            key.span(),
            format!("duplicate option `{key}`: give it once"),
        ));
    }
    Ok(())
}

impl Options {
    fn collect(raw: Vec<RawOption>) -> syn::Result<Options> {
        let mut o = Options::default();
        for option in raw {
            let key = option.key().clone();
            match (key.to_string().as_str(), option) {
                ("defer", RawOption::Flag(k)) => set(&mut o.defer, &key, k)?,
                ("client", RawOption::Value(_, v)) => set(&mut o.client, &key, v)?,
                ("hydrate", RawOption::Value(_, v)) => set(&mut o.hydrate, &key, v)?,
                ("root_margin", RawOption::Value(_, v)) => set(&mut o.root_margin, &key, v)?,
                ("media", RawOption::Value(_, v)) => set(&mut o.media, &key, v)?,
                ("name", RawOption::Value(_, v)) => set(&mut o.name, &key, v)?,
                ("cache", RawOption::Value(_, v)) => set(&mut o.cache, &key, v)?,
                ("defer", RawOption::Value(..)) => {
                    return Err(syn::Error::new(
                        key.span(),
                        "`defer` takes no value: write `#[island(defer)]` and choose \
                         visibility at the call site with `.defer_on_visible()`",
                    ))
                }
                ("client" | "hydrate" | "root_margin" | "media" | "name" | "cache", _) => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("`{key}` needs a value: {key} = \"…\""),
                    ))
                }
                _ => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("unknown island option `{key}`; expected one of: {OPTIONS}"),
                    ))
                }
            }
        }
        Ok(o)
    }
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
                 (a hydrated island), or both",
            ));
        }
        if let Some(asyncness) = &sig.asyncness {
            if !defer {
                return Err(syn::Error::new(
                    asyncness.span(),
                    "hydrated islands render inline during the page and must not be `async`; \
                     add `defer` to make this a server island, which may be",
                ));
            }
        }
        if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
            return Err(syn::Error::new(
                sig.generics.span(),
                "islands cannot be generic: the endpoint must know the concrete props type",
            ));
        }
        for (what, present, span) in [
            ("const", sig.constness.is_some(), sig.constness.span()),
            ("unsafe", sig.unsafety.is_some(), sig.unsafety.span()),
            ("extern", sig.abi.is_some(), sig.abi.span()),
        ] {
            if present {
                return Err(syn::Error::new(
                    span,
                    format!("an island cannot be `{what}`"),
                ));
            }
        }
        if matches!(sig.output, syn::ReturnType::Default) {
            return Err(syn::Error::new(
                sig.ident.span(),
                "an island must return `maud::Markup` (or `Result<Markup, E>` for a server island)",
            ));
        }
        let params = sig
            .inputs
            .iter()
            .map(param)
            .collect::<syn::Result<Vec<_>>>()?;

        let name = match &o.name {
            Some(lit) => {
                let value = lit.value();
                if !is_valid_name(&value) {
                    return Err(syn::Error::new(
                        lit.span(),
                        "an island name is an ASCII letter followed by letters, digits or `_` \
                         (at most 64), e.g. \"UserAvatar\"",
                    ));
                }
                value
            }
            None => pascal_case(&sig.ident.to_string()),
        };

        if let Some(client) = &o.client {
            check_client_path(client)?;
        }
        let client_only = |key: &Option<LitStr>, what: &str| match key {
            Some(lit) if o.client.is_none() => Err(syn::Error::new(
                lit.span(),
                format!("`{what}` applies to hydrated islands: add `client = \"…\"`"),
            )),
            _ => Ok(()),
        };
        client_only(&o.hydrate, "hydrate")?;
        client_only(&o.root_margin, "root_margin")?;
        client_only(&o.media, "media")?;
        if let (Some(cache), false) = (&o.cache, defer) {
            return Err(syn::Error::new(
                cache.span(),
                "`cache` sets the Cache-Control of a server island's answer: add `defer`",
            ));
        }
        let hydrate = hydrate_model(&o)?;

        Ok(Island {
            function,
            name,
            params,
            defer,
            client: o.client,
            hydrate,
            cache: o.cache,
        })
    }
}

fn hydrate_model(o: &Options) -> syn::Result<HydrateModel> {
    let trigger = o.hydrate.as_ref().map(|l| (l.value(), l));
    let model = match (trigger, &o.media) {
        (None, Some(media)) => HydrateModel::Media(media.clone()),
        (Some((t, _)), Some(media)) if t == "media" => HydrateModel::Media(media.clone()),
        (Some((t, lit)), None) if t == "media" => {
            return Err(syn::Error::new(
                lit.span(),
                "`hydrate = \"media\"` needs the query: media = \"(max-width: 600px)\"",
            ))
        }
        (Some(_), Some(media)) => {
            return Err(syn::Error::new(
                media.span(),
                "`media` only goes with `hydrate = \"media\"`",
            ))
        }
        (Some((t, _)), None) if t == "visible" => HydrateModel::Visible(o.root_margin.clone()),
        (Some((t, lit)), None) => match t.as_str() {
            "load" => HydrateModel::Load,
            "idle" => HydrateModel::Idle,
            _ => return Err(syn::Error::new(
                lit.span(),
                "unknown hydration trigger; expected \"load\", \"idle\", \"visible\" or \"media\"",
            )),
        },
        (None, None) => HydrateModel::Load,
    };
    if let (Some(margin), false) = (&o.root_margin, matches!(model, HydrateModel::Visible(_))) {
        return Err(syn::Error::new(
            margin.span(),
            "`root_margin` only goes with `hydrate = \"visible\"`",
        ));
    }
    Ok(model)
}

fn param(arg: &FnArg) -> syn::Result<Param> {
    let typed = match arg {
        FnArg::Receiver(r) => {
            return Err(syn::Error::new(
                r.span(),
                "islands are free functions: props are the parameters, there is no `self`",
            ))
        }
        FnArg::Typed(t) => t,
    };
    let name = match &*typed.pat {
        Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => p.ident.clone(),
        other => {
            return Err(syn::Error::new(
                other.span(),
                "island parameters must be plain names (`count: u32`): each becomes a prop",
            ))
        }
    };
    if let Some(span) = borrowed(&typed.ty) {
        return Err(syn::Error::new(
            span,
            "island props must be owned (e.g. `String`, not `&str`): they are serialized \
             into the page and deserialized again",
        ));
    }
    if let Type::ImplTrait(t) = &*typed.ty {
        return Err(syn::Error::new(
            t.span(),
            "island props need a concrete type, not `impl Trait`",
        ));
    }
    Ok(Param {
        name,
        ty: (*typed.ty).clone(),
    })
}

/// The span of a reference anywhere in `ty`, if any.
fn borrowed(ty: &Type) -> Option<Span> {
    match ty {
        Type::Reference(r) => Some(r.and_token.span()),
        Type::Paren(p) => borrowed(&p.elem),
        Type::Group(g) => borrowed(&g.elem),
        Type::Array(a) => borrowed(&a.elem),
        Type::Slice(s) => borrowed(&s.elem),
        Type::Tuple(t) => t.elems.iter().find_map(borrowed),
        Type::Path(p) => p.path.segments.iter().find_map(|seg| match &seg.arguments {
            syn::PathArguments::AngleBracketed(args) => args.args.iter().find_map(|a| match a {
                syn::GenericArgument::Type(t) => borrowed(t),
                syn::GenericArgument::Lifetime(l) => Some(l.span()),
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
    let full = Path::new(&root).join(&path);
    if !full.is_file() {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "client module `{path}` not found (looked for {}); paths are relative to the \
                 crate's Cargo.toml",
                full.display()
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
    use super::pascal_case;

    #[test]
    fn pascal() {
        assert_eq!(pascal_case("user_avatar"), "UserAvatar");
        assert_eq!(pascal_case("counter"), "Counter");
        assert_eq!(pascal_case("cart_count2"), "CartCount2");
        assert_eq!(pascal_case("_x__y"), "XY");
    }
}

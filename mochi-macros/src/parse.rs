//! Reads `#[island(...)]` arguments: flags and `key = "value"` pairs.

use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, LitStr, Meta, Token};

/// One argument as written.
pub(crate) enum RawOption {
    /// A bare word, e.g. `defer`.
    Flag(syn::Ident),
    /// `key = "value"`.
    Value(syn::Ident, LitStr),
}

impl RawOption {
    pub(crate) fn key(&self) -> &syn::Ident {
        match self {
            RawOption::Flag(k) | RawOption::Value(k, _) => k,
        }
    }
}

pub(crate) fn parse_options(args: TokenStream) -> syn::Result<Vec<RawOption>> {
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args)?;
    metas
        .into_iter()
        .map(|meta| match meta {
            Meta::Path(path) => path
                .get_ident()
                .cloned()
                .map(RawOption::Flag)
                .ok_or_else(|| syn::Error::new_spanned(path, "expected an option name")),
            Meta::NameValue(nv) => {
                let key =
                    nv.path.get_ident().cloned().ok_or_else(|| {
                        syn::Error::new_spanned(&nv.path, "expected an option name")
                    })?;
                match nv.value {
                    Expr::Lit(ExprLit {
                        lit: Lit::Str(s), ..
                    }) => Ok(RawOption::Value(key, s)),
                    other => Err(syn::Error::new_spanned(
                        other,
                        format!("`{key}` takes a string literal: `{key} = \"…\"`"),
                    )),
                }
            }
            Meta::List(list) => Err(syn::Error::new_spanned(
                list,
                "expected `option` or `option = \"value\"`",
            )),
        })
        .collect()
}

/// The span to blame for the attribute as a whole.
pub(crate) fn attribute_span() -> Span {
    Span::call_site()
}

//! Writes the code for a validated island.
//!
//! The user's function keeps its name and visibility but now returns the
//! call-site value (`ServerIsland` or `HydratedIsland`). Everything else —
//! the props struct, the original body, the endpoint and the registration —
//! lives inside it, out of the user's namespace.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use crate::model::{HydrateModel, Island};

pub(crate) fn generate(island: &Island) -> TokenStream {
    let f = &island.function;
    let attrs = &f.attrs;
    let vis = &f.vis;
    let ident = &f.sig.ident;
    let inputs = &f.sig.inputs;
    let output = &f.sig.output;
    let asyncness = &f.sig.asyncness;
    let body = &f.block;
    let name = &island.name;
    let fields: Vec<_> = island.params.iter().map(|p| &p.name).collect();
    let types: Vec<_> = island.params.iter().map(|p| &p.ty).collect();
    let has_props = !island.params.is_empty();
    let p = quote!(::mochi::__private);

    let derive_de = island
        .defer
        .then(|| quote!(#[derive(#p::serde::Deserialize)]));
    let props_struct = quote! {
        #[derive(#p::serde::Serialize)]
        #derive_de
        #[serde(crate = "::mochi::__private::serde")]
        struct __MochiProps { #(#fields: #types,)* }
    };
    let render_fn = quote! {
        #[allow(clippy::too_many_arguments)]
        #asyncness fn __mochi_render(#inputs) #output #body
    };

    let (endpoint_fn, endpoint) = if island.defer {
        let call = match asyncness {
            Some(_) => quote!(__mochi_render(#(#fields),*).await),
            None => quote!(__mochi_render(#(#fields),*)),
        };
        let ret = match output {
            syn::ReturnType::Type(_, ty) => ty,
            syn::ReturnType::Default => unreachable!("checked in the model"),
        };
        // Blames the return type, not generated code, when it cannot be an
        // island's result.
        let check = quote_spanned! {ret.span()=>
            fn __mochi_returns<T: #p::IntoIslandResult>(t: T) -> T { t }
        };
        (
            quote! {
                #check
                fn __mochi_endpoint(
                    text: &str,
                ) -> ::core::result::Result<#p::IslandFuture, ::mochi::devalue::Error> {
                    let __MochiProps { #(#fields),* } = ::mochi::devalue::from_str(text)?;
                    ::core::result::Result::Ok(#p::endpoint_future(async move {
                        __mochi_returns(#call)
                    }))
                }
            },
            quote!(::core::option::Option::Some(__mochi_endpoint as #p::EndpointFn)),
        )
    } else {
        (quote!(), quote!(::core::option::Option::None))
    };

    let (client_static, client) = match &island.client {
        Some(path) => (
            quote! {
                static __MOCHI_CLIENT: #p::ClientModule = #p::ClientModule::new(
                    ::core::include_str!(::core::concat!(
                        ::core::env!("CARGO_MANIFEST_DIR"), "/", #path
                    )),
                    #path,
                );
            },
            quote!(::core::option::Option::Some(&__MOCHI_CLIENT)),
        ),
        None => (quote!(), quote!(::core::option::Option::None)),
    };

    let hydrate = match &island.hydrate {
        HydrateModel::Load => quote!(#p::Hydrate::Load),
        HydrateModel::Idle => quote!(#p::Hydrate::Idle),
        HydrateModel::Visible(None) => {
            quote!(#p::Hydrate::Visible { root_margin: ::core::option::Option::None })
        }
        HydrateModel::Visible(Some(margin)) => quote!(#p::Hydrate::Visible {
            root_margin: ::core::option::Option::Some(#p::Cow::Borrowed(#margin))
        }),
        HydrateModel::Media(query) => quote!(#p::Hydrate::Media(#p::Cow::Borrowed(#query))),
    };
    let cache = match &island.cache {
        Some(c) => quote!(::core::option::Option::Some(#c)),
        None => quote!(::core::option::Option::None),
    };

    let (returns, call_site) = if island.defer {
        (
            quote!(::mochi::ServerIsland),
            quote!(#p::server_island(&__MOCHI_DEF, &__MochiProps { #(#fields),* })),
        )
    } else {
        (
            quote!(::mochi::HydratedIsland),
            quote! {
                #p::hydrated_island(
                    &__MOCHI_DEF,
                    __MochiProps { #(#fields),* },
                    |__MochiProps { #(#fields),* }| __mochi_render(#(#fields),*),
                )
            },
        )
    };

    quote! {
        #(#attrs)*
        #[allow(clippy::too_many_arguments)]
        #vis fn #ident(#(#fields: #types),*) -> #returns {
            #props_struct
            #render_fn
            #endpoint_fn
            #client_static
            static __MOCHI_DEF: #p::IslandDef = #p::IslandDef {
                name: #name,
                module_path: ::core::module_path!(),
                file: ::core::file!(),
                line: ::core::line!(),
                endpoint: #endpoint,
                client: #client,
                hydrate: #hydrate,
                cache_control: #cache,
                has_props: #has_props,
            };
            #p::inventory::submit! { #p::Registration(&__MOCHI_DEF) }
            #call_site
        }
    }
}

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
    let fn_token = &f.sig.fn_token;
    let inputs = &f.sig.inputs;
    let output = &f.sig.output;
    let asyncness = &f.sig.asyncness;
    let body = &f.block;
    let name = &island.name;
    let fields: Vec<_> = island.params.iter().map(|p| &p.name).collect();
    let types: Vec<_> = island.params.iter().map(|p| &p.ty).collect();
    let has_props = !island.params.is_empty();
    let p = quote!(::mochi::__private);

    // serde reaches each field through these helpers, named by a string
    // spanned at the field's type: when a type is not `Serialize` or
    // `Deserialize`, the error points at that type, not at the attribute.
    let field_attrs = island.params.iter().map(|param| {
        let span = param.ty.span();
        // The type as a type argument: serde's call passes a value whose
        // span is the attribute's, and rustc would blame that instead.
        let ty = &param.ty;
        let ser = syn::LitStr::new(&format!("__mochi_ser::<{}, _>", quote!(#ty)), span);
        let de = syn::LitStr::new("__mochi_de", span);
        let de = island
            .defer
            .then(|| quote!(#[serde(deserialize_with = #de)]));
        quote!(#[serde(serialize_with = #ser)] #de)
    });
    let derive_de = island
        .defer
        .then(|| quote!(#[derive(#p::serde::Deserialize)]));
    let de_helper = island.defer.then(|| {
        quote! {
            fn __mochi_de<'de, T, D>(d: D) -> ::core::result::Result<T, D::Error>
            where
                T: #p::serde::Deserialize<'de>,
                D: #p::serde::Deserializer<'de>,
            {
                T::deserialize(d)
            }
        }
    });
    let props_struct = quote! {
        fn __mochi_ser<T, S>(t: &T, s: S) -> ::core::result::Result<S::Ok, S::Error>
        where
            T: #p::serde::Serialize + ?::core::marker::Sized,
            S: #p::serde::Serializer,
        {
            t.serialize(s)
        }
        #de_helper
        #[derive(#p::serde::Serialize)]
        #derive_de
        #[serde(crate = "::mochi::__private::serde")]
        struct __MochiProps { #(#field_attrs #fields: #types,)* }
    };
    // A client module uses the props the Rust body may not: they are used.
    let body = match island.client {
        Some(_) => quote!({ #(let _ = &#fields;)* #body }),
        None => quote!(#body),
    };
    let render_fn = quote! {
        #[allow(clippy::too_many_arguments)]
        #asyncness fn __mochi_render(#inputs) #output #body
    };

    let (endpoint_fn, endpoint) = if island.defer {
        let ret = return_type(output);
        // The return type as a type argument: if it is not `Markup` or
        // `Result<Markup, E: Display>`, the error points at it. A sync
        // island's body runs inside an `async` block too: one path for both.
        let call = match asyncness {
            Some(_) => quote!(__mochi_render(#(#fields),*).await),
            None => quote!(__mochi_render(#(#fields),*)),
        };
        let (sent, render) = if island.blocking {
            // The props move to a thread of the blocking pool: each must be
            // `Send`, checked at its own type. A prop that is not gets an
            // error type here, so the closure carrying it is not blamed
            // a second time.
            let sent = island.params.iter().map(|param| {
                let (name, ty) = (&param.name, &param.ty);
                let checked = quote_spanned! {ty.span()=>
                    <#ty as #p::BlockingIslandProp>::Checked
                };
                quote!(let #name: #checked = #name;)
            });
            let render = quote! {
                #p::blocking_future::<#ret, _>(move || __mochi_render(#(#fields),*))
            };
            (quote!(#(#sent)*), render)
        } else {
            let render = quote!(#p::endpoint_future::<#ret, _>(async move { #call }));
            (quote!(), render)
        };
        (
            quote! {
                fn __mochi_endpoint(
                    text: &str,
                ) -> ::core::result::Result<#p::IslandFuture, ::mochi::devalue::Error> {
                    let __MochiProps { #(#fields),* } = ::mochi::devalue::from_str(text)?;
                    #sent
                    ::core::result::Result::Ok(#render)
                }
            },
            quote!(::core::option::Option::Some(__mochi_endpoint as #p::EndpointFn)),
        )
    } else {
        (quote!(), quote!(::core::option::Option::None))
    };

    let (client_static, client) = match &island.client {
        Some(module) => {
            // Each file of the module's import graph, embedded (so a change
            // to any of them rebuilds the crate), with where its imports are.
            let files = module.files.iter().map(|file| {
                let path = syn::LitStr::new(&file.path, module.path.span());
                let imports = file.imports.iter().map(|import| {
                    let (at, len, to) = (import.at, import.len, import.file);
                    quote!(#p::ClientImport { at: #at, len: #len, file: #to })
                });
                quote! {
                    #p::ClientFile {
                        path: #path,
                        source: ::core::include_str!(::core::concat!(
                            ::core::env!("CARGO_MANIFEST_DIR"), "/", #path
                        )),
                        imports: &[#(#imports),*],
                    }
                }
            });
            (
                quote! {
                    static __MOCHI_CLIENT: #p::ClientModule =
                        #p::ClientModule::new(&[#(#files),*]);
                },
                quote!(::core::option::Option::Some(&__MOCHI_CLIENT)),
            )
        }
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
    let timeout = match island.timeout_ms {
        Some(ms) => quote! {
            ::core::option::Option::Some(::core::time::Duration::from_millis(#ms))
        },
        None => quote!(::core::option::Option::None),
    };

    let blocking = island.blocking;

    // A hydrated island's props as its client module sees them.
    let ts_props = if island.client.is_some() {
        let props = fields.iter().zip(types.iter()).map(|(field, ty)| {
            // The key the module reads: `r#type` is `type` in JavaScript.
            let name = syn::ext::IdentExt::unraw(*field).to_string();
            quote! {
                #p::TsProp {
                    name: #name,
                    ts: {
                        fn __mochi_ts() -> ::std::string::String {
                            #[allow(unused_imports)]
                            use #p::{TsKnown as _, TsUnknown as _};
                            (&&#p::TsProbe::<#ty>::new()).ts_type()
                        }
                        __mochi_ts
                    },
                }
            }
        });
        quote!(&[#(#props),*])
    } else {
        quote!(&[])
    };

    // A hydrated island must return `Markup`: a mismatch points at its
    // return type.
    let render_call = quote_spanned! {return_type(output).span()=>
        __mochi_render(#(#fields),*)
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
                    |__MochiProps { #(#fields),* }| #render_call,
                )
            },
        )
    };

    quote! {
        #(#attrs)*
        #[allow(clippy::too_many_arguments)]
        #vis #fn_token #ident(#(#fields: #types),*) -> #returns {
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
                timeout: #timeout,
                blocking: #blocking,
                has_props: #has_props,
                ts_props: #ts_props,
            };
            #p::inventory::submit! { #p::Registration(&__MOCHI_DEF) }
            #call_site
        }
    }
}

fn return_type(output: &syn::ReturnType) -> &syn::Type {
    match output {
        syn::ReturnType::Type(_, ty) => ty,
        syn::ReturnType::Default => unreachable!("checked in the model"),
    }
}

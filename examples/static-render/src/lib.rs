//! mochi without a server: a page with a server island and a hydrated
//! island, rendered to a string by the core alone (`mochi` with
//! `default-features = false`, so no server integration is compiled).
//! Static site generators, emails and snapshot tests render this way; the
//! page's islands load from whichever server serves `/_mochi/…` under the
//! same `MOCHI_KEY`.

use maud::{html, Markup, DOCTYPE};

/// A server island: the page carries its fallback and signed props.
#[mochi::island(defer)]
pub fn price_badge(product: u32) -> Markup {
    html! { span.price { "price of " (product) } }
}

/// A hydrated island: rendered inline, its props in the page's props table.
#[mochi::island(client = "static/stars.js")]
pub fn stars(product: u32, rating: u8) -> Markup {
    html! { span.stars { (rating) " stars for " (product) } }
}

/// The catalog page for `products`.
pub fn catalog(products: &[u32]) -> Markup {
    html! {
        (DOCTYPE)
        html {
            head { (mochi::runtime_script()) }
            body {
                @for &product in products {
                    article {
                        (price_badge(product).fallback(html! { "…" }))
                        (stars(product, 4))
                    }
                }
            }
        }
    }
}

/// The page rendered under `mochi`'s keys.
pub fn render(mochi: &mochi::Mochi, products: &[u32]) -> String {
    mochi.render_page(|| catalog(products)).into_string()
}

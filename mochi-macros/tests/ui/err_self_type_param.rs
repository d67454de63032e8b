#[derive(serde::Serialize, serde::Deserialize)]
struct Cart {
    items: u32,
}

impl Cart {
    #[mochi::island(defer)]
    fn summary(cart: Self) -> maud::Markup {
        maud::html! { (cart.items) }
    }
}

fn main() {}

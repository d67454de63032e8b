#[mochi::island(defer, name = "Cart", name = "Basket")]
fn cart_count(items: u32) -> maud::Markup {
    maud::html! { (items) }
}

fn main() {}

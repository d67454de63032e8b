#[mochi::island(defer, blocking = "yes")]
fn stock_level(product: u32) -> maud::Markup {
    maud::html! { (product) }
}

fn main() {}

#[mochi::island(defer)]
const fn cart_count(items: u32) -> maud::Markup {
    maud::html! { (items) }
}

fn main() {}

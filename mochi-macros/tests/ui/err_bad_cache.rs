#[mochi::island(defer, cache = "public,\nmax-age=60")]
fn cart_count(items: u32) -> maud::Markup {
    maud::html! { (items) }
}

fn main() {}

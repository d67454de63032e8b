#[mochi::island(defer)]
fn cart_count(items: u32) -> impl maud::Render {
    items
}

fn main() {}

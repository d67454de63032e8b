#[mochi::island(defer)]
fn café(cups: u32) -> maud::Markup {
    maud::html! { (cups) }
}

fn main() {}

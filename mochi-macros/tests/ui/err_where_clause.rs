#[mochi::island(defer)]
fn show(value: u32) -> maud::Markup
where
    u32: Copy,
{
    maud::html! { (value) }
}

fn main() {}

#[mochi::island(defer)]
fn label(text: impl Into<String>) -> maud::Markup {
    maud::html! { (text.into()) }
}

fn main() {}

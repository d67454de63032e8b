#[mochi::island(defer)]
fn show<T: serde::Serialize>(value: T) -> maud::Markup {
    maud::html! { "?" }
}

fn main() {}

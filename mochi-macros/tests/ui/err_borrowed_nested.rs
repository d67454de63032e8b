#[mochi::island(defer)]
fn tags(tags: Vec<&'static str>) -> maud::Markup {
    maud::html! { (tags.len()) }
}

fn main() {}

#[mochi::island(defer)]
fn labels(labels: Vec<impl Into<String>>) -> maud::Markup {
    maud::html! { (labels.len()) }
}

fn main() {}

#[mochi::island(client)]
fn counter(start: i64) -> maud::Markup {
    maud::html! { (start) }
}

fn main() {}

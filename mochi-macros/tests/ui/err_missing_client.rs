#[mochi::island(client = "static/no_such_module.js")]
fn counter(start: i64) -> maud::Markup {
    maud::html! { (start) }
}

fn main() {}

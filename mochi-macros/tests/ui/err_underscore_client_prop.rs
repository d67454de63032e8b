#[mochi::island(client = "static/counter.js")]
fn counter(_start: i64) -> maud::Markup {
    maud::html! { "0" }
}

fn main() {}

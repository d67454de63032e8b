#[mochi::island(client = "static/counter.js", hydrate = "scroll")]
fn counter(start: i64) -> maud::Markup {
    maud::html! { (start) }
}

fn main() {}

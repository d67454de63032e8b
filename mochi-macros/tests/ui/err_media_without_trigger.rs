#[mochi::island(client = "static/counter.js", media = "(max-width: 600px)")]
fn counter(start: i64) -> maud::Markup {
    maud::html! { (start) }
}

fn main() {}

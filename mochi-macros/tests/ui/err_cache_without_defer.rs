#[mochi::island(client = "static/counter.js", cache = "public, max-age=60")]
fn counter(start: i64) -> maud::Markup {
    maud::html! { (start) }
}

fn main() {}

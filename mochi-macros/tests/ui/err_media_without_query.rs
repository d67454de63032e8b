#[mochi::island(client = "static/counter.js", hydrate = "media")]
fn counter(start: i64) -> maud::Markup {
    maud::html! { (start) }
}

fn main() {}

#[mochi::island(client = "static/counter.js", hydrate = "visible", root_margin = "200")]
fn counter(start: i64) -> maud::Markup {
    maud::html! { (start) }
}

fn main() {}

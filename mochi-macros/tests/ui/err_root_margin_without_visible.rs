#[mochi::island(client = "static/counter.js", hydrate = "idle", root_margin = "200px")]
fn counter(start: i64) -> maud::Markup {
    maud::html! { (start) }
}

fn main() {}

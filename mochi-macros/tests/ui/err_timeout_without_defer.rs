#[mochi::island(client = "static/counter.js", timeout = "2s")]
fn counter() -> maud::Markup {
    maud::html! { "…" }
}

fn main() {}

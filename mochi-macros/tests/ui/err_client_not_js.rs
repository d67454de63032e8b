#[mochi::island(client = "static/counter.ts")]
fn counter(start: i64) -> maud::Markup {
    maud::html! { (start) }
}

fn main() {}

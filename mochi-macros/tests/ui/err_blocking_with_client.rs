#[mochi::island(defer, client = "static/counter.js", blocking)]
fn counter(start: i64) -> maud::Markup {
    maud::html! { (start) }
}

fn main() {}

#[mochi::island(defer, timeout = "2 seconds")]
fn slow_badge() -> maud::Markup {
    maud::html! { "…" }
}

fn main() {}

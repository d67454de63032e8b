#[mochi::island(client = "static/counter.js")]
fn counter(start: i64) -> Result<maud::Markup, String> {
    Ok(maud::html! { (start) })
}

fn main() {}

// A client module whose static import names a file that is not there.
#[mochi::island(client = "static/imports/missing.js")]
fn missing(start: i64) -> maud::Markup {
    maud::html! { (start) }
}

fn main() {}

#[mochi::island(defer)]
fn search_results(query: &str) -> maud::Markup {
    maud::html! { "Results for " (query) }
}

fn main() {}

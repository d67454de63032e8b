struct Plain(u32);

#[mochi::island(defer)]
fn plain(value: Plain) -> maud::Markup {
    maud::html! { (value.0) }
}

fn main() {}

#[mochi::island(defer)]
fn point((x, y): (i32, i32)) -> maud::Markup {
    maud::html! { (x) "," (y) }
}

fn main() {}

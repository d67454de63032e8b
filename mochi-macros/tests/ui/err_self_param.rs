struct Shop;

impl Shop {
    #[mochi::island(defer)]
    fn cart(&self, items: u32) -> maud::Markup {
        maud::html! { (items) }
    }
}

fn main() {}

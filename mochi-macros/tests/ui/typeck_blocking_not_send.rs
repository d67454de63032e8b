/// Holds an `Rc`, so it is not `Send`.
#[derive(serde::Serialize, serde::Deserialize)]
struct Label {
    text: String,
    #[serde(skip)]
    cache: std::rc::Rc<()>,
}

#[mochi::island(defer, blocking)]
fn labelled(size: u32, label: Label) -> maud::Markup {
    maud::html! { (size) (label.text) }
}

fn main() {}

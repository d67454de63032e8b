struct NotDisplay;

#[mochi::island(defer)]
async fn user_avatar(size: u32) -> Result<maud::Markup, NotDisplay> {
    Ok(maud::html! { (size) })
}

fn main() {}

#[mochi::island(defer)]
fn user_avatar(size: u32) -> String {
    format!("<img width={size}>")
}

fn main() {}

#[mochi::island(defer)]
fn user_avatar(size: u32) {
    let _ = size;
}

fn main() {}

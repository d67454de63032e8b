#[mochi::island(defer)]
struct CartCount {
    items: u32,
}

fn main() {}

//! Prints the catalog page, rendered without a server.

fn main() {
    let mochi = mochi::Mochi::from_env().unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    println!("{}", example_static_render::render(&mochi, &[1, 2, 3]));
}

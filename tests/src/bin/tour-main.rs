//! A `main` written as the README's tour writes it, for
//! tests/tests/startup_errors.rs: startup errors reach the terminal through
//! `?`, as `Error: {:?}`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _mochi = mochi::MochiBuilder::from_env()?.build()?;
    println!("started");
    Ok(())
}

//! The `mochi` command: `mochi generate-key` prints a fresh `MOCHI_KEY`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["generate-key"] => {
            println!("{}", mochi::Key::generate().to_base64url());
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!(
                "usage: mochi generate-key\n\n\
                 Prints a random 32-byte key, base64url-encoded, for MOCHI_KEY:\n    \
                 export MOCHI_KEY=$(cargo run -q -p mochi -- generate-key)"
            );
            ExitCode::from(2)
        }
    }
}

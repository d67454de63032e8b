//! A bad `MOCHI_KEY` stops a `main` written like the README's tour with the
//! message that says how to make a key: `?` prints the error's `Debug`,
//! which is its message.

use std::process::Command;

fn run_with_key(key: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tour-main"))
        .env("MOCHI_KEY", key)
        .env_remove("MOCHI_KEY_FALLBACKS")
        .output()
        .expect("the tour's main runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_bad_key_says_how_to_make_one() {
    for (key, says) in [
        ("hello", "not whole unpadded base64url"),
        (&"A".repeat(43), "all the same"),
        ("", "empty"),
        ("a+b/c=", "outside the base64url alphabet"),
    ] {
        let (ok, stderr) = run_with_key(key);
        assert!(!ok, "{key:?} started");
        assert!(
            stderr.starts_with("Error: MOCHI_KEY is not a valid mochi key"),
            "{key:?}: {stderr}"
        );
        assert!(stderr.contains(says), "{key:?}: {stderr}");
        assert!(
            stderr.contains("head -c 32 /dev/urandom"),
            "{key:?}: {stderr}"
        );
        assert!(!stderr.contains("KeyConfigError {"), "{key:?}: {stderr}");
    }
}

#[test]
fn a_good_key_starts() {
    let (ok, stderr) = run_with_key("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8");
    assert!(ok, "{stderr}");
}

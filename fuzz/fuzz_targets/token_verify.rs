//! `verify` on arbitrary token text, for a fixed key and island name. It
//! must never panic, and whatever verifies is exactly the token `sign_raw`
//! makes for the bytes it returns: one spelling per payload.
//!
//! Forging a tag is out of a fuzzer's reach, so each input is also tried
//! as the payload half of a token whose tag is honestly made for it
//! (`sign_encoded`): that puts the base64url decoder's canonical-form
//! checks under the fuzzer.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mochi::__private::{sign_encoded, sign_raw, verify};
use mochi::{Key, Keys};

/// The island name every token here is for.
const ISLAND: &str = "Fuzz";

/// The key `fuzz/seeds/token_verify` was signed with.
const KEY: &str = "bW9jaGktZnV6ei1rZXktMDAwMDAwMDAwMDAwMDAwMDA";

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys::new(Key::from_base64url(KEY).expect("fuzz key"), Vec::new()))
}

fn check(token: &str) {
    let keys = keys();
    if let Ok(bytes) = verify(keys, ISLAND, token) {
        assert_eq!(
            sign_raw(keys, ISLAND, &bytes),
            token,
            "verified, but is not the canonical token for {bytes:?}"
        );
    }
    // Never for two islands.
    assert!(
        verify(keys, ISLAND, token).is_err() || verify(keys, "Other", token).is_err(),
        "{token:?} verified for two islands"
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check(text);
    if !text.contains('.') {
        check(&sign_encoded(keys(), ISLAND, text));
    }
});

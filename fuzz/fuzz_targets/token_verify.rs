//! Opening arbitrary token text, sealed or signed, for a fixed key and
//! island name. It must never panic, and whatever opens is exactly the
//! token mochi makes for the bytes it returns: one spelling per payload
//! and kind.
//!
//! Forging a tag is out of a fuzzer's reach, so each input is also tried
//! as the props of an honestly sealed token, and as the payload half of an
//! honestly signed one (`sign_encoded`): that puts the AEAD's opening path
//! and the base64url decoder's canonical-form checks under the fuzzer.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mochi::__private::{seal_raw, sign_encoded, sign_raw, verify};
use mochi::{Key, Keys};

/// The island name every token here is for.
const ISLAND: &str = "Fuzz";

/// The key of the frozen vectors and of `fuzz/seeds/token_verify`.
const KEY: &str = "bW9jaGktZnV6ei1rZXktMDAwMDAwMDAwMDAwMDAwMDA";

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys::new(Key::from_base64url(KEY).expect("fuzz key"), Vec::new()))
}

fn check(token: &str) {
    let keys = keys();
    if let Ok(bytes) = verify(keys, ISLAND, token) {
        let canonical = if token.contains('.') {
            sign_raw(keys, ISLAND, &bytes)
        } else {
            seal_raw(keys, ISLAND, &bytes)
        };
        assert_eq!(
            canonical, token,
            "opened, but is not the canonical token for {bytes:?}"
        );
    }
    // Never for two islands.
    assert!(
        verify(keys, ISLAND, token).is_err() || verify(keys, "Other", token).is_err(),
        "{token:?} opened for two islands"
    );
}

fuzz_target!(|data: &[u8]| {
    check(&seal_raw(keys(), ISLAND, data));
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check(text);
    if !text.contains('.') {
        check(&sign_encoded(keys(), ISLAND, text));
    }
});

//! Keys, and the props tokens they make: sealed (the default, see
//! [`crate::sealing`]) or signed.
//!
//! A signed token is `base64url(payload) "." base64url(tag)`. The tag is
//! HMAC-SHA256 over a versioned domain string, the island's name and the
//! payload *as transmitted* (its base64url text), so a token can be verified
//! without decoding a single byte of attacker-controlled input, and a token
//! minted for one island is worthless for another.
//!
//! Each purpose has its own key, derived from the `MOCHI_KEY` bytes with
//! HKDF-SHA256: the same bytes never key two algorithms.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit as _, Mac};
use sha2::Sha256;

use crate::sealing::{self, SealKey};

type HmacSha256 = Hmac<Sha256>;

/// Versioned domain separator: bump it if the token layout ever changes, so
/// old tokens can never be read under new rules.
const DOMAIN: &[u8] = b"mochi/island-props/v1";

/// Bytes of the HMAC output kept in a token (128 bits).
pub(crate) const TAG_LEN: usize = 16;
/// Length of the base64url text of a tag.
const TAG_TEXT_LEN: usize = 22;
/// Length of a key in bytes.
pub(crate) const KEY_LEN: usize = 32;

/// Environment variable holding the signing key.
pub(crate) const KEY_VAR: &str = "MOCHI_KEY";
/// Environment variable holding verify-only keys, comma-separated.
pub(crate) const FALLBACKS_VAR: &str = "MOCHI_KEY_FALLBACKS";

/// How to make a key, from any project: the one line every key message
/// points to.
pub(crate) const GENERATE_KEY: &str =
    "`head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\\n'` prints one \
     (or `mochi::Key::generate().to_base64url()` in Rust)";

/// What a key is, for the messages about bad ones.
const KEY_FORMAT: &str = "a key is the base64url encoding (no padding) of exactly 32 random bytes";

/// HKDF `info` of the signing key.
const SIGN_INFO: &[u8] = b"mochi/key/sign/v1";
/// HKDF `info` of the AES-256-GCM-SIV key.
const SEAL_INFO: &[u8] = b"mochi/key/seal/v1";
/// HKDF `info` of the key that makes sealed tokens' nonces.
const NONCE_INFO: &[u8] = b"mochi/key/seal-nonce/v1";

/// A 32-byte secret, from which mochi derives one key per purpose. Its
/// `Debug` output never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct Key([u8; KEY_LEN]);

impl Key {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Key {
        let mut bytes = [0u8; KEY_LEN];
        getrandom::fill(&mut bytes).expect("the operating system's random source failed");
        Key(bytes)
    }

    /// Parses the base64url (no padding) text of exactly 32 bytes.
    pub fn from_base64url(text: &str) -> Result<Key, KeyError> {
        if text.is_empty() {
            return Err(KeyError::Empty);
        }
        if let Some((position, found)) = text
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        {
            return Err(KeyError::Alphabet { position, found });
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| KeyError::Length { bytes: None })?;
        let bytes: [u8; KEY_LEN] = bytes.try_into().map_err(|b: Vec<u8>| KeyError::Length {
            bytes: Some(b.len()),
        })?;
        // `AAAA…` and the like: a placeholder, not a random key.
        if bytes.iter().all(|&b| b == bytes[0]) {
            return Err(KeyError::Uniform);
        }
        Ok(Key(bytes))
    }

    /// The base64url text of this key, as `MOCHI_KEY` expects it.
    pub fn to_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }
}

/// HMAC-SHA256 keyed with one [`Key`], with the domain separator already
/// absorbed. Cloning it skips the key schedule (two SHA-256 blocks) that
/// every token would otherwise pay: signing and verifying then cost about as
/// much as a bare HMAC of the payload, or less.
#[derive(Clone)]
struct Keyed(HmacSha256);

impl Keyed {
    fn new(sign_key: &[u8; KEY_LEN]) -> Keyed {
        let mut mac = HmacSha256::new_from_slice(sign_key).expect("HMAC takes keys of any length");
        mac.update(DOMAIN);
        mac.update(&[0]);
        Keyed(mac)
    }

    /// The MAC over `domain ‖ 0 ‖ island ‖ 0 ‖ payload`.
    fn mac(&self, island: &str, payload: &[u8]) -> HmacSha256 {
        let mut mac = self.0.clone();
        mac.update(island.as_bytes());
        mac.update(&[0]);
        mac.update(payload);
        mac
    }
}

/// What one [`Key`] gives: a key per purpose.
#[derive(Clone)]
struct Derived {
    sign: Keyed,
    seal: SealKey,
}

impl Derived {
    fn new(key: &Key) -> Derived {
        Derived {
            sign: Keyed::new(&derive(key, SIGN_INFO)),
            seal: SealKey::new(&derive(key, SEAL_INFO), &derive(key, NONCE_INFO)),
        }
    }
}

/// The 32-byte key for purpose `info` (HKDF-SHA256, no salt: the input is
/// already uniformly random).
fn derive(key: &Key, info: &[u8]) -> [u8; KEY_LEN] {
    let mut out = [0; KEY_LEN];
    Hkdf::<Sha256>::new(None, &key.0)
        .expand(info, &mut out)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    out
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(<redacted>)")
    }
}

/// Why a key's text was refused. Its `Debug` is its message, so `?` in
/// `main` prints how to make a key.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The text is empty.
    Empty,
    /// A character outside the base64url alphabet (`A-Z a-z 0-9 - _`).
    Alphabet {
        /// Byte offset of the character.
        position: usize,
        /// The character.
        found: char,
    },
    /// The text decodes to the wrong number of bytes (`None`: not a whole
    /// number of bytes at all).
    Length {
        /// How many bytes it decoded to, where it decoded.
        bytes: Option<usize>,
    },
    /// All 32 bytes are equal (`AAAA…` decodes to zeros): a placeholder,
    /// not a random key.
    Uniform,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Empty => write!(f, "the key is empty; {KEY_FORMAT}: {GENERATE_KEY}"),
            KeyError::Alphabet { position, found } => write!(
                f,
                "the key has {found:?} at byte {position}, outside the base64url alphabet \
                 (A-Z a-z 0-9 - _, no `=` padding); {KEY_FORMAT}: {GENERATE_KEY}"
            ),
            KeyError::Length { bytes: Some(n) } => {
                write!(
                    f,
                    "the key decodes to {n} bytes, not {KEY_LEN}; {KEY_FORMAT}: {GENERATE_KEY}"
                )
            }
            KeyError::Uniform => write!(
                f,
                "the key's 32 bytes are all the same (a placeholder such as `AAAA…`), so \
                 anyone could guess it; {KEY_FORMAT}: {GENERATE_KEY}"
            ),
            KeyError::Length { bytes: None } => write!(
                f,
                "the key is not whole unpadded base64url (its length or its last character is off); {KEY_FORMAT}: {GENERATE_KEY}"
            ),
        }
    }
}

impl fmt::Debug for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for KeyError {}

/// A startup configuration error naming the variable at fault. Its
/// `Debug` is its message, so `?` in `main` prints how to fix it.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyConfigError {
    /// The environment variable (and list position, for fallbacks).
    pub variable: String,
    /// What is wrong with it.
    pub error: KeyError,
}

impl fmt::Display for KeyConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is not a valid mochi key: {}",
            self.variable, self.error
        )
    }
}

impl fmt::Debug for KeyConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for KeyConfigError {}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// Not shaped like a token at all (answered with 400).
    Malformed(&'static str),
    /// Well formed, but no key in use made it: tampered, made under
    /// another key, or for another island (answered with 403).
    BadSignature,
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenError::Malformed(why) => write!(f, "malformed props token: {why}"),
            TokenError::BadSignature => {
                f.write_str("props token was not made by any key in use for this island")
            }
        }
    }
}

impl std::error::Error for TokenError {}

/// The key tokens are made with, plus open-only fallback keys for
/// rotation.
#[derive(Clone)]
pub struct Keys {
    primary: Key,
    fallbacks: Vec<Key>,
    /// `primary` then `fallbacks`, derived once.
    derived: Vec<Derived>,
    /// Whether new tokens are sealed (or only signed).
    seal: bool,
    /// Identifies this set of keys within the process (for caches of
    /// tokens it signed).
    id: u64,
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keys")
            .field("primary", &self.primary)
            .field("fallbacks", &self.fallbacks)
            .field("seal", &self.seal)
            .finish_non_exhaustive()
    }
}

/// Where the signing key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// `MOCHI_KEY` was set.
    Environment,
    /// `MOCHI_KEY` was unset: a random per-process key.
    Random,
}

impl Keys {
    /// Makes tokens with `primary`; opens them with `primary` or any of
    /// `fallbacks`. New tokens are sealed.
    pub fn new(primary: Key, fallbacks: Vec<Key>) -> Keys {
        Keys::build(primary, fallbacks, true)
    }

    fn build(primary: Key, fallbacks: Vec<Key>, seal: bool) -> Keys {
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        let derived = std::iter::once(&primary)
            .chain(&fallbacks)
            .map(Derived::new)
            .collect();
        Keys {
            primary,
            fallbacks,
            derived,
            seal,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// The same primary key with `fallbacks` as the open-only keys.
    pub fn with_fallbacks(self, fallbacks: Vec<Key>) -> Keys {
        Keys::build(self.primary, fallbacks, self.seal)
    }

    /// The same keys, making sealed tokens (`true`, the default) or signed
    /// ones whose props anyone can read (`false`). Tokens of both kinds
    /// open either way.
    pub(crate) fn with_sealing(self, seal: bool) -> Keys {
        Keys::build(self.primary, self.fallbacks, seal)
    }

    /// Different for every `Keys` made in this process (clones share it):
    /// tokens cached under one id were made by these keys, in this mode.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Reads `MOCHI_KEY` and `MOCHI_KEY_FALLBACKS`.
    ///
    /// With `MOCHI_KEY` unset, uses a random key made once per process (every
    /// actix worker shares it).
    pub fn from_env() -> Result<(Keys, KeySource), KeyConfigError> {
        Self::from_vars(
            std::env::var(KEY_VAR).ok().as_deref(),
            std::env::var(FALLBACKS_VAR).ok().as_deref(),
        )
    }

    /// [`Keys::from_env`] on explicit values, for tests and other config sources.
    pub fn from_vars(
        key: Option<&str>,
        fallbacks: Option<&str>,
    ) -> Result<(Keys, KeySource), KeyConfigError> {
        let (primary, source) = match key {
            Some(text) => (
                Key::from_base64url(text.trim()).map_err(|error| KeyConfigError {
                    variable: KEY_VAR.to_owned(),
                    error,
                })?,
                KeySource::Environment,
            ),
            None => (process_random_key().clone(), KeySource::Random),
        };
        let mut keys = Vec::new();
        if let Some(list) = fallbacks.filter(|l| !l.trim().is_empty()) {
            for (i, text) in list.split(',').enumerate() {
                keys.push(
                    Key::from_base64url(text.trim()).map_err(|error| KeyConfigError {
                        variable: format!("{FALLBACKS_VAR} (entry {})", i + 1),
                        error,
                    })?,
                );
            }
        }
        Ok((Keys::new(primary, keys), source))
    }

    /// The token for props `payload` of island `island`: sealed, or
    /// signed if sealing is off.
    pub(crate) fn mint(&self, island: &str, payload: &[u8]) -> String {
        if self.seal {
            self.derived[0].seal.seal(island, payload)
        } else {
            self.sign(island, payload)
        }
    }

    /// The props of `token` for island `island`, if a key in use made it
    /// for that island, sealed or signed.
    pub(crate) fn open(&self, island: &str, token: &str) -> Result<Vec<u8>, TokenError> {
        if token.contains('.') {
            self.verify(island, token)
        } else {
            self.unseal(island, token)
        }
    }

    /// Opens a sealed token.
    fn unseal(&self, island: &str, token: &str) -> Result<Vec<u8>, TokenError> {
        let bytes = decode_payload(token).ok_or(TokenError::Malformed("not base64url"))?;
        if bytes.len() < sealing::NONCE_LEN + sealing::TAG_LEN {
            return Err(TokenError::Malformed("too short to be a sealed token"));
        }
        self.derived
            .iter()
            .find_map(|key| key.seal.open(island, &bytes))
            .ok_or(TokenError::BadSignature)
    }

    /// The signed token for `payload` (already base64url text) under
    /// island `island`.
    pub(crate) fn sign_encoded(&self, island: &str, payload_b64: &str) -> String {
        let tag = self.derived[0]
            .sign
            .mac(island, payload_b64.as_bytes())
            .finalize()
            .into_bytes();
        let mut token = String::with_capacity(payload_b64.len() + 1 + TAG_TEXT_LEN);
        token.push_str(payload_b64);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&tag[..TAG_LEN], &mut token);
        token
    }

    /// The signed token for raw `payload` bytes under island `island`.
    pub(crate) fn sign(&self, island: &str, payload: &[u8]) -> String {
        self.sign_encoded(island, &URL_SAFE_NO_PAD.encode(payload))
    }

    /// Checks signed `token` for island `island` and returns the payload
    /// bytes.
    ///
    /// The tag is compared in constant time against every key before the
    /// payload is decoded.
    pub(crate) fn verify(&self, island: &str, token: &str) -> Result<Vec<u8>, TokenError> {
        let (payload, tag_text) = token
            .split_once('.')
            .ok_or(TokenError::Malformed("no `.` between payload and tag"))?;
        if payload.is_empty() {
            return Err(TokenError::Malformed("empty payload"));
        }
        if tag_text.len() != TAG_TEXT_LEN {
            return Err(TokenError::Malformed("tag has the wrong length"));
        }
        let base64url = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
        if !payload.bytes().all(base64url) {
            return Err(TokenError::Malformed("payload is not base64url"));
        }
        let mut tag = [0u8; TAG_LEN];
        match URL_SAFE_NO_PAD.decode_slice(tag_text, &mut tag) {
            Ok(TAG_LEN) => {}
            _ => return Err(TokenError::Malformed("tag is not base64url")),
        }
        let verified = self.derived.iter().any(|key| {
            key.sign
                .mac(island, payload.as_bytes())
                .verify_truncated_left(&tag)
                .is_ok()
        });
        if !verified {
            return Err(TokenError::BadSignature);
        }
        decode_payload(payload).ok_or(TokenError::Malformed("payload is not base64url"))
    }
}

/// Canonical unpadded base64url only (no `=`, no nonzero unused bits),
/// so one payload has one spelling.
fn decode_payload(payload: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(payload).ok()
}

/// The random key of this process, made on first use: one per process, not
/// one per actix worker, so every worker verifies what any other signed.
fn process_random_key() -> &'static Key {
    static KEY: OnceLock<Key> = OnceLock::new();
    KEY.get_or_init(Key::generate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys::new(Key([7; 32]), Vec::new())
    }

    proptest::proptest! {
        /// Whatever a request carries, opening it answers without
        /// panicking, and only a token this key made opens.
        #[test]
        fn verify_never_panics(token in ".{0,200}", tail in "[A-Za-z0-9_-]{0,40}") {
            let k = keys();
            proptest::prop_assert!(k.verify("X", &token).is_err());
            proptest::prop_assert!(k.open("X", &token).is_err());
            let prefixed = format!("{tail}{token}");
            proptest::prop_assert!(k.open("X", &prefixed).is_err());
            let forged = format!("{tail}.{}", &token.chars().take(22).collect::<String>());
            proptest::prop_assert!(k.verify("X", &forged).is_err());
        }
    }

    #[test]
    fn round_trip() {
        let k = keys();
        let token = k.sign("UserAvatar", b"[{\"size\":1},64]");
        assert_eq!(
            k.verify("UserAvatar", &token).unwrap(),
            b"[{\"size\":1},64]"
        );
    }

    /// The frozen vectors of `docs/protocol.md`, made independently by
    /// `docs/token_vectors.py` (Python's `cryptography`): the key
    /// derivation and both token layouts, byte for byte. They are also the
    /// key and tokens `fuzz/seeds/token_verify` were made with.
    #[test]
    fn known_answers() {
        let key = Key::from_base64url("bW9jaGktZnV6ei1rZXktMDAwMDAwMDAwMDAwMDAwMDA").unwrap();
        let hex = |b: [u8; 32]| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(
            hex(derive(&key, SIGN_INFO)),
            "ac6231a79b0115cac5782629ba73337cb06d018a3c647fee1aac258969f250e2"
        );
        assert_eq!(
            hex(derive(&key, SEAL_INFO)),
            "dd0cd6e2df4aaf6aeb9e60f6de1d2c3dc7f06400af88ca9cf95db3e3c460e961"
        );
        assert_eq!(
            hex(derive(&key, NONCE_INFO)),
            "be8da5d0e834dff07d4bb3c1b3713d23c7224a09cee98169e08648b67b9e0172"
        );
        let props = b"[{\"size\":1},64]";
        let sealed = Keys::new(key.clone(), Vec::new());
        let token = "9vuOKoiVl3mQooDO2M9ZMM81yd7cFMw0ptHMHstbrJnrJXGf_8_mZOmTkA";
        assert_eq!(sealed.mint("Fuzz", props), token);
        assert_eq!(sealed.open("Fuzz", token).unwrap(), props);
        let signed = Keys::new(key, Vec::new()).with_sealing(false);
        let token = "W3sic2l6ZSI6MX0sNjRd.m9I6tgeNfQcJoEiJFFZH0A";
        assert_eq!(signed.mint("Fuzz", props), token);
        assert_eq!(signed.open("Fuzz", token).unwrap(), props);
    }

    fn sealed_keys() -> Keys {
        Keys::new(Key([7; 32]), Vec::new())
    }

    #[test]
    fn sealed_tokens_round_trip_and_hide_the_props() {
        let k = sealed_keys();
        let props = b"[{\"email\":1},\"ann@example.com\"]";
        let token = k.mint("Account", props);
        assert!(!token.contains('.'), "{token}");
        assert_eq!(k.open("Account", &token).unwrap(), props);
        // Nothing of the props shows, in any base64 alignment.
        for shift in 0..3 {
            let shown = URL_SAFE_NO_PAD.encode(&props[shift..]);
            assert!(!token.contains(&shown[4..16]), "{token} shows {shown}");
        }
        // The same props give the same token; others another.
        assert_eq!(k.mint("Account", props), token);
        assert_ne!(k.mint("Account", b"[1]"), token);
        assert_ne!(k.mint("Other", props), token);
    }

    #[test]
    fn a_sealed_token_is_at_most_32_bytes_longer_than_a_signed_one() {
        let k = sealed_keys();
        for len in [0, 1, 2, 3, 10, 100, 1000] {
            let props = "x".repeat(len);
            let sealed = k.mint("A", props.as_bytes()).len();
            let signed = k.sign("A", props.as_bytes()).len();
            assert!(sealed <= signed + 32, "{len}: {sealed} vs {signed}");
        }
    }

    #[test]
    fn every_sealed_bit_flip_truncation_and_extension_is_rejected() {
        let k = sealed_keys();
        let token = k.mint("Cart", b"[{\"n\":1},3]");
        each_bit_flip(&token, |text| k.open("Cart", text).is_err());
        for end in 0..token.len() {
            assert!(k.open("Cart", &token[..end]).is_err(), "prefix {end}");
        }
        for extra in ["A", "=", "AA", "AAAA", " "] {
            assert!(k.open("Cart", &format!("{token}{extra}")).is_err());
            assert!(k.open("Cart", &format!("{extra}{token}")).is_err());
        }
    }

    #[test]
    fn bad_sealed_tokens_say_which_kind_of_bad() {
        let k = sealed_keys();
        let token = k.mint("Cart", b"[1]");
        let malformed = |t: &str| matches!(k.open("Cart", t), Err(TokenError::Malformed(_)));
        assert!(malformed("a*b"), "not base64url");
        assert!(malformed(""), "empty");
        assert!(malformed(&token[..36]), "shorter than nonce and tag");
        assert!(malformed(&format!("{token}=")), "padding");
        let forbidden = |t: &str, island: &str| k.open(island, t) == Err(TokenError::BadSignature);
        assert!(forbidden(&token, "CartCount"), "another island");
        // 40 characters are 30 whole bytes: a nonce and tag, but cut.
        assert!(forbidden(&token[..40], "Cart"), "truncated");
        let other = Keys::new(Key([8; 32]), Vec::new()).mint("Cart", b"[1]");
        assert!(forbidden(&other, "Cart"), "another key");
    }

    #[test]
    fn sealed_tokens_rotate_like_signed_ones() {
        let (old, new) = (Key([1; 32]), Key([2; 32]));
        let old_token = Keys::new(old.clone(), vec![]).mint("X", b"[1]");
        let rotating = Keys::new(new.clone(), vec![old]);
        assert_eq!(rotating.open("X", &old_token).unwrap(), b"[1]");
        assert_eq!(
            rotating.mint("X", b"[1]"),
            Keys::new(new.clone(), vec![]).mint("X", b"[1]"),
            "new tokens are made with the primary key"
        );
        assert_eq!(
            Keys::new(new, vec![]).open("X", &old_token),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn either_mode_opens_both_kinds_and_keeps_its_fallbacks() {
        let sealing = Keys::new(Key([3; 32]), vec![Key([4; 32])]);
        let signing = sealing.clone().with_sealing(false);
        assert_ne!(sealing.id(), signing.id(), "caches keep the modes apart");
        let sealed = sealing.mint("X", b"[1]");
        let signed = signing.mint("X", b"[1]");
        assert!(signed.contains('.') && !sealed.contains('.'));
        for keys in [&sealing, &signing] {
            assert_eq!(keys.open("X", &sealed).unwrap(), b"[1]");
            assert_eq!(keys.open("X", &signed).unwrap(), b"[1]");
        }
        let kept = signing.with_fallbacks(vec![Key([5; 32])]);
        assert!(kept.mint("X", b"[1]").contains('.'), "still signing");
    }

    /// The purposes' keys differ from each other and from the key itself.
    #[test]
    fn each_purpose_has_its_own_key() {
        let key = Key([9; 32]);
        let derived = [SIGN_INFO, SEAL_INFO, NONCE_INFO].map(|info| derive(&key, info));
        for (i, a) in derived.iter().enumerate() {
            assert_ne!(a, &key.0);
            for b in &derived[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn tokens_are_deterministic() {
        assert_eq!(keys().sign("A", b"x"), keys().sign("A", b"x"));
    }

    #[test]
    fn every_single_bit_flip_is_rejected() {
        let k = keys();
        let token = k.sign("Cart", b"[{\"n\":1},3]");
        each_bit_flip(&token, |text| k.verify("Cart", text).is_err());
    }

    /// Asserts `refused` of `token` with any one bit flipped (flips that
    /// leave UTF-8 text: others cannot even reach the opener).
    fn each_bit_flip(token: &str, refused: impl Fn(&str) -> bool) {
        let bytes = token.as_bytes();
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut flipped = bytes.to_vec();
                flipped[i] ^= 1 << bit;
                if let Ok(text) = String::from_utf8(flipped) {
                    assert!(refused(&text), "flip {i}:{bit} accepted: {text}");
                }
            }
        }
    }

    #[test]
    fn truncation_and_extension_are_rejected() {
        let k = keys();
        let token = k.sign("Cart", b"[{\"n\":1},3]");
        for end in 0..token.len() {
            assert!(
                k.verify("Cart", &token[..end]).is_err(),
                "prefix {end} accepted"
            );
        }
        for extra in ["A", "=", ".", "AA", "%00", " "] {
            assert!(k.verify("Cart", &format!("{token}{extra}")).is_err());
            assert!(k.verify("Cart", &format!("{extra}{token}")).is_err());
        }
    }

    #[test]
    fn a_token_for_one_island_fails_for_another() {
        let k = keys();
        let token = k.sign("CartCount", b"[1]");
        assert_eq!(
            k.verify("UserAvatar", &token),
            Err(TokenError::BadSignature)
        );
        // The separator stops name/payload boundary games.
        let token = k.sign("Ab", b"c");
        assert!(k.verify("A", &token).is_err());
    }

    #[test]
    fn other_keys_fail_and_fallbacks_verify_only_while_listed() {
        let old = Key([1; 32]);
        let new = Key([2; 32]);
        let old_token = Keys::new(old.clone(), vec![]).sign("X", b"[1]");
        let rotating = Keys::new(new.clone(), vec![old.clone()]);
        assert!(rotating.verify("X", &old_token).is_ok());
        // New tokens are always signed with the primary key.
        let new_token = rotating.sign("X", b"[1]");
        assert_eq!(new_token, Keys::new(new.clone(), vec![]).sign("X", b"[1]"));
        let rotated = Keys::new(new, vec![]);
        assert_eq!(
            rotated.verify("X", &old_token),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn bad_keys_are_rejected_with_their_message() {
        let e = Key::from_base64url("").unwrap_err();
        assert_eq!(e, KeyError::Empty);
        assert!(e.to_string().contains("head -c 32 /dev/urandom"));

        // A placeholder key: 32 equal bytes.
        for placeholder in ["A".repeat(43), "_".repeat(42) + "8"] {
            let e = Key::from_base64url(&placeholder).unwrap_err();
            assert_eq!(e, KeyError::Uniform, "{placeholder}");
            assert!(e.to_string().contains("all the same"), "{e}");
        }

        let e = Key::from_base64url(&format!("{}=", "A".repeat(43))).unwrap_err();
        assert_eq!(
            e,
            KeyError::Alphabet {
                position: 43,
                found: '='
            }
        );
        assert!(e.to_string().contains("base64url alphabet"));

        let e = Key::from_base64url(&"A".repeat(42)).unwrap_err();
        assert_eq!(e, KeyError::Length { bytes: Some(31) });
        assert!(e.to_string().contains("31 bytes, not 32"));

        let e = Key::from_base64url(&"A".repeat(44)).unwrap_err();
        assert_eq!(e, KeyError::Length { bytes: Some(33) });

        let e = Key::from_base64url("A").unwrap_err();
        assert_eq!(e, KeyError::Length { bytes: None });

        let good = Key::generate().to_base64url();
        assert_eq!(good.len(), 43);
        assert!(Key::from_base64url(&good).is_ok());
    }

    #[test]
    fn env_errors_name_the_variable() {
        let e = Keys::from_vars(Some("nope!"), None).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("MOCHI_KEY is not a valid mochi key"));
        let good = Key::generate().to_base64url();
        let e = Keys::from_vars(Some(&good), Some(&format!("{good},short"))).unwrap_err();
        assert!(
            e.to_string().contains("MOCHI_KEY_FALLBACKS (entry 2)"),
            "{e}"
        );
        let (_, source) = Keys::from_vars(None, None).unwrap();
        assert_eq!(source, KeySource::Random);
        let (a, _) = Keys::from_vars(None, None).unwrap();
        let (b, _) = Keys::from_vars(None, None).unwrap();
        assert_eq!(a.primary, b.primary, "one random key per process");
    }

    /// A payload has one spelling: padding and nonzero unused bits are
    /// refused, as the token format says.
    #[test]
    fn payloads_are_canonical_base64url() {
        assert_eq!(decode_payload("QQ").as_deref(), Some(&b"A"[..]));
        for bad in ["QR", "QQ==", "Q", "QQ+", "QQ/"] {
            assert_eq!(decode_payload(bad), None, "{bad}");
        }
    }

    #[test]
    fn debug_never_shows_the_key() {
        let k = Key([0xAB; 32]);
        assert!(!format!("{k:?}").contains(&k.to_base64url()));
        assert!(!format!("{:?}", Keys::new(k.clone(), vec![])).contains("171"));
    }
}

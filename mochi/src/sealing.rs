//! Sealed props tokens: `base64url(nonce ‖ ciphertext ‖ tag)`, no `.`.
//!
//! AES-256-GCM-SIV (RFC 8452) with a nonce derived from the props, so the
//! same props of the same island always give the same token: pages stay
//! cacheable and preload and batch URLs stay deterministic, at the cost
//! that equal tokens reveal equal props. Nothing else about the props can
//! be read from a token. The island's name is associated data, so a token
//! sealed for one island does not open for another.
//!
//! The nonce is the first 12 bytes of HMAC-SHA256 over the island's name
//! and the props, under a key of its own. GCM-SIV would stay a
//! deterministic AEAD under one fixed nonce, but a nonce per distinct
//! plaintext gives every message its own derived AES key, as the RFC's
//! bounds assume.

use aes_gcm_siv::aead::{Aead, KeyInit, Payload};
use aes_gcm_siv::{Aes256GcmSiv, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Versioned domain separator, absorbed by the nonce's MAC and leading the
/// associated data: bump it if the layout ever changes.
pub(crate) const DOMAIN: &[u8] = b"mochi/island-props/sealed/v1";
/// Bytes of the nonce at the start of a token.
pub(crate) const NONCE_LEN: usize = 12;
/// Bytes of the GCM-SIV tag at the end of a token.
pub(crate) const TAG_LEN: usize = 16;

/// One key's sealing half: the AEAD and the MAC that makes its nonces,
/// each under its own key derived from the `MOCHI_KEY` bytes.
#[derive(Clone)]
pub(crate) struct SealKey {
    cipher: Aes256GcmSiv,
    /// HMAC-SHA256 under the nonce key, the domain already absorbed.
    nonce_mac: Hmac<Sha256>,
}

impl SealKey {
    /// From the derived AEAD key and nonce key.
    pub(crate) fn new(seal_key: &[u8; 32], nonce_key: &[u8; 32]) -> SealKey {
        let mut nonce_mac =
            Hmac::<Sha256>::new_from_slice(nonce_key).expect("HMAC takes keys of any length");
        nonce_mac.update(DOMAIN);
        nonce_mac.update(&[0]);
        SealKey {
            cipher: Aes256GcmSiv::new(seal_key.into()),
            nonce_mac,
        }
    }

    /// The token for `payload` as the props of island `island`.
    pub(crate) fn seal(&self, island: &str, payload: &[u8]) -> String {
        let mut mac = self.nonce_mac.clone();
        mac.update(island.as_bytes());
        mac.update(&[0]);
        mac.update(payload);
        let digest = mac.finalize().into_bytes();
        let nonce = Nonce::try_from(&digest[..NONCE_LEN]).expect("12 of 32 bytes");
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: payload,
                    aad: &associated_data(island),
                },
            )
            .expect("GCM-SIV seals any payload under 64 GiB");
        let mut bytes = Vec::with_capacity(NONCE_LEN + sealed.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The props `bytes` (a decoded token) hold, if this key sealed them for
    /// island `island`. The tag is checked in constant time by the AEAD.
    pub(crate) fn open(&self, island: &str, bytes: &[u8]) -> Option<Vec<u8>> {
        let (nonce, sealed) = bytes.split_at_checked(NONCE_LEN)?;
        let nonce = Nonce::try_from(nonce).ok()?;
        self.cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: sealed,
                    aad: &associated_data(island),
                },
            )
            .ok()
    }
}

/// `DOMAIN ‖ 0 ‖ island`: what a token is bound to besides its key.
fn associated_data(island: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(DOMAIN.len() + 1 + island.len());
    aad.extend_from_slice(DOMAIN);
    aad.push(0);
    aad.extend_from_slice(island.as_bytes());
    aad
}

#!/usr/bin/env python3
"""Props tokens as docs/protocol.md specifies them, made with Python's
`cryptography` (an implementation independent of mochi's RustCrypto code):
the frozen test vectors, which `known_answers` in mochi/src/signing.rs
asserts too, and tokens for bench/load.py.

Run: python3 docs/token_vectors.py   (prints the vectors)"""

import base64
import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SIGNED_DOMAIN = b"mochi/island-props/v1"
SEALED_DOMAIN = b"mochi/island-props/sealed/v1"


def b64d(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64e(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def derive(key, info):
    """The 32-byte key for purpose `info` from the 32 `MOCHI_KEY` bytes."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)


def sign(key_text, island, props):
    """The signed token for devalue text `props` of `island`."""
    sign_key = derive(b64d(key_text), b"mochi/key/sign/v1")
    payload = b64e(props.encode()).encode()
    msg = SIGNED_DOMAIN + b"\0" + island.encode() + b"\0" + payload
    return payload.decode() + "." + b64e(hmac.new(sign_key, msg, hashlib.sha256).digest()[:16])


def seal(key_text, island, props):
    """The sealed token for devalue text `props` of `island`."""
    key = b64d(key_text)
    seal_key = derive(key, b"mochi/key/seal/v1")
    nonce_key = derive(key, b"mochi/key/seal-nonce/v1")
    ad = SEALED_DOMAIN + b"\0" + island.encode()
    nonce = hmac.new(nonce_key, ad + b"\0" + props.encode(), hashlib.sha256).digest()[:12]
    return b64e(nonce + AESGCMSIV(seal_key).encrypt(nonce, props.encode(), ad))


if __name__ == "__main__":
    KEY = "bW9jaGktZnV6ei1rZXktMDAwMDAwMDAwMDAwMDAwMDA"
    key = b64d(KEY)
    for name, info in [
        ("sign_key", b"mochi/key/sign/v1"),
        ("seal_key", b"mochi/key/seal/v1"),
        ("nonce_key", b"mochi/key/seal-nonce/v1"),
    ]:
        print(name, derive(key, info).hex())
    print("sealed", seal(KEY, "Fuzz", '[{"size":1},64]'))
    print("signed", sign(KEY, "Fuzz", '[{"size":1},64]'))

#!/usr/bin/env python3
"""The frozen token vectors of docs/protocol.md, made with Python's
`cryptography` (an implementation independent of mochi's RustCrypto code).
mochi/src/signing.rs (`known_answers`) asserts the same values.

Run: python3 docs/token-vectors.py"""
import base64, hmac, hashlib
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV

def b64d(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
def b64e(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def derive(key, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)

key = b64d("bW9jaGktZnV6ei1rZXktMDAwMDAwMDAwMDAwMDAwMDA")
island = b"Fuzz"; props = b'[{"size":1},64]'
sign_key = derive(key, b"mochi/key/sign/v1")
seal_key = derive(key, b"mochi/key/seal/v1")
nonce_key = derive(key, b"mochi/key/seal-nonce/v1")
payload = b64e(props).encode()
tag = hmac.new(sign_key, b"mochi/island-props/v1\0" + island + b"\0" + payload, hashlib.sha256).digest()[:16]
print("signed", payload.decode() + "." + b64e(tag))
D = b"mochi/island-props/sealed/v1"
nonce = hmac.new(nonce_key, D + b"\0" + island + b"\0" + props, hashlib.sha256).digest()[:12]
ct = AESGCMSIV(seal_key).encrypt(nonce, props, D + b"\0" + island)
print("sealed", b64e(nonce + ct))
print("sign_key", sign_key.hex()); print("seal_key", seal_key.hex()); print("nonce_key", nonce_key.hex())

"""Sealing for the analysis centre: what only the centre may read is encrypted, on the
computer where it is made, to the centre's public key.

HPKE (RFC 9180) in base mode with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and AES-256-GCM,
through `cryptography`'s `hpke.Suite`. A sealed blob is the 32-byte encapsulated key followed
by the ciphertext (with its 16-byte tag). `info` binds a blob to what it is (a questionnaire
response, one named bundle file), so a blob cannot be passed off as another. Keys are the raw
32 bytes of X25519. This module is the one place the scheme lives: the student app seals
questionnaire responses, the room seals the bundle's personal files, the centre opens both.
"""

from __future__ import annotations

import hashlib
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
KEY_BYTES = 32
OVERHEAD = 32 + 16  # the encapsulated key and the AEAD tag
FINGERPRINT_PREFIX = "SHA256:"
QUESTIONNAIRE_INFO = b"synaq questionnaire response v1"


class SealError(Exception):
    """A key or a sealed blob is not what it must be; the message says which."""


def new_key_pair() -> tuple[bytes, bytes]:
    """A fresh (private, public) pair of raw 32-byte X25519 keys."""
    private = X25519PrivateKey.generate()
    return private.private_bytes_raw(), private.public_key().public_bytes_raw()


def public_key_of(private_key: bytes) -> bytes:
    return _private(private_key).public_key().public_bytes_raw()


def seal(public_key: bytes, plaintext: bytes, info: bytes) -> bytes:
    try:
        key = X25519PublicKey.from_public_bytes(public_key)
    except ValueError as exc:
        raise SealError(f"not an X25519 public key of {KEY_BYTES} bytes ({exc})") from None
    return SUITE.encrypt(plaintext, key, info=info)


def open_sealed(private_key: bytes, blob: bytes, info: bytes) -> bytes:
    """The plaintext of a sealed blob. Raises SealError for another key, another `info`, or
    a blob altered in any way."""
    if len(blob) < OVERHEAD:
        raise SealError(f"a sealed blob is at least {OVERHEAD} bytes, this one {len(blob)}")
    try:
        return SUITE.decrypt(blob, _private(private_key), info=info)
    except (InvalidTag, ValueError):
        raise SealError("this blob was not sealed to this key for this purpose, or it was altered") from None


def seal_padded(public_key: bytes, plaintext: bytes, size: int, info: bytes) -> bytes:
    """Seals `plaintext` padded to exactly `size` bytes, so every sealed blob of one kind has
    the same length whatever it says (a long answer cannot be told from a short one)."""
    if len(plaintext) > size - 4:
        raise SealError(f"{len(plaintext)} bytes do not fit the fixed size of {size}")
    padded = struct.pack(">I", len(plaintext)) + plaintext + bytes(size - 4 - len(plaintext))
    return seal(public_key, padded, info)


def open_padded(private_key: bytes, blob: bytes, info: bytes) -> bytes:
    padded = open_sealed(private_key, blob, info)
    (length,) = struct.unpack(">I", padded[:4])
    if length > len(padded) - 4:
        raise SealError("the padding of this blob is damaged")
    return padded[4:4 + length]


def fingerprint(public_key: bytes) -> str:
    """'SHA256:' and the SHA-256 of the raw public key, in hex (as the room key's)."""
    return FINGERPRINT_PREFIX + hashlib.sha256(public_key).hexdigest()


def fingerprint_for_paper(fp: str) -> str:
    """A fingerprint in groups of four, as printed on paper: 'SHA256: 1a2b 3c4d ...'."""
    hexpart = fp.removeprefix(FINGERPRINT_PREFIX)
    return FINGERPRINT_PREFIX + " " + " ".join(hexpart[i:i + 4] for i in range(0, len(hexpart), 4))


def _private(private_key: bytes) -> X25519PrivateKey:
    try:
        return X25519PrivateKey.from_private_bytes(private_key)
    except ValueError as exc:
        raise SealError(f"not an X25519 private key of {KEY_BYTES} bytes ({exc})") from None

"""The room's Ed25519 signing key: loading it, its public half, and a fingerprint short
enough to print on the paper protocol and read aloud over the phone."""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from room_protocol.seal import FINGERPRINT_PREFIX, fingerprint_for_paper  # noqa: F401 — one way to print a key

from .newroom import SIGNING_KEY_FILE



class SigningKeyError(Exception):
    """The signing key is missing or unreadable; the message says which file."""


def load_signing_key(data_dir: Path) -> Ed25519PrivateKey:
    path = Path(data_dir) / SIGNING_KEY_FILE
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise SigningKeyError(f"the room's signing key {path} is missing (it is made by 'room-server init')") from None
    except (ValueError, TypeError, OSError) as exc:
        raise SigningKeyError(f"the room's signing key {path} cannot be read: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"the room's signing key {path} is not an Ed25519 key")
    return key


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_pem(data: bytes) -> Ed25519PublicKey:
    """Raises ValueError when the bytes are not an Ed25519 public key in PEM."""
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def fingerprint(key: Ed25519PublicKey) -> str:
    """'SHA256:' and the SHA-256 of the raw 32-byte public key, in hex."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return FINGERPRINT_PREFIX + hashlib.sha256(raw).hexdigest()


def room_fingerprint(data_dir: Path) -> str:
    return fingerprint(load_signing_key(data_dir).public_key())


def verify_signature(key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True

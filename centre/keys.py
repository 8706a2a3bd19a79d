"""The centre's key pair: X25519, the key rooms seal questionnaires and names to.

Raw 32-byte keys in two files: `centre.key` (private, owner-only) and `centre.pub` (the
public half, handed to every room). The fingerprint is the SHA-256 of the raw public key,
printed in groups of four as the room's protocol prints its signing key's.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from room_server.signing import FINGERPRINT_PREFIX, fingerprint_for_paper

PRIVATE_FILE = "centre.key"
PUBLIC_FILE = "centre.pub"
KEY_BYTES = 32


class CentreKeyError(Exception):
    """A key file is missing, damaged or would be overwritten; the message says which."""


@dataclass(frozen=True)
class CentreKey:
    private: bytes | None  # None when only the public half is at hand
    public: bytes

    @property
    def fingerprint(self) -> str:
        return public_fingerprint(self.public)

    @property
    def for_paper(self) -> str:
        return fingerprint_for_paper(self.fingerprint)


def public_fingerprint(public: bytes) -> str:
    return FINGERPRINT_PREFIX + hashlib.sha256(public).hexdigest()


def _raw_public(private: bytes) -> bytes:
    key = X25519PrivateKey.from_private_bytes(private)
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _write(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(path, mode)


def new_key_pair(folder: Path) -> CentreKey:
    """Makes `centre.key` (0600) and `centre.pub` in `folder`; never overwrites a key."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in (PRIVATE_FILE, PUBLIC_FILE):
        if (folder / name).exists():
            raise CentreKeyError(f"{folder / name} already exists: a centre key is never overwritten "
                            "(bundles sealed to it could no longer be opened). Choose another folder.")
    private = X25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    public = _raw_public(private)
    _write(folder / PRIVATE_FILE, private, stat.S_IRUSR | stat.S_IWUSR)
    _write(folder / PUBLIC_FILE, public, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)
    return CentreKey(private, public)


def load_key(path: Path) -> CentreKey:
    """The private key file (or the folder holding `centre.key`)."""
    path = Path(path)
    if path.is_dir():
        path = path / PRIVATE_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CentreKeyError(f"no centre key at {path} (make one with 'synaq-centre keys new')") from None
    except OSError as exc:
        raise CentreKeyError(f"the centre key {path} cannot be read: {exc.strerror or exc}") from None
    if len(data) != KEY_BYTES:
        raise CentreKeyError(f"{path} is not a centre key: {len(data)} bytes, a raw X25519 private key has {KEY_BYTES}")
    if os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CentreKeyError(f"{path} is readable by others (mode {stat.S_IMODE(path.stat().st_mode):o}); "
                        f"run 'chmod 600 {path}' first")
    return CentreKey(data, _raw_public(data))

"""The centre's key pair: X25519, the key rooms seal questionnaire responses and the files that
name people to (`room_protocol.seal`, the one place the scheme lives).

One key format in the whole project: the raw 32-byte keys written in base64 on one line, in
`centre.key` (private, owner-only) and `centre.pub` (the public half). `room-server demo`
makes its trial centre the same way, and a questionnaire names the public key as
`centre_key = "<base64>"` (`synaq-centre questionnaires` writes them). The fingerprint is
printed as the room's protocol prints it (`seal.fingerprint_for_paper`).
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from room_protocol import seal

PRIVATE_FILE = "centre.key"
PUBLIC_FILE = "centre.pub"


class CentreKeyError(Exception):
    """A key file is missing, damaged or would be overwritten; the message says which."""


@dataclass(frozen=True)
class CentreKey:
    private: bytes | None  # None when only the public half is at hand
    public: bytes

    @property
    def fingerprint(self) -> str:
        return seal.fingerprint(self.public)

    @property
    def for_paper(self) -> str:
        return seal.fingerprint_for_paper(self.fingerprint)


def key_text(raw: bytes) -> bytes:
    """A key as its file holds it: base64 on one line."""
    return base64.b64encode(raw) + b"\n"


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
    private, public = seal.new_key_pair()
    _write(folder / PRIVATE_FILE, key_text(private), stat.S_IRUSR | stat.S_IWUSR)
    _write(folder / PUBLIC_FILE, key_text(public), stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)
    return CentreKey(private, public)


def _read(path: Path, what: str) -> bytes:
    try:
        text = path.read_bytes().decode("ascii").strip()
        raw = base64.b64decode(text, validate=True)
    except FileNotFoundError:
        raise CentreKeyError(f"no {what} at {path} (make the pair with 'synaq-centre keys new')") from None
    except IsADirectoryError:
        raise CentreKeyError(f"{path} is a folder, not the {what}") from None
    except OSError as exc:
        raise CentreKeyError(f"the {what} {path} cannot be read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, binascii.Error, ValueError):
        raise CentreKeyError(f"{path} is not a {what}: a key file holds the key's {seal.KEY_BYTES} bytes in base64 "
                             "on one line, as 'synaq-centre keys new' writes it") from None
    if len(raw) != seal.KEY_BYTES:
        raise CentreKeyError(f"{path} is not a {what}: {len(raw)} bytes, an X25519 key has {seal.KEY_BYTES}")
    return raw


def load_key(path: Path) -> CentreKey:
    """The private key file (or the folder holding `centre.key`)."""
    path = Path(path)
    if path.is_dir():
        path = path / PRIVATE_FILE
    private = _read(path, "centre's private key")
    if os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CentreKeyError(f"{path} is readable by others (mode {stat.S_IMODE(path.stat().st_mode):o}); "
                             f"run 'chmod 600 {path}' first")
    return CentreKey(private, seal.public_key_of(private))


def load_public(path: Path) -> CentreKey:
    """The public key file (or the folder holding `centre.pub`). The private key is refused
    here: it is what would be sent to every school."""
    path = Path(path)
    if path.is_dir():
        path = path / PUBLIC_FILE
    public = _read(path, "centre's public key")
    private_file = path.parent / PRIVATE_FILE
    if path.name == PRIVATE_FILE or (private_file.is_file() and private_file != path
                                     and _same_key(private_file, public)):
        raise CentreKeyError(f"{path} is the centre's PRIVATE key: it must never leave the centre. "
                             f"Give the public key, {path.parent / PUBLIC_FILE}")
    return CentreKey(None, public)


def _same_key(private_file: Path, raw: bytes) -> bool:
    try:
        return _read(private_file, "centre's private key") == raw
    except CentreKeyError:
        return False

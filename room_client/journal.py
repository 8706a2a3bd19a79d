"""The student app's local journal of answers not yet acknowledged.

While the server is unreachable the student keeps answering; each answer is written here
first, so closing the app or a crash loses nothing. The file is encrypted (AES-GCM) with a
key the server gives this attempt at start, and the key is never written to disk: a copied
file reveals nothing, and after a restart the journal opens once the server hands the key
back at login.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgpack
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def journal_path(folder: Path, login: str) -> Path:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in login)[:40] or "student"
    return Path(folder) / f"journal-{safe}.bin"


class Journal:
    def __init__(self, path: Path, login: str = ""):
        self.path = Path(path)
        self.login = login
        self._key: bytes | None = None
        self._entries: dict[int, dict] = {}  # seq -> {seq, item, value, made_ms}
        self._unreadable = False

    def unlock(self, key: bytes) -> None:
        """Opens the journal with the attempt's key and reads what it holds."""
        self._key = key
        if not self.path.exists():
            return
        try:
            blob = self.path.read_bytes()
            plain = AESGCM(key).decrypt(blob[:12], blob[12:], b"synaq-journal")
            entries = msgpack.unpackb(plain, raw=False, strict_map_key=False)
        except (InvalidTag, ValueError, OSError, msgpack.UnpackException):
            self._unreadable = True  # another attempt's file or damaged: start afresh
            return
        for entry in entries:
            self._entries.setdefault(entry["seq"], entry)

    @property
    def unlocked(self) -> bool:
        return self._key is not None

    def pending(self) -> list[dict]:
        return sorted(self._entries.values(), key=lambda e: e["seq"])

    def add(self, seq: int, item: str, value, made_ms: int) -> None:
        self._entries[seq] = {"seq": seq, "item": item, "value": value, "made_ms": made_ms}
        self._write()

    def acked(self, seq: int) -> None:
        if self._entries.pop(seq, None) is not None:
            self._write()

    def _write(self) -> None:
        if self._key is None:
            return
        nonce = os.urandom(12)
        plain = msgpack.packb(self.pending(), use_bin_type=True)
        blob = nonce + AESGCM(self._key).encrypt(nonce, plain, b"synaq-journal")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

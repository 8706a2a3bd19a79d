"""The student app's local journal of answers not yet acknowledged.

While the server is unreachable the student keeps answering; each answer is written here
first, so closing the app or a crash loses nothing. The file is encrypted (AES-GCM) with a
key the server gives this attempt at start, and the key is never written to disk: a copied
file reveals nothing, and after a restart the journal opens once the server hands the key
back at login.

An answer is on disk when `add` returns (a killed app loses nothing it showed). Taking an
acknowledged answer out (`drop`) is not urgent, being sent again is harmless: that write
(an fsync, several milliseconds) happens on a thread, not on the event loop that draws the
student's screen, and several drops share one write. Every write is of the whole journal
and carries its version; an older one never replaces a newer one on disk.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from pathlib import Path

import msgpack
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger("synaq.client")


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
        self._version = 0  # changes made in memory
        self._on_disk = 0  # the version the file holds
        self._file_lock = threading.Lock()  # one write at a time, from the loop or the thread
        self._saving: asyncio.Task | None = None

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
        """An answer made: on disk when this returns."""
        self._entries[seq] = {"seq": seq, "item": item, "value": value, "made_ms": made_ms}
        self._version += 1
        if self._key is not None:
            self._store(self._blob(), self._version)

    def drop(self, seq: int) -> None:
        """An answer the server has: out of the journal now, out of the file with `save()`."""
        if self._entries.pop(seq, None) is not None:
            self._version += 1

    async def save(self) -> None:
        """Returns once the journal as it is now is on disk (written on a thread)."""
        if self._key is None or self._on_disk >= self._version:
            return  # nothing to protect it with yet, or already there
        version, blob = self._version, self._blob()
        try:
            await asyncio.to_thread(self._store, blob, version)
        except OSError as exc:  # a full or read-only disk: the answers still go to the server
            log.warning("cannot write the journal %s: %s", self.path, exc)

    def save_soon(self) -> None:
        """A write that nothing waits for (answers acknowledged: being resent is harmless)."""
        if self._saving is None or self._saving.done():
            self._saving = asyncio.get_running_loop().create_task(self.save())

    def _blob(self) -> bytes:
        nonce = os.urandom(12)
        plain = msgpack.packb(self.pending(), use_bin_type=True)
        return nonce + AESGCM(self._key).encrypt(nonce, plain, b"synaq-journal")

    def _store(self, blob: bytes, version: int) -> None:
        with self._file_lock:
            if version <= self._on_disk:
                return  # a newer journal is already on disk
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            with open(tmp, "wb") as f:
                f.write(blob)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
            self._on_disk = version

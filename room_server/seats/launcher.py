"""Starting seat processes fast: a fork server on Linux, a warm pool of spawned ones elsewhere.

Either way the bridge gets a `SeatProcess` that has already imported Textual and the student
app and waits for its settings line, so a new tab costs a fork (Linux) or nothing at all
(a process from the pool), not the ~1 s of imports a cold start would take on a school day.
The seat programs live in `seat_host` (they import Textual; this package never does).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from dataclasses import dataclass

log = logging.getLogger("synaq.seats")

SEAT_MODULE = "seat_host"


@dataclass(eq=False)
class SeatProcess:
    """One seat's process and the two ends of its packet stream."""

    pid: int
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    child: asyncio.subprocess.Process | None = None  # spawned ones; forked ones belong to the fork server

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, OSError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            self.writer.close()


class ForkLauncher:
    """Linux: one fork server, started with the room; each seat is a fork of it."""

    def __init__(self) -> None:
        self._control: socket.socket | None = None
        self._server: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server = await asyncio.create_subprocess_exec(
            sys.executable, "-m", SEAT_MODULE, "forkserver", stdin=theirs, stdout=asyncio.subprocess.DEVNULL,
            process_group=0)  # Ctrl+C in the console goes to the room server, which closes this. Not a new
        # session: Linux shares CPU between sessions (autogroup), and the seats would get one share.
        theirs.close()
        ours.setblocking(True)
        self._control = ours

    async def new_process(self) -> SeatProcess:
        if self._control is None:
            raise RuntimeError("the fork server is not running")
        seat_end, bridge_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            async with self._lock:
                pid = await asyncio.to_thread(self._fork, seat_end.fileno())
        finally:
            seat_end.close()
        reader, writer = await asyncio.open_unix_connection(sock=bridge_end, limit=1 << 20)
        return SeatProcess(pid, reader, writer)

    def _fork(self, fd: int) -> int:
        control = self._control
        socket.send_fds(control, [b"F"], [fd])
        answer = b""
        while len(answer) < 4:
            chunk = control.recv(4 - len(answer))
            if not chunk:
                raise RuntimeError("the fork server has stopped")
            answer += chunk
        return int.from_bytes(answer, "big")

    async def close(self) -> None:
        if self._control is not None:
            self._control.close()  # EOF: the fork server returns
            self._control = None
        if self._server is not None:
            try:
                await asyncio.wait_for(self._server.wait(), 5)
            except asyncio.TimeoutError:
                self._server.kill()
                await self._server.wait()


class SpawnLauncher:
    """Elsewhere (and on request): `python -m seat_host seat` processes started ahead, `size` kept ready."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._ready: asyncio.Queue[SeatProcess] = asyncio.Queue()
        self._filling: asyncio.Task | None = None
        self._wanted = asyncio.Event()
        self._all: set[SeatProcess] = set()

    async def start(self) -> None:
        self._filling = asyncio.create_task(self._fill(), name="seat-pool")
        self._wanted.set()

    async def _spawn(self) -> SeatProcess:
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", SEAT_MODULE, "seat", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            limit=1 << 20)
        process = SeatProcess(child.pid, child.stdout, child.stdin, child)
        self._all = {p for p in self._all if p.child.returncode is None}
        self._all.add(process)
        return process

    async def _fill(self) -> None:
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            while self._ready.qsize() < self.size:
                try:
                    self._ready.put_nowait(await self._spawn())
                except OSError as exc:
                    log.error("cannot start a seat process: %s", exc)
                    await asyncio.sleep(1)  # not a loop of failures at full speed

    async def new_process(self) -> SeatProcess:
        self._wanted.set()
        if self._ready.empty():
            return await self._spawn()
        return self._ready.get_nowait()

    async def close(self) -> None:
        if self._filling is not None:
            self._filling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._filling
        for process in list(self._all):
            if process.child is not None and process.child.returncode is None:
                process.kill()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(process.child.wait(), 5)


def make_launcher(kind: str = "auto") -> ForkLauncher | SpawnLauncher:
    """`auto`: fork where the OS allows it safely (Linux), spawn elsewhere (Windows, macOS)."""
    if kind == "fork" or (kind == "auto" and sys.platform == "linux"):
        return ForkLauncher()
    return SpawnLauncher()

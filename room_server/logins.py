"""What keeps password checks from being turned against the room: one check at a time per
login and computer, and the scrypt work itself through a small bounded queue, so a flood of
wrong passwords can neither skip the throttle nor starve everyone else of the CPU."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from concurrent.futures import ThreadPoolExecutor
from typing import AsyncIterator, Hashable

from room_protocol import ErrorCode, ProtocolError

from .newroom import verify_password

CHECK_WORKERS = 1  # scrypt threads: one core stays free for the students who already work
MAX_WAITING_CHECKS = 256  # checks queued beyond the running ones; more is refused with `busy`


class KeyedLocks:
    """An asyncio lock per key, forgotten when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class PasswordChecks:
    """scrypt checks on one thread, one computer at a time, the cleanest computer first.

    An address with a check queued or running gets `busy` for another, so the queue holds at
    most one check per computer. Waiting checks go lowest `priority` first (the caller passes
    the address's recent wrong passwords): a student's single try from a computer that never
    guessed waits for the check in progress, never behind a flood from computers that guess."""

    def __init__(self, workers: int = CHECK_WORKERS, max_waiting: int = MAX_WAITING_CHECKS):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="password")
        self._free = workers
        self._max_waiting = max_waiting
        self._waiting: list[tuple[int, int, asyncio.Future]] = []  # a heap: (priority, arrival, turn)
        self._arrivals = itertools.count()
        self._checking: set[str] = set()

    async def check(self, address: str, password: str, stored_hash: str, priority: int = 0, *,
                    trusted: bool = False) -> bool:
        """`address` and `trusted` as origin.py decided them: the laptop itself (many local
        clients behind one address) is not held to one check at a time."""
        if address in self._checking and not trusted:
            raise ProtocolError(ErrorCode.BUSY, "one login at a time from this computer", retry_after_s=0.5)
        if len(self._waiting) >= self._max_waiting:
            raise ProtocolError(ErrorCode.BUSY, "too many logins at once; try again in a moment", retry_after_s=1.0)
        if not trusted:
            self._checking.add(address)
        try:
            await self._turn(priority)
            try:
                return await asyncio.get_running_loop().run_in_executor(self._pool, verify_password, password,
                                                                        stored_hash)
            finally:
                self._next()
        finally:
            if not trusted:
                self._checking.discard(address)

    async def _turn(self, priority: int) -> None:
        if self._free and not self._waiting:
            self._free -= 1
            return
        turn = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (priority, next(self._arrivals), turn))
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():  # given the turn, then cancelled: pass it on
                self._next()
            raise

    def _next(self) -> None:
        """A check ended: the turn goes to the best waiting one, or the worker is free."""
        while self._waiting:
            _, _, turn = heapq.heappop(self._waiting)
            if not turn.done():
                turn.set_result(None)
                return
        self._free += 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

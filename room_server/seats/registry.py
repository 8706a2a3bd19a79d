"""Every browser seat of the room, and the limits that keep a flood of tabs from the laptop.

- at most `max_seats` seats (the roster plus a margin) and `per_address` from one address;
  a seat whose tab went away still counts until its grace period ends;
- at most `starting_at_once` processes starting at the same time, from the fork to the app's
  first screen drawn (the rest queue briefly): a flood of tabs does not take every core at once;
- a seat still at the login screen with no key for `login_idle_s` is closed (its tab shows
  "Continue", which opens a fresh one), so idle tabs do not hold the room's memory;
- a seat with no tab for `grace_s` is closed.
One seat per seat id: the browser keeps its id in localStorage, so a reload is the same seat
and the same state folder (the same device id for the room: not a "second computer").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

from .. import origin
from .launcher import make_launcher
from .seat import Seat

log = logging.getLogger("synaq.seats")

SEAT_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class SeatLimits:
    max_seats: int = 36
    per_address: int = 3
    starting_at_once: int = 6
    login_idle_s: float = 600.0
    grace_s: float = 180.0
    sweep_every_s: float = 2.0

    @classmethod
    def for_roster(cls, students: int, **changes) -> "SeatLimits":
        """The roster plus a fifth (at least 5) for reloads in another browser and a spare computer."""
        changes.setdefault("max_seats", students + max(5, students // 5))
        return cls(**changes)


class Refused(Exception):
    """No seat for this tab: `reason` is "full" or "address_full" (the page translates it)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class SeatRegistry:
    def __init__(self, folder: Path, room_address: str, secret: str, limits: SeatLimits, launcher: str = "auto"):
        self.folder = folder  # <room>/seats/<seat id>/: each seat's settings, journal and log
        self.room_address = room_address  # where seat processes reach the room (loopback)
        self.secret = secret
        self.limits = limits
        self.launcher = make_launcher(launcher)
        self.seats: dict[str, Seat] = {}
        self._starting = asyncio.Semaphore(limits.starting_at_once)
        self._slot_holders: set[asyncio.Task] = set()
        self._sweeper: asyncio.Task | None = None

    async def start(self) -> None:
        self.folder.mkdir(mode=0o700, exist_ok=True)
        await self.launcher.start()
        self._sweeper = asyncio.create_task(self._sweep(), name="seat-sweeper")

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        await asyncio.gather(*(seat.stop() for seat in list(self.seats.values())), return_exceptions=True)
        for task in list(self._slot_holders):
            task.cancel()
        self.seats.clear()
        await self.launcher.close()

    # ------------------------------------------------------------------ admitting a tab

    async def admit(self, seat_id: str, address: str) -> Seat:
        """The seat for this id, started if new; raises Refused when a limit says no."""
        seat = self.seats.get(seat_id)
        if seat is not None and not seat.ended.is_set():
            return seat
        if seat is not None:
            del self.seats[seat_id]
        if len(self.seats) >= self.limits.max_seats:
            raise Refused("full")
        if sum(1 for s in self.seats.values() if s.address == address) >= self.limits.per_address:
            raise Refused("address_full")
        seat = Seat(seat_id, address, self.folder / seat_id)
        self.seats[seat_id] = seat  # counted from now, while it waits for a start slot and starts
        slot = False
        try:
            await self._starting.acquire()
            slot = True
            process = await self.launcher.new_process()
            await seat.start(process, {
                "state_dir": str(seat.state_dir), "server": self.room_address,
                "headers": origin.header(self.secret, address), "width": 80, "height": 24})
        except BaseException:  # also cancelled while queued: never left counted with no process
            if slot:
                self._starting.release()
            self.seats.pop(seat_id, None)
            seat.ended.set()  # a tab waiting for this seat stops waiting
            raise
        holder = asyncio.create_task(self._free_slot_when_drawn(seat), name=f"slot-{seat_id[:8]}")
        self._slot_holders.add(holder)
        holder.add_done_callback(self._slot_holders.discard)
        log.info("seat %s started for %s (%d seats)", seat_id[:8], address, len(self.seats))
        return seat

    async def _free_slot_when_drawn(self, seat: Seat) -> None:
        try:
            await seat.first_screen()
        finally:
            self._starting.release()

    # ------------------------------------------------------------------ closing what is not used

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(self.limits.sweep_every_s)
            for seat in self.expired(time.monotonic()):
                log.info("seat %s closed (%s)", seat.id[:8], "idle at login" if not seat.logged_in else "no tab")
                self.seats.pop(seat.id, None)
                asyncio.create_task(seat.stop())
            for seat_id, seat in list(self.seats.items()):
                if seat.ended.is_set():
                    self.seats.pop(seat_id, None)

    def expired(self, now: float) -> list[Seat]:
        gone = []
        for seat in self.seats.values():
            if not seat.started.is_set():
                continue
            no_tab = seat.detached_at is not None and now - seat.detached_at > self.limits.grace_s
            idle_login = not seat.logged_in and now - seat.last_input > self.limits.login_idle_s
            if no_tab or idle_login:
                gone.append(seat)
        return gone

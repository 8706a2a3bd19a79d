"""Every time a screen of the student app shows comes from here, from one time source.

`LiveClock` runs the server's last word forward on the monotonic clock (the test's time
left through the client's `AttemptClock`, which it hands the same source; a break's time
left from the moment its clock push arrived). `FrozenClock` shows fixed times and never
moves: snapshots of any screen are then the same picture however slow the machine is."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    import room_protocol as p
    from room_client import StudentClient


class LiveClock:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic):
        self.monotonic = monotonic
        self._break_ms = 0
        self._break_at = monotonic()

    def heard(self, clock: "p.Clock") -> None:
        """A clock push arrived: a break's time left counts down from now."""
        if clock.break_remaining_ms is not None:
            self._break_ms, self._break_at = clock.break_remaining_ms, self.monotonic()

    def remaining_ms(self, client: "StudentClient | None") -> int:
        return client.clock.now_remaining_ms() if client is not None else 0

    def break_remaining_ms(self) -> int:
        return max(0, self._break_ms - int((self.monotonic() - self._break_at) * 1000))


class FrozenClock(LiveClock):
    """Fixed times for pictures of the screens: the test's time left, the break's."""

    def __init__(self, remaining_ms: int, break_ms: int | None = None):
        super().__init__(lambda: 0.0)
        self.fixed_remaining_ms = remaining_ms
        self.fixed_break_ms = remaining_ms if break_ms is None else break_ms

    def heard(self, clock: "p.Clock") -> None:
        pass

    def remaining_ms(self, client: "StudentClient | None") -> int:
        return self.fixed_remaining_ms

    def break_remaining_ms(self) -> int:
        return self.fixed_break_ms

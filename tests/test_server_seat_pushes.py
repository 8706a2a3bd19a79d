"""A proctor watching a big room stays connected: the ticker marks every seat every 5 s, and
all of them in one flush overflowed the proctor's send queue (256 frames) and dropped the
console every 5 s in a room of 500."""

from __future__ import annotations

import asyncio

from conftest import make_room

import room_protocol as p
from room_client import Connection, ServerError


async def test_every_seat_reaches_a_watching_proctor_without_a_drop(tmp_path):
    room = await make_room(tmp_path, students=p.SEND_QUEUE_LIMIT + 100)
    await room.start()
    try:
        proctor = await room.client("proctor")
        await proctor.watch()
        seen: set[int] = set()
        trouble = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while len(seen) < len(room.logins) and loop.time() < deadline:
            try:
                event = await asyncio.wait_for(proctor.events.get(), 1)
            except asyncio.TimeoutError:
                continue
            if isinstance(event, p.Seat):
                seen.add(event.seat.student)
            elif isinstance(event, (Connection, ServerError)):
                trouble.append(event)
        assert not trouble, trouble
        assert len(seen) == len(room.logins)  # the periodic push of every seat, all of it
        assert (await proctor.watch()).sitting.state == "not_open"  # still connected, still answered
    finally:
        await room.close_clients()
        await room.stop()

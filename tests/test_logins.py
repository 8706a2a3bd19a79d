"""room_server.logins: the queue of password checks serves a computer that never guessed
before the computers that guess, one check per computer, and stays bounded."""

from __future__ import annotations

import asyncio

import pytest

from room_protocol import ProtocolError
from room_server.logins import PasswordChecks
from room_server.newroom import hash_password


async def test_a_clean_computer_goes_before_a_queue_of_guessers():
    checks = PasswordChecks(workers=1)
    stored = hash_password("abcdef")
    finished: list[str] = []

    async def one(address: str, password: str, priority: int) -> bool:
        ok = await checks.check(address, password, stored, priority=priority)
        finished.append(address)
        return ok

    try:
        guessers = [asyncio.create_task(one(f"10.0.0.{i}", "zzzzzz", 5)) for i in range(1, 21)]
        await asyncio.sleep(0)  # every guess is queued (one is running) before the student arrives
        student = asyncio.create_task(one("10.0.1.1", "abcdef", 0))
        results = await asyncio.gather(*guessers, student)
    finally:
        checks.close()
    assert results[-1] is True and not any(results[:-1])
    assert finished.index("10.0.1.1") <= 1  # after at most the check already running


async def test_one_check_at_a_time_per_computer_and_a_bounded_queue():
    checks = PasswordChecks(workers=1, max_waiting=3)
    stored = hash_password("abcdef")
    try:
        first = asyncio.create_task(checks.check("10.0.0.1", "x", stored))
        await asyncio.sleep(0)
        with pytest.raises(ProtocolError) as same:
            await checks.check("10.0.0.1", "y", stored)
        assert same.value.code == "busy"
        queued = [asyncio.create_task(checks.check(f"10.0.0.{i}", "x", stored)) for i in range(2, 5)]
        await asyncio.sleep(0)
        with pytest.raises(ProtocolError) as full:
            await checks.check("10.0.0.9", "x", stored)
        assert full.value.code == "busy"
        assert not any(await asyncio.gather(first, *queued))
        assert await checks.check("10.0.0.1", "abcdef", stored)  # the queue drained, the computer may try again
    finally:
        checks.close()


async def test_a_cancelled_waiter_does_not_stall_the_queue():
    checks = PasswordChecks(workers=1)
    stored = hash_password("abcdef")
    try:
        running = asyncio.create_task(checks.check("10.0.0.1", "x", stored))
        await asyncio.sleep(0)
        gone = asyncio.create_task(checks.check("10.0.0.2", "x", stored))  # its connection closes
        await asyncio.sleep(0)
        gone.cancel()
        after = asyncio.create_task(checks.check("10.0.0.3", "abcdef", stored))
        assert await asyncio.wait_for(after, 10) is True
        assert await running is False
    finally:
        checks.close()

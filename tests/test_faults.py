"""Nothing acknowledged is lost while the server is SIGKILLed, links are cut, half-open or
squeezed, a student's app is killed and a student moves to a second computer.

The harness itself is tests/fault_harness.py (also a command: python -m tests.fault_harness).
Where network namespaces cannot be made, the link faults are skipped with the reason printed
and the rest runs on loopback.
"""

from __future__ import annotations

import pytest

from fault_harness import Config, run_harness


def _run(capsys, cfg: Config):
    summary = run_harness(cfg)
    with capsys.disabled():
        print("\n" + summary.text())
    assert summary.answers_lost == 0, summary.text()
    assert summary.ok(), summary.text()
    return summary


@pytest.mark.timeout(400)
@pytest.mark.parametrize("iptables", [True, False], ids=["with-iptables", "without-iptables"])
def test_faults_fast(capsys, iptables):
    """40 students, 3 server kills, link cuts of each kind, a killed app, a second computer; and
    the same without iptables (other faults in the mix: a check must not rely on one tool)."""
    summary = _run(capsys, Config(students=40, kills=3, cuts=3, groups=4, think=1.5, seed=7, timeout_s=300,
                                  iptables=iptables))
    assert summary.kills == 3
    assert summary.app_kills == 1 and summary.second_device
    assert summary.finished == summary.students
    assert summary.answers_acked >= 40 * 30
    assert summary.journal_answers > 0
    assert summary.clock_checks > 0


@pytest.mark.soak
@pytest.mark.timeout(2400)
def test_faults_soak(capsys):
    """200 students, 10 SIGKILL restarts (one long enough to pause the room), many link faults."""
    summary = _run(capsys, Config(students=200, kills=10, cuts=9, groups=6, think=5.0, seed=11, long_outage=True,
                                  timeout_s=1800))
    assert summary.kills >= 10
    assert summary.finished == summary.students
    assert summary.answers_acked >= 200 * 30


async def test_proctor_watches_a_room_of_200(tmp_path):
    """The room snapshot of 200 seats (~100 KB) reaches the proctor: the client once refused
    server frames over the 64 KB limit meant for client frames (the soak run found it)."""
    from conftest import make_room
    room = await make_room(tmp_path, students=200)
    await room.start()
    try:
        proctor = await room.client("proctor")
        snapshot = await proctor.watch()
        assert len(snapshot.seats) == 200
    finally:
        await room.close_clients()
        await room.stop()

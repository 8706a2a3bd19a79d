"""A day of streams in one folder: grade 9 and grade 4 as separate streams, each with its own
roster, pack, clock, slips and bundle; one live at a time; a student logs in only during
their stream (issue "The administrator's whole day")."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest

import room_protocol as p
from conftest import LiveRoom, centre_questionnaires, next_event, pack_path, roster_text, wait_until
from room_client import ProctorClient, ServerError, StudentClient
from room_server import day as day_rules
from room_server.bundle_verify import verify_bundle
from room_server.cli import main as cli_main
from room_server.newroom import SetupError, init_room, read_proctor_key
from room_server.signing import room_fingerprint


async def make_day(folder: Path) -> tuple[Path, list[dict], list[dict]]:
    """Stream 1: grade 9 in Kazakh and Russian; stream 2: grade 4 in Kazakh."""
    questionnaires = centre_questionnaires(folder / "centre")
    day = folder / "room12"
    (folder / "g9.csv").write_text(roster_text(4, grade=9, languages=("kk", "ru"), seed=1), encoding="utf-8")
    (folder / "g4.csv").write_text(roster_text(3, grade=4, seed=2), encoding="utf-8")
    first = await init_room(day, folder / "g9.csv", [pack_path("g9-kk"), pack_path("g9-ru")],
                            questionnaire_paths=questionnaires, school="Школа №7", room="12", stream=1)
    second = await init_room(day, folder / "g4.csv", [pack_path("g4-kk")], questionnaire_paths=questionnaires,
                             school="Школа №7", room="12", stream=2)
    return day, first.logins, second.logins


@pytest.fixture
async def day(tmp_path):
    folder, nine, four = await make_day(tmp_path)
    live = LiveRoom(folder, read_proctor_key(folder), nine + four)
    live.centre = tmp_path / "centre"
    await live.start()
    try:
        yield live, nine, four
    finally:
        await live.close_clients()
        await live.stop()


async def student(live: LiveRoom, row: dict, device: str) -> StudentClient:
    client = StudentClient(live.address, reconnect=False)
    live.clients.append(client)
    await client.connect()
    await client.login(row["login"], row["password"], device)
    return client


async def test_a_day_keeps_its_streams_apart_but_shares_its_keys(tmp_path):
    folder, nine, four = await make_day(tmp_path)
    assert day_rules.streams(folder) == [1, 2] and day_rules.live_stream(folder) == 1
    logins = [row["login"] for row in nine + four]
    assert len(set(logins)) == len(logins)
    assert {row["ikt"] for row in nine}.isdisjoint(row["ikt"] for row in four)
    assert read_proctor_key(folder / "stream-1") == read_proctor_key(folder / "stream-2") == read_proctor_key(folder)
    assert room_fingerprint(folder / "stream-1") == room_fingerprint(folder / "stream-2")
    # One student sits in one stream of the day.
    (tmp_path / "again.csv").write_text(roster_text(2, grade=4, seed=2), encoding="utf-8")
    with pytest.raises(SetupError, match="sits in stream 2"):
        await init_room(folder, tmp_path / "again.csv", [pack_path("g4-kk")],
                        questionnaire_paths=centre_questionnaires(tmp_path / "centre"), stream=3)
    assert day_rules.streams(folder) == [1, 2]
    with pytest.raises(SetupError, match="already has stream 2"):
        await init_room(folder, tmp_path / "g4.csv", [pack_path("g4-kk")],
                        questionnaire_paths=centre_questionnaires(tmp_path / "centre"), stream=2)


async def test_two_streams_end_to_end_with_two_bundles_that_verify(day, tmp_path):
    live, nine, four = day
    proctor = ProctorClient(live.address, live.key, reconnect=True)
    live.clients.append(proctor)
    await proctor.connect()
    room = await proctor.watch()
    assert room.sitting.grade == 9 and [(s.number, s.grade, s.live) for s in room.sitting.streams] == [
        (1, 9, True), (2, 4, False)]
    # A grade 4 child who comes now is told it is not their stream yet.
    with pytest.raises(ServerError) as early:
        await student(live, four[0], "pc-4")
    assert early.value.code == "not_your_stream" and "stream 2" in early.value.reason
    # Stream 1 runs: a switch is refused while its sitting is open.
    await proctor.request(p.OpenSitting())
    nine_client = await student(live, nine[0], "pc-9")
    await nine_client.confirm_data()
    test = await nine_client.start()
    item = test.subjects[0].items[0]
    nine_client.answer(item.id, "A" if item.kind == "single" else ["A"] if item.kind == "multiple" else "1")
    await nine_client.flush_answers()
    with pytest.raises(ServerError) as still_open:
        await proctor.switch_stream(2)
    assert still_open.value.code == "wrong_state"
    await proctor.request(p.CloseSitting())
    await proctor.switch_stream(2)
    # Every connection is closed with stream_changed; the console's session comes back to stream 2.
    changed = await next_event(nine_client, lambda e: isinstance(e, p.Error) and e.code == "stream_changed")
    assert "stream 2" in changed.reason
    now = await next_event(proctor, lambda e: isinstance(e, p.Room) and e.sitting.grade == 4, timeout=15)
    assert [(s.number, s.state, s.live) for s in now.sitting.streams] == [(1, "closed", False), (2, "not_open", True)]
    assert day_rules.live_stream(live.dir) == 2
    four_client = await student(live, four[0], "pc-4")
    assert four_client.login_ok.student.grade == 4
    with pytest.raises(ServerError) as late:
        await student(live, nine[1], "pc-9b")
    assert late.value.code == "not_your_stream" and "stream 1" in late.value.reason
    # Each stream leaves its own bundle; both verify and carry the day's one key.
    usb = tmp_path / "usb"
    usb.mkdir()
    for number in (1, 2):
        assert await asyncio.to_thread(cli_main, ["export", "--data", str(live.dir), "--stream", str(number),
                                                  "--to", str(usb)]) == 0
    bundles = sorted(usb.iterdir())
    assert [b.name.endswith(f"sitting-{n}") for n, b in zip((1, 2), bundles)] == [True, True]
    reports = [verify_bundle(b) for b in bundles]
    assert all(r.ok for r in reports) and len({r.fingerprint for r in reports}) == 1


async def test_the_console_adds_a_stream_and_a_bad_roster_adds_nothing(day, tmp_path):
    live, nine, four = day
    proctor = await live.proctor()
    bad = tmp_path / "bad.csv"
    bad.write_text("iin;surname\n123;X\n", encoding="utf-8")
    with pytest.raises(ServerError) as refused:
        await proctor.add_stream(3, str(bad), [pack_path("g4-ru")], centre_questionnaires(tmp_path / "centre2"))
    assert refused.value.code == "bad_field" and "bad.csv" in refused.value.reason
    assert day_rules.streams(live.dir) == [1, 2] and not (live.dir / "stream-3").exists()
    good = tmp_path / "g4ru.csv"
    good.write_text(roster_text(2, grade=4, languages=("ru",), seed=3), encoding="utf-8")
    await proctor.add_stream(3, str(good), [pack_path("g4-ru")], centre_questionnaires(tmp_path / "centre"))
    room = await proctor.watch()
    assert [(s.number, s.languages, s.students) for s in room.sitting.streams][-1] == (3, ["ru"], 2)


async def test_commands_name_the_stream_they_need(day, tmp_path, capsys):
    live, _, _ = day
    out = tmp_path / "seating.pdf"
    assert await asyncio.to_thread(cli_main, ["print", "seating", "--data", str(live.dir), "--stream", "7",
                                              "--out", str(out)]) == 1
    assert "no stream 7" in capsys.readouterr().err and not out.exists()
    assert await asyncio.to_thread(cli_main, ["print", "seating", "--data", str(live.dir), "--out", str(out)]) == 0


async def test_the_demo_day_simulates_both_streams_one_after_the_other(tmp_path):
    from room_server.demo import make_demo_room
    from room_tools.sim import run_sim

    data = tmp_path / "demo-day"
    await make_demo_room(data, students=4, open_sitting=True, streams=2)
    assert day_rules.streams(data) == [1, 2]
    with open(data / "demo-logins.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [row["stream"] for row in rows] == ["1"] * 4 + ["2"] * 20
    live = LiveRoom(data, read_proctor_key(data), rows)
    await live.start()
    try:
        proctor = ProctorClient(live.address, live.key)
        live.clients.append(proctor)
        await proctor.connect()
        await proctor.watch()
        logins = tmp_path / "both.csv"
        with open(logins, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["login", "password"])
            writer.writerows([row["login"], row["password"]] for row in rows[:4] + rows[4:7])
        sim = asyncio.ensure_future(run_sim(live.address, str(logins), think=0, take_break=False))
        # Stream 1 (open) finishes, questionnaires too (a switch cuts off whoever is still
        # answering one); then the administrator closes it and makes stream 2 live.
        await wait_all_done(proctor, grade=9, count=4)
        await proctor.close_sitting()
        await proctor.switch_stream(2)
        await next_event(proctor, lambda e: isinstance(e, p.Room) and e.sitting.grade == 4, timeout=15)
        await proctor.open_sitting()
        assert await asyncio.wait_for(sim, 120) == 0  # all seven finished, three of them after the switch
    finally:
        await live.close_clients()
        await live.stop()


async def wait_all_done(proctor: ProctorClient, *, grade: int, count: int) -> None:
    """Until `count` students of the live stream are done, questionnaire included (the console's view)."""
    async def done() -> bool:
        room = await proctor.watch()
        return room.sitting.grade == grade and sum(s.state == "done"
                                                   for s in room.seats) >= count
    await wait_until(done, timeout=90, what=f"{count} students of grade {grade} finished")

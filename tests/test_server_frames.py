"""A table of bad frames sent to a real server, each with its error code; after each the server
still serves a well-formed client, and nothing saved has changed."""

from __future__ import annotations

import asyncio

import msgpack
import pytest

from conftest import RawSocket, db_answers, db_snapshot
import room_protocol as p
from room_protocol import ErrorCode


def packb(obj) -> bytes:
    return msgpack.packb(obj, use_bin_type=True)


ANSWER = {"t": "answer", "seq": 1, "item": "A-r1", "value": "B", "made_ms": 10}

# (name, the stage the connection is in, the frame, the expected code, the connection closes)
CASES = [
    ("not msgpack", "hello", b"\xc1\xff\x00garbage", ErrorCode.BAD_FRAME, False),
    ("a msgpack array", "hello", packb(["answer", 1, "A-r1"]), ErrorCode.BAD_FRAME, False),
    ("a msgpack number", "hello", packb(42), ErrorCode.BAD_FRAME, False),
    ("a map without t", "hello", packb({"seq": 1}), ErrorCode.BAD_FRAME, False),
    ("unknown t", "hello", packb({"t": "give_me_the_keys"}), ErrorCode.UNKNOWN_TYPE, False),
    ("a server message", "testing", packb({"t": "result", "subjects": [], "total": 99, "max_total": 99,
                                           "percent": 100, "reason": "finished"}), ErrorCode.UNKNOWN_TYPE, False),
    ("missing field", "testing", packb({k: v for k, v in ANSWER.items() if k != "item"}), ErrorCode.MISSING_FIELD, False),
    ("unknown field", "testing", packb({**ANSWER, "counted": True}), ErrorCode.UNKNOWN_FIELD, False),
    ("int for str", "testing", packb({**ANSWER, "item": 7}), ErrorCode.BAD_FIELD, False),
    ("bool for int", "testing", packb({**ANSWER, "seq": True}), ErrorCode.BAD_FIELD, False),
    ("str for int", "testing", packb({**ANSWER, "made_ms": "10"}), ErrorCode.BAD_FIELD, False),
    ("str for a map", "proctor", packb({"t": "save_protocol", "fields": "all"}), ErrorCode.BAD_FIELD, False),
    ("str for a bool", "proctor", packb({"t": "attendance", "student": 1, "present": "yes"}), ErrorCode.BAD_FIELD, False),
    ("bad value for the item", "testing", packb({**ANSWER, "value": ["B"]}), ErrorCode.BAD_FIELD, False),
    ("seq out of range", "testing", packb({**ANSWER, "seq": 0}), ErrorCode.BAD_FIELD, False),
    ("a bool request id", "hello", packb({"t": "hello", "version": 1, "role": "student", "id": False}),
     ErrorCode.BAD_FIELD, False),
    ("an int map key", "testing", packb({**ANSWER, "value": {1: "A"}}), ErrorCode.BAD_FRAME, False),
    ("too long array", "testing", packb({**ANSWER, "value": ["A"] * 5000}), ErrorCode.BAD_FRAME, False),
    ("too big map", "testing", packb({**ANSWER, "value": {str(i): "A" for i in range(1000)}}), ErrorCode.BAD_FRAME, False),
    ("nested too deep", "testing", b"\x85" + b"".join(packb(k) + packb(v) for k, v in ANSWER.items() if k != "value")
     + packb("value") + b"\x91" * 10000 + b"\xc0", ErrorCode.BAD_FRAME, False),
    ("nested deep but legal", "testing", packb({**ANSWER, "value": [[[[[[[[["A"]]]]]]]]]}), ErrorCode.BAD_FIELD, False),
    ("too large", "testing", packb({**ANSWER, "value": "Ә" * 60_000}), ErrorCode.TOO_LARGE, True),
    ("answer before login", "hello", packb(ANSWER), ErrorCode.WRONG_STATE, False),
    ("start before login", "hello", packb({"t": "start"}), ErrorCode.WRONG_STATE, False),
    ("a second hello", "testing", packb({"t": "hello", "version": 1, "role": "proctor", "key": "x"}),
     ErrorCode.WRONG_STATE, False),
    ("proctor message from a student", "testing", packb({"t": "pause", "reason": "power"}), ErrorCode.FORBIDDEN, False),
    ("proctor watch from a student", "hello", packb({"t": "watch"}), ErrorCode.FORBIDDEN, False),
    ("confirm while testing", "testing", packb({"t": "confirm_data"}), ErrorCode.WRONG_STATE, False),
    ("break while confirming", "confirming", packb({"t": "take_break"}), ErrorCode.WRONG_STATE, False),
    ("answer while confirming", "confirming", packb(ANSWER), ErrorCode.WRONG_STATE, False),
    ("finish without a request", "testing", packb({"t": "finish", "check": "12"}), ErrorCode.WRONG_STATE, False),
    ("questionnaire while testing", "testing", packb({"t": "questionnaire_start"}), ErrorCode.WRONG_STATE, False),
    ("a student message from the proctor", "proctor", packb(ANSWER), ErrorCode.FORBIDDEN, False),
    ("no hello first", "connected", packb({"t": "start"}), ErrorCode.NOT_HELLO, False),
]


async def into_stage(raw: RawSocket, live, stage: str) -> None:
    if stage == "connected":
        return
    if stage == "proctor":
        assert (await raw.hello("proctor", live.key))["t"] == "hello_ok"
        return
    assert (await raw.hello())["t"] == "hello_ok"
    if stage == "hello":
        return
    login = live.logins[0]  # seat 1: variant A
    await raw.send({"t": "login", "login": login["login"], "password": login["password"], "test_type": "MODO",
                    "device": "raw-pc"}, 2)
    assert (await raw.reply())["t"] == "login_ok"
    if stage == "confirming":
        return
    await raw.send({"t": "confirm_data"}, 3)
    assert (await raw.reply())["t"] == "ok"
    await raw.send({"t": "start"}, 4)
    assert (await raw.reply())["t"] == "test"


@pytest.mark.parametrize("stage, frame, code, closes", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_bad_frame(live_open, stage, frame, code, closes):
    async with RawSocket(live_open.address) as raw:
        await into_stage(raw, live_open, stage)
        before = db_snapshot(live_open.dir)
        await raw.send(frame)
        reply = await raw.reply()
        assert reply is not None and reply["t"] == "error", reply
        assert reply["code"] == code, reply
        assert isinstance(reply["reason"], str) and len(reply["reason"]) > 5
        if closes:
            while (msg := await raw.receive()) is not None:
                assert msg["t"] == "error"
        else:  # the same connection goes on
            follow_up = {"connected": {"t": "hello", "version": 1, "role": "student"},
                         "proctor": {"t": "list_incidents"}}.get(stage, {"t": "take_break"})
            await raw.send(follow_up, 77)
            follow = await raw.reply()
            assert follow["re"] == 77, follow
    assert db_snapshot(live_open.dir) == before
    # The server still serves a well-formed client.
    client, test = await live_open.testing(1)
    item = test.subjects[0].items[0]
    ack = await client.request(p.Answer(1, item.id, "A", 10))
    assert ack.counted
    assert db_answers(live_open.dir, live_open.student_id(1)) == {item.id: "A"}


@pytest.mark.parametrize("wire, code", [
    ({**ANSWER, "counted": True}, ErrorCode.UNKNOWN_FIELD), ({"t": "answer", "seq": 1}, ErrorCode.MISSING_FIELD),
    ({**ANSWER, "seq": "1"}, ErrorCode.BAD_FIELD), ({"t": "fly"}, ErrorCode.UNKNOWN_TYPE)], ids=lambda v: str(v)[:20])
async def test_an_undecodable_request_still_gets_its_reply(live_open, wire, code):
    async with RawSocket(live_open.address) as raw:
        await raw.hello()
        await raw.send(wire, 31)
        reply = await raw.reply()
        assert (reply["code"], reply["re"]) == (code, 31)


async def test_a_text_frame(live_open):
    async with RawSocket(live_open.address) as raw:
        await raw.ws.send_str('{"t": "hello"}')
        reply = await raw.reply()
        assert reply["code"] == ErrorCode.BAD_FRAME and "binary" in reply["reason"]
        assert (await raw.hello())["t"] == "hello_ok"


async def test_a_frame_far_over_the_limit_is_cut_off(live_open):
    async with RawSocket(live_open.address) as raw:
        await raw.hello()
        before = db_snapshot(live_open.dir)
        await raw.send(b"\x00" * (p.MAX_FRAME_BYTES * 4 + 100))
        while (msg := await raw.receive()) is not None:
            assert msg["t"] == "error"
    assert db_snapshot(live_open.dir) == before
    await live_open.testing(1)


async def test_a_flood_of_bad_frames_closes_only_that_connection(live_open):
    good, test = await live_open.testing(1)
    async with RawSocket(live_open.address) as raw:
        for _ in range(60):
            await raw.send(b"\xc1")
        codes = []
        while (msg := await raw.receive()) is not None:
            codes.append(msg["code"])
        # Closed: by the bad-frame limit, or first by the limit of frames before a login.
        assert codes.count(ErrorCode.BAD_FRAME) >= 40 and codes[-1] in (ErrorCode.BAD_FRAME, ErrorCode.TOO_FAST)
    ack = await good.request(p.Answer(1, test.subjects[0].items[0].id, "A", 10))
    assert ack.counted


async def test_a_client_sending_far_too_fast_is_told_to_slow_down(live_open):
    item = "A-r1"
    async with RawSocket(live_open.address) as raw:
        await into_stage(raw, live_open, "testing")
        for i in range(400):
            await raw.send({"t": "goto", "item": item}, 100 + i)
        codes = []
        for _ in range(400):
            msg = await raw.reply()
            codes.append(msg.get("code", msg["t"]))
            assert msg["re"] == 100 + len(codes) - 1  # in order, each naming its request
        assert codes.count(ErrorCode.TOO_FAST) >= 100 and codes.count("ok") >= 150
        assert set(codes) == {"ok", ErrorCode.TOO_FAST}  # every frame answered: none dropped
        await raw.send({"t": "goto", "item": item}, 999)  # the connection was not closed for it
        assert (await raw.reply())["re"] == 999


async def test_a_client_that_does_not_read_is_dropped_not_buffered():
    from room_server.app import Connection

    class StuckSocket:
        closed_with = None

        async def close(self, code=None, message=b""):
            self.closed_with = code

    ws = StuckSocket()
    conn = Connection(ws, "10.0.0.9")  # its writer never runs: nothing is drained
    for _ in range(p.SEND_QUEUE_LIMIT + 50):
        conn.send(p.Clock("testing", 1000, 0, False, False))
    assert conn.closing
    assert conn.queue.qsize() <= p.SEND_QUEUE_LIMIT
    await asyncio.sleep(0)  # the close scheduled from send() runs
    assert ws.closed_with is not None

"""The whole sitting through a client written from docs/protocol.md alone (tests/doc_client.py,
with `cryptography` for the HPKE seal the page names), against a real server on a real port. Every field set below is copied from the page: if the
server and the page drift apart, this fails."""

from __future__ import annotations

import msgpack
import pytest

from doc_client import DocClient, DocError, a_value, solve

STUDENT = {"surname", "name", "patronymic", "iin", "test_language", "test_type", "ikt", "seat", "grade", "class_name"}
ATTEMPT = {"state", "sitting", "subject_index", "closed_subjects", "current_item", "answered", "remaining_ms",
           "elapsed_ms", "total_minutes", "questionnaire_done", "journal_key", "rules", "result", "late_grace_ms"}
TEST = {"t", "re", "subjects", "timing", "journal_key", "answers", "next_seq", "current_item", "subject_index", "aids"}
TIMING = {"total_minutes", "work_block_minutes", "break_minutes", "breaks", "breaks_optional", "reopen"}
ITEM_REQUIRED = {"id", "kind", "text", "points"}
ITEM_OPTIONAL = {"stimulus", "options", "left", "right", "answer_type", "units"}
RESULT = {"subjects", "total", "max_total", "percent", "reason"}
SEAT = {"student", "seat", "ikt", "login", "surname", "name", "patronymic", "class_label", "language", "variant",
        "status", "state", "subject", "subject_title", "answered", "total", "remaining_ms", "online",
        "offline_since_ms", "alerts", "data_mistake", "present", "logged_in", "late", "absent_reason", "absent_document",
        "slip_handed", "slip_collected", "extra_minutes", "annulled", "finish_reason", "questionnaire_done",
        "on_break", "break_remaining_ms", "late_answers"}
SITTING = {"state", "school", "room", "sitting", "grade", "opened_ms", "closed_ms", "paused", "pause_reason",
           "room_break", "packs", "total_minutes", "late_grace_ms", "staff", "streams"}
CLOCK_REQUIRED = {"state", "remaining_ms", "elapsed_ms", "paused", "break_due"}


async def refused(call, code: str) -> dict:
    with pytest.raises(DocError) as err:
        await call
    assert err.value.code == code, err.value.frame
    return err.value.frame


async def test_a_client_from_the_page_takes_the_whole_sitting(live):
    proctor, student = DocClient(live.address), DocClient(live.address)
    try:
        hello = await proctor.open("proctor", live.key)
        assert hello["t"] == "hello_ok" and hello["version"] == 2
        room = await proctor.call("watch")
        assert set(room["sitting"]) == SITTING and room["sitting"]["state"] == "not_open"
        assert all(set(seat) == SEAT for seat in room["seats"])

        await student.open("student")
        login = live.logins[0]
        await refused(student.call("login", login=login["login"], password="nope", test_type="MODO", device="pc-1"),
                      "bad_login")
        ok = await student.call("login", login=login["login"], password=login["password"], test_type="MODO",
                                device="pc-1")
        assert set(ok["student"]) == STUDENT and set(ok["attempt"]) == ATTEMPT
        assert ok["attempt"]["state"] == "confirming" and ok["student"]["test_type"] == "MODO"
        await student.call("confirm_data")
        assert (await student.call("start"))["t"] == "waiting"
        await proctor.call("open_sitting")
        await student.push("sitting", state="open")
        test = await student.call("start")
        assert set(test) <= TEST and TEST - set(test) <= {"current_item", "subject_index", "aids"}
        assert set(test["timing"]) == TIMING and len(test["journal_key"]) == 32
        for subject in test["subjects"]:
            for item in subject["items"]:
                assert ITEM_REQUIRED <= set(item) <= ITEM_REQUIRED | ITEM_OPTIONAL, item  # never a key
        clock = await student.push("clock")
        assert CLOCK_REQUIRED <= set(clock) and clock["state"] == "testing"

        first, second = test["subjects"][0], test["subjects"][1]
        item = first["items"][0]
        seq = test["next_seq"]
        ack = await student.call("answer", seq=seq, item=item["id"], value=a_value(item), made_ms=1000)
        assert ack["t"] == "ack" and ack["counted"] is True and ack["seq"] == seq
        # A replay is acknowledged again; the same number with another value changes nothing.
        assert (await student.call("answer", seq=seq, item=item["id"], value=a_value(item), made_ms=1000))["t"] == "ack"
        await refused(student.call("answer", seq=seq, item=item["id"], value=None, made_ms=1000), "bad_field")
        await refused(student.call("answer", seq=10_000_000, item=item["id"], value=None, made_ms=1000), "bad_field")
        matching = next(i for s in test["subjects"] for i in s["items"] if i["kind"] == "matching")
        if matching in first["items"]:
            await refused(student.call("answer", seq=seq + 1, item=matching["id"], value={"²": "A"}, made_ms=1),
                          "bad_field")
        # A subject not reached yet takes no answers.
        await refused(student.call("answer", seq=seq + 1, item=second["items"][0]["id"],
                                   value=a_value(second["items"][0]), made_ms=1500), "wrong_state")
        assert (await student.call("goto", item=first["items"][1]["id"]))["t"] == "ok"

        # A paused room takes nothing the student would have to undo.
        await proctor.call("pause", reason="power")
        paused = await student.push("clock", paused=True)
        assert paused["pause_reason"] == "power"
        await refused(student.call("answer", seq=seq + 1, item=item["id"], value=None, made_ms=2000), "paused")
        await refused(student.call("next_subject"), "paused")
        await proctor.call("resume")
        await student.push("clock", paused=False)

        now = await student.call("next_subject")
        assert now["t"] == "subject" and now["subject_index"] == 1 and first["id"] in now["closed"]
        check = await student.call("finish_request")
        assert set(check["unanswered"]) == {s["id"] for s in test["subjects"]}
        await refused(student.call("finish", check=str(int(solve(check["question"])) + 1)), "bad_check")
        check = await student.call("finish_request")
        result = await student.call("finish", check=" " + solve(check["question"]))
        assert result["t"] == "result" and RESULT <= set(result) and result["reason"] == "finished"
        # A result once shown is final: no more answers, and the same result again.
        await refused(student.call("answer", seq=seq + 2, item=item["id"], value=None, made_ms=3000), "sealed")
        again = await student.call("get_result")
        assert {k: again[k] for k in RESULT} == {k: result[k] for k in RESULT}

        relogin = DocClient(live.address)
        await relogin.open("student")
        ok = await relogin.call("login", login=login["login"], password=login["password"], test_type="MODO",
                                device="pc-1")
        assert ok["attempt"]["state"] == "finished" and ok["attempt"]["result"]["total"] == result["total"]
        await relogin.close()
        await student.push("error", code="replaced")
    finally:
        await student.close()
        await proctor.close()


async def test_the_questionnaire_from_the_page_sealed_for_the_centre(live_open):
    from cryptography.hazmat.primitives import hpke
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

    from conftest import centre_private_key

    suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
    info = b"synaq questionnaire response v1"
    student = DocClient(live_open.address)
    try:
        await student.open("student")
        login = live_open.logins[1]
        ok = await student.call("login", login=login["login"], password=login["password"], test_type="MODO",
                                device="pc-2")
        await student.call("confirm_data")
        test = await student.call("start")
        assert test["t"] == "test"
        check = await student.call("finish_request")
        await student.call("finish", check=solve(check["question"]))
        q = await student.call("questionnaire_start")
        assert set(q) - {"t", "re"} == {"questionnaire", "version", "audience", "title", "intro", "minutes",
                                         "remaining_ms", "questions", "centre_key"}
        answers = {}
        for question in q["questions"]:
            assert set(question) == {"id", "text", "kind", "options"}
            answers[question["id"]] = 0 if question["kind"] == "choice" else [0] if question["kind"] == "multi" \
                else "Менің жауабым"
        body = msgpack.packb({"v": 1, "audience": q["audience"], "questionnaire": q["questionnaire"],
                              "version": q["version"], "ikt": ok["student"]["ikt"], "answers": answers})
        padded = len(body).to_bytes(4, "big") + body + bytes(15 * 1024 - 4 - len(body))
        sealed = suite.encrypt(padded, X25519PublicKey.from_public_bytes(q["centre_key"]), info=info)
        assert (await student.call("questionnaire_submit", sealed=sealed))["t"] == "done"
        await refused(student.call("questionnaire_submit", sealed=sealed), "already_done")  # one per attempt
        # Only the centre opens it, and finds the student's ИКТ beside the answers.
        private = X25519PrivateKey.from_private_bytes(centre_private_key(live_open.centre))
        opened = suite.decrypt(sealed, private, info=info)
        inside = msgpack.unpackb(opened[4:4 + int.from_bytes(opened[:4], "big")])
        assert inside["ikt"] == ok["student"]["ikt"] and inside["answers"] == answers
    finally:
        await student.close()


async def test_frames_the_page_says_are_refused(live):
    client = DocClient(live.address)
    try:
        await client.open("student")
        await client.ws.send_str("hello")
        assert (await client.receive())["code"] == "bad_frame"
        await client.send_raw(b"\xc1 not msgpack")
        assert (await client.receive())["code"] == "bad_frame"
        await client.send_raw(msgpack.packb({"t": "no_such_thing", "id": 5}))
        reply = await client.receive()
        assert reply["code"] == "unknown_type" and reply["re"] == 5
        await client.send_raw(msgpack.packb({"t": "confirm_data", "id": 6, "extra": 1}))
        assert (await client.receive())["code"] == "unknown_field"
        await client.send_raw(msgpack.packb({"t": "watch", "id": 7}))
        assert (await client.receive())["code"] == "forbidden"
        await client.send_raw(msgpack.packb({"t": "start", "id": 8, "pad": "x" * (70 * 1024)}))
        reply = await client.receive()
        assert reply["code"] == "too_large"
    finally:
        await client.close()

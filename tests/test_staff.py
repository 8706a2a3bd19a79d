"""Teachers and principals answer their questionnaire with a slip and no name, in the same
app as the students, sealed to the analysis centre exactly like a student's: the room and the
stick know only whether each one answered (issue "The administrator's whole day")."""

from __future__ import annotations

import asyncio
import base64
import io
import json
from pathlib import Path

import pytest
from pypdf import PdfReader

import room_protocol as p
from conftest import centre_private_key, db_rows, make_room
from content.questionnaire_loader import shipped_questionnaires, with_centre_key
from room_client import ServerError, StudentClient
from room_protocol.responses import open_response
from room_server.bundle import export_bundle
from room_server.bundle_verify import verify_bundle
from room_server.cli import main as cli_main
from room_server.newroom import SetupError, add_staff
from room_server.paperwork import make_pdf


def staff_questionnaire(live, audience: str, language: str = "kk") -> str:
    """The centre's questionnaire for `audience`, as the centre sends it (keyed to the room's
    trial centre)."""
    public = base64.b64decode((live.centre / "centre.pub").read_text())
    target = live.dir.parent / f"{audience}-{language}.toml"
    target.write_text(with_centre_key(shipped_questionnaire_path(f"{audience}-{language}"), public), encoding="utf-8")
    return str(target)


def shipped_questionnaire_path(stem: str) -> Path:
    return next(path for path in shipped_questionnaires() if path.stem == stem)


@pytest.fixture
async def students_only(tmp_path):
    """A room made with the students' questionnaires only (the centre sent the staff ones later)."""
    room = await make_room(tmp_path, staff_questionnaires=False)
    await room.start()
    try:
        yield room
    finally:
        await room.close_clients()
        await room.stop()


async def test_staff_slips_need_the_centres_questionnaire_and_nothing_changes_without_it(students_only, capsys):
    live = students_only
    before = db_rows(live.dir, "SELECT COUNT(*) AS n FROM staff")[0]["n"]
    with pytest.raises(SetupError, match="no teacher questionnaire"):
        await add_staff(live.dir, teachers=2)
    other = live.dir.parent / "foreign.toml"
    other.write_text(with_centre_key(staff_questionnaire(live, "teacher"), bytes(range(32))), encoding="utf-8")
    with pytest.raises(SetupError, match="does not name this room's analysis centre key"):
        await add_staff(live.dir, teachers=2, questionnaire_paths=[str(other)])
    assert await asyncio.to_thread(cli_main, ["staff", "--data", str(live.dir), "--principals", "1"]) == 1
    assert "no principal questionnaire" in capsys.readouterr().err
    assert db_rows(live.dir, "SELECT COUNT(*) AS n FROM staff")[0]["n"] == before
    assert not (live.dir / "staff-slips.csv").exists()


async def test_a_teacher_answers_while_the_room_runs_and_only_the_centre_can_read_it(students_only, tmp_path):
    live = students_only
    await live.open()
    # Added while the server runs: the first login reads them in.
    slips = await add_staff(live.dir, teachers=2, principals=1,
                            questionnaire_paths=[staff_questionnaire(live, "teacher"),
                                                 staff_questionnaire(live, "principal")])
    assert [s["login"] for s in slips] == ["t-01", "t-02", "p-01"]
    assert oct((live.dir / "staff-slips.csv").stat().st_mode & 0o777) == "0o600"
    teacher = StudentClient(live.address, reconnect=False)
    live.clients.append(teacher)
    await teacher.connect()
    ok = await teacher.login("t-01", slips[0]["password"], "staffroom-pc")
    assert isinstance(ok, p.StaffOk) and ok.audience == "teacher" and ok.languages == ["kk"]  # as the centre sent
    assert not ok.questionnaire_done
    with pytest.raises(ServerError) as no_test:
        await teacher.start()
    assert no_test.value.code == "wrong_state"
    with pytest.raises(ServerError) as no_russian:
        await teacher.questionnaire_start("ru")
    assert no_russian.value.code == "bad_field"
    questionnaire = await teacher.questionnaire_start("kk")
    assert questionnaire.audience == "teacher" and questionnaire.remaining_ms > 0
    typed = "Кабинетте интернет жоқ, проектор бұзылған"
    answers = {}
    for question in questionnaire.questions:
        answers[question.id] = typed if question.kind == "text" else [0] if question.kind == "multi" else 1
    assert isinstance(await teacher.questionnaire_submit(questionnaire, answers), p.Done)
    with pytest.raises(ServerError) as again:
        await teacher.questionnaire_submit(questionnaire, answers)
    assert again.value.code == "already_done"
    # The school sees that t-01 answered, and not what.
    proctor = await live.proctor()
    staff = {s.login: s for s in (await proctor.watch()).sitting.staff}
    assert staff["t-01"].done and not staff["t-02"].done and staff["p-01"].audience == "principal"
    raw = b"".join(path.read_bytes() for path in live.dir.glob("room.sqlite*"))
    assert typed.encode() not in raw
    # The stick carries the sealed response; the centre's key opens it.
    usb = tmp_path / "usb"
    usb.mkdir()
    result = export_bundle(live.dir, usb)
    assert verify_bundle(result.path).ok
    lines = [json.loads(line) for line in (result.path / "questionnaire.jsonl").read_text().splitlines()]
    teachers = [line for line in lines if line["audience"] == "teacher"]
    assert len(teachers) == 1 and typed.encode() not in (result.path / "questionnaire.jsonl").read_bytes()
    opened = open_response(centre_private_key(live.centre), base64.b64decode(teachers[0]["sealed"]))
    assert opened["audience"] == "teacher" and opened["ikt"] == "" and opened["answers"] == answers


async def test_a_teacher_slip_logs_in_again_and_finds_it_done(live):
    slips = await add_staff(live.dir, teachers=1)  # the room was made with the centre's staff questionnaires
    first = StudentClient(live.address, reconnect=False)
    live.clients.append(first)
    await first.connect()
    await first.login("t-01", slips[0]["password"], "a")
    q = await first.questionnaire_start("kk")
    await first.questionnaire_submit(q, {})
    await live.restart()  # the room restarts: the account and its answer are on disk
    second = StudentClient(live.address, reconnect=False)
    live.clients.append(second)
    await second.connect()
    ok = await second.login("t-01", slips[0]["password"], "b")
    assert ok.questionnaire_done
    with pytest.raises(ServerError) as done:
        await second.questionnaire_start("kk")
    assert done.value.code == "already_done"


async def test_staff_slips_print_with_login_and_password_and_no_name(live, tmp_path):
    slips = await add_staff(live.dir, teachers=9, principals=1)
    more = await add_staff(live.dir, teachers=1)
    assert more[0]["login"] == "t-10"  # numbering goes on
    out = tmp_path / "staff.pdf"
    assert await asyncio.to_thread(cli_main, ["print", "staff", "--data", str(live.dir), "--out", str(out)]) == 0
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())  # a title may wrap
    assert len(reader.pages) == 2  # 11 slips, 8 a page
    for slip in slips + more:
        assert slip["login"] in text and slip["password"] in text
    assert "Анкета для учителя" in text and "Анкета для руководителя школы" in text
    assert make_pdf(Path(live.dir), "staff")[:4] == b"%PDF"

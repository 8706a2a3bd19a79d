"""Helpers for the centre's tests: a real sitting exported to a stick (with questionnaires
answered through the real client, so their answers are known), a bundle changed and signed
again with its room's own key, and a fingerprint of a dataset's files for "nothing was
written" checks."""

from __future__ import annotations

import asyncio
import base64
import csv
import hashlib
import json
import shutil
from pathlib import Path

import room_protocol as p
from paperwork_support import FINISHERS, live_server, logins, run_sitting, start_student
from room_client import StudentClient
from room_server.cli import main as room_server
from room_server.demo import DEMO_CENTRE
from room_server.signing import fingerprint, load_signing_key
from room_tools.sim import solve

IGNORED = {".lock", "quarantine.csv"}  # the writer's lock and the list of refused bundles
ANSWERING = 2  # students who answer the questionnaire with answers the tests know


def centre_key_of(room: Path) -> Path:
    """The private key of the trial centre the demo room's questionnaires are sealed to."""
    return room / DEMO_CENTRE / "centre.key"


def export_real_sitting(folder: Path, region: str = "KZ-ALM") -> tuple[Path, Path, dict]:
    """A real room (the demo roster, simulated students over the real protocol, a proctor's
    absences and acts), two more students who take the test and answer the questionnaire with
    known answers, exported by `room-server export` onto `folder/stick/<region>/`.
    Returns (room folder, bundle folder, facts); facts["questionnaires"] is ИКТ -> answers,
    and "teacher" -> the answers of a teacher's questionnaire."""
    room = folder / "room"
    facts = asyncio.run(run_sitting(room))
    facts["questionnaires"] = asyncio.run(answer_questionnaires(room))
    stick = folder / "stick" / region
    stick.mkdir(parents=True)
    assert room_server(["export", "--data", str(room), "--to", str(stick)]) == 0
    (bundle,) = list(stick.iterdir())
    return room, bundle, facts


def chosen_answers(questions: list[p.QuestionView], login: str) -> dict:
    """Answers a test can recognise: the last option, the first and last of a multi, and a
    text in Kazakh naming the student's login."""
    answers: dict = {}
    for q in questions:
        if q.kind == "choice":
            answers[q.id] = len(q.options) - 1
        elif q.kind == "multi":
            answers[q.id] = sorted({0, len(q.options) - 1})
        else:
            answers[q.id] = f"Үйде кітап көп, оқығанды ұнатамын ({login}) — «ғылым»"
    return answers


async def answer_questionnaires(room: Path) -> dict[str, dict]:
    """A teacher's slip, then students after the finishers, the removed, the one still testing
    and the impostor's target: each student takes the test, finishes it, and each submits the
    questionnaire through `StudentClient.questionnaire_submit` (sealed on the client to the
    centre's key)."""
    people = logins(room)[FINISHERS + 3:FINISHERS + 3 + ANSWERING]
    sent: dict[str, dict] = {}
    async with live_server(room) as addr:
        teacher = next(slip for slip in staff_slips(room) if slip["audience"] == "teacher")
        client = StudentClient(addr, client_name="centre-test/1", reconnect=False)
        await client.connect()
        try:
            assert isinstance(await client.login(teacher["login"], teacher["password"], "pc-teacher"), p.StaffOk)
            questionnaire = await client.questionnaire_start("kk")
            answers = chosen_answers(questionnaire.questions, teacher["login"])
            await client.questionnaire_submit(questionnaire, answers)
            sent["teacher"] = answers  # sealed with no ИКТ: a teacher is no student
        finally:
            await client.close()
        for person in people:
            client = await start_student(addr, person["login"], person["password"], 3)
            try:
                check = await client.finish_request()
                await client.finish(solve(check.question))
                questionnaire = await client.questionnaire_start()
                answers = chosen_answers(questionnaire.questions, person["login"])
                await client.questionnaire_submit(questionnaire, answers)
                sent[client.ikt()] = answers
            finally:
                await client.close()
    return sent


def staff_slips(room: Path) -> list[dict]:
    """The demo room's teachers' and principal's slips (login, password, audience)."""
    with open(room / "staff-slips.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def resign(bundle: Path, room: Path, *, manifest_changes: dict | None = None) -> None:
    """The bundle's manifest made again from the files as they now are (with `manifest_changes`)
    and signed with its room's own key: what a room with a fault, or someone holding the
    room's laptop, could write. Only checks past the signature can refuse it."""
    manifest = json.loads((bundle / "manifest.json").read_text("utf-8"))
    manifest.update(manifest_changes or {})
    for entry in manifest["files"]:
        data = (bundle / entry["path"]).read_bytes()
        entry["size"], entry["sha256"] = len(data), hashlib.sha256(data).hexdigest()
    manifest_bytes = (json.dumps(manifest, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    key = load_signing_key(room)
    signature = {"algorithm": "Ed25519", "signed_file": "manifest.json",
                 "manifest_sha256": hashlib.sha256(manifest_bytes).hexdigest(),
                 "key_fingerprint": fingerprint(key.public_key()),
                 "signature": base64.b64encode(key.sign(manifest_bytes)).decode("ascii")}
    (bundle / "manifest.json").write_bytes(manifest_bytes)
    (bundle / "signature.json").write_text(json.dumps(signature, indent=1) + "\n", encoding="utf-8")


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under `root` (but the lock and the quarantine list) and its SHA-256."""
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name not in IGNORED}


def copy_bundle(bundle: Path, to: Path) -> Path:
    target = to / bundle.name
    shutil.copytree(bundle, target)
    return target

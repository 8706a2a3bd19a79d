"""The results bundle from a real sitting: exported, verified, tampered with one way at a time,
read as the analysis centre reads it (CSV, JSON lines, QTI 2.1 XML), exported again, exported
while students still answer, and after a server restart."""

from __future__ import annotations

import asyncio
import base64
import csv
import hashlib
import io
import json
import random
import sqlite3
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from paperwork_support import opened, copy_room, live_server, proctor, run_sitting, start_student
from room_server import bundle as bn
from room_server.drives import linux_drives, list_drives
import room_protocol as p
from room_server.cli import main as cli_main
from room_server.signing import fingerprint, room_fingerprint
from room_tools.sim import random_value

QTI = "{http://www.imsglobal.org/xsd/imsqti_result_v2p1}"
SESSION_STATUSES = {"initial", "pendingSubmission", "pendingResponseProcessing", "final"}
CARDINALITIES = {"single", "multiple", "ordered", "record"}


@pytest.fixture(scope="module")
def sat_room(tmp_path_factory) -> tuple[Path, dict]:
    data = tmp_path_factory.mktemp("sat") / "room"
    facts = asyncio.run(run_sitting(data))
    return data, facts


@pytest.fixture
def room(sat_room, tmp_path) -> tuple[Path, dict]:
    return copy_room(sat_room[0], tmp_path / "room"), sat_room[1]


def export(data: Path, to: Path, capsys=None) -> Path:
    to.mkdir(parents=True, exist_ok=True)
    before = set(to.iterdir())
    assert cli_main(["export", "--data", str(data), "--to", str(to)]) == 0
    (new,) = set(to.iterdir()) - before
    return new


def verify(bundle: Path, capsys) -> tuple[int, str]:
    capsys.readouterr()  # what came before is not the verdict
    code = cli_main(["verify", str(bundle)])
    out = capsys.readouterr()
    return code, out.out + out.err


def read_csv(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), f"{path.name}: no BOM, Excel would misread the Cyrillic"
    assert b"\r\n" in raw
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def db_rows(data: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(data / "room.sqlite") as conn:
        return conn.execute(sql).fetchall()


# ------------------------------------------------------------------------- verify and tamper

def test_exported_bundle_verifies(room, tmp_path, capsys):
    data, _ = room
    bundle = export(data, tmp_path / "usb")
    assert bundle.name.startswith("MODO_Demo-school-No-1_room-12_") and bundle.name.endswith("_sitting-1")
    assert bundle.name.isascii()
    code, out = verify(bundle, capsys)
    assert code == 0, out
    assert out.startswith("OK:")
    fp = room_fingerprint(data)
    assert fp.removeprefix("SHA256:")[:4] in out
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    listed = {f["path"] for f in manifest["files"]}
    on_disk = {q.relative_to(bundle).as_posix() for q in bundle.rglob("*") if q.is_file()}
    assert on_disk - listed == {"manifest.json", "signature.json"}
    for entry in manifest["files"]:
        data_bytes = (bundle / entry["path"]).read_bytes()
        assert entry["size"] == len(data_bytes)
        assert entry["sha256"] == hashlib.sha256(data_bytes).hexdigest()
    assert manifest["key"]["fingerprint"] == fp
    for name in ("results.csv.sealed", "answers.jsonl", "attendance.csv.sealed", "incidents.csv.sealed",
                 "seating.pdf.sealed", "protocol.pdf.sealed", "audit.jsonl.sealed", "questionnaire.jsonl",
                 "public-key.pem", "centre-key.txt", "acts/act-001-annex1.pdf.sealed",
                 "acts/act-002-annex2.pdf.sealed", "qti/m9-001.xml"):
        assert name in listed, name
    assert manifest["sealed"] == sorted(n for n in listed if n.endswith(".sealed"))
    assert sum(1 for n in listed if n.startswith("qti/")) == 30
    for name in on_disk:  # valid on FAT32 / exFAT / NTFS
        for part in name.split("/"):
            assert part.isascii() and not set(part) & set('<>:"\\|?*') and len(part) < 100


@pytest.mark.parametrize("tamper, expected", [
    ("byte", "altered: results.csv.sealed"),
    ("remove", "missing: qti/m9-001.xml"),
    ("add", "extra: notes.txt (not in the manifest)"),
    ("add_nested", "extra: acts/act-099-annex1.pdf (not in the manifest)"),
    ("manifest", "altered: manifest.json was changed after it was signed"),
    ("manifest_rehashed", "altered: manifest.json was changed after it was signed"),
    ("signature_other_key", "altered: signature.json was made with another key"),
    ("signature_bytes", "altered: signature.json is not a valid signature of manifest.json"),
    ("signature_removed", "missing: signature.json"),
    ("key_swapped", "altered: public-key.pem is not the key the manifest names"),
])
def test_a_tampered_bundle_is_refused_with_the_right_message(room, tmp_path, capsys, tamper, expected):
    data, _ = room
    bundle = export(data, tmp_path / "usb")
    manifest_path = bundle / "manifest.json"
    if tamper == "byte":
        path = bundle / "results.csv.sealed"
        raw = bytearray(path.read_bytes())
        raw[len(raw) // 2] ^= 0x01
        path.write_bytes(bytes(raw))
    elif tamper == "remove":
        (bundle / "qti" / "m9-001.xml").unlink()
    elif tamper == "add":
        (bundle / "notes.txt").write_text("extra")
    elif tamper == "add_nested":
        (bundle / "acts" / "act-099-annex1.pdf").write_bytes(b"%PDF-1.4 forged")
    elif tamper == "manifest":
        text = manifest_path.read_text(encoding="utf-8").replace('"school": "Demo school No. 1"', '"school": "Other"')
        manifest_path.write_text(text, encoding="utf-8")
    elif tamper == "manifest_rehashed":
        # Alter a file and make the manifest agree with it: only the signature catches this.
        results = bundle / "answers.jsonl"
        results.write_bytes(results.read_bytes() + b'{"login": "m9-001", "forged": true}\n')
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        for entry in manifest["files"]:
            if entry["path"] == "answers.jsonl":
                entry["size"] = results.stat().st_size
                entry["sha256"] = hashlib.sha256(results.read_bytes()).hexdigest()
        manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    elif tamper in ("signature_other_key", "signature_bytes"):
        sig_path = bundle / "signature.json"
        sig = json.loads(sig_path.read_text())
        other = Ed25519PrivateKey.generate()
        sig["signature"] = base64.b64encode(other.sign(manifest_path.read_bytes())).decode()
        if tamper == "signature_other_key":
            sig["key_fingerprint"] = fingerprint(other.public_key())
        sig_path.write_text(json.dumps(sig))
    elif tamper == "signature_removed":
        (bundle / "signature.json").unlink()
    elif tamper == "key_swapped":
        from room_server.signing import public_pem
        (bundle / "public-key.pem").write_bytes(public_pem(Ed25519PrivateKey.generate().public_key()))
    code, out = verify(bundle, capsys)
    assert code == 1, out
    assert "NOT OK" in out
    assert expected in out, out
    if tamper == "manifest_rehashed":
        assert "altered: results.csv" not in out  # the file matches the (forged) manifest


def test_verify_refuses_a_folder_that_is_not_a_bundle(tmp_path, capsys):
    code, out = verify(tmp_path, capsys)
    assert code == 1 and "missing: manifest.json" in out
    (tmp_path / "manifest.json").write_text("{not json")
    code, out = verify(tmp_path, capsys)
    assert code == 1 and "altered: manifest.json is not a valid manifest" in out
    code, out = verify(tmp_path / "nowhere", capsys)
    assert code == 1 and "is not a folder" in out


def test_a_second_export_makes_a_second_bundle_and_leaves_the_first_alone(room, tmp_path, capsys):
    data, _ = room
    usb = tmp_path / "usb"
    first = export(data, usb)
    before = {q: q.read_bytes() for q in first.rglob("*") if q.is_file()}
    second = export(data, usb)
    third = export(data, usb)
    assert second.name == first.name + "_2" and third.name == first.name + "_3"
    assert {q: q.read_bytes() for q in first.rglob("*") if q.is_file()} == before
    assert sorted(x.name for x in usb.iterdir()) == sorted([first.name, second.name, third.name])  # no leftovers
    for bundle in (first, second, third):
        assert verify(bundle, capsys)[0] == 0


# ------------------------------------------------------------------------- contents

def test_results_csv_opens_in_excel_and_marks_annulled_results(room, tmp_path):
    data, facts = room
    bundle = export(data, tmp_path / "usb")
    rows = read_csv(opened(data, bundle) / "results.csv")
    assert len(rows) == 30
    head = list(rows[0])
    assert head[:4] == ["ikt", "login", "iin", "surname"]
    for subject in ("reading", "math", "science"):
        assert f"{subject}_score" in head and f"{subject}_max" in head
    by_login = {r["login"]: r for r in rows}
    removed = by_login[facts["removed"]["login"]]
    # An annulled result carries no scores a SUM would count (its answers stay in answers.jsonl and qti/).
    assert removed["annulled"] == "1" and removed["state"] == "removed" and removed["total"] == ""
    assert removed["answered"] != "" and all(removed[f"{s}_score"] == "" for s in ("reading", "math", "science"))
    assert by_login[facts["absent"]["login"]]["attendance"] == "absent"
    assert by_login[facts["absent"]["login"]]["total"] == ""
    for person in facts["finishers"]:
        r = by_login[person["login"]]
        assert r["annulled"] == "0" and r["state"] == "done" and r["answered"] == r["items"]
        assert int(r["total"]) == sum(int(r[f"{s}_score"]) for s in ("reading", "math", "science"))
        assert "." not in r["percent"]  # a decimal comma for a Kazakh or Russian Excel
    assert any(ch in "".join(r["surname"] for r in rows) for ch in "әғқңөұүһі")


def test_answers_jsonl_holds_every_answer_with_times(room, tmp_path):
    data, facts = room
    bundle = export(data, tmp_path / "usb")
    lines = [json.loads(line) for line in (bundle / "answers.jsonl").read_text(encoding="utf-8").splitlines()]
    db = db_rows(data, "SELECT s.login, a.seq, a.item, a.made_ms, a.received_ms, a.counted FROM answers a "
                       "JOIN students s ON s.id = a.student_id ORDER BY s.seat, a.seq")
    assert [(x["login"], x["seq"], x["item"], x["made_ms"], x["received_ms"], int(x["counted"])) for x in lines] == db
    assert all(datetime.fromisoformat(x["received_at"]) for x in lines)
    assert {x["subject"] for x in lines} == {"reading", "math", "science"}


def test_questionnaire_responses_leave_sealed_in_random_order_and_only_the_centre_opens_them(room, tmp_path):
    import base64

    from room_protocol.responses import open_response
    data, facts = room
    bundle = export(data, tmp_path / "usb")
    lines = [json.loads(x) for x in (bundle / "questionnaire.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len(facts["finishers"]) and all(set(x) == {"audience", "questionnaire", "sealed"} for x in lines)
    private = base64.b64decode((data / "demo-centre" / "centre.key").read_text())
    iktes = {r[0] for r in db_rows(data, "SELECT ikt FROM students")}
    opened_ikts = [open_response(private, base64.b64decode(x["sealed"]))["ikt"] for x in lines]
    assert len(set(opened_ikts)) == len(lines) and set(opened_ikts) <= iktes  # each links to its student
    text = (bundle / "questionnaire.jsonl").read_text(encoding="utf-8")
    for login, ikt, iin, surname in db_rows(data, "SELECT login, ikt, iin, surname FROM students"):
        assert not any(secret in text for secret in (login, ikt, iin, surname))

def test_attendance_incidents_and_audit(room, tmp_path):
    data, facts = room
    bundle = export(data, tmp_path / "usb")
    attendance = {r["login"]: r for r in read_csv(opened(data, bundle) / "attendance.csv")}
    absent = attendance[facts["absent"]["login"]]
    assert absent["attendance"] == "absent" and absent["reason"] and absent["document"]
    assert attendance[facts["finishers"][0]["login"]]["slip_handed"] == "1"
    incidents = read_csv(opened(data, bundle) / "incidents.csv")
    assert [r["kind"] for r in incidents] == ["annex1", "annex2"]
    assert incidents[0]["login"] == facts["removed"]["login"] and incidents[0]["act_file"] == "acts/act-001-annex1.pdf"
    audit = [json.loads(x) for x in (opened(data, bundle) / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(audit) == db_rows(data, "SELECT COUNT(*) FROM audit")[0][0]
    assert {"incident", "removed", "paused", "resumed", "extra_time", "attendance"} <= {a["kind"] for a in audit}


def check_assessment_result(path: Path) -> ET.Element:
    """The structure of an IMS QTI 2.1 assessmentResult (imsqti_result_v2p1)."""
    root = ET.parse(path).getroot()
    assert root.tag == f"{QTI}assessmentResult"
    children = list(root)
    assert children[0].tag == f"{QTI}context"
    tags = [c.tag for c in children]
    assert tags.count(f"{QTI}testResult") == 1 and tags[1] == f"{QTI}testResult"
    assert all(t == f"{QTI}itemResult" for t in tags[2:])
    context = children[0]
    assert context.get("sourcedId")
    for sid in context:
        assert sid.tag == f"{QTI}sessionIdentifier" and sid.get("sourceID") and sid.get("identifier")
    test = children[1]
    assert test.get("identifier") and datetime.fromisoformat(test.get("datestamp")).tzinfo is not None
    for holder in [test] + children[2:]:
        for var in holder:
            assert var.tag in (f"{QTI}responseVariable", f"{QTI}outcomeVariable")
            assert var.get("identifier") and var.get("cardinality") in CARDINALITIES
            if var.tag == f"{QTI}responseVariable":
                (candidate,) = list(var)
                assert candidate.tag == f"{QTI}candidateResponse"
                assert all(v.tag == f"{QTI}value" for v in candidate)
            else:
                assert all(v.tag == f"{QTI}value" for v in var)
    for item in children[2:]:
        assert item.get("identifier") and item.get("sessionStatus") in SESSION_STATUSES
        assert datetime.fromisoformat(item.get("datestamp"))
        assert int(item.get("sequenceIndex")) >= 1
        kinds = [v.tag for v in item]
        assert f"{QTI}responseVariable" in kinds and f"{QTI}outcomeVariable" in kinds
    return root


def outcome(holder: ET.Element, identifier: str) -> str | None:
    for var in holder.findall(f"{QTI}outcomeVariable"):
        if var.get("identifier") == identifier:
            return var.find(f"{QTI}value").text
    return None


def test_qti_results_have_the_assessment_result_structure_and_agree_with_the_csv(room, tmp_path):
    data, facts = room
    bundle = export(data, tmp_path / "usb")
    results = {r["login"]: r for r in read_csv(opened(data, bundle) / "results.csv")}
    for path in sorted((bundle / "qti").iterdir()):
        root = check_assessment_result(path)
        login = path.stem
        test = root.find(f"{QTI}testResult")
        row = results[login]
        assert outcome(test, "ANNULLED") == ("true" if row["annulled"] == "1" else "false")
        if row["annulled"] == "1":
            # The raw score stays for the centre when the student sat (never for the school's sums).
            sat = root.find(f"{QTI}itemResult") is not None
            assert (outcome(test, "SCORE") is not None) == sat and row["total"] == ""
        elif row["total"]:
            assert float(outcome(test, "SCORE")) == float(row["total"])
            items = root.findall(f"{QTI}itemResult")
            assert len(items) == int(row["items"])
            assert sum(float(outcome(i, "SCORE")) for i in items) == float(row["total"])
        else:
            assert outcome(test, "SCORE") is None and not root.findall(f"{QTI}itemResult")
    finisher = ET.parse(bundle / "qti" / f"{facts['finishers'][0]['login']}.xml").getroot()
    responses = [v for i in finisher.findall(f"{QTI}itemResult") for v in i.findall(f"{QTI}responseVariable")]
    assert {v.get("baseType") for v in responses} >= {"identifier", "string"}
    assert all(i.get("sessionStatus") == "final" for i in finisher.findall(f"{QTI}itemResult"))
    removed = ET.parse(bundle / "qti" / f"{facts['removed']['login']}.xml").getroot()
    assert outcome(removed.find(f"{QTI}testResult"), "ANNULLED") == "true"


# ------------------------------------------------------------------------- a live sitting and a restart

def audit_answer_count(data: Path, bundle: Path) -> int:
    return sum(1 for line in (opened(data, bundle) / "audit.jsonl").read_text(encoding="utf-8").splitlines()
               if json.loads(line)["kind"] == "answer")


async def test_export_while_students_answer_is_a_consistent_snapshot(room, tmp_path, capsys):
    data, facts = room
    still = facts["still"]
    async with live_server(data) as addr:
        student = await start_student(addr, still["login"], still["password"], 1)
        items = [item for subject in student.test.subjects for item in subject.items]
        rng = random.Random(5)
        stop = asyncio.Event()

        async def keep_answering():
            n = 0
            while not stop.is_set():
                item = items[n % len(items)]
                student.answer(item.id, random_value(item, rng))
                n += 1
                await asyncio.sleep(0.02)

        answering = asyncio.create_task(keep_answering())
        boss = await proctor(addr, data)
        bundles = []
        try:
            for n in range(3):
                usb = tmp_path / f"usb{n}"
                usb.mkdir()
                if n % 2:
                    reply = await boss.request(p.Export(str(usb)))
                    assert isinstance(reply, p.Exported)
                    bundles.append(Path(reply.bundle))
                else:
                    bundles.append(await asyncio.to_thread(export, data, usb))
                await asyncio.sleep(0.15)
        finally:
            stop.set()
            await answering
            await boss.close()
            await student.close()
    counts = []
    for bundle in bundles:
        assert verify(bundle, capsys)[0] == 0
        answers = (bundle / "answers.jsonl").read_text(encoding="utf-8").splitlines()
        # Each answer and its audit entry are committed together: one moment sees both or neither.
        assert len(answers) == audit_answer_count(data, bundle)
        manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["sitting_state"] == "open"
        counts.append(len(answers))
    assert counts == sorted(counts) and counts[-1] > counts[0], counts  # answers kept coming meanwhile


async def test_export_after_a_server_restart(room, tmp_path, capsys):
    data, facts = room
    answers_before = db_rows(data, "SELECT COUNT(*) FROM answers")[0][0]
    async with live_server(data) as addr:  # the first server ran in the fixture; this is a new one
        boss = await proctor(addr, data)
        reply = await boss.request(p.Export(str(tmp_path)))
        await boss.close()
    bundle = Path(reply.bundle)
    assert verify(bundle, capsys)[0] == 0
    assert len((bundle / "answers.jsonl").read_text(encoding="utf-8").splitlines()) == answers_before
    assert reply.files == len([q for q in bundle.rglob("*") if q.is_file()])
    assert reply.bytes == sum(q.stat().st_size for q in bundle.rglob("*") if q.is_file())
    # And with the server stopped.
    second = export(data, tmp_path)
    assert verify(second, capsys)[0] == 0
    # The export is in the audit log.
    kinds = [k for (k,) in db_rows(data, "SELECT kind FROM audit ORDER BY id DESC LIMIT 5")]
    assert "exported" in kinds


# ------------------------------------------------------------------------- names and drives

def test_bundle_names_are_safe_on_fat_and_windows():
    assert bn.safe_name("№12 мектеп-гимназия «Қазығұрт»") == "N12-mektep-gimnaziya-Qazygurt"
    assert bn.safe_name("Әл-Фараби атындағы ЖОМ") == "Al-Farabi-atyndagy-ZhOM"
    assert bn.safe_name("CON") == "CON_x" and bn.safe_name("...") == "x" and bn.safe_name("a/b\\c:d*e?") == "a-b-c-d-e"
    assert len(bn.safe_name("Ә" * 200)) <= 40


def test_linux_drives_finds_media_mounts_and_removable_devices(tmp_path):
    sys_block = tmp_path / "sys" / "block"
    for name, removable in (("sda", "0"), ("sdb", "1"), ("mmcblk0", "1")):
        (sys_block / name).mkdir(parents=True)
        (sys_block / name / "removable").write_text(removable + "\n")
    stick, card, media, root = (tmp_path / "mnt" / x for x in ("stick", "card", "media", "root"))
    for path in (stick, card, media, root):
        path.mkdir(parents=True)
    mounts = "\n".join([
        f"/dev/sda1 {root} ext4 rw 0 0",
        f"/dev/sdb1 {stick} vfat rw 0 0",
        f"/dev/mmcblk0p1 {card} exfat rw 0 0",
        f"/dev/fuse {media} fuse.fusefat rw 0 0",
        f"tmpfs {tmp_path} tmpfs rw 0 0",
    ])
    drives = linux_drives(mounts, sys_block, media_roots=(str(media),))
    assert [d["path"] for d in drives] == [str(stick), str(card), str(media)]
    assert all(d["removable"] and d["free_bytes"] > 0 and d["label"] for d in drives)
    assert isinstance(list_drives(), list)

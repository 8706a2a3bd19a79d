"""The centre's first steps on a real sitting: its key pair in the project's one key format, the
questionnaires it sends out, then the room's exported bundle (format 2: personal files and
questionnaire responses sealed to the centre) ingested into the Parquet dataset — idempotent,
and refusing tampered, foreign, wrongly sealed, conflicting and half-copied bundles with their
reason and nothing written."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import random
import shutil
import sqlite3
import stat
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from centre.cli import main as centre
from centre.dataset import Dataset
from centre.engine import connect, rows
from centre.ingest import ADDED, ingest
from centre.itembank import ItemBank
from centre.keys import CentreKeyError, load_key, load_public
from centre.schema import TABLES
from centre.simulate import a_bin
from centre_support import centre_key_of, copy_bundle, export_real_sitting, resign, tree_digest
from conftest import centre_private_key, roster_text, pack_path
from content.questionnaire_loader import load_questionnaire, shipped_questionnaire, shipped_questionnaires
from paperwork_support import opened
import room_protocol as p
from room_protocol import seal
from room_protocol.responses import open_response, seal_response
from room_server.bundle import sealed_info
from room_server.cli import main as room_server
from room_server.demo import demo_centre
from room_server.excel_text import plain_text
from room_server.signing import fingerprint_for_paper
from room_server.snapshot import read_snapshot


@pytest.fixture(scope="module")
def sitting(tmp_path_factory):
    return export_real_sitting(tmp_path_factory.mktemp("centre"))


@pytest.fixture(scope="module")
def key(sitting) -> Path:
    """The centre's private key the demo room's questionnaires name."""
    return centre_key_of(sitting[0])


@pytest.fixture
def bundle(sitting, tmp_path) -> Path:
    """A fresh copy of the real bundle, in a region folder of its own stick."""
    return copy_bundle(sitting[1], (tmp_path / "stick" / "KZ-ALM"))


def results_csv(bundle: Path, room: Path) -> list[dict]:
    """The room's results.csv as the centre reads it: opened with the centre's key, IIN and
    ИКТ unwrapped from ="…"."""
    text = (opened(room, bundle) / "results.csv").read_text("utf-8-sig")
    return [{k: plain_text(v) for k, v in row.items()} for row in csv.DictReader(io.StringIO(text), delimiter=";")]


def run(capsys, *args) -> tuple[int, str]:
    capsys.readouterr()
    code = centre([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out + out.err


# ------------------------------------------------------------------------- keys

def test_keys_new_writes_the_projects_key_format_and_prints_its_fingerprint(tmp_path, capsys):
    code, out = run(capsys, "keys", "new", "--dir", tmp_path / "k")
    assert code == 0, out
    private, public = tmp_path / "k" / "centre.key", tmp_path / "k" / "centre.pub"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    # One key format in the project: the raw 32 bytes in base64 on one line, as the demo writes.
    raw_private = base64.b64decode(private.read_text("ascii").strip(), validate=True)
    raw_public = base64.b64decode(public.read_text("ascii").strip(), validate=True)
    assert len(raw_private) == 32 and seal.public_key_of(raw_private) == raw_public
    assert private.read_bytes().endswith(b"\n") and private.read_bytes().count(b"\n") == 1
    assert centre_private_key(tmp_path / "k") == raw_private  # as the room's tests read the demo's key
    assert f"Fingerprint: {seal.fingerprint_for_paper(seal.fingerprint(raw_public))}" in out
    assert load_key(private).public == raw_public == load_public(public).public
    # Never overwritten: bundles sealed to it could not be opened any more.
    before = private.read_bytes()
    code, out = run(capsys, "keys", "new", "--dir", tmp_path / "k")
    assert code == 1 and "never overwritten" in out and "Traceback" not in out
    assert private.read_bytes() == before


def test_the_demos_trial_centre_key_is_read_as_the_centres_own(tmp_path):
    demo_centre(tmp_path / "demo")
    key = load_key(tmp_path / "demo" / "centre.key")
    assert key.public == base64.b64decode((tmp_path / "demo" / "centre.pub").read_text())


def test_a_bad_private_key_is_refused_with_the_reason(tmp_path):
    centre(["keys", "new", "--dir", str(tmp_path)])
    os.chmod(tmp_path / "centre.key", 0o644)
    with pytest.raises(CentreKeyError, match="readable by others"):
        load_key(tmp_path / "centre.key")
    for name, data, reason in (("short.key", base64.b64encode(b"short") + b"\n", "5 bytes"),
                               ("raw.key", bytes(range(32)), "in base64 on one line"),
                               ("text.key", "кілт\n".encode(), "in base64 on one line")):
        (tmp_path / name).write_bytes(data)
        os.chmod(tmp_path / name, 0o600)
        with pytest.raises(CentreKeyError, match=reason):
            load_key(tmp_path / name)
    with pytest.raises(CentreKeyError, match="no centre's private key"):
        load_key(tmp_path / "missing.key")


def test_questionnaires_name_the_centres_key_and_make_a_room(tmp_path, capsys):
    assert run(capsys, "keys", "new", "--dir", tmp_path / "k")[0] == 0
    public = base64.b64decode((tmp_path / "k" / "centre.pub").read_text())
    code, out = run(capsys, "questionnaires", "--key", tmp_path / "k" / "centre.pub", "--out", tmp_path / "q")
    assert code == 0, out
    assert seal.fingerprint_for_paper(seal.fingerprint(public)) in out
    files = sorted((tmp_path / "q").iterdir())
    assert [f.name for f in files] == [f.name for f in shipped_questionnaires()]  # students', teachers', principals'
    assert {"questionnaire-kk.toml", "questionnaire-ru.toml", "teacher-kk.toml"} <= {f.name for f in files}
    for path in files:
        questionnaire, problems = load_questionnaire(path)
        assert questionnaire is not None and questionnaire.centre_key == public, problems
    # The files are what a school makes its room with; the room seals to this centre's key.
    roster = tmp_path / "roster.csv"
    roster.write_text(roster_text(3, languages=("kk", "ru")), encoding="utf-8")
    assert room_server(["init", "--data", str(tmp_path / "room"), "--roster", str(roster), "--pack", pack_path("g9-kk"),
                        "--pack", pack_path("g9-ru"), *(a for f in files for a in ("--questionnaire", str(f)))]) == 0
    assert read_snapshot(tmp_path / "room").centre_key == public
    # The private key is never written into a questionnaire; a folder is never written over.
    for given, reason in ((tmp_path / "k" / "centre.key", "PRIVATE key"), (tmp_path / "k" / "centre.pub", "already exists")):
        before = {f.name: f.read_bytes() for f in files}
        code, out = run(capsys, "questionnaires", "--key", given, "--out", tmp_path / "q")
        assert code == 1 and reason in out and "Traceback" not in out
        assert {f.name: f.read_bytes() for f in (tmp_path / "q").iterdir()} == before


# ------------------------------------------------------------------------- ingest

def test_the_real_bundle_lands_in_every_table_with_the_rooms_facts(sitting, bundle, key, tmp_path, capsys):
    ds = tmp_path / "ds"
    code, out = run(capsys, "ingest", bundle.parent.parent, "--dataset", ds, "--key", key)
    assert code == 0, out
    assert "1 bundles added (30 students)" in out
    room_rows = {r["ikt"]: r for r in results_csv(bundle, sitting[0])}
    con = connect(ds)
    students = {r["ikt"]: r for r in rows(con, "SELECT * FROM students")}
    assert set(students) == set(room_rows)
    for ikt, s in students.items():
        room = room_rows[ikt]
        assert (s["year"], s["grade"], s["region"]) == (int(room["started"][:4] or s["year"]), 9, "KZ-ALM")
        assert s["class"] == room["class"] and s["language"] == room["language"] and s["variant"] == room["variant"]
        assert s["attendance"] == room["attendance"] and s["annulled"] == (room["annulled"] == "1")
        # The centre scores every answer again with its own keys: the totals agree with the room's
        # (which leaves an annulled result's scores out; the centre keeps them, flagged).
        if not s["annulled"]:
            assert s["total_score"] == (int(room["total"]) if room["total"] else None)
        else:
            assert room["total"] == "" and (s["total_score"] is not None) == s["sat"]
    assert sum(1 for s in students.values() if s["sat"]) == sum(1 for r in room_rows.values() if r["started"])
    # One response row per item of the form, for every student who sat.
    per_student = rows(con, "SELECT ikt, count(*) n, sum(score) total FROM responses GROUP BY ikt")
    assert {r["ikt"]: r["total"] for r in per_student} == {
        ikt: s["total_score"] for ikt, s in students.items() if s["sat"]}
    assert {r["n"] for r in per_student} == {30}
    answers = [json.loads(line) for line in (bundle / "answers.jsonl").read_text("utf-8").splitlines()]
    scored = {(a["ikt"], a["item"]): a["value"] for a in answers if a["scored"]}
    stored = {(r["ikt"], r["item"]): json.loads(r["value"]) for r in rows(con, "SELECT * FROM responses WHERE answered")}
    assert stored == {k: v for k, v in scored.items() if v not in (None, "", [], {})}
    items = rows(con, "SELECT language, count(*) n FROM items GROUP BY language ORDER BY language")
    assert items == [{"language": "kk", "n": 60}, {"language": "ru", "n": 60}]
    (ledger,) = rows(con, "SELECT * FROM bundles")
    assert ledger["bundle_id"] == hashlib.sha256((bundle / "manifest.json").read_bytes()).hexdigest()
    assert ledger["students"] == 30 and ledger["school"] == "Demo school No. 1"
    assert ledger["sealed_to"] == ledger["ingested_by"] == load_key(key).fingerprint
    assert ledger["region_from"] == "given" and ledger["school_bin"] is None
    # Every sealed response came in (seven students' and a teacher's), each student's linked to a
    # student of the sitting who finished.
    sealed = len((bundle / "questionnaire.jsonl").read_text("utf-8").splitlines())
    assert ledger["questionnaires"] == sealed == 8 and ledger["questionnaires_set_aside"] == 0
    linked = rows(con, """SELECT DISTINCT q.ikt, s.state FROM questionnaire q JOIN students s USING (sitting_id, ikt)""")
    assert len(linked) == 7 and {r["state"] for r in linked} == {"done"}
    assert rows(con, "SELECT kind FROM incidents ORDER BY incident") == [{"kind": "annex1"}, {"kind": "annex2"}]


def test_identities_stay_in_their_own_table_and_codes_stay_strings(sitting, bundle, key, tmp_path):
    ds = tmp_path / "ds"
    report = ingest([bundle], Dataset(ds), ItemBank.load(), key=load_key(key))
    assert report.count(ADDED) == 1
    for table in TABLES:
        for path in Dataset(ds).files(table):
            schema = pq.read_schema(path)
            if table != "identities":
                assert not {"iin", "surname", "name", "patronymic", "login"} & set(schema.names), (table, schema.names)
            for column in ("ikt", "iin", "school_id"):
                if column in schema.names:
                    assert str(schema.field(column).type) == "string", (table, column)
    con = connect(ds, tables=("identities",))
    people = {r["ikt"]: r for r in rows(con, "SELECT * FROM identities")}
    for room in results_csv(bundle, sitting[0]):
        assert people[room["ikt"]]["iin"] == room["iin"] and len(room["iin"]) == 12
        assert people[room["ikt"]]["surname"] == room["surname"]
    # An ИКТ is written with its leading zeros, as the room printed it.
    assert all(len(ikt) == 7 for ikt in people)


def test_the_same_bundle_twice_adds_nothing_and_says_so(bundle, key, tmp_path, capsys):
    ds = tmp_path / "ds"
    assert run(capsys, "ingest", bundle, "--dataset", ds, "--key", key)[0] == 0
    before = tree_digest(ds)
    second = copy_bundle(bundle, tmp_path / "another-stick" / "KZ-ALM")  # the same bundle on a second stick
    code, out = run(capsys, "ingest", bundle, second, "--dataset", ds, "--key", key)
    assert code == 0, out
    assert out.count("already in the dataset:") == 2 and "0 bundles added" in out
    assert tree_digest(ds) == before


def _refused(capsys, ds: Path, path: Path, key: Path, *extra, bundle: Path | None = None) -> str:
    before = tree_digest(ds)
    code, out = run(capsys, "ingest", path, "--dataset", ds, "--key", key, *extra)
    assert code == 1, out
    assert "Traceback" not in out and "0 bundles added" in out and "1 refused" in out
    assert tree_digest(ds) == before, "a refused bundle changed the dataset"
    quarantine = list(csv.DictReader(open(ds / "quarantine.csv", encoding="utf-8")))
    assert quarantine[-1]["bundle"] == str(bundle or path)
    return out + quarantine[-1]["kind"] + ": " + quarantine[-1]["reason"]


@pytest.fixture
def dataset_with_one(tmp_path, sitting, key) -> Path:
    """A dataset that already holds another sitting (so "nothing written" means something)."""
    ds = tmp_path / "ds"
    other = tmp_path / "other-room"
    shutil.copytree(sitting[0], other)
    stick = tmp_path / "other-stick" / "KZ-AST"
    stick.mkdir(parents=True)
    # The same room's data under another room id: another sitting for the centre.
    with sqlite3.connect(other / "room.sqlite") as con:
        con.execute("UPDATE meta SET value = 'feedfacefeedface' WHERE key = 'room_id'")
    assert room_server(["export", "--data", str(other), "--to", str(stick)]) == 0
    assert ingest([stick], Dataset(ds), ItemBank.load(), key=load_key(key)).count(ADDED) == 1
    return ds


def test_a_tampered_bundle_is_refused(bundle, key, dataset_with_one, capsys):
    answers = bundle / "answers.jsonl"
    before = answers.read_bytes()
    answers.write_bytes(before.replace(b'"late": false', b'"late": true ', 1))  # the same size
    assert answers.read_bytes() != before
    out = _refused(capsys, dataset_with_one, bundle, key)
    assert "tampered: altered: answers.jsonl" in out


def test_a_tampered_sealed_file_is_refused(bundle, key, dataset_with_one, capsys):
    sealed = bundle / "results.csv.sealed"
    data = bytearray(sealed.read_bytes())
    data[len(data) // 2] ^= 0x01
    sealed.write_bytes(bytes(data))
    out = _refused(capsys, dataset_with_one, bundle, key)
    assert "tampered: altered: results.csv.sealed" in out


def test_a_sealed_file_that_does_not_open_is_refused_even_when_signed(sitting, bundle, key, dataset_with_one, capsys):
    # Another of the bundle's sealed files in its place, signed again with the room's own key:
    # the signature holds, the sealing (bound to each file's name) does not.
    shutil.copy(bundle / "attendance.csv.sealed", bundle / "results.csv.sealed")
    resign(bundle, sitting[0])
    assert room_server(["verify", str(bundle)]) == 0
    out = _refused(capsys, dataset_with_one, bundle, key)
    assert "unopened: results.csv.sealed does not open with this centre's key" in out


def _answers_not_json(bundle: Path, key: Path) -> str:
    answers = bundle / "answers.jsonl"
    lines = answers.read_bytes().splitlines(keepends=True)
    lines[2] = lines[2][: len(lines[2]) // 2] + b"\n"  # a line cut in half
    answers.write_bytes(b"".join(lines))
    return "unreadable: answers.jsonl line 3 is not JSON"


def _results_not_utf8(bundle: Path, key: Path) -> str:
    # The room wrote its results in a Windows code page: sealed to this centre, whole, signed.
    text = opened_file(bundle, key, "results.csv").decode("utf-8-sig")
    sealed = seal.seal(load_key(key).public, text.encode("cp1251", "replace"), sealed_info("results.csv"))
    (bundle / "results.csv.sealed").write_bytes(sealed)
    return "unreadable: results.csv is not UTF-8 text"


def opened_file(bundle: Path, key: Path, name: str) -> bytes:
    """A sealed file of the bundle, opened with the centre's key."""
    private = load_key(key)
    return seal.open_sealed(private.private, (bundle / (name + ".sealed")).read_bytes(), sealed_info(name))


@pytest.mark.parametrize("damage", [_answers_not_json, _results_not_utf8], ids=["answers-not-json", "results-not-utf8"])
def test_a_bundle_the_centre_cannot_read_is_refused_as_unreadable(sitting, bundle, key, dataset_with_one, capsys,
                                                                  damage):
    # A room that wrote a file the centre cannot read, and signed it: the signature holds, the reading does not.
    reason = damage(bundle, key)
    resign(bundle, sitting[0])
    assert room_server(["verify", str(bundle)]) == 0
    out = _refused(capsys, dataset_with_one, bundle, key)
    assert reason in out


def test_a_bundle_sealed_to_another_centre_is_refused(bundle, dataset_with_one, tmp_path, capsys):
    assert centre(["keys", "new", "--dir", str(tmp_path / "other-centre")]) == 0
    other = tmp_path / "other-centre" / "centre.key"
    out = _refused(capsys, dataset_with_one, bundle, other)
    assert "foreign: sealed to another centre's key" in out
    assert load_key(other).for_paper in out  # the key it was given, to compare on paper


def test_a_bundle_of_an_older_format_is_refused_as_foreign(sitting, bundle, key, dataset_with_one, capsys):
    resign(bundle, sitting[0], manifest_changes={"format": "synaq-bundle/1"})
    out = _refused(capsys, dataset_with_one, bundle, key)
    assert "foreign: bundle format 'synaq-bundle/1'; this centre reads synaq-bundle/2" in out


def test_a_half_copied_bundle_is_refused(bundle, key, dataset_with_one, capsys):
    (bundle / "signature.json").unlink()
    answers = bundle / "answers.jsonl"
    answers.write_bytes(answers.read_bytes()[: answers.stat().st_size // 2])
    out = _refused(capsys, dataset_with_one, bundle, key)
    assert "incomplete: missing: signature.json" in out
    # A bundle folder whose manifest never arrived is found and refused, not overlooked.
    (bundle / "manifest.json").unlink()
    out = _refused(capsys, dataset_with_one, bundle.parent.parent, key, bundle=bundle)
    assert "manifest.json" in out and "incomplete" in out


def test_a_bundle_of_a_test_the_centre_does_not_hold_is_refused_as_foreign(bundle, key, dataset_with_one, capsys,
                                                                           tmp_path):
    from content.loader import shipped_packs
    grade4 = [str(p) for p in shipped_packs() if p.name.startswith("g4-")]
    out = _refused(capsys, dataset_with_one, bundle, key, "--packs", *grade4)
    assert "foreign: the centre's item bank has no grade 9" in out
    # Packs of grade 9 whose single-choice keys differ from the room's: the scores disagree.
    changed = []
    for pack in shipped_packs():
        if pack.name.startswith("g9-"):
            shutil.copytree(pack, tmp_path / "bank" / pack.name)
            for toml in (tmp_path / "bank" / pack.name).rglob("*.toml"):
                text = toml.read_text("utf-8")
                for old, new in (('key = "A"', 'key = "X"'), ('key = "B"', 'key = "A"'), ('key = "X"', 'key = "B"')):
                    text = text.replace(old, new)
                toml.write_text(text, "utf-8")
            changed.append(str(tmp_path / "bank" / pack.name))
    out = _refused(capsys, dataset_with_one, bundle, key, "--packs", *changed)
    assert "foreign: the room's scores differ from the centre's keys" in out


def test_another_export_of_an_ingested_sitting_is_refused_as_conflicting(sitting, key, dataset_with_one, tmp_path,
                                                                         capsys):
    room, first, _ = sitting
    stick = tmp_path / "stick2" / "KZ-ALM"
    stick.mkdir(parents=True)
    copy_bundle(first, stick)
    assert ingest([stick], Dataset(dataset_with_one), ItemBank.load(), key=load_key(key)).count(ADDED) == 1
    copy = tmp_path / "room-copy"
    shutil.copytree(room, copy)
    assert room_server(["export", "--data", str(copy), "--to", str(stick)]) == 0  # a later export: MODO_..._2
    (later,) = [p for p in stick.iterdir() if p.name != first.name]
    out = _refused(capsys, dataset_with_one, later, key)
    assert "conflicting: another export of the same sitting" in out


def test_only_registered_room_keys_are_taken_when_the_centre_keeps_a_list(bundle, key, dataset_with_one, tmp_path,
                                                                          capsys):
    room_key = json.loads((bundle / "manifest.json").read_text("utf-8"))["key"]["fingerprint"]
    other = "SHA256:" + "ab" * 32
    keys = tmp_path / "rooms.txt"
    keys.write_text(f"# KZ-ALM\n{fingerprint_for_paper(other)}\n", encoding="utf-8")
    out = _refused(capsys, dataset_with_one, bundle, key, "--keys", keys)
    assert f"foreign: signed by the room key {fingerprint_for_paper(room_key)}, which is not among the 1 registered" in out
    keys.write_text(f"{other}\n{fingerprint_for_paper(room_key)}   # Demo school No. 1, room 12\n", encoding="utf-8")
    code, out = run(capsys, "ingest", bundle, "--dataset", dataset_with_one, "--key", key, "--keys", keys)
    assert code == 0 and "1 bundles added" in out, out
    keys.write_text("not a fingerprint\n", encoding="utf-8")
    code, out = run(capsys, "ingest", bundle, "--dataset", dataset_with_one, "--key", key, "--keys", keys)
    assert code == 1 and "line 1" in out and "Traceback" not in out


def test_a_bundle_without_a_region_is_refused_until_one_is_given(bundle, key, tmp_path, capsys):
    loose = copy_bundle(bundle, tmp_path / "loose")
    ds = tmp_path / "ds"
    out = _refused(capsys, ds, loose, key)
    assert "names no region" in out
    code, out = run(capsys, "ingest", loose, "--dataset", ds, "--region", "kz-ala", "--key", key)
    assert code == 0, out
    assert rows(connect(ds), "SELECT DISTINCT region FROM students") == [{"region": "KZ-ALA"}]


def test_a_bundle_naming_its_region_and_bin_is_placed_by_them(sitting, key, tmp_path, capsys):
    room = tmp_path / "room"
    shutil.copytree(sitting[0], room)
    school_bin = a_bin(random.Random(1))
    with sqlite3.connect(room / "room.sqlite") as con:  # as 'room-server init --region --school-bin' keeps them
        con.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [("region", "KZ-AST"), ("school_bin", school_bin)])
    loose = tmp_path / "loose"
    loose.mkdir()
    assert room_server(["export", "--data", str(room), "--to", str(loose)]) == 0
    ds = tmp_path / "ds"
    code, out = run(capsys, "ingest", loose, "--dataset", ds, "--key", key)
    assert code == 0, out
    con = connect(ds)
    assert rows(con, "SELECT DISTINCT region, school_id FROM students") == [{"region": "KZ-AST", "school_id": school_bin}]
    assert rows(con, "SELECT school_bin, region_from FROM bundles") == [{"school_bin": school_bin, "region_from": "bundle"}]
    # A region given outside the bundle that contradicts its own is a question for a person.
    (bundle,) = loose.iterdir()
    misfiled = copy_bundle(bundle, tmp_path / "stick" / "KZ-ALM")
    out = _refused(capsys, tmp_path / "ds2", misfiled, key)
    assert "foreign: the bundle names the region KZ-AST, but it was given as KZ-ALM" in out


def test_questionnaire_responses_that_do_not_open_or_fit_are_set_aside_and_the_school_kept(sitting, bundle, key,
                                                                                           tmp_path, capsys):
    """A response is sealed on a student's computer: a changed client can send noise, or seal
    another student's ИКТ. Those are set aside with their count; the results are taken."""
    lines = (bundle / "questionnaire.jsonl").read_text("utf-8").splitlines()
    first = next(json.loads(line) for line in lines if json.loads(line)["audience"] == "student")
    private = load_key(key).private
    victim = opened_response(first, private)["ikt"]
    noise = os.urandom(len(base64.b64decode(first["sealed"])))
    forged = {**first, "sealed": base64.b64encode(sealed_naming(victim, first, load_key(key).public)).decode()}
    lines += [json.dumps({**first, "sealed": base64.b64encode(noise).decode()}), json.dumps(forged)]
    (bundle / "questionnaire.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    resign(bundle, sitting[0])
    ds = tmp_path / "ds"
    code, out = run(capsys, "ingest", bundle, "--dataset", ds, "--key", key)
    assert code == 0 and "1 bundles added (30 students)" in out, out
    assert ("3 questionnaire responses set aside: 2 are one of several naming the same ИКТ, "
            "1 do not open with this centre's key") in out
    con = connect(ds)
    assert rows(con, "SELECT questionnaires, questionnaires_set_aside FROM bundles") == [
        {"questionnaires": 7, "questionnaires_set_aside": 3}]
    assert rows(con, "SELECT count(*) AS n FROM questionnaire WHERE ikt = ?", [victim]) == [{"n": 0}]


def opened_response(line: dict, private: bytes) -> dict:
    return open_response(private, base64.b64decode(line["sealed"]))


def sealed_naming(ikt: str, line: dict, public: bytes) -> bytes:
    """A response a changed client seals naming another student's ИКТ."""
    q = shipped_questionnaire("kk")
    sent = p.QuestionnaireOut(line["questionnaire"], q.version, q.audience, q.title, q.intro, q.minutes, 0,
                              [p.QuestionView(**x.student_view()) for x in q.questions], public)
    return seal_response(sent, {q.questions[0].id: 0}, ikt)


# ------------------------------------------------------------------------- publishing

def test_a_batch_cut_short_before_commit_leaves_nothing_and_one_after_commit_is_finished(bundle, key, tmp_path):
    import pyarrow as pa
    from centre.schema import STUDENTS
    ds = Dataset(tmp_path / "ds")
    assert ingest([bundle], ds, ItemBank.load(), key=load_key(key)).count(ADDED) == 1
    before = tree_digest(ds.root)
    part = {"year": 2026, "grade": 9, "region": "KZ-ALM"}
    row = {"sitting_id": "r/1", "ikt": "0000001", "school_id": "S-x"}
    with ds.writer():
        cut = ds.new_batch()  # the writer dies while staging: no COMMIT
        ds.stage("students", part, pa.Table.from_pylist([row], schema=STUDENTS), cut)
    with ds.writer():
        pass
    assert tree_digest(ds.root) == before and not any((ds.root / "_staging").iterdir())
    with ds.writer():
        late = ds.new_batch()  # the writer dies right after COMMIT
        ds.stage("students", part, pa.Table.from_pylist([row], schema=STUDENTS), late)
        ds.commit(late)
    with ds.writer():
        pass
    assert rows(connect(ds.root), "SELECT count(*) n FROM students WHERE ikt = '0000001'") == [{"n": 1}]


def test_many_small_batches_are_compacted(bundle, key, tmp_path):
    ds = Dataset(tmp_path / "ds")
    assert ingest([bundle], ds, ItemBank.load(), key=load_key(key)).count(ADDED) == 1
    before = rows(connect(ds.root), "SELECT ikt, total_score FROM students ORDER BY ikt")
    folder = ds.files("students")[0].parent
    for n in range(3):  # more files in the same partition, as later ingests would add
        shutil.copy(ds.files("students")[0], folder / f"part-copy{n}.parquet")
    with ds.writer():
        assert ds.compact() == 4
    assert len(ds.files("students")) == 1
    after = rows(connect(ds.root), "SELECT ikt, total_score FROM students ORDER BY ikt")
    assert after == sorted(before * 4, key=lambda r: r["ikt"])

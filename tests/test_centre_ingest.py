"""The centre's first steps on a real sitting: its key pair, then the room's exported bundle
ingested into the Parquet dataset — idempotent, and refusing tampered, foreign, conflicting and
half-copied bundles with their reason and nothing written."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import stat
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from centre.cli import main as centre
from centre.dataset import Dataset
from centre.engine import connect, rows
from centre.ingest import ADDED, ingest
from centre.itembank import ItemBank
from centre.keys import load_key, CentreKeyError
from centre.schema import TABLES
from centre_support import copy_bundle, export_real_sitting, tree_digest
from room_server.cli import main as room_server
from room_server.excel_text import plain_text
from room_server.signing import fingerprint_for_paper


@pytest.fixture(scope="module")
def sitting(tmp_path_factory):
    return export_real_sitting(tmp_path_factory.mktemp("centre"))


@pytest.fixture
def bundle(sitting, tmp_path) -> Path:
    """A fresh copy of the real bundle, in a region folder of its own stick."""
    return copy_bundle(sitting[1], (tmp_path / "stick" / "KZ-ALM"))


def results_csv(bundle: Path) -> list[dict]:
    """The room's results.csv as a program reads it (IIN and ИКТ unwrapped from ="…")."""
    rows = csv.DictReader(io.StringIO((bundle / "results.csv").read_text("utf-8-sig")), delimiter=";")
    return [{k: plain_text(v) for k, v in row.items()} for row in rows]


def run(capsys, *args) -> tuple[int, str]:
    capsys.readouterr()
    code = centre([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out + out.err


# ------------------------------------------------------------------------- keys

def test_keys_new_makes_an_owner_only_private_key_and_prints_its_fingerprint(tmp_path, capsys):
    code, out = run(capsys, "keys", "new", "--dir", tmp_path / "k")
    assert code == 0, out
    private, public = tmp_path / "k" / "centre.key", tmp_path / "k" / "centre.pub"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert len(private.read_bytes()) == 32 and len(public.read_bytes()) == 32
    expected = fingerprint_for_paper("SHA256:" + hashlib.sha256(public.read_bytes()).hexdigest())
    assert f"Fingerprint: {expected}" in out
    assert load_key(private).public == public.read_bytes()
    # Never overwritten: bundles sealed to it could not be opened any more.
    before = private.read_bytes()
    code, out = run(capsys, "keys", "new", "--dir", tmp_path / "k")
    assert code == 1 and "never overwritten" in out and "Traceback" not in out
    assert private.read_bytes() == before


def test_a_private_key_others_can_read_is_refused(tmp_path):
    centre(["keys", "new", "--dir", str(tmp_path)])
    os.chmod(tmp_path / "centre.key", 0o644)
    with pytest.raises(CentreKeyError, match="readable by others"):
        load_key(tmp_path / "centre.key")
    (tmp_path / "bad.key").write_bytes(b"short")
    os.chmod(tmp_path / "bad.key", 0o600)
    with pytest.raises(CentreKeyError, match="not a centre key"):
        load_key(tmp_path / "bad.key")


# ------------------------------------------------------------------------- ingest

def test_the_real_bundle_lands_in_every_table_with_the_rooms_facts(bundle, tmp_path, capsys):
    ds = tmp_path / "ds"
    code, out = run(capsys, "ingest", bundle.parent.parent, "--dataset", ds)
    assert code == 0, out
    assert "1 bundles added (30 students)" in out
    room_rows = {r["ikt"]: r for r in results_csv(bundle)}
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
    assert rows(con, "SELECT count(*) n FROM questionnaire")[0]["n"] == sum(
        1 for _ in csv.DictReader(io.StringIO((bundle / "questionnaire.csv").read_text("utf-8-sig")), delimiter=";"))
    assert rows(con, "SELECT kind FROM incidents ORDER BY incident") == [{"kind": "annex1"}, {"kind": "annex2"}]


def test_identities_stay_in_their_own_table_and_codes_stay_strings(bundle, tmp_path):
    ds = tmp_path / "ds"
    report = ingest([bundle], Dataset(ds), ItemBank.load())
    assert report.count(ADDED) == 1
    for table in TABLES:
        for path in Dataset(ds).files(table):
            schema = pq.read_schema(path)
            if table != "identities":
                assert not {"iin", "surname", "name", "patronymic"} & set(schema.names), (table, schema.names)
            for column in ("ikt", "iin", "school_id"):
                if column in schema.names:
                    assert str(schema.field(column).type) == "string", (table, column)
    con = connect(ds, tables=("identities",))
    people = {r["ikt"]: r for r in rows(con, "SELECT * FROM identities")}
    for room in results_csv(bundle):
        assert people[room["ikt"]]["iin"] == room["iin"] and len(room["iin"]) == 12
        assert people[room["ikt"]]["surname"] == room["surname"]
    # An ИКТ is written with its leading zeros, as the room printed it.
    assert all(len(ikt) == 7 for ikt in people)


def test_the_same_bundle_twice_adds_nothing_and_says_so(bundle, tmp_path, capsys):
    ds = tmp_path / "ds"
    assert run(capsys, "ingest", bundle, "--dataset", ds)[0] == 0
    before = tree_digest(ds)
    second = copy_bundle(bundle, tmp_path / "another-stick" / "KZ-ALM")  # the same bundle on a second stick
    code, out = run(capsys, "ingest", bundle, second, "--dataset", ds)
    assert code == 0, out
    assert out.count("already in the dataset:") == 2 and "0 bundles added" in out
    assert tree_digest(ds) == before


def _refused(capsys, ds: Path, path: Path, *extra, bundle: Path | None = None) -> str:
    before = tree_digest(ds)
    code, out = run(capsys, "ingest", path, "--dataset", ds, *extra)
    assert code == 1, out
    assert "Traceback" not in out and "0 bundles added" in out and "1 refused" in out
    assert tree_digest(ds) == before, "a refused bundle changed the dataset"
    quarantine = list(csv.DictReader(open(ds / "quarantine.csv", encoding="utf-8")))
    assert quarantine[-1]["bundle"] == str(bundle or path)
    return out + quarantine[-1]["kind"] + ": " + quarantine[-1]["reason"]


@pytest.fixture
def dataset_with_one(tmp_path, sitting) -> Path:
    """A dataset that already holds another sitting (so "nothing written" means something)."""
    ds = tmp_path / "ds"
    other = tmp_path / "other-room"
    shutil.copytree(sitting[0], other)
    stick = tmp_path / "other-stick" / "KZ-AST"
    stick.mkdir(parents=True)
    # The same room's data under another room id: another sitting for the centre.
    import sqlite3
    with sqlite3.connect(other / "room.sqlite") as con:
        con.execute("UPDATE meta SET value = 'feedfacefeedface' WHERE key = 'room_id'")
    assert room_server(["export", "--data", str(other), "--to", str(stick)]) == 0
    assert ingest([stick], Dataset(ds), ItemBank.load()).count(ADDED) == 1
    return ds


def test_a_tampered_bundle_is_refused(bundle, dataset_with_one, capsys):
    text = (bundle / "results.csv").read_bytes().replace(b";kk;", b";ru;", 1)
    (bundle / "results.csv").write_bytes(text)
    out = _refused(capsys, dataset_with_one, bundle)
    assert "tampered: altered: results.csv" in out


def test_a_half_copied_bundle_is_refused(bundle, dataset_with_one, capsys):
    (bundle / "signature.json").unlink()
    answers = bundle / "answers.jsonl"
    answers.write_bytes(answers.read_bytes()[: answers.stat().st_size // 2])
    out = _refused(capsys, dataset_with_one, bundle)
    assert "incomplete: missing: signature.json" in out
    # A bundle folder whose manifest never arrived is found and refused, not overlooked.
    (bundle / "manifest.json").unlink()
    out = _refused(capsys, dataset_with_one, bundle.parent.parent, bundle=bundle)
    assert "manifest.json" in out and "incomplete" in out


def test_a_bundle_of_a_test_the_centre_does_not_hold_is_refused_as_foreign(bundle, dataset_with_one, capsys, tmp_path):
    from content.loader import shipped_packs
    grade4 = [str(p) for p in shipped_packs() if p.name.startswith("g4-")]
    out = _refused(capsys, dataset_with_one, bundle, "--packs", *grade4)
    assert "foreign: the centre's item bank has no grade 9" in out
    # Packs of grade 9 whose single-choice keys differ from the room's: the scores disagree.
    changed = []
    for p in shipped_packs():
        if p.name.startswith("g9-"):
            shutil.copytree(p, tmp_path / "bank" / p.name)
            for toml in (tmp_path / "bank" / p.name).rglob("*.toml"):
                text = toml.read_text("utf-8")
                for old, new in (('key = "A"', 'key = "X"'), ('key = "B"', 'key = "A"'), ('key = "X"', 'key = "B"')):
                    text = text.replace(old, new)
                toml.write_text(text, "utf-8")
            changed.append(str(tmp_path / "bank" / p.name))
    out = _refused(capsys, dataset_with_one, bundle, "--packs", *changed)
    assert "foreign: the room's scores differ from the centre's keys" in out


def test_another_export_of_an_ingested_sitting_is_refused_as_conflicting(sitting, dataset_with_one, tmp_path, capsys):
    room, first, _ = sitting
    stick = tmp_path / "stick2" / "KZ-ALM"
    stick.mkdir(parents=True)
    copy_bundle(first, stick)
    assert ingest([stick], Dataset(dataset_with_one), ItemBank.load()).count(ADDED) == 1
    copy = tmp_path / "room-copy"
    shutil.copytree(room, copy)
    assert room_server(["export", "--data", str(copy), "--to", str(stick)]) == 0  # a later export: MODO_..._2
    (later,) = [p for p in stick.iterdir() if p.name != first.name]
    out = _refused(capsys, dataset_with_one, later)
    assert "conflicting: another export of the same sitting" in out


def test_a_bundle_without_a_region_is_refused_until_one_is_given(bundle, tmp_path, capsys):
    loose = copy_bundle(bundle, tmp_path / "loose")
    ds = tmp_path / "ds"
    out = _refused(capsys, ds, loose)
    assert "names no region" in out
    code, out = run(capsys, "ingest", loose, "--dataset", ds, "--region", "kz-ala")
    assert code == 0, out
    assert rows(connect(ds), "SELECT DISTINCT region FROM students") == [{"region": "KZ-ALA"}]


# ------------------------------------------------------------------------- publishing

def test_a_batch_cut_short_before_commit_leaves_nothing_and_one_after_commit_is_finished(bundle, tmp_path):
    import pyarrow as pa
    from centre.schema import STUDENTS
    ds = Dataset(tmp_path / "ds")
    assert ingest([bundle], ds, ItemBank.load()).count(ADDED) == 1
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


def test_many_small_batches_are_compacted(bundle, tmp_path):
    ds = Dataset(tmp_path / "ds")
    assert ingest([bundle], ds, ItemBank.load()).count(ADDED) == 1
    before = rows(connect(ds.root), "SELECT ikt, total_score FROM students ORDER BY ikt")
    folder = ds.files("students")[0].parent
    for n in range(3):  # more files in the same partition, as later ingests would add
        shutil.copy(ds.files("students")[0], folder / f"part-copy{n}.parquet")
    with ds.writer():
        assert ds.compact() == 4
    assert len(ds.files("students")) == 1
    after = rows(connect(ds.root), "SELECT ikt, total_score FROM students ORDER BY ikt")
    assert after == sorted(before * 4, key=lambda r: r["ikt"])

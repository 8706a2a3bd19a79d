"""From the room to the parents: a real sitting made by simulated students over the real
protocol (the questionnaire sealed on each student's computer by `StudentClient`), exported by
the room (format 2: personal files and responses sealed to the centre), ingested with the
centre's key, analysed, reported; the questionnaire answers found intact beside their own
student's result; the PDFs opened with pypdf, their Kazakh text read back and their pages
counted."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from centre.cli import main as centre
from centre.engine import connect, rows
from centre.figures import gather
from centre_support import centre_key_of, export_real_sitting
from room_server.cli import main as room_server

KAZAKH = set("әғқңөұүһі")
CONTEXT = "Нәтижелермен байланысты факторлар"


@pytest.fixture(scope="module")
def centre_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    room, bundle, facts = export_real_sitting(root)
    ds = root / "ds"
    assert centre(["ingest", str(bundle.parent.parent), "--dataset", str(ds), "--quiet",
                   "--key", str(centre_key_of(room))]) == 0
    assert centre(["stats", "--dataset", str(ds)]) == 0
    assert centre(["report", "--dataset", str(ds), "--out", str(root / "reports"), "--jobs", "1"]) == 0
    assert centre(["report", "--dataset", str(ds), "--out", str(root / "small-groups"), "--min-group", "2"]) == 0
    return root, ds, facts


def text_of(path: Path) -> list[str]:
    """Each page's text, with line breaks and repeated spaces as single spaces."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(path).pages]


def only_folder(root: Path) -> Path:
    (folder,) = [p for p in root.rglob("*") if (p / "school-report.pdf").exists()]
    return folder


def test_the_item_report_names_every_form_and_item(centre_run):
    _, ds, _ = centre_run
    pages = text_of(ds / "_stats" / "item-report.pdf")
    text = "\n".join(pages)
    assert len(pages) >= 2
    for language in ("kk", "ru"):
        for subject in ("reading", "math", "science"):
            assert f"9 класс · {language} · вариант A · {subject}" in text
    assert "A-m10" in text and "Кронбаха" in text


def test_one_folder_per_school_with_its_report_teachers_and_letters(centre_run):
    root, ds, facts = centre_run
    folder = only_folder(root / "reports")
    assert folder.parent.name == "KZ-ALM"
    con = connect(ds, tables=("students", "identities"))
    sat = rows(con, """SELECT s.class, s.annulled, i.surname, i.name FROM students s JOIN identities i USING (sitting_id, ikt)
                       WHERE s.sat ORDER BY s.class""")
    classes = sorted({r["class"] for r in sat})
    names = {f"{p.name}" for p in folder.iterdir()}
    assert {"school-report.pdf", "teacher-9A.pdf", "teacher-9B.pdf"} <= names  # 9Ә and 9Б, in file names safe anywhere
    letters = sorted(folder.glob("letters-*.pdf"))
    assert len(letters) == len(classes)
    pages = sum(len(PdfReader(p).pages) for p in letters)
    assert pages == len(sat)  # one letter, one page, per student who sat
    for path in letters:
        for page in text_of(path):
            mine = [r for r in sat if f"{r['surname']} {r['name']}" in page]
            assert len(mine) == 1, "a letter names exactly one child"
            assert KAZAKH & set(page.lower()), "Kazakh letters are read back from the PDF"
            if mine[0]["annulled"]:
                assert "нәтижесі жойылды" in page or "аннулирован" in page


def test_the_school_report_is_in_kazakh_and_hides_groups_below_the_threshold(centre_run):
    root, _, _ = centre_run
    report = text_of(only_folder(root / "reports") / "school-report.pdf")
    text = "\n".join(report)
    assert "мектепке кері байланыс" in text and "Demo school No. 1" in text
    assert "Алматы облысы" in text
    assert "10 оқушыдан аз топтардың нәтижесі көрсетілмейді" in text
    assert KAZAKH <= set(text.lower()) | set("һ")
    # Eight results that count (one was annulled): too few for the school's or a class's figures,
    # and fewer than ten questionnaire responses: no context factors.
    assert "төмен деңгейде" not in text
    assert CONTEXT not in text
    teacher = "\n".join(text_of(only_folder(root / "reports") / "teacher-9A.pdf"))
    assert "10 оқушыдан аз тест тапсырды" in teacher


def test_with_a_lower_threshold_the_figures_appear(centre_run):
    root, ds, _ = centre_run
    folder = only_folder(root / "small-groups")
    school = "\n".join(text_of(folder / "school-report.pdf"))
    assert "төмен деңгейде" in school  # level shares of the school, shown once the group is large enough
    con = connect(ds)
    (mean,) = rows(con, """SELECT round(avg(percent)) AS p FROM subject_scores
                           WHERE subject = 'math' AND NOT annulled AND class = '9Ә'""")
    teacher = "\n".join(text_of(folder / "teacher-9A.pdf"))
    assert "Математикалық сауаттылық" in teacher
    assert f"{mean['p']:.0f}" in teacher


def test_questionnaire_answers_arrive_intact_and_beside_their_own_student(centre_run):
    _, ds, facts = centre_run
    sent = dict(facts["questionnaires"])
    teacher = sent.pop("teacher")
    assert len(sent) == 2
    con = connect(ds, tables=("questionnaire", "students", "identities"))
    for ikt, answers in sent.items():
        stored = {r["question"]: json.loads(r["value"]) for r in rows(con, "SELECT * FROM questionnaire WHERE ikt = ?", [ikt])}
        assert stored == answers  # every answer as the student's computer sealed it, Kazakh text included
        # The ИКТ sealed inside is this student's: the text they typed names their own login.
        (person,) = rows(con, "SELECT i.login, s.sat, s.state FROM identities i JOIN students s USING (sitting_id, ikt) "
                              "WHERE ikt = ?", [ikt])
        assert person["sat"] and person["state"] == "done"
        assert f"({person['login']})" in next(v for v in answers.values() if isinstance(v, str))
    # Every student's response came from a student who finished; the removed and the absent sent none.
    states = rows(con, "SELECT DISTINCT s.ikt, s.state FROM questionnaire q JOIN students s USING (sitting_id, ikt)")
    assert len(states) == len(facts["finishers"]) + len(sent) and {r["state"] for r in states} == {"done"}
    # The teacher's arrives by the same path, sealed with no ИКТ: it joins no student.
    staff = rows(con, "SELECT * FROM questionnaire WHERE audience = 'teacher'")
    assert {r["question"]: json.loads(r["value"]) for r in staff} == teacher
    assert {r["ikt"] for r in staff} == {None} and {r["questionnaire_id"] for r in staff} == {"teacher-kk"}


def test_context_factors_stand_beside_each_students_own_result(centre_run):
    root, ds, _ = centre_run
    con = connect(ds, tables=("questionnaire", "students"))
    percent = {r["ikt"]: r["percent"] for r in rows(con, "SELECT ikt, percent FROM students WHERE sat AND NOT annulled")}
    chose = defaultdict(list)
    for r in rows(con, "SELECT ikt, question, option, options FROM questionnaire"):
        for option in ([r["option"]] if r["option"] is not None else r["options"] or []):
            if r["ikt"] in percent:
                chose[(r["question"], option)].append(percent[r["ikt"]])
    figures = gather(ds, None, None, 2)
    got = {(q, o): (n, mean) for q, o, n, mean in figures.context[("KZ-ALM", 9)]}
    assert got.keys() == chose.keys()
    for key, scores in chose.items():
        assert got[key][0] == len(scores) and math.isclose(got[key][1], sum(scores) / len(scores), rel_tol=1e-6)
    # The report shows a question when two of its answers each have enough students.
    shown = defaultdict(int)
    for (question, _option), scores in chose.items():
        shown[question] += len(scores) >= 2
    school = "\n".join(text_of(only_folder(root / "small-groups") / "school-report.pdf"))
    assert (CONTEXT in school) == any(n >= 2 for n in shown.values())


def test_the_schools_folder_holds_the_rooms_results_workbook(centre_run, tmp_path):
    """The same sheet `room-server results` writes, in the school's folder: every cell the
    room's sheet has, IIN and ИКТ as text, annulled results out of every total."""
    root, ds, _ = centre_run
    (school,) = gather(ds, None, None, 10).schools
    path = only_folder(root / "reports") / "results.xlsx"
    (sheet,) = openpyxl.load_workbook(path).worksheets  # one grade: one sheet
    assert sheet.title == {"kk": "Нәтижелер, 9-сынып", "ru": "Результаты, 9 класс"}[school["language"]]
    assert room_server(["results", "--data", str(root / "room"), "--out", str(tmp_path / "room.xlsx"),
                        "--lang", school["language"]]) == 0
    room = openpyxl.load_workbook(tmp_path / "room.xlsx").active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells == [[c.value for c in row] for row in room.iter_rows()]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == room.auto_filter.ref

    con = connect(ds, tables=("students", "identities"))
    people = {r["ikt"]: r for r in rows(con, """SELECT s.ikt, i.iin, s.sat, s.annulled, s.total_score
                                               FROM students s JOIN identities i USING (sitting_id, ikt)""")}
    head = cells[0]
    total = head.index({"kk": "Барлығы", "ru": "Итого"}[school["language"]])
    body = list(sheet.iter_rows(min_row=2, max_row=1 + len(people)))
    assert sorted(r[0].value for r in body) == sorted(people)
    for row in body:
        person = people[row[0].value]
        for cell, value in ((row[0], person["ikt"]), (row[1], person["iin"])):
            assert cell.data_type == "s" and cell.value == value and cell.number_format == "@"
        if person["annulled"]:
            assert row[11].value and row[0].fill.start_color.rgb.endswith("D9D9D9")
            assert all(c.value is None for c in row[12:])
        elif person["sat"]:
            assert row[total].value == person["total_score"] and isinstance(row[total].value, int)
            assert sum(c.value for c in row[12:total]) == row[total].value
        else:
            assert row[total].value is None
    assert any(people[ikt]["annulled"] and people[ikt]["total_score"] for ikt in people)  # a score the sheet leaves out
    counted = [r[total].value for r in body if r[total].value is not None]
    assert sum(counted) == sum(p["total_score"] for p in people.values() if p["sat"] and not p["annulled"])

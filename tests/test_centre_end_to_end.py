"""From the room to the parents: a real sitting made by simulated students over the real
protocol, exported by the room, ingested, analysed, reported; the PDFs opened with pypdf,
their Kazakh text read back and their pages counted."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from centre.cli import main as centre
from centre.engine import connect, rows
from centre_support import export_real_sitting

KAZAKH = set("әғқңөұүһі")


@pytest.fixture(scope="module")
def centre_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    room, bundle, facts = export_real_sitting(root)
    ds = root / "ds"
    assert centre(["ingest", str(bundle.parent.parent), "--dataset", str(ds), "--quiet"]) == 0
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
    # Six results that count (one was annulled): too few for the school's or a class's figures.
    assert "төмен деңгейде" not in text
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

"""`room-server content check`: a table of broken packs (one flaw each), broken
questionnaires, unreadable files, the printed lines and the --json shape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from content.check import check_paths, main
from content.model import Problem
from content_samples import write_sound_pack, write_sound_questionnaire

REPO = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- mutations


def edit(file: str, old: str, new: str):
    """Replace the first `old` in `file` (relative to the pack folder) with `new`."""

    def mutate(folder: Path) -> None:
        path = folder / file
        text = path.read_text(encoding="utf-8")
        assert old in text, f"the row's text {old!r} is not in {file}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return mutate


def delete(file: str):
    def mutate(folder: Path) -> None:
        (folder / file).unlink()

    return mutate


def add(file: str, content: str | bytes):
    def mutate(folder: Path) -> None:
        path = folder / file
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")

    return mutate


def orphan_items_file(folder: Path) -> Path:
    """An items file in a folder with no pack.toml above it; the check is run on it."""
    path = folder.parent / "orphan" / "items.toml"
    path.parent.mkdir()
    path.write_text('kind = "items"\nvariant = "A"\nsubject = "math"\n', encoding="utf-8")
    return path


P, RA, MA, SA, MB = "pack.toml", "A/reading.toml", "A/math.toml", "A/science.toml", "B/math.toml"
MATCH_KEY = '{ 1 = "C", 2 = "A", 3 = "B" }'
CITY_KEY = 'key = ["Алматы", "Алма-Ата"]'

# (name, mutation, file, where, field, phrase of the message). A `where` ending in "*" is a
# prefix (TOML syntax errors name a line and column).
PACK_ROWS = [
    ("toml syntax", edit(MA, "points = 3", "points = = 3"), MA, "line 8*", "", "not valid TOML"),
    ("not utf-8", add("A/extra.toml", b'kind = "items"\nvariant = "\xff"\n'),
     "A/extra.toml", "line 2", "", "not UTF-8"),
    ("binary file", add("A/picture.toml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
     "A/picture.toml", "file", "", "binary"),
    ("missing item text", edit(SA, 'text = "Is water wet?"\n', ""), SA, "A-s2", "text", "missing"),
    ("missing key", edit(SA, 'key = "A"\n', ""), SA, "A-s2", "key", "missing"),
    ("missing pack title", edit(P, 'title = "Sample pack"\n', ""), P, "pack", "title", "missing"),
    ("missing timing field", edit(P, "work_block_minutes = 35\n", ""), P, "timing",
     "work_block_minutes", "missing"),
    ("grade as text", edit(P, "grade = 9", 'grade = "9"'), P, "pack", "grade",
     'whole number, not text ("9")'),
    ("grade as boolean", edit(P, "grade = 9", "grade = true"), P, "pack", "grade",
     "whole number, not true/false"),
    ("points fraction", edit(MA, "points = 1\n", "points = 1.5\n"), MA, "A-m2", "points",
     "whole number, not a fraction"),
    ("typo optons", edit(RA, 'options = ["one"', 'optons = ["one"'), RA, "A-r2", "optons",
     "unknown field 'optons' (did you mean 'options'?)"),
    ("typo in timing", edit(P, "breaks_optional", "break_optional"), P, "timing",
     "break_optional", "unknown field"),
    ("typo in subject", edit(P, "needs_kinds", "need_kinds"), P, "reading", "need_kinds",
     "unknown field"),
    ("typo in stimulus", edit(RA, 'title = "Bus', 'titel = "Bus'), RA, "s-bus", "titel",
     "unknown field"),
    ("typo in items header", edit(MA, 'subject = "math"\n', 'subject = "math"\nlevel = 2\n'),
     MA, "file", "level", "unknown field 'level'"),
    ("typo in pack", edit(P, "rules =", "rulez ="), P, "pack", "rulez", "unknown field"),
    ("bad pack id", edit(P, 'id = "g9-sample"', 'id = "g9 sample!"'), P, "pack", "id",
     "letters, digits"),
    ("duplicate item id", edit(MB, 'id = "B-m1"', 'id = "A-m1"'), MB, "A-m1", "id",
     "duplicate item id 'A-m1'"),
    ("duplicate stimulus id",
     edit(RA, '[[item]]\nid = "A-r1"', '[[stimulus]]\nid = "s-bus"\ntext = "Again."\n\n[[item]]\nid = "A-r1"'),
     RA, "s-bus", "id", "duplicate stimulus id 's-bus'"),
    ("duplicate subject id", edit(P, 'id = "science"', 'id = "math"'), P, "math", "id",
     "duplicate subject id 'math'"),
    ("duplicate variant id", edit(P, 'variants = ["A", "B"]', 'variants = ["A", "B", "A"]'),
     P, "pack", "variants", "duplicate variant id 'A'"),
    ("grade 5", edit(P, "grade = 9", "grade = 5"), P, "pack", "grade", "must be 4 or 9"),
    ("language en", edit(P, 'language = "kk"', 'language = "en"'), P, "pack", "language",
     '"kk" or "ru"'),
    ("one variant", edit(P, 'variants = ["A", "B"]', 'variants = ["A"]'), P, "pack", "variants",
     "two or more variants"),
    ("unknown variant", edit(MB, 'variant = "B"', 'variant = "C"'), MB, "file", "variant",
     "unknown variant 'C'"),
    ("unknown subject", edit(MA, 'subject = "math"', 'subject = "maths"'), MA, "file", "subject",
     "unknown subject 'maths'"),
    ("variant misses a subject", delete("B/science.toml"), P, "science", "items",
     "variant B has no items for subject 'science'"),
    ("needs_kinds unmet", edit(P, 'needs_kinds = ["single"]', 'needs_kinds = ["single", "matching"]'),
     P, "reading", "needs_kinds", "variant A has no 'matching' item"),
    ("needs_kinds unknown", edit(P, 'needs_kinds = ["single"]', 'needs_kinds = ["essay"]'),
     P, "reading", "needs_kinds", "unknown item kind 'essay'"),
    ("unknown item kind", edit(SA, 'kind = "single"', 'kind = "choice"'), SA, "A-s2", "kind",
     "unknown item kind 'choice'"),
    ("points zero", edit(RA, "points = 2", "points = 0"), RA, "A-r2", "points",
     "positive whole number"),
    ("points negative", edit(MA, "points = 3", "points = -3"), MA, "A-m1", "points",
     "positive whole number"),
    ("single one option", edit(SA, 'options = ["yes", "no"]', 'options = ["yes"]'), SA, "A-s2",
     "options", "at least 2 options"),
    ("single key names no option", edit(RA, 'key = "B"', 'key = "E"'), RA, "A-r1", "key",
     "'E' names no option"),
    ("single key two letters", edit(RA, 'key = "B"', 'key = "AB"'), RA, "A-r1", "key",
     "single letter"),
    ("single key a list", edit(RA, 'key = "B"', 'key = ["B"]'), RA, "A-r1", "key", "single letter"),
    ("multiple key one letter", edit(RA, 'key = ["A", "C"]', 'key = ["A"]'), RA, "A-r2", "key",
     "two or more key letters"),
    ("multiple key repeated", edit(RA, 'key = ["A", "C"]', 'key = ["A", "A"]'), RA, "A-r2", "key",
     "repeats the letter 'A'"),
    ("multiple key names no option", edit(RA, 'key = ["A", "C"]', 'key = ["A", "F"]'), RA, "A-r2",
     "key", "'F' names no option"),
    ("matching left empty", edit(MA, 'left = ["Iron", "Copper", "Sodium"]', "left = []"), MA,
     "A-m1", "left", "is empty"),
    ("matching right empty", edit(MA, 'right = ["Cu", "Na", "Fe", "K"]', "right = []"), MA,
     "A-m1", "right", "is empty"),
    ("matching left unpaired", edit(MA, MATCH_KEY, '{ 1 = "C", 2 = "A" }'), MA, "A-m1", "key",
     "does not pair left 3"),
    ("matching number out of range", edit(MA, MATCH_KEY, '{ 1 = "C", 2 = "A", 3 = "B", 4 = "D" }'),
     MA, "A-m1", "key", "there is no left 4"),
    ("matching letter names no right", edit(MA, MATCH_KEY, '{ 1 = "C", 2 = "A", 3 = "F" }'), MA,
     "A-m1", "key", "names no right option"),
    ("matching left twice", edit(MA, MATCH_KEY, '{ 1 = "C", 2 = "A", 3 = "B", 01 = "D" }'), MA,
     "A-m1", "key", "pairs left 1 more than once"),
    ("short key as text", edit(MA, "key = 25", 'key = "25"'), MA, "A-m2", "key",
     "must be a number (key = 25) or a non-empty list"),
    ("short key empty list", edit(SA, CITY_KEY, "key = []"), SA, "A-s1", "key",
     "must be a number (key = 25) or a non-empty list"),
    ("short key empty form", edit(SA, CITY_KEY, 'key = ["Алматы", " "]'), SA, "A-s1", "key",
     "an accepted answer is empty"),
    ("tolerance negative", edit(MA, "tolerance = 0", "tolerance = -1"), MA, "A-m2", "tolerance",
     "must not be negative"),
    ("tolerance on text key", edit(SA, CITY_KEY, CITY_KEY + "\ntolerance = 1"), SA, "A-s1",
     "tolerance", "only to a number key"),
    ("units not a list", edit(MA, "tolerance = 0", 'tolerance = 0\nunits = "ж."'), MA, "A-m2", "units",
     'must be a list of units like ["ж.", "жылы"]'),
    ("unit with a digit", edit(MA, "tolerance = 0", 'tolerance = 0\nunits = ["м2"]'), MA, "A-m2", "units",
     "has a digit"),
    ("unit empty", edit(MA, "tolerance = 0", 'tolerance = 0\nunits = ["₸", " "]'), MA, "A-m2", "units",
     "is not a unit"),
    ("units on a text key", edit(SA, CITY_KEY, CITY_KEY + '\nunits = ["қ."]'), SA, "A-s1", "units",
     "only to a number key"),
    ("options on a short item", edit(SA, CITY_KEY, CITY_KEY + '\noptions = ["a", "b"]'), SA,
     "A-s1", "options", "a short item has no 'options' (only single and multiple items do)"),
    ("unknown stimulus", edit(RA, 'stimulus = "s-bus"', 'stimulus = "s-train"'), RA, "A-r1",
     "stimulus", "unknown stimulus 's-train'"),
    ("unused stimulus", edit(RA, 'stimulus = "s-bus"\n', ""), RA, "s-bus", "id",
     "no item uses this stimulus"),
    ("empty item text", edit(SA, 'text = "Name the city."', 'text = ""'), SA, "A-s1", "text",
     "is empty"),
    ("blank stimulus text", edit(RA, "| Stop | Time |\n|---|---|\n| School | 08:10 |\n", "  \n"),
     RA, "s-bus", "text", "is empty"),
    ("empty option", edit(RA, '"08:30"', '""'), RA, "A-r1", "options", "option C is empty"),
    ("break minutes zero", edit(P, "break_minutes = 10", "break_minutes = 0"), P, "timing",
     "break_minutes", "positive whole number"),
    ("total minutes fraction", edit(P, "total_minutes = 170", "total_minutes = 170.5"), P,
     "timing", "total_minutes", "whole number, not a fraction"),
    ("break as long as a block", edit(P, "break_minutes = 10", "break_minutes = 35"), P, "timing",
     "break_minutes", "must be shorter than a work block"),
    ("too few breaks", edit(P, "breaks = 3", "breaks = 2"), P, "timing", "breaks",
     "3 break(s) fit in 170 minutes"),
    ("too many breaks", edit(P, "breaks = 3", "breaks = 4"), P, "timing", "breaks", ", not 4"),
    ("items file outside a pack", orphan_items_file, "../orphan/items.toml", "file", "",
     "no pack.toml in this folder or above"),
    ("unknown file kind", add("notes.toml", 'kind = "notes"\n'), "notes.toml", "file", "kind",
     "unknown kind 'notes'"),
    ("file without kind", add("extra.toml", 'title = "x"\n'), "extra.toml", "file", "kind",
     "is missing"),
]


def assert_problem(problems: list[Problem], file: Path, where: str, field: str, phrase: str):
    def matches(p: Problem) -> bool:
        same_where = (p.where.startswith(where[:-1]) if where.endswith("*") else p.where == where)
        return (Path(p.path).resolve() == file.resolve() and same_where and p.field == field
                and phrase in p.message)

    shown = "\n".join(str(p) for p in problems) or "(no problems)"
    assert any(matches(p) for p in problems), f"expected {where}.{field}: {phrase!r} in\n{shown}"


@pytest.mark.parametrize("name, mutate, file, where, field, phrase", PACK_ROWS,
                         ids=[row[0] for row in PACK_ROWS])
def test_broken_pack_is_reported(tmp_path, name, mutate, file, where, field, phrase):
    folder = write_sound_pack(tmp_path / "pack")
    checked = mutate(folder) or folder
    summaries, problems = check_paths([str(checked)])
    assert_problem(problems, folder / file, where, field, phrase)


QUESTIONNAIRE = "questionnaire-kk.toml"
FIRST_OPTIONS = 'options = ["Күн сайын", "Сирек"]'


def rewrite(questions: int):
    def mutate(folder: Path) -> None:
        write_sound_questionnaire(folder, questions)

    return mutate


QUESTIONNAIRE_ROWS = [
    ("11 questions", rewrite(11), "questionnaire", "question", "12 to 15 questions, not 11"),
    ("16 questions", rewrite(16), "questionnaire", "question", "12 to 15 questions, not 16"),
    ("20 minutes", edit(QUESTIONNAIRE, "minutes = 15", "minutes = 20"), "questionnaire",
     "minutes", "must be 10 to 15, not 20"),
    ("9 minutes", edit(QUESTIONNAIRE, "minutes = 15", "minutes = 9"), "questionnaire",
     "minutes", "must be 10 to 15"),
    ("choice with one option", edit(QUESTIONNAIRE, FIRST_OPTIONS, 'options = ["Күн сайын"]'),
     "q1", "options", "at least 2 options"),
    ("multi with one option", edit(QUESTIONNAIRE, 'options = ["Иә", "Жоқ", "Білмеймін"]',
                                   'options = ["Иә"]'), "q2", "options", "at least 2 options"),
    ("choice without options", edit(QUESTIONNAIRE, FIRST_OPTIONS + "\n", ""), "q1", "options",
     "missing"),
    ("text question with options",
     edit(QUESTIONNAIRE, 'text = "Сұрақ 3?"', 'text = "Сұрақ 3?"\noptions = ["a", "b"]'),
     "q3", "options", "a text question has no options"),
    ("empty intro", edit(QUESTIONNAIRE, 'intro = "Дұрыс немесе бұрыс жауап жоқ. Жауаптарың құпия."', 'intro = "  "'), "questionnaire",
     "intro", "is empty"),
    ("duplicate question id", edit(QUESTIONNAIRE, 'id = "q2"', 'id = "q1"'), "q1", "id",
     "duplicate question id 'q1'"),
    ("unknown question kind", edit(QUESTIONNAIRE, 'kind = "multi"', 'kind = "scale"'), "q2",
     "kind", "unknown question kind 'scale'"),
    ("typo", edit(QUESTIONNAIRE, "minutes = 15", "minutes = 15\nminuts = 10"), "questionnaire",
     "minuts", "unknown field 'minuts'"),
    ("language", edit(QUESTIONNAIRE, 'language = "kk"', 'language = "en"'), "questionnaire",
     "language", '"kk" or "ru"'),
    ("empty question text", edit(QUESTIONNAIRE, 'text = "Сұрақ 4?"', 'text = ""'), "q4", "text",
     "is empty"),
]


@pytest.mark.parametrize("name, mutate, where, field, phrase", QUESTIONNAIRE_ROWS,
                         ids=[row[0] for row in QUESTIONNAIRE_ROWS])
def test_broken_questionnaire_is_reported(tmp_path, name, mutate, where, field, phrase):
    path = write_sound_questionnaire(tmp_path)
    mutate(tmp_path)
    summaries, problems = check_paths([str(path)])
    assert_problem(problems, path, where, field, phrase)
    assert summaries == []


# --------------------------------------------------------------------------- the command


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_sound_pack_and_questionnaire_pass(tmp_path, capsys):
    folder = write_sound_pack(tmp_path / "pack")
    questionnaire = write_sound_questionnaire(tmp_path / "q")
    code, out, err = run(capsys, str(folder), str(questionnaire))
    assert code == 0, out
    assert "ok: no problems" in out
    assert "Traceback" not in out + err


def test_problem_lines_are_sorted_by_file(tmp_path, capsys):
    folder = write_sound_pack(tmp_path / "pack")
    edit(SA, 'key = "A"', 'key = "Z"')(folder)
    edit(P, "grade = 9", "grade = 5")(folder)
    edit(MA, "points = 3", "points = 0")(folder)
    code, out, _ = run(capsys, str(folder))
    assert code == 1
    lines = out.splitlines()
    assert lines == [
        f"{folder / MA}: A-m1.points: must be a positive whole number, not 0",
        f"{folder / SA}: A-s2.key: 'Z' names no option: they are A–B",
        f"{folder / P}: pack.grade: must be 4 or 9, not 5",
    ]


def test_a_pack_is_checked_once(tmp_path):
    folder = write_sound_pack(tmp_path / "pack")
    edit(MA, "points = 3", "points = 0")(folder)
    add("A/broken.toml", "kind = = 1")(folder)
    _, problems = check_paths([str(folder / MA), str(folder), str(folder / "A"), str(folder / "A/broken.toml")])
    assert [(p.where, p.field) for p in problems].count(("A-m1", "points")) == 1
    assert sum("not valid TOML" in p.message for p in problems) == 1


def test_missing_path_and_empty_folder(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, out, err = run(capsys, str(tmp_path / "nowhere"), str(tmp_path / "empty"))
    assert code == 1
    assert f"{tmp_path / 'nowhere'}: file: no such file or folder" in out
    assert f"{tmp_path / 'empty'}: file: no content files (*.toml) in this folder" in out
    assert "Traceback" not in out + err


def test_non_toml_and_binary_files(tmp_path, capsys):
    text = tmp_path / "notes.txt"
    text.write_text("This is not TOML at all.\n", encoding="utf-8")
    binary = tmp_path / "logo.png"
    binary.write_bytes(bytes(range(256)))
    code, out, err = run(capsys, str(text), str(binary))
    assert code == 1
    assert f"{text}: line 1, column 6: not valid TOML" in out
    assert f"{binary}: file: is a binary file, not TOML text" in out
    assert "Traceback" not in out + err


def test_the_real_command_never_shows_a_traceback(tmp_path):
    text = tmp_path / "broken.toml"
    text.write_text('kind = "test"\ngrade = \n', encoding="utf-8")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00\x01" * 20)
    script = "import sys; from content.check import main; sys.exit(main(sys.argv[1:]))"
    result = subprocess.run(
        [sys.executable, "-c", script, str(text), str(binary), str(tmp_path / "missing")],
        cwd=REPO, capture_output=True, text=True, encoding="utf-8", timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert f"{text}: line 2, column 9: not valid TOML" in result.stdout
    assert f"{binary}: file: is a binary file" in result.stdout
    assert "no such file or folder" in result.stdout


def test_usage_errors_exit_without_traceback(capsys):
    assert main([]) == 2
    assert "usage: room-server content check" in capsys.readouterr().err
    assert main(["--help"]) == 0


def test_json_output_shape(tmp_path, capsys):
    folder = write_sound_pack(tmp_path / "pack")
    questionnaire = write_sound_questionnaire(tmp_path / "q")
    code, out, _ = run(capsys, str(folder), str(questionnaire), "--json")
    assert code == 0
    report = json.loads(out)
    assert report == {
        "packs": [
            {
                "path": str(folder),
                "kind": "test",
                "id": "g9-sample",
                "grade": 9,
                "language": "kk",
                "variants": ["A", "B"],
                "subjects": [
                    {"id": "reading", "title": "Reading", "items": 2},
                    {"id": "math", "title": "Mathematics", "items": 2},
                    {"id": "science", "title": "Science", "items": 2},
                ],
                "item_kinds": ["single", "multiple", "matching", "short", "stimulus"],
                "minutes": 170,
            },
            {
                "path": str(questionnaire),
                "kind": "questionnaire",
                "id": "questionnaire-kk",
                "language": "kk",
                "questions": 12,
                "minutes": 15,
            },
        ],
        "problems": [],
    }


def test_json_output_with_problems(tmp_path, capsys):
    folder = write_sound_pack(tmp_path / "pack")
    edit(RA, 'options = ["one"', 'optons = ["one"')(folder)
    questionnaire = write_sound_questionnaire(tmp_path / "q")
    code, out, _ = run(capsys, "--json", str(folder), str(questionnaire))
    assert code == 1
    report = json.loads(out)  # exactly one JSON object, Kazakh letters as they are
    assert [p["kind"] for p in report["packs"]] == ["questionnaire"]
    assert {"path": str(folder / RA), "where": "A-r2", "field": "optons",
            "message": "unknown field 'optons' (did you mean 'options'?)"} in report["problems"]
    assert all(set(p) == {"path", "where", "field", "message"} for p in report["problems"])


def test_json_keeps_kazakh_letters(tmp_path, capsys):
    folder = write_sound_pack(tmp_path / "pack")
    edit(P, 'title = "Reading"', 'title = "Оқу сауаттылығы"')(folder)
    code, out, _ = run(capsys, "--json", str(folder))
    assert code == 0
    assert "Оқу сауаттылығы" in out
    assert json.loads(out)["packs"][0]["subjects"][0]["title"] == "Оқу сауаттылығы"


def test_paths_inside_the_current_folder_are_shown_relative(tmp_path, capsys, monkeypatch):
    folder = write_sound_pack(tmp_path / "pack")
    edit(P, "grade = 9", "grade = 5")(folder)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "pack")
    assert code == 1
    assert out.splitlines() == [f"{Path('pack') / 'pack.toml'}: pack.grade: must be 4 or 9, not 5"]

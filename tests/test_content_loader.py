"""content.loader and content.questionnaire_loader: building packs and questionnaires from TOML,
unreadable files as problems, reference files in the checker, and every shipped pack and questionnaire loading cleanly."""

from __future__ import annotations


import pytest

import content.loader as loader
from content import content_root
from content.check import check_paths
from content.loader import load_file, load_pack, shipped_pack, shipped_packs
from content.questionnaire_loader import load_questionnaire, shipped_questionnaire, shipped_questionnaires
from content.reference import load_reference
from content import model
from content.model import PeriodicTable, Questionnaire
from content_samples import write_sound_pack, write_sound_questionnaire

# --------------------------------------------------------------------------- a sound pack


def test_sound_pack_builds_the_model(tmp_path):
    folder = write_sound_pack(tmp_path / "pack")
    pack, problems = load_pack(folder)
    assert problems == []
    assert isinstance(pack, model.TestPack)
    assert (pack.id, pack.title, pack.grade, pack.language) == ("g9-sample", "Sample pack", 9, "kk")
    assert pack.rules == "Read every question carefully."
    assert pack.path == str(folder)
    assert pack.timing.break_due_at_minutes() == [35, 80, 125]
    assert (pack.timing.breaks_optional, pack.timing.reopen_finished_subjects) == (True, False)
    assert [s.id for s in pack.subjects] == ["reading", "math", "science"]
    assert pack.subject("reading").needs_kinds == ("single",)
    assert [v.id for v in pack.variants] == ["A", "B"]
    a = pack.variant("A")
    assert [part.subject for part in a.subjects] == ["reading", "math", "science"]
    assert [item.id for item in a.items()] == ["A-r1", "A-r2", "A-m1", "A-m2", "A-s1", "A-s2"]
    assert a.subjects[0].stimuli[0].id == "s-bus"
    assert a.subjects[0].stimuli[0].title == "Bus timetable"
    assert "| School | 08:10 |" in a.subjects[0].stimuli[0].text
    assert pack.variant("B").subjects[0].stimuli == ()

    single, multiple, matching, number, text, _ = a.items()
    assert (single.kind, single.key, single.stimulus, single.points) == ("single", "B", "s-bus", 1)
    assert single.options == ("07:50", "08:10", "08:30", "08:45")
    assert (multiple.key, multiple.points) == (("A", "C"), 2)
    assert matching.left == ("Iron", "Copper", "Sodium")
    assert matching.right == ("Cu", "Na", "Fe", "K")
    assert matching.key == {"1": "C", "2": "A", "3": "B"}
    assert (number.answer_type, number.key, number.tolerance) == ("number", 25.0, 0.0)
    assert (text.answer_type, text.key) == ("text", ("Алматы", "Алма-Ата"))
    assert "key" not in number.student_view()
    assert number.student_view()["answer_type"] == "number"


def test_variant_order_follows_pack_toml(tmp_path):
    folder = write_sound_pack(tmp_path / "pack")
    pack_toml = folder / "pack.toml"
    pack_toml.write_text(pack_toml.read_text(encoding="utf-8").replace(
        'variants = ["A", "B"]', 'variants = ["B", "A"]'), encoding="utf-8")
    pack, problems = load_pack(folder)
    assert problems == []
    assert [v.id for v in pack.variants] == ["B", "A"]


def test_a_pack_is_found_from_its_pack_toml_or_an_items_file(tmp_path):
    folder = write_sound_pack(tmp_path / "pack")
    whole, _ = load_pack(folder)
    assert load_pack(folder / "pack.toml")[0] == whole
    assert load_pack(folder / "B" / "math.toml")[0] == whole
    assert load_pack(str(folder / "A" / "reading.toml"))[0] == whole


def test_one_subject_may_span_several_files(tmp_path):
    folder = write_sound_pack(tmp_path / "pack")
    (folder / "A" / "zz-more-math.toml").write_text(
        'kind = "items"\nvariant = "A"\nsubject = "math"\n\n[[item]]\nid = "A-m3"\nkind = "short"\n'
        'points = 2\ntext = "Half of five?"\nkey = 2.5\ntolerance = 0.1\n', encoding="utf-8")
    pack, problems = load_pack(folder)
    assert problems == []
    math = pack.variant("A").subjects[1]
    assert [item.id for item in math.items] == ["A-m1", "A-m2", "A-m3"]
    assert math.items[2].tolerance == 0.1


def test_units_of_a_number_answer_reach_the_student_view(tmp_path):
    folder = write_sound_pack(tmp_path / "pack")
    (folder / "A" / "zz-money.toml").write_text(
        'kind = "items"\nvariant = "A"\nsubject = "math"\n\n[[item]]\nid = "A-m3"\nkind = "short"\n'
        'points = 1\ntext = "How much is left?"\nkey = 82000\nunits = ["₸", " теңге "]\n', encoding="utf-8")
    pack, problems = load_pack(folder)
    assert problems == []
    item = pack.variant("A").item("A-m3")
    assert item.units == ("₸", "теңге")
    assert item.student_view()["units"] == ["₸", "теңге"]
    assert "units" not in pack.variant("A").item("A-m2").student_view()  # none declared: none sent


def test_other_files_in_a_pack_are_left_to_the_checker(tmp_path):
    folder = write_sound_pack(tmp_path / "pack")
    write_sound_questionnaire(folder / "extra")
    (folder / ".backup.toml").write_text("not toml at all", encoding="utf-8")  # hidden: skipped
    pack, problems = load_pack(folder)
    assert problems == [] and pack is not None


def test_a_nested_pack_keeps_its_own_items(tmp_path):
    outer = write_sound_pack(tmp_path / "outer")
    inner = write_sound_pack(outer / "old" / "inner")
    outer_pack, problems = load_pack(outer)
    assert problems == []
    assert len(outer_pack.variant("A").items()) == 6
    assert load_pack(inner / "A" / "math.toml")[0].path == str(inner)


def test_broken_pack_gives_none_and_problems(tmp_path):
    folder = write_sound_pack(tmp_path / "pack")
    math = folder / "A" / "math.toml"
    math.write_text(math.read_text(encoding="utf-8").replace("points = 3", "points = 0"),
                    encoding="utf-8")
    pack, problems = load_pack(folder)
    assert pack is None
    assert [(p.path, p.where, p.field) for p in problems] == [(str(math), "A-m1", "points")]


def test_folder_without_pack_toml(tmp_path):
    pack, problems = load_pack(tmp_path)
    assert pack is None
    assert problems[0].message == "no pack.toml in this folder"
    pack, problems = load_pack(tmp_path / "missing")
    assert pack is None and "no such file" in problems[0].message


# --------------------------------------------------------------------------- load_file


def test_load_file_reads_utf8_with_or_without_bom(tmp_path):
    plain = tmp_path / "plain.toml"
    plain.write_text('kind = "items"\ntitle = "Қазақ тілі"\n', encoding="utf-8")
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    assert load_file(plain) == ({"kind": "items", "title": "Қазақ тілі"}, [])
    assert load_file(bom) == load_file(plain)


@pytest.mark.parametrize("content, where, phrase", [
    (b'kind = "items"\ntitle = "\xd2\x9a\xff"\n', "line 2", "is not UTF-8 text"),
    ('kind = "items"\ntitle = "Қазақ тілі"\n'.encode("cp1251", errors="replace"), "line 2",
     "is not UTF-8 text"),
    (b"kind = \n", "line 1, column 8", "not valid TOML: Invalid value"),
    (b'kind = "items"\nkind = "test"\n', "line 2, column 14", "not valid TOML: Cannot overwrite"),
    (b'title = """never closed', "end of file", "not valid TOML"),
    (b"GIF89a\x00\x01\x02", "file", "is a binary file"),
    (b"", None, None),  # an empty file is an empty TOML document
])
def test_load_file_turns_bad_files_into_problems(tmp_path, content, where, phrase):
    path = tmp_path / "file.toml"
    path.write_bytes(content)
    doc, problems = load_file(path)
    if where is None:
        assert (doc, problems) == ({}, [])
        return
    assert doc is None
    assert len(problems) == 1
    assert (problems[0].path, problems[0].where) == (str(path), where)
    assert phrase in problems[0].message


def test_load_file_missing_and_folder(tmp_path):
    assert load_file(tmp_path / "nope.toml")[1][0].message == "no such file"
    assert load_file(tmp_path)[1][0].message == "is a folder, not a file"


# --------------------------------------------------------------------------- questionnaire


def test_sound_questionnaire(tmp_path):
    path = write_sound_questionnaire(tmp_path, questions=14)
    questionnaire, problems = load_questionnaire(path)
    assert problems == []
    assert isinstance(questionnaire, Questionnaire)
    assert (questionnaire.id, questionnaire.language, questionnaire.minutes) == (
        "questionnaire-kk", "kk", 15)
    assert questionnaire.title == "Сауалнама"
    assert len(questionnaire.questions) == 14
    assert [q.kind for q in questionnaire.questions[:3]] == ["choice", "multi", "text"]
    assert questionnaire.questions[2].options == ()
    assert questionnaire.path == str(path)


def test_a_pack_is_not_a_questionnaire(tmp_path):
    folder = write_sound_pack(tmp_path / "pack")
    questionnaire, problems = load_questionnaire(folder / "pack.toml")
    assert questionnaire is None
    assert any(p.field == "kind" and 'must be "questionnaire"' in p.message for p in problems)


# --------------------------------------------------------------------------- reference tables

TINY_PERIODIC = '''\
kind = "reference"
table = "periodic"
id = "periodic-mini"
title = { kk = "Периодтық жүйе", ru = "Периодическая система", en = "Periodic table" }

[[element]]
number = 1
symbol = "H"
name = { kk = "Сутегі", ru = "Водород", en = "Hydrogen" }
mass = 1.008
group = 1
period = 1

[[element]]
number = 2
symbol = "He"
name = { kk = "Гелий", ru = "Гелий", en = "Helium" }
mass = 4.0026
group = 18
period = 1
'''


def test_reference_files_go_to_the_reference_reader(tmp_path):
    path = tmp_path / "periodic.toml"
    path.write_text(TINY_PERIODIC, encoding="utf-8")
    table, problems = load_reference(path)
    assert problems == []
    assert isinstance(table, PeriodicTable)
    assert [e.symbol for e in table.elements] == ["H", "He"]
    summaries, problems = check_paths([str(path)])
    assert problems == []
    assert summaries == [{"path": str(path), "kind": "reference", "table": "periodic",
                          "id": "periodic-mini", "elements": 2}]
    path.write_text(TINY_PERIODIC.replace('symbol = "He"', 'symbol = "H"'), encoding="utf-8")
    summaries, problems = check_paths([str(path)])
    assert summaries == [] and problems


# --------------------------------------------------------------------------- shipped content

SHIPPED_PACKS = shipped_packs()
SHIPPED_QUESTIONNAIRES = shipped_questionnaires()


def test_shipped_packs_are_found():
    """Not an empty pass: every content/packs/*/pack.toml must be found."""
    on_disk = sorted(p.parent for p in (content_root() / "packs").glob("*/pack.toml"))
    assert shipped_packs() == on_disk
    on_disk = sorted((content_root() / "questionnaires").glob("*.toml"))
    assert shipped_questionnaires() == on_disk


@pytest.mark.parametrize("folder", SHIPPED_PACKS, ids=[p.name for p in SHIPPED_PACKS])
def test_shipped_pack_loads(folder):
    pack, problems = load_pack(folder)
    assert problems == [], "\n".join(str(p) for p in problems)
    assert pack.id == folder.name
    assert shipped_pack(pack.grade, pack.language) == pack


@pytest.mark.parametrize("path", SHIPPED_QUESTIONNAIRES, ids=[p.name for p in SHIPPED_QUESTIONNAIRES])
def test_shipped_questionnaire_loads(path):
    questionnaire, problems = load_questionnaire(path)
    assert problems == [], "\n".join(str(p) for p in problems)
    assert shipped_questionnaire(questionnaire.language, questionnaire.audience) == questionnaire


def test_missing_shipped_content_is_a_clear_error():
    with pytest.raises(ValueError, match="no test pack for grade 7 in 'kk'"):
        shipped_pack(7, "kk")
    with pytest.raises(ValueError, match="no student questionnaire in 'en'"):
        shipped_questionnaire("en")


def test_broken_shipped_pack_is_a_clear_error(tmp_path, monkeypatch):
    folder = write_sound_pack(tmp_path / "packs" / "g9-sample")
    science = folder / "B" / "science.toml"
    science.write_text(science.read_text(encoding="utf-8").replace('key = "A"', 'key = "Q"'),
                       encoding="utf-8")
    monkeypatch.setattr(loader, "content_root", lambda: tmp_path)
    assert shipped_packs() == [folder]
    with pytest.raises(ValueError) as error:
        shipped_pack(9, "kk")
    assert "is broken" in str(error.value)
    assert "B-s2.key: 'Q' names no option" in str(error.value)

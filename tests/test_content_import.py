"""`room-server content import`: IMS QTI 2.1 items written after the specification's own
examples, alone and zipped in a content package with imsmanifest.xml, QTI 3.0 items alone and
with a shared stimulus in a content package (a folder and a zip), and
GIFT as Moodle teachers write it (Kazakh and Russian): every supported kind carried over with
its key, every unsupported interaction refused by name and file, and the written pack passing
`content check`. Broad on purpose: odd but valid inputs (namespaces, escapes, entities, layout)
must not break the importers."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from conftest import pack_path
from content.importers.gift import import_gift
from content.importers.model import ImportError_
from content.importers.qti import import_qti
from content.loader import load_file, load_pack
from content.scoring import score_item
from room_server.cli import main as cli_main

DATA = Path(__file__).parent / "data" / "import"


@pytest.fixture
def pack(tmp_path) -> Path:
    return Path(shutil.copytree(pack_path("g9-kk"), tmp_path / "g9-kk"))


def run(capsys, *args) -> tuple[int, str, str]:
    code = cli_main(["content", "import", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def imported_items(pack: Path, name: str) -> dict[str, dict]:
    doc, problems = load_file(pack / "imported" / name)
    assert doc is not None, problems
    return {t["id"]: t for t in doc["item"]}


def pack_item(pack: Path, item_id: str):
    loaded, problems = load_pack(pack)
    assert loaded is not None, problems
    return next(i for v in loaded.variants for i in v.items() if i.id == item_id)


# ------------------------------------------------------------------------- QTI 2.1

@pytest.mark.parametrize("name, kind, key, points", [
    ("choice.xml", "single", "A", 1),
    ("choice_multiple.xml", "multiple", ["A", "D"], 2),
    ("match.xml", "matching", {"1": "B", "2": "A", "3": "A", "4": "C"}, 4),
    ("associate.xml", "matching", {"1": "C", "2": "B", "3": "A"}, 3),
    ("text_entry.xml", "short", ["York"], 1),
    ("numeric_entry.xml", "short", 25, 1),
])
def test_qti21_items_from_the_specification_are_carried_over(pack, capsys, name, kind, key, points):
    code, out, err = run(capsys, DATA / "qti21" / name, "--to", pack, "--variant", "B", "--subject", "math")
    assert code == 0, err
    items = imported_items(pack, Path(name).stem + ".toml")
    (item,) = items.values()
    assert (item["kind"], item["key"], item["points"]) == (kind, key, points)
    assert "Imported 1 item(s)" in out and "variant B, subject math" in out
    built = pack_item(pack, item["id"])
    # The key scores full marks as the room will score it.
    answer = {"single": key, "multiple": key, "matching": key, "short": str(key[0] if isinstance(key, list) else key)}
    assert score_item(built, answer[kind]) == points


def test_qti21_text_keeps_bold_subscripts_and_the_gap(pack, capsys):
    for name in ("choice.xml", "choice_multiple.xml", "text_entry.xml"):
        assert run(capsys, DATA / "qti21" / name, "--to", pack)[0] == 0
    choice = imported_items(pack, "choice.toml")["choice-choice"]
    assert choice["text"] == "Look at the text: **NEVER LEAVE LUGGAGE UNATTENDED**.\n\nWhat does it say?"
    assert choice["options"][0] == "You must stay with your luggage at all times."
    water = imported_items(pack, "choice_multiple.toml")["choice_multiple-choiceMultiple"]
    assert "H₂O" in water["text"]
    york = imported_items(pack, "text_entry.toml")["text_entry-textEntry"]
    assert "this sun of ____;" in york["text"] and "york" not in york["key"]  # partial credit left out


@pytest.mark.parametrize("name, interaction", [
    ("hotspot.xml", "hotspotInteraction"), ("extended_text.xml", "extendedTextInteraction"),
    ("adaptive.xml", "adaptive"), ("template.xml", "template"),
])
def test_unsupported_qti_items_are_refused_by_name_and_file(pack, capsys, name, interaction):
    code, out, err = run(capsys, DATA / "qti21" / name, "--to", pack)
    assert code == 1
    assert f"refused: {DATA / 'qti21' / name}" in err and f": {interaction}: " in err
    assert "nothing to import" in err
    assert not (pack / "imported").exists()


# ------------------------------------------------------------------------- QTI 3.0 packages

def zipped(folder: Path, target: Path, *, root: str = "") -> Path:
    """The folder's files (subfolders too) as a zip package, under `root` inside it."""
    with zipfile.ZipFile(target, "w") as z:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            z.write(path, root + path.relative_to(folder).as_posix())
    return target


@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
def test_qti30_package_with_a_shared_stimulus(pack, capsys, tmp_path, as_zip):
    source = zipped(DATA / "qti30", tmp_path / "kk-pack.zip") if as_zip else DATA / "qti30"
    code, out, err = run(capsys, source, "--to", pack, "--subject", "reading")
    assert code == 1  # some items are refused, each named
    for refused in ("item-drawing.xml (item q5-draw): drawingInteraction:", "item-image.xml (item q6-image): img:",
                    "item-missing.xml: resource:"):
        assert refused in err, err
    assert err.count("refused:") == 3
    name = ("kk-pack" if as_zip else "qti30") + ".toml"
    doc, _ = load_file(pack / "imported" / name)
    stimuli = {s["id"]: s for s in doc["stimulus"]}
    items = {i["id"]: i for i in doc["item"]}
    assert list(stimuli) == ["s-lake"] and stimuli["s-lake"]["title"] == "Балқаш көлі"
    assert "| Батыс | тұщы |" in stimuli["s-lake"]["text"] and "**тұщы**" in stimuli["s-lake"]["text"]
    prefix = "kk-pack-" if as_zip else "qti30-"
    assert items[prefix + "lake-1"]["stimulus"] == items[prefix + "lake-2"]["stimulus"] == "s-lake"
    assert items[prefix + "lake-2"]["key"] == {"1": "A", "2": "B"} and items[prefix + "lake-2"]["points"] == 2
    assert items[prefix + "q3-multi"]["options"] == ["NaCl", "H₂O", "KCl", "O₂"]
    assert items[prefix + "q4-text"]["key"] == ["Астана", "Нұр-Сұлтан"]
    assert items[prefix + "q4-text"]["text"] == "Қазақстанның астанасы — ____ қаласы."
    assert load_pack(pack)[0] is not None
    assert cli_main(["content", "check", str(pack)]) == 0


def test_a_package_in_a_subfolder_of_the_zip_and_without_a_manifest(tmp_path):
    nested = zipped(DATA / "qti30", tmp_path / "nested.zip", root="export/")
    result = import_qti(nested)
    assert len(result.items) == 4 and result.stimuli
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("choice.xml", "match.xml", "hotspot.xml"):
        shutil.copy(DATA / "qti21" / name, bare)
    result = import_qti(bare)
    assert sorted(i.id for i in result.items) == ["choice", "match"]
    assert [r.what for r in result.refused] == ["hotspotInteraction"]


# ------------------------------------------------------------------------- QTI 2.1 package, lone QTI 3.0 items

# The specification's examples the importer cannot carry: refused one by one, by file and interaction.
REFUSED_21 = {"hottext.xml (item hottext)": "hottextInteraction",
              "graphic_gap_match.xml (item graphicGapfill)": "graphicGapMatchInteraction",
              "select_point.xml (item selectPoint)": "selectPointInteraction",
              "end_attempt.xml (item endAttempt)": "endAttemptInteraction"}


def test_qti21_zipped_package_with_a_manifest(pack, capsys, tmp_path):
    """An IMS content package (IMS CP 1.1, imsmanifest.xml) of QTI 2.1 items after the
    specification's examples, with an assessmentTest and pictures, zipped as exported."""
    source = zipped(DATA / "qti21-package", tmp_path / "examples-21.zip")
    assert "imsmanifest.xml" in zipfile.ZipFile(source).namelist()
    code, out, err = run(capsys, source, "--to", pack, "--variant", "B", "--subject", "reading")
    assert code == 1  # some items are refused
    for label, interaction in REFUSED_21.items():
        assert f"refused: {source}:{label}: {interaction}: this interaction has no Synaq item kind" in err, err
    assert err.count("refused:") == len(REFUSED_21)
    assert "test.xml: the test's sections and order are not carried" in out
    assert f"Imported 3 item(s) from {source}" in out and "4 refused" in out
    items = imported_items(pack, "examples-21.toml")
    assert {i["id"]: (i["kind"], i["key"], i["points"]) for i in items.values()} == {
        "examples-21-choice": ("single", "A", 1),
        "examples-21-textEntry": ("short", ["York"], 1),
        "examples-21-match": ("matching", {"1": "B", "2": "A", "3": "A", "4": "C"}, 4)}
    assert items["examples-21-choice"]["options"][2] == "Remember your luggage when you leave."
    assert cli_main(["content", "check", str(pack)]) == 0


def test_refusals_name_each_item_in_a_folder_too(tmp_path):
    """The same package as a folder: nothing a refused item holds is carried, nothing silently dropped."""
    result = import_qti(DATA / "qti21-package")
    assert sorted(i.id for i in result.items) == ["choice", "match", "textEntry"]
    got = {r.source.rsplit(":", 1)[1]: r.what for r in result.refused}
    assert got == REFUSED_21


def test_a_lone_qti30_item_file(pack, capsys):
    code, out, err = run(capsys, DATA / "qti30-items" / "choice.xml", "--to", pack)
    assert code == 0, err
    (item,) = imported_items(pack, "choice.toml").values()
    assert (item["kind"], item["key"], item["points"]) == ("single", "A", 1)
    assert item["text"] == ("Look at the text in the picture.\n\n**NEVER LEAVE LUGGAGE UNATTENDED**"
                            "\n\nWhat does it say?")
    assert item["options"] == ["You must stay with your luggage at all times.",
                               "Do not let someone else look after your luggage.",
                               "Remember your luggage when you leave."]
    assert score_item(pack_item(pack, item["id"]), "A") == 1
    assert cli_main(["content", "check", str(pack)]) == 0
    # A lone QTI 3.0 item of an interaction Synaq lacks: refused with QTI's name for it and the file.
    hottext = DATA / "qti30-items" / "hottext.xml"
    code, out, err = run(capsys, hottext, "--to", pack)
    assert code == 1 and f"refused: {hottext} (item hottext): hottextInteraction: " in err
    assert "nothing to import" in err


QTI21 = 'xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1"'


def item_xml(body: str, declaration: str, extra: str = "", ns: str = QTI21) -> bytes:
    return (f'<?xml version="1.0"?><assessmentItem {ns} identifier="x" title="t" adaptive="false" '
            f'timeDependent="false">{declaration}{extra}<itemBody>{body}</itemBody></assessmentItem>').encode()


SINGLE = ('<responseDeclaration identifier="R" cardinality="single" baseType="identifier"><correctResponse>'
          '<value>a</value></correctResponse></responseDeclaration>')
CHOICES = ('<choiceInteraction responseIdentifier="R" maxChoices="1"><simpleChoice identifier="a">Иә</simpleChoice>'
           '<simpleChoice identifier="b">Жоқ</simpleChoice></choiceInteraction>')


@pytest.mark.parametrize("body, declaration, extra, what", [
    ("<p>Text only</p>", SINGLE, "", "itemBody"),
    (CHOICES + CHOICES.replace('"R"', '"R2"'), SINGLE, "", "composite"),
    (CHOICES, SINGLE.replace("<value>a</value>", "<value>zz</value>"), "", "choiceInteraction"),
    (CHOICES, SINGLE.replace("<correctResponse><value>a</value></correctResponse>", ""), "", "choiceInteraction"),
    ("<p><math xmlns='http://www.w3.org/1998/Math/MathML'><mi>x</mi></math></p>" + CHOICES, SINGLE, "", "math"),
    ('<gapMatchInteraction responseIdentifier="R"/>', SINGLE, "", "gapMatchInteraction"),
    ('<p><inlineChoiceInteraction responseIdentifier="R"/></p>', SINGLE, "", "inlineChoiceInteraction"),
    ('<orderInteraction responseIdentifier="R"/>', SINGLE, "", "orderInteraction"),
    ('<uploadInteraction responseIdentifier="R"/>', SINGLE, "", "uploadInteraction"),
    ('<sliderInteraction responseIdentifier="R" lowerBound="0" upperBound="9"/>', SINGLE, "", "sliderInteraction"),
    ('<customInteraction responseIdentifier="R"/>', SINGLE, "", "customInteraction"),
    ('<matchInteraction responseIdentifier="R"><simpleMatchSet><simpleAssociableChoice identifier="a">1'
     '</simpleAssociableChoice><simpleAssociableChoice identifier="b">2</simpleAssociableChoice></simpleMatchSet>'
     '<simpleMatchSet><simpleAssociableChoice identifier="c">3</simpleAssociableChoice></simpleMatchSet>'
     '</matchInteraction>',
     '<responseDeclaration identifier="R" cardinality="multiple" baseType="directedPair"><correctResponse>'
     '<value>a c</value></correctResponse></responseDeclaration>', "", "matchInteraction"),
])
def test_odd_qti_items_are_refused_with_the_reason(tmp_path, body, declaration, extra, what):
    path = tmp_path / "odd.xml"
    path.write_bytes(item_xml(body, declaration, extra))
    result = import_qti(path)
    assert result.items == [] and [r.what for r in result.refused] == [what], result.refused


def test_qti_reading_is_robust_to_layout_entities_and_other_prefixes(tmp_path):
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<!-- exported -->\n'
           '<q:assessmentItem xmlns:q="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="Q 1/ә" title="t" '
           'adaptive="false" timeDependent="false">'
           '<q:responseDeclaration identifier="R" cardinality="single" baseType="identifier"><q:correctResponse>'
           '<q:value> b </q:value></q:correctResponse></q:responseDeclaration>'
           '<q:itemBody><q:div><q:p>5 &lt; 7 &amp; <q:em>x</q:em>&#178;</q:p></q:div>'
           '<q:choiceInteraction responseIdentifier="R" maxChoices="1"><q:simpleChoice identifier="a">'
           '<q:p>бір</q:p></q:simpleChoice><q:simpleChoice identifier="b">екі</q:simpleChoice>'
           '</q:choiceInteraction></q:itemBody></q:assessmentItem>')
    path = tmp_path / "prefixed.xml"
    path.write_text(xml, encoding="utf-8")
    (item,) = import_qti(path).items
    assert item.text == "5 < 7 & *x*²" and item.options == ["бір", "екі"] and item.key == "B"
    assert item.id == "Q-1"  # an id the pack accepts


@pytest.mark.parametrize("content, fragment", [
    (b"not xml at all", "not well-formed XML"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', ""),
    (b'<assessmentTest xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="t"/>', "assessmentTest only"),
])
def test_bad_qti_files_are_refused_whole_without_a_traceback(pack, tmp_path, capsys, content, fragment):
    path = tmp_path / "bad.xml"
    path.write_bytes(content)
    code, _, err = run(capsys, path, "--to", pack)
    assert code == 1 and "Traceback" not in err and "room-server:" in err
    assert fragment in err
    assert "root:" not in err  # an external entity is never read


# ------------------------------------------------------------------------- GIFT

def test_gift_as_a_kazakh_teacher_writes_it(pack, capsys):
    code, out, err = run(capsys, DATA / "gift" / "teacher-kk.gift", "--to", pack, "--subject", "science")
    assert code == 1  # the essay and the description are refused, each named with its line
    assert "teacher-kk.gift:33 (Эссе): essay:" in err and "teacher-kk.gift:35 (Сипаттама): description:" in err
    assert err.count("refused:") == 2
    assert "feedback is not carried" in out
    items = imported_items(pack, "teacher-kk.toml")
    got = {i["text"]: (i["kind"], i.get("options"), i["key"], i.get("tolerance")) for i in items.values()}
    assert got["Қазақстанның астанасы қай қала?"] == ("single", ["Астана", "Алматы", "Шымкент", "Қарағанды"], "A", None)
    assert got["Қай көлдер Қазақстанда орналасқан? Барлығын белгілеңіз."][2] == ["A", "B"]
    assert got["Балқаштың батыс бөлігі тұщы."] == ("single", ["Дұрыс", "Бұрыс"], "A", None)
    assert got["Каспий — мұхит."] == ("single", ["Дұрыс", "Бұрыс"], "B", None)
    assert got["Хан Тәңірі шыңының биіктігі қанша метр?"] == ("short", None, 7010, 10)
    assert got["Қазақстанда неше облыс бар (2023 жыл)?"] == ("short", None, 17, None)
    assert got["Қазақстанның ең үлкен қаласын жазыңыз."] == ("short", None, ["Алматы", "Алма-Ата"], None)
    assert got["Абай Құнанбаев ____ жылы туған."] == ("single", ["1835", "1845", "1855"], "B", None)
    assert got["2 + 2 = ? (жауапты {жақшасыз} жазыңыз)"] == ("short", None, 4, None)
    assert got["Су формуласы: H₂O. **Дұрыс** па?"][2] == "A"
    matching = next(i for i in items.values() if i["kind"] == "matching")
    assert matching["left"] == ["Іле", "Сырдария", "Жайық"] and matching["key"] == {"1": "A", "2": "B", "3": "C"}
    assert cli_main(["content", "check", str(pack)]) == 0


def test_gift_in_russian_with_distractors_and_partial_credit(tmp_path):
    result = import_gift(DATA / "gift" / "teacher-ru.gift", language="ru")
    by_title = {i.source.rsplit("(", 1)[1].rstrip(")"): i for i in result.items}
    assert by_title["Q2"].text == "Столица Казахстана — ____." and by_title["Q2"].key == ["Астана", "Нур-Султан"]
    assert by_title["Q3"].right == ["Париж", "Берлин", "Рим", "Мадрид"] and by_title["Q3"].points == 3
    assert (by_title["Q4"].key, by_title["Q4"].tolerance) == (3.14, 0.005)
    assert any("partial credit" in n for n in result.notes)


@pytest.mark.parametrize("text, what", [
    ("Жаз.{}", "essay"),
    ("Тек мәтін.", "description"),
    ("{=a} және {=b}", "cloze"),
    ("Сұрақ {~a ~b}", "multiple choice"),
    ("Сұрақ {=a -> b}", "matching"),
    ("Сан {#бес}", "numeric"),
    ("Сұрақ {=%50%жарты}", "short answer"),
])
def test_gift_questions_that_cannot_be_carried_are_refused(tmp_path, text, what):
    path = tmp_path / "q.gift"
    path.write_text(text + "\n", encoding="utf-8")
    result = import_gift(path)
    assert [r.what for r in result.refused] == [what] and not result.items


def test_gift_layouts_teachers_use(tmp_path):
    path = tmp_path / "q.gift"
    path.write_text("\ufeff// comment\r\n::T1::[markdown]Бір\r\nекі {\r\n\r\n=иә\r\n~жоқ\r\n}\r\n\r\n\r\n"
                    "::T2::Үш{TRUE}\n::T3:: Төрт {=төрт}\n", encoding="utf-8")
    result = import_gift(path)
    assert [(i.kind, i.text, i.key) for i in result.items] == [
        ("single", "Бір\nекі", "A"), ("single", "Үш", "A"), ("short", "Төрт", ["төрт"])]
    assert not result.refused


def test_not_utf8_gift_and_unknown_files_are_refused_clearly(pack, tmp_path, capsys):
    bad = tmp_path / "cp.gift"
    bad.write_bytes("Вопрос {=да}".encode("cp1251"))
    with pytest.raises(ImportError_, match="not UTF-8"):
        import_gift(bad)
    other = tmp_path / "notes.docx"
    other.write_bytes(b"hello")
    code, _, err = run(capsys, other, "--to", pack)
    assert code == 1 and "not a QTI file" in err
    code, _, err = run(capsys, DATA / "qti21" / "choice.xml", "--to", tmp_path)
    assert code == 1 and "is not a test pack" in err
    code, _, err = run(capsys, DATA / "qti21" / "choice.xml", "--to", pack, "--subject", "history")
    assert code == 2 and "choose with --variant and --subject" in err


def test_importing_twice_keeps_ids_unique(pack, capsys):
    assert run(capsys, DATA / "qti21" / "choice.xml", "--to", pack)[0] == 0
    assert run(capsys, DATA / "qti21" / "choice.xml", "--to", pack)[0] == 0
    assert (pack / "imported" / "choice-2.toml").exists()
    assert cli_main(["content", "check", str(pack)]) == 0

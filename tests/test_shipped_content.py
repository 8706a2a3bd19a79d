"""The content the package ships passes its own checker through the installed command."""

import json
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import content
from content.model import AUDIENCES, Questionnaire
from content.questionnaire_loader import load_questionnaire, shipped_questionnaires
from content.toml_fields import problem_lines

ROOT = Path(__file__).resolve().parent.parent


def room_server_command() -> list[str]:
    exe = shutil.which("room-server", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "room_server.cli"]


def test_every_shipped_pack_passes_and_covers_both_grades_and_languages():
    result = subprocess.run(room_server_command() + ["content", "check", "--json", str(content.content_root())],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout)
    assert summary["problems"] == []
    tests = [p for p in summary["packs"] if p["kind"] == "test"]
    assert {(p["grade"], p["language"]) for p in tests} == {(4, "kk"), (4, "ru"), (9, "kk"), (9, "ru")}
    for pack in tests:
        assert pack["variants"] == ["A", "B"], pack["path"]
        assert len(pack["subjects"]) >= 3, pack["path"]
        assert all(s["items"] >= 8 for s in pack["subjects"]), pack["subjects"]
        assert {"single", "multiple", "matching", "short", "stimulus"} <= set(pack["item_kinds"])
        assert pack["minutes"] == {4: 105, 9: 170}[pack["grade"]]
    questionnaires = [p for p in summary["packs"] if p["kind"] == "questionnaire"]
    assert {q["language"] for q in questionnaires} == {"kk", "ru"}
    assert all(12 <= q["questions"] <= 15 for q in questionnaires)
    assert {p["table"] for p in summary["packs"] if p["kind"] == "reference"} == {"periodic", "solubility"}


def test_kazakh_packs_are_written_with_kazakh_letters():
    for pack in ("g4-kk", "g9-kk"):
        text = "".join(f.read_text(encoding="utf-8") for f in (content.content_root() / "packs" / pack).rglob("*.toml"))
        for letter in "әғқңөұүі":
            assert letter in text, f"{pack} never uses {letter}"


def shipped_questionnaires_by_audience() -> dict[str, dict[str, Questionnaire]]:
    found: dict[str, dict[str, Questionnaire]] = {}
    for path in shipped_questionnaires():
        questionnaire, problems = load_questionnaire(path)
        assert questionnaire is not None, problem_lines(problems)
        found.setdefault(questionnaire.audience, {})[questionnaire.language] = questionnaire
    return found


def test_every_audience_has_a_kazakh_and_a_russian_questionnaire_the_centre_can_pool():
    """The centre pools kk and ru answers by question id and option position, so the two
    languages of one audience must ask the same questions in the same order and shape."""
    by_audience = shipped_questionnaires_by_audience()
    assert set(by_audience) == set(AUDIENCES)
    for audience, languages in by_audience.items():
        assert set(languages) == {"kk", "ru"}, audience
        kk, ru = languages["kk"], languages["ru"]
        for questionnaire in (kk, ru):
            assert 12 <= len(questionnaire.questions) <= 15, questionnaire.path
            named = "questionnaire" if audience == "student" else audience
            assert questionnaire.id == f"{named}-{questionnaire.language}", questionnaire.path
            assert sum(q.kind == "text" for q in questionnaire.questions) <= 2, questionnaire.path
            assert all(2 <= len(q.options) <= 6 for q in questionnaire.questions if q.kind != "text"), \
                questionnaire.path
        assert (kk.version, kk.minutes) == (ru.version, ru.minutes), audience
        shape = [[(q.id, q.kind, len(q.options)) for q in x.questions] for x in (kk, ru)]
        assert shape[0] == shape[1], f"{audience}: kk and ru differ\n{shape[0]}\n{shape[1]}"


def mixed_script_words(text: str) -> list[str]:
    """Words written with Cyrillic and Latin letters together, such as "oқушы" typed with a
    Latin "o" or "ə" (Latin schwa) for "ә": they look right and are wrong."""
    words = re.findall(r"[^\W\d_]+", text)  # runs of letters; digits, hyphens and spaces split them
    return [word for word in words
            if {"CYRILLIC", "LATIN"} <= {unicodedata.name(letter).split()[0] for letter in word}]


def test_mixed_script_check_finds_latin_lookalikes():
    assert mixed_script_words("Мектепте oқушылар") == ["oқушылар"]     # Latin o
    assert mixed_script_words("Әріптеcтеріңізбен") == ["Әріптеcтеріңізбен"]  # Latin c
    assert mixed_script_words("Сіздің сабақтарыңызда ərі") == ["ərі"]  # Latin schwa
    assert mixed_script_words("Педагог-модератор, 5–11-сыныптар, 75 %-дан") == []
    assert mixed_script_words("Kundelik.kz платформасы") == []


def test_shipped_questionnaires_have_no_latin_letters_inside_cyrillic_words():
    for languages in shipped_questionnaires_by_audience().values():
        for questionnaire in languages.values():
            texts = [questionnaire.title, questionnaire.intro]
            for question in questionnaire.questions:
                texts += [question.text, *question.options]
            found = sorted({word for text in texts for word in mixed_script_words(text)})
            assert found == [], f"{questionnaire.path}: {found}"


def test_kazakh_questionnaires_are_written_with_kazakh_letters():
    for languages in shipped_questionnaires_by_audience().values():
        text = Path(languages["kk"].path).read_text(encoding="utf-8")
        for letter in "әғқңөұүі":
            assert letter in text, f"{languages['kk'].path} never uses {letter}"

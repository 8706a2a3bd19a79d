"""The content the package ships passes its own checker through the installed command."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import content

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

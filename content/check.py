"""`room-server content check PATH... [--json]`: check content files before a test day.

Walks the given files and folders (every *.toml below a folder), checks each test pack once
(its items files belong to it), each questionnaire and each reference table, and prints
every problem as `file: where.field: message`. Exit 0 when everything is sound, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from content.loader import load_pack, pack_root_above
from content.questionnaire_loader import questionnaire_from_doc
from content.reference import parse_reference
from content.toml_fields import FILE, PACK_FILE, file_kind, load_file
from content.model import ITEM_KINDS, PeriodicTable, Problem, Questionnaire, SolubilityTable, TestPack


def _display(path: str) -> str:
    """Paths as the author knows them: relative to the current folder when inside it."""
    if not os.path.isabs(path):
        return path
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    return path if relative.startswith("..") else relative


def _hidden(path: Path, base: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(base).parts)


def _gather(paths: list[str], problems: list[Problem]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        given = Path(raw)
        if given.is_dir():
            found = sorted(f for f in given.rglob("*.toml") if f.is_file() and not _hidden(f, given))
            if not found:
                problems.append(Problem(raw, FILE, "", "no content files (*.toml) in this folder"))
            files.extend(found)
        elif given.exists():
            files.append(given)  # named explicitly: checked whatever its name
        else:
            problems.append(Problem(raw, FILE, "", "no such file or folder"))
    return files


def summarize_pack(pack: TestPack) -> dict:
    kinds = {item.kind for variant in pack.variants for item in variant.items()}
    item_kinds = [kind for kind in ITEM_KINDS if kind in kinds]
    if any(item.stimulus for variant in pack.variants for item in variant.items()):
        item_kinds.append("stimulus")
    subjects = []
    for subject in pack.subjects:
        counts = [len(part.items) for variant in pack.variants
                  for part in variant.subjects if part.subject == subject.id]
        subjects.append({"id": subject.id, "title": subject.title, "items": max(counts, default=0)})
    return {
        "path": _display(pack.path),
        "kind": "test",
        "id": pack.id,
        "grade": pack.grade,
        "language": pack.language,
        "variants": [variant.id for variant in pack.variants],
        "subjects": subjects,
        "item_kinds": item_kinds,
        "minutes": pack.timing.total_minutes,
    }


def summarize_questionnaire(questionnaire: Questionnaire) -> dict:
    return {
        "path": _display(questionnaire.path),
        "kind": "questionnaire",
        "id": questionnaire.id,
        "language": questionnaire.language,
        "questions": len(questionnaire.questions),
        "minutes": questionnaire.minutes,
    }


def summarize_reference(table: object, doc: dict, path: str) -> dict:
    summary: dict = {"path": _display(path), "kind": "reference",
                     "table": doc.get("table"), "id": getattr(table, "id", doc.get("id"))}
    if isinstance(table, PeriodicTable):
        summary["elements"] = len(table.elements)
    elif isinstance(table, SolubilityTable):
        summary["cations"] = len(table.cations)
        summary["anions"] = len(table.anions)
    return summary


def check_paths(paths: list[str]) -> tuple[list[dict], list[Problem]]:
    """Check every content file under `paths`: (summaries of sound content, problems).

    Problems come sorted by file, in the order found within a file (which follows the file)."""
    problems: list[Problem] = []
    summaries: list[dict] = []
    seen_files: set[Path] = set()
    seen_packs: set[Path] = set()
    for file in _gather(paths, problems):
        absolute = Path(os.path.abspath(file))
        if absolute in seen_files:
            continue
        seen_files.add(absolute)
        doc, file_problems = load_file(absolute)
        if doc is None:
            problems.extend(file_problems)
            continue
        kind = file_kind(doc)
        path = str(absolute)
        if kind in ("test", "items"):
            if kind == "test" and absolute.name != PACK_FILE:
                problems.append(Problem(path, FILE, "", f"a pack's header file must be named {PACK_FILE}"))
                continue
            root = absolute.parent if kind == "test" else pack_root_above(absolute.parent)
            if root is None:
                problems.append(Problem(path, FILE, "",
                                        f"an items file must be inside a pack folder: no {PACK_FILE} "
                                        "in this folder or above"))
                continue
            if root in seen_packs:
                continue
            seen_packs.add(root)
            pack, pack_problems = load_pack(root)
            problems.extend(pack_problems)
            if pack is not None:
                summaries.append(summarize_pack(pack))
        elif kind == "questionnaire":
            questionnaire, found = questionnaire_from_doc(doc, path)
            problems.extend(found)
            if questionnaire is not None:
                summaries.append(summarize_questionnaire(questionnaire))
        elif kind == "reference":
            table, found = parse_reference(doc, path)
            problems.extend(found)
            if table is not None and not found:
                summaries.append(summarize_reference(table, doc, path))
        elif "kind" not in doc:
            problems.append(Problem(path, FILE, "kind",
                                    'is missing: a content file starts with kind = "test", '
                                    '"items", "questionnaire" or "reference"'))
        else:
            problems.append(Problem(path, FILE, "kind",
                                    f"unknown kind {doc['kind']!r}: expected test, items, "
                                    "questionnaire or reference"))
    # A broken file inside a pack is reported both when met and by its pack: once is enough.
    unique = list(dict.fromkeys(
        Problem(_display(p.path), p.where, p.field, p.message) for p in problems))
    unique.sort(key=lambda p: p.path)  # stable: keeps the in-file order
    return summaries, unique


def _write(text: str) -> None:
    """Print even where the console's code page lacks Kazakh letters (Windows pipes)."""
    try:
        sys.stdout.write(text + "\n")
    except UnicodeEncodeError:
        sys.stdout.flush()
        sys.stdout.buffer.write((text + "\n").encode("utf-8"))
    sys.stdout.flush()


def _describe(summary: dict) -> str:
    if summary["kind"] == "test":
        return (f"{summary['path']}: test pack, grade {summary['grade']}, {summary['language']}, "
                f"variants {' '.join(summary['variants'])}, {len(summary['subjects'])} subjects, "
                f"{summary['minutes']} min")
    if summary["kind"] == "questionnaire":
        return (f"{summary['path']}: questionnaire, {summary['language']}, "
                f"{summary['questions']} questions, {summary['minutes']} min")
    return f"{summary['path']}: reference table ({summary.get('table')})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="room-server content check",
        description="Check test packs, questionnaires and reference tables (TOML) for problems.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="content files or folders")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as stop:  # --help or a usage error: argparse has printed why
        return stop.code if isinstance(stop.code, int) else 2
    try:
        summaries, problems = check_paths(args.paths)
    except Exception as error:  # last resort: a message, never a traceback
        problems = [Problem(" ".join(args.paths), FILE, "",
                            f"the check itself failed: {type(error).__name__}: {error}")]
        summaries = []
    if args.json:
        _write(json.dumps({"packs": summaries, "problems": [p.as_dict() for p in problems]},
                          ensure_ascii=False, indent=2))
    elif problems:
        for problem in problems:
            _write(str(problem))
        print(f"{len(problems)} problem(s)", file=sys.stderr)
    else:
        for summary in summaries:
            _write(_describe(summary))
        _write("ok: no problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

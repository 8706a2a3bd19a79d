"""`room-server content import FILE... --to PACK_DIR [--variant V] [--subject S]`.

Imports QTI (.xml, a package .zip or folder) and GIFT (.gift, .txt) into an existing pack:
the items go to `PACK_DIR/imported/<file>.toml` (kind = "items", the chosen variant and
subject), and the whole pack is checked as `content check` checks it. Every refused item is
listed with the interaction and the file; a written file that would make the pack fail is
removed again. Exit 0 when every item was imported, 1 when any was refused or nothing could
be written, 2 for a wrong command line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import zipfile
from pathlib import Path

from content.loader import PACK_FILE, file_kind, load_file, load_pack

from .gift import import_gift
from .model import ImportedItem, ImportError_, ImportResult
from .qti import import_qti, safe_id

GIFT_SUFFIXES = {".gift", ".txt"}


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string is a JSON string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(type(value))


def items_toml(result: ImportResult, variant: str, subject: str, origin: str) -> str:
    lines = [f"# Imported from {origin} by 'room-server content import'.", 'kind = "items"',
             f"variant = {toml_value(variant)}", f"subject = {toml_value(subject)}", ""]
    used = {i.stimulus for i in result.items if i.stimulus}
    for stimulus in result.stimuli:
        if stimulus.id in used:
            lines += _table("stimulus", {"id": stimulus.id, "title": stimulus.title, "text": stimulus.text})
    for item in result.items:
        lines += _table("item", _item_fields(item))
    return "\n".join(lines)


def _item_fields(item: ImportedItem) -> dict:
    fields = {"id": item.id, "kind": item.kind}
    if item.stimulus:
        fields["stimulus"] = item.stimulus
    fields.update({"points": item.points, "text": item.text})
    if item.kind in ("single", "multiple"):
        fields["options"] = item.options
    if item.kind == "matching":
        fields["left"], fields["right"] = item.left, item.right
    fields["key"] = item.key
    if item.kind == "short" and isinstance(item.key, float) and item.tolerance:
        fields["tolerance"] = item.tolerance
    return fields


def _table(name: str, fields: dict) -> list[str]:
    return [f"[[{name}]]"] + [f"{k} = {toml_value(v)}" for k, v in fields.items()] + [""]


def read_any(path: Path, language: str, prefix: str) -> ImportResult:
    if path.suffix.lower() in GIFT_SUFFIXES:
        return import_gift(path, language=language, id_prefix=prefix)
    if path.is_dir() or path.suffix.lower() in (".xml", ".zip", ".qti") or zipfile.is_zipfile(path):
        return import_qti(path, id_prefix=prefix)
    raise ImportError_(f"{path}: not a QTI file (.xml), package (.zip or folder) or GIFT file (.gift, .txt)")


def _existing_ids(root: Path) -> set[str]:
    ids: set[str] = set()
    for file in root.rglob("*.toml"):
        doc, _ = load_file(file)
        if doc is not None and file_kind(doc) == "items":
            ids |= {t.get("id") for t in doc.get("item", []) if isinstance(t, dict)}
            ids |= {t.get("id") for t in doc.get("stimulus", []) if isinstance(t, dict)}
    return ids


def import_into_pack(sources: list[Path], pack_dir: Path, *, variant: str | None, subject: str | None,
                     out=None, err=None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    header, problems = load_file(pack_dir / PACK_FILE)
    if header is None or file_kind(header) != "test":
        print(f"room-server: {pack_dir} is not a test pack (no {PACK_FILE}); import into an existing pack "
              "(docs/content-format.md)", file=err)
        return 1
    variants = [v for v in header.get("variants", []) if isinstance(v, str)]
    subjects = [s.get("id") for s in header.get("subjects", []) if isinstance(s, dict)]
    variant = variant or (variants[0] if variants else "A")
    subject = subject or (subjects[0] if subjects else "")
    if variant not in variants or subject not in subjects:
        print(f"room-server: the pack {pack_dir} has variants {', '.join(variants)} and subjects "
              f"{', '.join(map(str, subjects))}; choose with --variant and --subject", file=err)
        return 2
    language = header.get("language", "kk")
    taken = _existing_ids(pack_dir)
    written: list[Path] = []
    refused_any = False
    for source in sources:
        prefix = safe_id(source.stem)[:24] + "-"
        try:
            result = read_any(source, language, prefix)
        except ImportError_ as exc:
            print(f"room-server: {exc}", file=err)
            refused_any = True
            continue
        _avoid(result, taken)
        for note in result.notes:
            print(f"  note: {note}", file=out)
        for refusal in result.refused:
            print(f"  {refusal.line()}", file=err)
        refused_any |= bool(result.refused)
        if not result.items:
            print(f"room-server: nothing to import from {source}", file=err)
            refused_any = True
            continue
        target = pack_dir / "imported" / f"{safe_id(source.stem)}.toml"
        n = 2
        while target.exists():
            target, n = pack_dir / "imported" / f"{safe_id(source.stem)}-{n}.toml", n + 1
        target.parent.mkdir(exist_ok=True)
        target.write_text(items_toml(result, variant, subject, source.name), encoding="utf-8")
        pack, pack_problems = load_pack(pack_dir)
        if pack is None:
            target.unlink()
            print(f"room-server: the items from {source} would not pass the pack check; nothing was written:",
                  file=err)
            for problem in pack_problems[:20]:
                print(f"  {problem}", file=err)
            refused_any = True
            continue
        taken |= {i.id for i in result.items} | {s.id for s in result.stimuli}
        written.append(target)
        print(f"Imported {len(result.items)} item(s) from {source} into {target} (variant {variant}, subject "
              f"{subject}); {len(result.refused)} refused.", file=out)
    return 1 if refused_any or not written else 0


def _avoid(result: ImportResult, taken: set[str]) -> None:
    """Item and stimulus ids unique in the pack: a clash gets a suffix."""
    renamed: dict[str, str] = {}
    for stimulus in result.stimuli:
        new = _free(stimulus.id, taken)
        renamed[stimulus.id], stimulus.id = new, new
        taken.add(new)
    for item in result.items:
        item.id = _free(item.id, taken)
        taken.add(item.id)
        if item.stimulus:
            item.stimulus = renamed.get(item.stimulus, item.stimulus)


def _free(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}-{n}", n + 1
    return candidate


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="room-server content import",
                                     description="import QTI 2.1/3.0 items and packages, and Moodle GIFT, into a pack")
    parser.add_argument("files", nargs="+", help="QTI .xml, a content package (.zip or folder), or GIFT (.gift, .txt)")
    parser.add_argument("--to", required=True, help="the pack folder (with pack.toml)")
    parser.add_argument("--variant", help="the variant the items belong to (default: the pack's first)")
    parser.add_argument("--subject", help="the subject the items belong to (default: the pack's first)")
    args = parser.parse_args(argv)
    missing = [f for f in args.files if not os.path.exists(f)]
    if missing:
        print(f"room-server: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    return import_into_pack([Path(f) for f in args.files], Path(args.to), variant=args.variant, subject=args.subject)


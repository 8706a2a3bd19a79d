"""Read content files (docs/content-format.md) into `content.model` objects.

Nothing here raises on bad content: every reader returns what it built (or None) together
with a list of `Problem`s, each naming the file, the place (an item id, a question id,
"pack", "timing"...), the field and what is wrong, so an author can fix it without help.
The TOML and field reading is in `toml_fields`, the items files in `items`, questionnaires
in `questionnaire_loader`, reference tables in `reference`.
"""

from __future__ import annotations

import os
from pathlib import Path

from content import content_root
from content.model import (
    AIDS,
    ITEM_KINDS,
    LANGUAGES,
    Problem,
    Subject,
    SubjectItems,
    TestPack,
    Timing,
    Variant,
)
from content.items import Placed, read_items_file
from content.toml_fields import (FILE, GRADES, PACK_FILE, ID_PATTERN, Fields, check_kind, describe, file_kind,
                                 load_file, problem_lines)

_PACK_FIELDS = frozenset({"kind", "id", "title", "grade", "language", "variants", "rules",
                          "timing", "subjects", "aids"})
_TIMING_FIELDS = frozenset({"total_minutes", "work_block_minutes", "break_minutes", "breaks",
                            "breaks_optional", "reopen_finished_subjects"})
_SUBJECT_FIELDS = frozenset({"id", "title", "needs_kinds"})


def pack_root_above(folder: str | os.PathLike) -> Path | None:
    """The nearest folder, from `folder` upwards, that holds a pack.toml."""
    here = Path(os.path.abspath(folder))
    for candidate in (here, *here.parents):
        if (candidate / PACK_FILE).is_file():
            return candidate
    return None


def _locate_pack(path: str | os.PathLike) -> tuple[Path | None, list[Problem]]:
    """pack.toml for a pack folder, the pack.toml itself, or an items file inside a pack."""
    target = Path(os.path.abspath(path))
    if target.is_dir():
        if (target / PACK_FILE).is_file():
            return target / PACK_FILE, []
        return None, [Problem(str(target), FILE, "", f"no {PACK_FILE} in this folder")]
    if not target.exists():
        return None, [Problem(str(target), FILE, "", "no such file or folder")]
    if target.name == PACK_FILE:
        return target, []
    doc, problems = load_file(target)
    if doc is None:
        return None, problems
    kind = file_kind(doc)
    if kind == "items":
        root = pack_root_above(target.parent)
        if root is None:
            return None, [Problem(str(target), FILE, "",
                                  f"an items file must be inside a pack folder: no {PACK_FILE} "
                                  "in this folder or above")]
        return root / PACK_FILE, []
    if kind == "test":
        return None, [Problem(str(target), FILE, "", f"a pack's header file must be named {PACK_FILE}")]
    return None, [Problem(str(target), FILE, "kind",
                          f'is not part of a test pack (kind = {describe(doc.get("kind"))})')]


def _content_files(root: Path) -> list[Path]:
    """Every *.toml below `root`, in a stable order, skipping hidden files and folders
    (editor backups, version control)."""
    found = []
    for file in root.rglob("*.toml"):
        relative = file.relative_to(root).parts
        if any(part.startswith(".") for part in relative) or not file.is_file():
            continue
        found.append(file)
    return sorted(found)


def _read_timing(table: dict, path: str, problems: list[Problem]) -> Timing | None:
    fields = Fields(table, path, "timing", problems, _TIMING_FIELDS)
    total = fields.integer("total_minutes", minimum=1)
    work = fields.integer("work_block_minutes", minimum=1)
    pause = fields.integer("break_minutes", minimum=1)
    breaks = fields.integer("breaks", minimum=0)
    optional = fields.boolean("breaks_optional", True)
    reopen = fields.boolean("reopen_finished_subjects", False)
    fields.finish()
    if None in (total, work, pause, breaks):
        return None
    sound = True
    if pause >= work:
        fields.problem("break_minutes",
                       f"a break ({pause} min) must be shorter than a work block ({work} min)")
        sound = False
    if total < work:
        fields.problem("total_minutes",
                       f"{total} minutes is shorter than one work block ({work} min)")
        return None
    # Breaks that fit: breaks*(work+pause)+work <= total, and one more would not.
    fitting = (total - work) // (work + pause)
    if breaks != fitting:
        fields.problem(
            "breaks",
            f"{fitting} break(s) fit in {total} minutes with {work}-minute blocks and "
            f"{pause}-minute breaks ({fitting}×({work}+{pause})+{work} = "
            f"{fitting * (work + pause) + work}), not {breaks}",
        )
        sound = False
    if not sound:
        return None
    return Timing(total, work, pause, breaks, optional, reopen)


def _read_subjects(tables: list[dict], path: str, problems: list[Problem]) -> list[Subject]:
    subjects: list[Subject] = []
    seen: set[str] = set()
    for index, table in enumerate(tables):
        raw_id = table.get("id")
        where = raw_id if isinstance(raw_id, str) and raw_id else f"subjects[{index + 1}]"
        fields = Fields(table, path, where, problems, _SUBJECT_FIELDS)
        subject_id = fields.ident()
        title = fields.text("title")
        needs = fields.text_list("needs_kinds", required=False, what="kind") or []
        for kind in needs:
            if kind not in ITEM_KINDS:
                fields.problem("needs_kinds",
                               f"unknown item kind '{kind}' (kinds: {', '.join(ITEM_KINDS)})")
        fields.finish()
        if subject_id is not None and subject_id in seen:
            fields.problem("id", f"duplicate subject id '{subject_id}'")
            continue
        if subject_id is not None:
            seen.add(subject_id)
        if subject_id is not None and title is not None:
            subjects.append(Subject(subject_id, title, tuple(k for k in needs if k in ITEM_KINDS)))
    return subjects


def _read_pack_header(doc: dict, path: str, problems: list[Problem]) -> dict:
    """pack.toml's own fields; returns what it could read (None where it could not)."""
    check_kind(doc, path, "pack", "test", problems)
    fields = Fields(doc, path, "pack", problems, _PACK_FIELDS)
    header: dict = {
        "id": fields.ident(),
        "title": fields.text("title"),
        "grade": fields.integer("grade"),
        "language": fields.text("language"),
        "rules": fields.text("rules", required=False, nonempty=False, default=""),
        "aids": fields.text_list("aids", required=False, what="aid") or [],
    }
    for aid in header["aids"]:
        if aid not in AIDS:
            fields.problem("aids", f'"{aid}" is not an aid; the aids are {", ".join(AIDS)}')
    if header["grade"] is not None and header["grade"] not in GRADES:
        fields.problem("grade", f"must be 4 or 9, not {header['grade']}")
        header["grade"] = None
    if header["language"] is not None and header["language"] not in LANGUAGES:
        fields.problem("language", f'must be "kk" or "ru", not "{header["language"]}"')
        header["language"] = None
    variants = fields.text_list("variants", what="variant")
    if variants is not None:
        seen: set[str] = set()
        for variant in variants:
            if not ID_PATTERN.match(variant):
                fields.problem("variants", f'variant "{variant}" may hold only letters, digits, - and _')
                variants = None
            elif variant in seen:
                fields.problem("variants", f"duplicate variant id '{variant}'")
                variants = None
            seen.add(variant)
        if variants is not None and len(variants) < 2:
            fields.problem("variants", f"a pack needs two or more variants, not {len(variants)}")
            # Keep the one variant so its items are still checked.
    header["variants"] = variants
    timing_table = fields.table_of("timing")
    header["timing"] = _read_timing(timing_table, path, problems) if timing_table is not None else None
    subject_tables = fields.tables("subjects")
    header["subjects"] = _read_subjects(subject_tables, path, problems)
    header["subjects_sound"] = len(header["subjects"]) == len(subject_tables) > 0
    fields.finish()
    return header




def load_pack(path: str | os.PathLike) -> tuple[TestPack | None, list[Problem]]:
    """Read a test pack: `path` is the pack folder, its pack.toml, or an items file in it.

    Returns the pack, or None when anything is wrong, with every problem found."""
    pack_file, problems = _locate_pack(path)
    if pack_file is None:
        return None, problems
    root = pack_file.parent
    pack_path = str(pack_file)
    doc, problems = load_file(pack_file)
    if doc is None:
        return None, problems
    header = _read_pack_header(doc, pack_path, problems)
    variant_ids: list[str] = header["variants"] or []
    subjects: list[Subject] = header["subjects"]
    subject_ids = [s.id for s in subjects]

    # (variant, subject) -> stimuli and items in file order.
    stimuli: dict[tuple[str, str], list[Placed]] = {}
    items: dict[tuple[str, str], list[Placed]] = {}
    item_files: dict[str, str] = {}
    stimulus_files: dict[tuple[str, str], str] = {}
    unplaced = False  # some file's variant or subject is unknown: coverage would mislead
    for file in _content_files(root):
        if file == pack_file or pack_root_above(file.parent) != root:
            continue  # a nested pack's files are that pack's business
        file_path = str(file)
        file_doc, file_problems = load_file(file)
        if file_doc is None:
            problems.extend(file_problems)  # it may well be an items file: say so here
            unplaced = True
            continue
        if file_kind(file_doc) != "items":
            continue  # questionnaires, notes and the like are checked on their own
        variant, subject, file_stimuli, file_items = read_items_file(file_doc, file_path, problems)
        known = variant is not None and subject is not None
        if variant is not None and header["variants"] is not None and variant not in variant_ids:
            problems.append(Problem(file_path, FILE, "variant",
                                    f"unknown variant '{variant}': pack.toml lists "
                                    f"{', '.join(variant_ids)}"))
            known = False
        if subject is not None and header["subjects_sound"] and subject not in subject_ids:
            problems.append(Problem(file_path, FILE, "subject",
                                    f"unknown subject '{subject}': pack.toml lists "
                                    f"{', '.join(subject_ids)}"))
            known = False
        for stimulus in file_stimuli:
            if stimulus.id is None:
                continue
            if (variant, stimulus.id) in stimulus_files:
                problems.append(Problem(file_path, stimulus.id, "id",
                                        f"duplicate stimulus id '{stimulus.id}' in variant {variant} "
                                        f"(also in {stimulus_files[(variant, stimulus.id)]})"))
            else:
                stimulus_files[(variant, stimulus.id)] = file_path
        for item in file_items:
            if item.id is None:
                continue
            if item.id in item_files:
                problems.append(Problem(file_path, item.id, "id",
                                        f"duplicate item id '{item.id}' (also in {item_files[item.id]})"))
            else:
                item_files[item.id] = file_path
        if not known:
            unplaced = True
            continue
        stimuli.setdefault((variant, subject), []).extend(file_stimuli)
        items.setdefault((variant, subject), []).extend(file_items)

    # Stimuli are shown beside items of the same variant and subject.
    for place in sorted(set(items) | set(stimuli)):
        here = {s.id for s in stimuli.get(place, []) if s.id}
        used = set()
        for item in items.get(place, []):
            if item.stimulus is None:
                continue
            used.add(item.stimulus)
            if item.stimulus not in here:
                problems.append(Problem(item.path, item.id or "item", "stimulus",
                                        f"unknown stimulus '{item.stimulus}' (variant {place[0]}, "
                                        f"subject {place[1]} has {', '.join(sorted(here)) or 'none'})"))
        for stimulus in stimuli.get(place, []):
            if stimulus.id and stimulus.id not in used:
                problems.append(Problem(stimulus.path, stimulus.id, "id", "no item uses this stimulus"))

    # Every variant has every subject, with the kinds the subject needs.
    if header["variants"] is not None and header["subjects_sound"] and not unplaced:
        for variant in variant_ids:
            for subject in subjects:
                placed = items.get((variant, subject.id), [])
                if not placed:
                    problems.append(Problem(pack_path, subject.id, "items",
                                            f"variant {variant} has no items for subject '{subject.id}'"))
                    continue
                kinds = {item.kind for item in placed}
                for kind in subject.needs_kinds:
                    if kind not in kinds:
                        problems.append(Problem(pack_path, subject.id, "needs_kinds",
                                                f"variant {variant} has no '{kind}' item in this subject"))

    if problems or None in (header["id"], header["title"], header["grade"], header["language"],
                            header["timing"]):
        if not problems:  # cannot happen: every None above came with a problem
            problems.append(Problem(pack_path, "pack", "", "the pack could not be read"))
        return None, problems
    variants = tuple(
        Variant(variant, tuple(
            SubjectItems(
                subject.id,
                tuple(s.built for s in stimuli.get((variant, subject.id), [])),
                tuple(i.built for i in items.get((variant, subject.id), [])),
            )
            for subject in subjects
        ))
        for variant in variant_ids
    )
    pack = TestPack(
        id=header["id"], title=header["title"], grade=header["grade"],
        language=header["language"], timing=header["timing"], subjects=tuple(subjects),
        variants=variants, rules=header["rules"] or "", path=str(root),
        aids=tuple(a for a in header["aids"] if a in AIDS),
    )
    return pack, []


# --------------------------------------------------------------------------- shipped content


def packs_folder() -> Path:
    return content_root() / "packs"


def shipped_packs() -> list[Path]:
    """Pack folders shipped under content/packs (each holds a pack.toml)."""
    folder = packs_folder()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if (p / PACK_FILE).is_file())


def shipped_pack(grade: int, language: str) -> TestPack:
    """The shipped pack for a grade and test language; ValueError if missing or broken."""
    broken: list[Problem] = []
    for folder in shipped_packs():
        doc, _ = load_file(folder / PACK_FILE)
        if doc is None or doc.get("grade") != grade or doc.get("language") != language:
            if doc is None:
                broken.extend(load_pack(folder)[1])
            continue
        pack, problems = load_pack(folder)
        if pack is None:
            raise ValueError(f"the grade {grade} pack in '{language}' ({folder.name}) is broken; "
                             f"run 'room-server content check':\n{problem_lines(problems)}")
        return pack
    message = f"no test pack for grade {grade} in '{language}' under content/packs"
    if broken:
        message += f"; some pack files could not be read:\n{problem_lines(broken)}"
    raise ValueError(message)

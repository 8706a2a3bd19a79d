"""Read content files (docs/content-format.md) into `content.model` objects.

Nothing here raises on bad content: every reader returns what it built (or None) together
with a list of `Problem`s, each naming the file, the place (an item id, a question id,
"pack", "timing"...), the field and what is wrong, so an author can fix it without help.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from content import content_root
from content.model import (
    ITEM_KINDS,
    LANGUAGES,
    Item,
    Problem,
    Question,
    Questionnaire,
    Stimulus,
    Subject,
    SubjectItems,
    TestPack,
    Timing,
    Variant,
    option_letter,
)

FILE_KINDS: tuple[str, ...] = ("test", "items", "questionnaire", "reference")
GRADES: tuple[int, ...] = (4, 9)
QUESTION_KINDS: tuple[str, ...] = ("choice", "multi", "text")
QUESTIONS_MIN, QUESTIONS_MAX = 12, 15
QUESTIONNAIRE_MINUTES_MIN, QUESTIONNAIRE_MINUTES_MAX = 10, 15
PACK_FILE = "pack.toml"
MAX_OPTIONS = 26  # options are lettered A-Z

# Ids travel in URLs, file names and exports: keep them to plain characters.
_ID = re.compile(r"^[A-Za-z0-9_-]+$")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_AT_END = re.compile(r"\s*\(at end of document\)\s*$")

# Where a problem about the whole file (not one field of it) is reported.
FILE = "file"


# --------------------------------------------------------------------------- reading TOML


def load_file(path: str | os.PathLike) -> tuple[dict | None, list[Problem]]:
    """Read one TOML file. A missing, unreadable, binary, non-UTF-8 or non-TOML file gives
    a Problem (with the line and column where tomllib names them), never an exception."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return None, [Problem(name, FILE, "", "no such file")]
    except IsADirectoryError:
        return None, [Problem(name, FILE, "", "is a folder, not a file")]
    except OSError as error:
        return None, [Problem(name, FILE, "", f"cannot be read: {error.strerror or error}")]
    if b"\x00" in data:
        return None, [Problem(name, FILE, "", "is a binary file, not TOML text")]
    try:
        # utf-8-sig: Windows editors often start a UTF-8 file with a byte-order mark.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return None, [
            Problem(name, f"line {line}", "", "is not UTF-8 text: save the file as UTF-8")
        ]
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        where = FILE
        found = _TOML_POSITION.search(message)
        if found:
            where = f"line {found.group(1)}, column {found.group(2)}"
            message = message[: found.start()]
        elif _TOML_AT_END.search(message):
            where = "end of file"
            message = _TOML_AT_END.sub("", message)
        return None, [Problem(name, where, "", f"not valid TOML: {message}")]
    except (RecursionError, ValueError) as error:  # absurdly deep nesting and the like
        return None, [Problem(name, FILE, "", f"not valid TOML: {error}")]
    return doc, []


def file_kind(doc: dict) -> str | None:
    """The `kind = "..."` a content file starts with, or None."""
    kind = doc.get("kind")
    return kind if isinstance(kind, str) else None


# --------------------------------------------------------------------------- field reader


def _describe(value: object) -> str:
    """How a wrong value is named in a message: `text ("9")`, `a fraction (1.5)`..."""
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, int):
        return f"a whole number ({value})"
    if isinstance(value, float):
        return f"a fraction ({value})"
    if isinstance(value, str):
        shown = value if len(value) <= 30 else value[:27] + "..."
        return f'text ("{shown}")'
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


class _Fields:
    """Reads one TOML table: each getter checks presence and type and reports a problem
    (returning None) when the value is unusable; `finish()` reports fields that are not in
    the format, so a typo such as `optons` never passes silently."""

    def __init__(self, table: dict, path: str, where: str, problems: list[Problem],
                 allowed: set[str] | frozenset[str]):
        self.table = table
        self.path = path
        self.where = where
        self.problems = problems
        self.allowed = allowed

    def problem(self, field: str, message: str) -> None:
        self.problems.append(Problem(self.path, self.where, field, message))

    def has(self, name: str) -> bool:
        return name in self.table

    def _missing(self, name: str, required: bool) -> bool:
        if name in self.table:
            return False
        if required:
            self.problem(name, "is missing (required)")
        return True

    def text(self, name: str, required: bool = True, nonempty: bool = True,
             default: str | None = None) -> str | None:
        if self._missing(name, required):
            return default
        value = self.table[name]
        if not isinstance(value, str):
            self.problem(name, f"must be text in quotes, not {_describe(value)}")
            return None
        if nonempty and not value.strip():
            self.problem(name, "is empty")
            return None
        return value

    def ident(self, name: str = "id") -> str | None:
        value = self.text(name)
        if value is not None and not _ID.match(value):
            self.problem(name, f'"{value}" may hold only letters, digits, - and _')
            return None
        return value

    def integer(self, name: str, required: bool = True, minimum: int | None = None,
                default: int | None = None) -> int | None:
        if self._missing(name, required):
            return default
        value = self.table[name]
        if not _is_int(value):
            self.problem(name, f"must be a whole number, not {_describe(value)}")
            return None
        if minimum is not None and value < minimum:
            wanted = "a positive whole number" if minimum == 1 else f"at least {minimum}"
            self.problem(name, f"must be {wanted}, not {value}")
            return None
        return value

    def boolean(self, name: str, default: bool) -> bool:
        if name not in self.table:
            return default
        value = self.table[name]
        if not isinstance(value, bool):
            self.problem(name, f"must be true or false, not {_describe(value)}")
            return default
        return value

    def text_list(self, name: str, required: bool = True, what: str = "entry",
                  label=None) -> list[str] | None:
        """A list of non-empty texts; `label(i)` names entry i in messages."""
        if self._missing(name, required):
            return None
        value = self.table[name]
        if not isinstance(value, list):
            self.problem(name, f'must be a list like ["...", "..."], not {_describe(value)}')
            return None
        good = True
        for index, entry in enumerate(value):
            named = f"{what} {label(index) if label else index + 1}"
            if not isinstance(entry, str):
                self.problem(name, f"{named} must be text in quotes, not {_describe(entry)}")
                good = False
            elif not entry.strip():
                self.problem(name, f"{named} is empty")
                good = False
        return list(value) if good else None

    def table_of(self, name: str, required: bool = True) -> dict | None:
        if self._missing(name, required):
            return None
        value = self.table[name]
        if not isinstance(value, dict):
            self.problem(name, f"must be a table ([{name}]), not {_describe(value)}")
            return None
        return value

    def tables(self, name: str, required: bool = True) -> list[dict]:
        """An array of tables (`[[name]]`)."""
        if self._missing(name, required):
            return []
        value = self.table[name]
        if isinstance(value, dict):
            self.problem(name, f"write [[{name}]] (two brackets): there may be several")
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem(name, f"must be a list of [[{name}]] tables, not {_describe(value)}")
            return []
        if required and not value:
            self.problem(name, "is empty")
        return value

    def finish(self) -> None:
        for name in self.table:
            if name not in self.allowed:
                message = f"unknown field '{name}'"
                close = difflib.get_close_matches(name, sorted(self.allowed), n=1)
                if close:
                    message += f" (did you mean '{close[0]}'?)"
                self.problem(name, message)


def _check_kind(doc: dict, path: str, where: str, wanted: str,
                problems: list[Problem]) -> bool:
    kind = doc.get("kind")
    if kind == wanted:
        return True
    if kind is None:
        problems.append(Problem(path, where, "kind", f'is missing: this file needs kind = "{wanted}"'))
    else:
        problems.append(Problem(path, where, "kind", f'must be "{wanted}" here, not {_describe(kind)}'))
    return False


# --------------------------------------------------------------------------- test packs

_PACK_FIELDS = frozenset({"kind", "id", "title", "grade", "language", "variants", "rules",
                          "timing", "subjects"})
_TIMING_FIELDS = frozenset({"total_minutes", "work_block_minutes", "break_minutes", "breaks",
                            "breaks_optional", "reopen_finished_subjects"})
_SUBJECT_FIELDS = frozenset({"id", "title", "needs_kinds"})
_ITEMS_FILE_FIELDS = frozenset({"kind", "variant", "subject", "stimulus", "item"})
_STIMULUS_FIELDS = frozenset({"id", "title", "text"})
_ITEM_COMMON = frozenset({"id", "kind", "stimulus", "points", "text", "key"})
_ITEM_FIELDS = {
    "single": _ITEM_COMMON | {"options"},
    "multiple": _ITEM_COMMON | {"options"},
    "matching": _ITEM_COMMON | {"left", "right"},
    "short": _ITEM_COMMON | {"tolerance"},
}
_ANY_ITEM_FIELDS = frozenset().union(*_ITEM_FIELDS.values())


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
                          f'is not part of a test pack (kind = {_describe(doc.get("kind"))})')]


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
    fields = _Fields(table, path, "timing", problems, _TIMING_FIELDS)
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
        fields = _Fields(table, path, where, problems, _SUBJECT_FIELDS)
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
    _check_kind(doc, path, "pack", "test", problems)
    fields = _Fields(doc, path, "pack", problems, _PACK_FIELDS)
    header: dict = {
        "id": fields.ident(),
        "title": fields.text("title"),
        "grade": fields.integer("grade"),
        "language": fields.text("language"),
        "rules": fields.text("rules", required=False, nonempty=False, default=""),
    }
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
            if not _ID.match(variant):
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


def _letter_index(letter: str) -> int:
    return ord(letter) - ord("A")


def _letters_named(count: int) -> str:
    if count <= 0:
        return "there are none"
    return f"they are A–{option_letter(count - 1)}" if count > 1 else "there is only A"


def _read_single_key(fields: _Fields, options: list[str] | None) -> str | None:
    key = fields.table.get("key")
    if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z]", key.strip()):
        fields.problem("key", f'must be a single letter like "B", not {_describe(key)}')
        return None
    letter = key.strip().upper()
    if options is not None and _letter_index(letter) >= len(options):
        fields.problem("key", f"'{letter}' names no option: {_letters_named(len(options))}")
        return None
    return letter


def _read_multiple_key(fields: _Fields, options: list[str] | None) -> tuple[str, ...] | None:
    key = fields.table.get("key")
    if not isinstance(key, list):
        fields.problem("key", f'must be a list of two or more letters like ["A", "C"], not {_describe(key)}')
        return None
    letters: list[str] = []
    sound = True
    for entry in key:
        if not isinstance(entry, str) or not re.fullmatch(r"[A-Za-z]", entry.strip()):
            fields.problem("key", f"{_describe(entry)} is not a single letter")
            sound = False
            continue
        letter = entry.strip().upper()
        if letter in letters:
            fields.problem("key", f"repeats the letter '{letter}'")
            sound = False
            continue
        if options is not None and _letter_index(letter) >= len(options):
            fields.problem("key", f"'{letter}' names no option: {_letters_named(len(options))}")
            sound = False
        letters.append(letter)
    if len(key) < 2:
        fields.problem("key", 'a multiple item needs two or more key letters (use kind = "single" for one)')
        sound = False
    return tuple(letters) if sound else None


def _read_matching_key(fields: _Fields, left: list[str] | None,
                       right: list[str] | None) -> dict[str, str] | None:
    key = fields.table.get("key")
    if not isinstance(key, dict):
        fields.problem("key", f'must be a table like {{ 1 = "C", 2 = "A" }}, not {_describe(key)}')
        return None
    pairs: dict[str, str] = {}
    sound = True
    for number_text, letter in key.items():
        number = int(number_text) if number_text.strip().isdigit() else None
        if number is None:
            fields.problem("key", f"'{number_text}' is not a left number (1, 2, 3...)")
            sound = False
            continue
        if left is not None and not 1 <= number <= len(left):
            fields.problem("key", f"there is no left {number}: left has {len(left)} entries")
            sound = False
            continue
        if str(number) in pairs:
            fields.problem("key", f"pairs left {number} more than once")
            sound = False
            continue
        if not isinstance(letter, str) or not re.fullmatch(r"[A-Za-z]", letter.strip()):
            fields.problem("key", f"left {number} must be paired with one letter, not {_describe(letter)}")
            sound = False
            continue
        letter = letter.strip().upper()
        if right is not None and _letter_index(letter) >= len(right):
            fields.problem("key", f"left {number} is paired with '{letter}', which names no right "
                                  f"option: {_letters_named(len(right))}")
            sound = False
            continue
        pairs[str(number)] = letter
    if left is not None:
        unpaired = [str(n) for n in range(1, len(left) + 1) if str(n) not in pairs
                    and not any(k.strip().isdigit() and int(k) == n for k in key)]
        if unpaired:
            fields.problem("key", f"does not pair left {', '.join(unpaired)}: every left entry "
                                  "needs exactly one letter")
            sound = False
    # Keys in left order, whatever order the author wrote them in.
    return dict(sorted(pairs.items(), key=lambda pair: int(pair[0]))) if sound else None


def _read_short_key(fields: _Fields) -> tuple[str | None, object, float]:
    """(answer_type, key, tolerance) of a short item; answer_type None when unusable."""
    key = fields.table.get("key")
    answer_type: str | None = None
    value: object = None
    if _is_number(key):
        answer_type, value = "number", float(key)
    elif (isinstance(key, list) and key
          and all(isinstance(form, str) and form.strip() for form in key)):
        answer_type, value = "text", tuple(key)
    elif isinstance(key, list) and key and all(isinstance(form, str) for form in key):
        fields.problem("key", "an accepted answer is empty")
    else:
        fields.problem("key", 'must be a number (key = 25) or a non-empty list of accepted '
                              f'answers (key = ["Алматы"]), not {_describe(key)}')
    tolerance = 0.0
    if fields.has("tolerance"):
        raw = fields.table["tolerance"]
        if not _is_number(raw):
            fields.problem("tolerance", f"must be a number, not {_describe(raw)}")
            answer_type = None
        elif raw < 0:
            fields.problem("tolerance", f"must not be negative, not {raw}")
            answer_type = None
        elif answer_type == "text":
            fields.problem("tolerance", "applies only to a number key, not to a text key")
            answer_type = None
        else:
            tolerance = float(raw)
    return answer_type, value, tolerance


def _read_item(table: dict, index: int, path: str, problems: list[Problem]) -> Item | None:
    raw_id = table.get("id")
    where = raw_id if isinstance(raw_id, str) and raw_id.strip() else f"item {index + 1}"
    kind = table.get("kind")
    fields = _Fields(table, path, where, problems, _ITEM_FIELDS.get(kind, _ANY_ITEM_FIELDS))
    before = len(problems)
    item_id = fields.text("id")
    if item_id is not None and re.search(r"\s", item_id):
        fields.problem("id", f'"{item_id}" must not contain spaces')
    fields.text("kind")
    if isinstance(kind, str) and kind.strip() and kind not in ITEM_KINDS:
        fields.problem("kind", f"unknown item kind '{kind}' (kinds: {', '.join(ITEM_KINDS)})")
    points = fields.integer("points", minimum=1)
    text = fields.text("text")
    stimulus = fields.text("stimulus", required=False)
    options = left = right = None
    if kind in ("single", "multiple"):
        options = fields.text_list("options", what="option", label=option_letter)
        if options is not None and len(options) < 2:
            fields.problem("options", f"a {kind} item needs at least 2 options, not {len(options)}")
        if options is not None and len(options) > MAX_OPTIONS:
            fields.problem("options", f"at most {MAX_OPTIONS} options (A–Z), not {len(options)}")
    elif kind == "matching":
        left = fields.text_list("left", what="left", label=lambda i: i + 1)
        right = fields.text_list("right", what="right", label=option_letter)
        for name, column in (("left", left), ("right", right)):
            if column is not None and not column:
                fields.problem(name, "is empty: a matching item needs entries on both sides")
            elif column is not None and len(column) > MAX_OPTIONS:
                fields.problem(name, f"at most {MAX_OPTIONS} entries, not {len(column)}")
    answer_type, key, tolerance = None, None, 0.0
    if kind in ITEM_KINDS and fields.has("key"):
        if kind == "single":
            key = _read_single_key(fields, options)
        elif kind == "multiple":
            key = _read_multiple_key(fields, options)
        elif kind == "matching":
            key = _read_matching_key(fields, left or None, right or None)
        else:
            answer_type, key, tolerance = _read_short_key(fields)
    elif kind in ITEM_KINDS:
        fields.problem("key", "is missing (required)")
    if kind in ITEM_KINDS:
        # A field of another kind (options on a short item) is a slip worth naming as such.
        for name in table:
            if name in _ANY_ITEM_FIELDS and name not in fields.allowed:
                owners = [k for k in ITEM_KINDS if name in _ITEM_FIELDS[k]]
                fields.problem(name, f"a {kind} item has no '{name}' (only {' and '.join(owners)} "
                                     "items do)")
        fields.allowed = _ANY_ITEM_FIELDS
    fields.finish()
    if len(problems) > before:
        return None
    return Item(
        id=item_id, kind=kind, text=text, points=points, stimulus=stimulus,
        options=tuple(options or ()), left=tuple(left or ()), right=tuple(right or ()),
        answer_type=answer_type, key=key, tolerance=tolerance,
    )


def _read_stimulus(table: dict, index: int, path: str, problems: list[Problem]) -> Stimulus | None:
    raw_id = table.get("id")
    where = raw_id if isinstance(raw_id, str) and raw_id.strip() else f"stimulus {index + 1}"
    fields = _Fields(table, path, where, problems, _STIMULUS_FIELDS)
    before = len(problems)
    stimulus_id = fields.text("id")
    title = fields.text("title", required=False, nonempty=False, default="")
    text = fields.text("text")
    fields.finish()
    if len(problems) > before:
        return None
    return Stimulus(stimulus_id, text, title)


def _raw_text(table: dict, name: str) -> str | None:
    """A field's value when it is usable text: cross-checks between files rely on these even
    when the item itself is broken, so one flaw is not reported again as a missing item."""
    value = table.get(name)
    return value if isinstance(value, str) and value.strip() else None


@dataclass
class _Placed:
    """An item or stimulus as written, with what could be built from it (None if broken)."""

    path: str
    id: str | None
    kind: str | None  # items only
    stimulus: str | None  # items only
    built: Item | Stimulus | None


def _read_items_file(doc: dict, path: str, problems: list[Problem]):
    """(variant, subject, stimuli, items) of one items file; variant/subject None if unusable."""
    fields = _Fields(doc, path, FILE, problems, _ITEMS_FILE_FIELDS)
    variant = fields.text("variant")
    subject = fields.text("subject")
    stimuli = [
        _Placed(path, _raw_text(t, "id"), None, None, _read_stimulus(t, i, path, problems))
        for i, t in enumerate(fields.tables("stimulus", required=False))
    ]
    items = [
        _Placed(path, _raw_text(t, "id"), _raw_text(t, "kind"), _raw_text(t, "stimulus"),
                _read_item(t, i, path, problems))
        for i, t in enumerate(fields.tables("item"))
    ]
    fields.finish()
    return variant, subject, stimuli, items


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
    stimuli: dict[tuple[str, str], list[_Placed]] = {}
    items: dict[tuple[str, str], list[_Placed]] = {}
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
        variant, subject, file_stimuli, file_items = _read_items_file(file_doc, file_path, problems)
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
    )
    return pack, []


# --------------------------------------------------------------------------- questionnaires

_QUESTIONNAIRE_FIELDS = frozenset({"kind", "id", "language", "title", "minutes", "intro", "question"})
_QUESTION_FIELDS = frozenset({"id", "kind", "text", "options"})


def questionnaire_from_doc(doc: dict, path: str) -> tuple[Questionnaire | None, list[Problem]]:
    problems: list[Problem] = []
    where = "questionnaire"
    _check_kind(doc, path, where, "questionnaire", problems)
    fields = _Fields(doc, path, where, problems, _QUESTIONNAIRE_FIELDS)
    questionnaire_id = fields.ident()
    language = fields.text("language")
    if language is not None and language not in LANGUAGES:
        fields.problem("language", f'must be "kk" or "ru", not "{language}"')
    title = fields.text("title")
    minutes = fields.integer("minutes")
    if minutes is not None and not QUESTIONNAIRE_MINUTES_MIN <= minutes <= QUESTIONNAIRE_MINUTES_MAX:
        fields.problem("minutes", f"must be {QUESTIONNAIRE_MINUTES_MIN} to "
                                  f"{QUESTIONNAIRE_MINUTES_MAX}, not {minutes}")
    intro = fields.text("intro")
    tables = fields.tables("question")
    if tables and not QUESTIONS_MIN <= len(tables) <= QUESTIONS_MAX:
        fields.problem("question", f"a questionnaire has {QUESTIONS_MIN} to {QUESTIONS_MAX} "
                                   f"questions, not {len(tables)}")
    fields.finish()
    questions: list[Question] = []
    seen: set[str] = set()
    for index, table in enumerate(tables):
        raw_id = table.get("id")
        q_where = raw_id if isinstance(raw_id, str) and raw_id.strip() else f"question {index + 1}"
        q = _Fields(table, path, q_where, problems, _QUESTION_FIELDS)
        question_id = q.text("id")
        if question_id is not None:
            if question_id in seen:
                q.problem("id", f"duplicate question id '{question_id}'")
            seen.add(question_id)
        kind = q.text("kind")
        if kind is not None and kind not in QUESTION_KINDS:
            q.problem("kind", f"unknown question kind '{kind}' (kinds: {', '.join(QUESTION_KINDS)})")
        text = q.text("text")
        options: list[str] | None = []
        if kind == "text":
            if q.has("options"):
                q.problem("options", "a text question has no options (the student types an answer)")
        elif kind in ("choice", "multi"):
            options = q.text_list("options", what="option", label=option_letter)
            if options is not None and len(options) < 2:
                q.problem("options", f"a {kind} question needs at least 2 options, not {len(options)}")
        q.finish()
        if None not in (question_id, kind, text, options):
            questions.append(Question(question_id, text, kind, tuple(options)))
    if problems:
        return None, problems
    return Questionnaire(questionnaire_id, title, language, minutes, intro, tuple(questions), path), []


def load_questionnaire(path: str | os.PathLike) -> tuple[Questionnaire | None, list[Problem]]:
    """Read a questionnaire file (kind = "questionnaire")."""
    doc, problems = load_file(path)
    if doc is None:
        return None, problems
    return questionnaire_from_doc(doc, str(path))


# --------------------------------------------------------------------------- reference tables


def reference_from_doc(doc: dict, path: str) -> tuple[object | None, list[Problem]]:
    """A reference table (periodic or solubility), read by content.reference."""
    try:
        from content.reference import parse_reference  # imported late: optional until shipped
    except ImportError:
        return None, [Problem(path, FILE, "", "reference tables cannot be read: content.reference is missing")]
    try:
        table, problems = parse_reference(doc, path)
    except Exception as error:  # a reader bug must still not crash the checker
        return None, [Problem(path, FILE, "", f"could not be read: {type(error).__name__}: {error}")]
    return (table if not problems else None), list(problems)


def load_reference(path: str | os.PathLike) -> tuple[object | None, list[Problem]]:
    doc, problems = load_file(path)
    if doc is None:
        return None, problems
    return reference_from_doc(doc, str(path))


# --------------------------------------------------------------------------- shipped content


def packs_folder() -> Path:
    return content_root() / "packs"


def questionnaires_folder() -> Path:
    return content_root() / "questionnaires"


def shipped_packs() -> list[Path]:
    """Pack folders shipped under content/packs (each holds a pack.toml)."""
    folder = packs_folder()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if (p / PACK_FILE).is_file())


def _problem_lines(problems: list[Problem], limit: int = 10) -> str:
    lines = [f"  {p}" for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"  ... and {len(problems) - limit} more")
    return "\n".join(lines)


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
                             f"run 'room-server content check':\n{_problem_lines(problems)}")
        return pack
    message = f"no test pack for grade {grade} in '{language}' under content/packs"
    if broken:
        message += f"; some pack files could not be read:\n{_problem_lines(broken)}"
    raise ValueError(message)


def shipped_questionnaires() -> list[Path]:
    folder = questionnaires_folder()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.toml") if p.is_file() and not p.name.startswith("."))


def shipped_questionnaire(language: str) -> Questionnaire:
    """The shipped questionnaire in a language; ValueError if missing or broken."""
    for file in shipped_questionnaires():
        doc, _ = load_file(file)
        if doc is None or doc.get("language") != language:
            continue
        questionnaire, problems = load_questionnaire(file)
        if questionnaire is None:
            raise ValueError(f"the '{language}' questionnaire ({file.name}) is broken; "
                             f"run 'room-server content check':\n{_problem_lines(problems)}")
        return questionnaire
    raise ValueError(f"no questionnaire in '{language}' under content/questionnaires")

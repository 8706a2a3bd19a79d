"""Reading a content file: TOML parsed with the position of any error, and a field reader
that checks each field and records a `Problem` (file, place, field, what) instead of raising.
Every content reader (packs, items, questionnaires, reference tables) builds on it."""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
from pathlib import Path

from content.model import Problem

FILE_KINDS: tuple[str, ...] = ("test", "items", "questionnaire", "reference")
GRADES: tuple[int, ...] = (4, 9)
QUESTION_KINDS: tuple[str, ...] = ("choice", "multi", "text")
QUESTIONS_MIN, QUESTIONS_MAX = 12, 15
QUESTIONNAIRE_MINUTES_MIN, QUESTIONNAIRE_MINUTES_MAX = 10, 15
PACK_FILE = "pack.toml"
MAX_OPTIONS = 26  # options are lettered A-Z

# Ids travel in URLs, file names and exports: keep them to plain characters.
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
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


def describe(value: object) -> str:
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


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    return (is_int(value) or isinstance(value, float)) and math.isfinite(value)


class Fields:
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
            self.problem(name, f"must be text in quotes, not {describe(value)}")
            return None
        if nonempty and not value.strip():
            self.problem(name, "is empty")
            return None
        return value

    def ident(self, name: str = "id") -> str | None:
        value = self.text(name)
        if value is not None and not ID_PATTERN.match(value):
            self.problem(name, f'"{value}" may hold only letters, digits, - and _')
            return None
        return value

    def integer(self, name: str, required: bool = True, minimum: int | None = None,
                default: int | None = None) -> int | None:
        if self._missing(name, required):
            return default
        value = self.table[name]
        if not is_int(value):
            self.problem(name, f"must be a whole number, not {describe(value)}")
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
            self.problem(name, f"must be true or false, not {describe(value)}")
            return default
        return value

    def text_list(self, name: str, required: bool = True, what: str = "entry",
                  label=None) -> list[str] | None:
        """A list of non-empty texts; `label(i)` names entry i in messages."""
        if self._missing(name, required):
            return None
        value = self.table[name]
        if not isinstance(value, list):
            self.problem(name, f'must be a list like ["...", "..."], not {describe(value)}')
            return None
        good = True
        for index, entry in enumerate(value):
            named = f"{what} {label(index) if label else index + 1}"
            if not isinstance(entry, str):
                self.problem(name, f"{named} must be text in quotes, not {describe(entry)}")
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
            self.problem(name, f"must be a table ([{name}]), not {describe(value)}")
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
            self.problem(name, f"must be a list of [[{name}]] tables, not {describe(value)}")
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


def check_kind(doc: dict, path: str, where: str, wanted: str,
                problems: list[Problem]) -> bool:
    kind = doc.get("kind")
    if kind == wanted:
        return True
    if kind is None:
        problems.append(Problem(path, where, "kind", f'is missing: this file needs kind = "{wanted}"'))
    else:
        problems.append(Problem(path, where, "kind", f'must be "{wanted}" here, not {describe(kind)}'))
    return False


def problem_lines(problems: list[Problem], limit: int = 10) -> str:
    lines = [f"  {p}" for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"  ... and {len(problems) - limit} more")
    return "\n".join(lines)

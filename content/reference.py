"""The reference tables grade 9 students may open during the test: the periodic table and
the school solubility table.

`parse_reference()` checks a parsed TOML document of kind "reference" (the format is in
docs/content-format.md) and builds a `PeriodicTable` or a `SolubilityTable`; everything wrong
comes back as a list of `Problem`s, never as an exception. `load_reference()` does the same
for a file. `periodic_table()` and `solubility_table()` give the tables the package ships.

Looking an element up and the rows the apps draw are in `content.reference_rows`.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from content import content_root
from content.toml_fields import is_int, is_number, load_file
from content.model import (
    INSOLUBLE,
    NONE,
    SLIGHTLY,
    SOLUBLE,
    Element,
    PeriodicTable,
    Problem,
    SolubilityTable,
)

__all__ = [
    "CODES",
    "NAME_LANGUAGES",
    "PERIODIC_FILE",
    "SOLUBILITY_FILE",
    "load_reference",
    "parse_reference",
    "periodic_table",
    "solubility_table",
]

# Reference tables carry names and titles in all three interface languages.
NAME_LANGUAGES: tuple[str, ...] = ("kk", "ru", "en")
CODES: tuple[str, ...] = (SOLUBLE, SLIGHTLY, INSOLUBLE, NONE)
TABLES: tuple[str, ...] = ("periodic", "solubility")

# The shipped files, relative to content.content_root().
PERIODIC_FILE = "reference/periodic-table.toml"
SOLUBILITY_FILE = "reference/solubility.toml"

GROUPS = range(1, 19)
PERIODS = range(1, 8)

_ID_RE = re.compile(r"^[A-Za-z0-9_-]+$")
_SYMBOL_RE = re.compile(r"^[A-Z][a-z]{0,2}$")

_HEADER_FIELDS = ("kind", "table", "id", "title")
_PERIODIC_FIELDS = _HEADER_FIELDS + ("element",)
_SOLUBILITY_FIELDS = _HEADER_FIELDS + ("cations", "anions", "legend", "rows")
_ELEMENT_FIELDS = ("number", "symbol", "name", "mass", "group", "period")

HEADER = "reference"  # the `where` of problems in the document's header fields


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


class _Checker:
    """Collects problems for one file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def add(self, where: str, field: str, message: str) -> None:
        self.problems.append(Problem(self.path, where, field, message))

    def unknown_fields(self, table: dict, allowed: tuple[str, ...], where: str) -> None:
        for key in table:
            if key not in allowed:
                self.add(where, str(key), f"unknown field {key!r} (expected one of: "
                         + ", ".join(allowed) + ")")

    def text(self, table: dict, key: str, where: str) -> str | None:
        if key not in table:
            self.add(where, key, "missing")
            return None
        value = table[key]
        if not isinstance(value, str):
            self.add(where, key, f"must be text, not {_type_name(value)}")
            return None
        if not value.strip():
            self.add(where, key, "must not be empty")
            return None
        return value

    def languages(self, value: object, where: str, field: str) -> dict | None:
        """A table with a non-empty text for each of kk, ru and en."""
        if not isinstance(value, dict):
            self.add(where, field, "must be a table { kk = ..., ru = ..., en = ... }, not "
                     + _type_name(value))
            return None
        ok = True
        for lang in value:
            if lang not in NAME_LANGUAGES:
                self.add(where, f"{field}.{lang}",
                         f"unknown language {lang!r} (expected kk, ru and en)")
                ok = False
        for lang in NAME_LANGUAGES:
            if lang not in value:
                self.add(where, f"{field}.{lang}", f"missing the {lang} text")
                ok = False
            elif not isinstance(value[lang], str):
                self.add(where, f"{field}.{lang}",
                         f"must be text, not {_type_name(value[lang])}")
                ok = False
            elif not value[lang].strip():
                self.add(where, f"{field}.{lang}", "must not be empty")
                ok = False
        return {lang: value[lang].strip() for lang in NAME_LANGUAGES} if ok else None


def parse_reference(doc: dict, path: str) -> tuple[PeriodicTable | SolubilityTable | None,
                                                   list[Problem]]:
    """Check a parsed TOML document of kind "reference" and build its table.

    Returns (table, []) when the document is sound, (None, problems) otherwise.
    """
    check = _Checker(str(path))
    if not isinstance(doc, dict):
        check.add(HEADER, "", f"the document must be a table, not {_type_name(doc)}")
        return None, check.problems

    kind = doc.get("kind")
    if kind is None:
        check.add(HEADER, "kind", 'missing (expected kind = "reference")')
    elif kind != "reference":
        check.add(HEADER, "kind", f'must be "reference", not {kind!r}')

    table = doc.get("table")
    if table is None:
        check.add(HEADER, "table", 'missing (expected "periodic" or "solubility")')
        return None, check.problems
    if table not in TABLES:
        check.add(HEADER, "table", f'must be "periodic" or "solubility", not {table!r}')
        return None, check.problems

    check.unknown_fields(doc, _PERIODIC_FIELDS if table == "periodic" else _SOLUBILITY_FIELDS,
                         HEADER)
    table_id = check.text(doc, "id", HEADER)
    if table_id is not None and not _ID_RE.match(table_id):
        check.add(HEADER, "id", f"{table_id!r} may hold only letters, digits, - and _")
        table_id = None
    if "title" in doc:
        title = check.languages(doc["title"], HEADER, "title")
    else:
        check.add(HEADER, "title", "missing (expected { kk = ..., ru = ..., en = ... })")
        title = None

    if table == "periodic":
        result = _parse_periodic(doc, check, table_id, title)
    else:
        result = _parse_solubility(doc, check, table_id, title)
    if check.problems:
        return None, check.problems
    return result, []


# --- the periodic table -------------------------------------------------------------------

def _parse_periodic(doc: dict, check: _Checker, table_id: str | None,
                    title: dict | None) -> PeriodicTable | None:
    raw = doc.get("element")
    if raw is None:
        check.add(HEADER, "element", "no [[element]] tables")
        return None
    if not isinstance(raw, list):
        check.add(HEADER, "element", f"must be a list of [[element]] tables, not {_type_name(raw)}")
        return None
    if not raw:
        check.add(HEADER, "element", "no [[element]] tables")
        return None

    elements: list[Element] = []
    for position, entry in enumerate(raw, start=1):
        element = _parse_element(entry, position, check)
        if element is not None:
            elements.append(element)
    if len(elements) != len(raw):
        return None

    # Numbers 1..N, each once; symbols unique; one element per (period, group) cell.
    by_number: dict[int, Element] = {}
    for e in elements:
        if e.number in by_number:
            check.add(f"element {e.number}", "number",
                      f"duplicate number {e.number} ({by_number[e.number].symbol} and {e.symbol})")
        else:
            by_number[e.number] = e
    missing = [n for n in range(1, len(elements) + 1) if n not in by_number]
    if missing:
        check.add(HEADER, "element", "element numbers must run 1.." + str(len(elements))
                  + " without gaps; missing: " + ", ".join(map(str, missing[:10]))
                  + (" ..." if len(missing) > 10 else ""))
    by_symbol: dict[str, Element] = {}
    for e in elements:
        if e.symbol in by_symbol:
            check.add(f"element {e.number}", "symbol",
                      f"duplicate symbol {e.symbol!r} (also element {by_symbol[e.symbol].number})")
        else:
            by_symbol[e.symbol] = e
    by_cell: dict[tuple[int, int], Element] = {}
    for e in elements:
        if e.group is None:
            continue
        cell = (e.period, e.group)
        if cell in by_cell:
            check.add(f"element {e.number}", "group",
                      f"period {e.period} group {e.group} is already element "
                      f"{by_cell[cell].number} ({by_cell[cell].symbol})")
        else:
            by_cell[cell] = e

    if check.problems:
        return None
    return PeriodicTable(id=table_id or "", title=title or {},
                         elements=tuple(sorted(elements, key=lambda e: e.number)),
                         path=check.path)


def _parse_element(entry: object, position: int, check: _Checker) -> Element | None:
    if not isinstance(entry, dict):
        check.add(f"element #{position}", "", f"must be a table, not {_type_name(entry)}")
        return None
    number = entry.get("number")
    where = f"element {number}" if is_int(number) and number >= 1 else f"element #{position}"
    before = len(check.problems)
    check.unknown_fields(entry, _ELEMENT_FIELDS, where)

    if "number" not in entry:
        check.add(where, "number", "missing")
    elif not is_int(number):
        check.add(where, "number", f"must be a whole number, not {_type_name(number)}")
    elif number < 1:
        check.add(where, "number", f"must be 1 or more, not {number}")

    symbol = check.text(entry, "symbol", where)
    if symbol is not None and not _SYMBOL_RE.match(symbol):
        check.add(where, "symbol", f"{symbol!r} is not an element symbol "
                  "(a capital letter and up to two small ones, like Fe)")

    names = None
    if "name" not in entry:
        check.add(where, "name", "missing (expected { kk = ..., ru = ..., en = ... })")
    else:
        names = check.languages(entry["name"], where, "name")

    mass = entry.get("mass")
    if "mass" not in entry:
        check.add(where, "mass", "missing")
    elif not is_number(mass):
        check.add(where, "mass", f"must be a number, not {_type_name(mass)}")
    elif mass <= 0:
        check.add(where, "mass", f"must be positive, not {mass}")

    group = entry.get("group")
    if "group" in entry:
        if not is_int(group):
            check.add(where, "group", f"must be a whole number, not {_type_name(group)}")
        elif group not in GROUPS:
            check.add(where, "group", f"must be 1 to 18, not {group} "
                      "(leave it out for lanthanides and actinides)")

    period = entry.get("period")
    if "period" not in entry:
        check.add(where, "period", "missing")
    elif not is_int(period):
        check.add(where, "period", f"must be a whole number, not {_type_name(period)}")
    elif period not in PERIODS:
        check.add(where, "period", f"must be 1 to 7, not {period}")
    elif "group" not in entry and period not in (6, 7):
        check.add(where, "group", "missing: only lanthanides and actinides "
                  "(periods 6 and 7) go without a group")

    if len(check.problems) > before:
        return None
    return Element(number=number, symbol=symbol, names=names, mass=float(mass),
                   group=group, period=period)


# --- the solubility table -----------------------------------------------------------------

def _ion_list(doc: dict, key: str, check: _Checker) -> tuple[str, ...] | None:
    if key not in doc:
        check.add(HEADER, key, "missing")
        return None
    value = doc[key]
    if not isinstance(value, list):
        check.add(HEADER, key, f"must be a list of ions, not {_type_name(value)}")
        return None
    if not value:
        check.add(HEADER, key, "must not be empty")
        return None
    ions: list[str] = []
    ok = True
    for i, ion in enumerate(value, start=1):
        if not isinstance(ion, str) or not ion.strip():
            check.add(HEADER, key, f"entry {i} must be a non-empty text, not {ion!r}")
            ok = False
        elif ion in ions:
            check.add(HEADER, key, f"{ion!r} is listed twice")
            ok = False
        else:
            ions.append(ion)
    return tuple(ions) if ok else None


def _parse_solubility(doc: dict, check: _Checker, table_id: str | None,
                      title: dict | None) -> SolubilityTable | None:
    cations = _ion_list(doc, "cations", check)
    anions = _ion_list(doc, "anions", check)

    legend: dict = {}
    raw_legend = doc.get("legend")
    if raw_legend is None:
        check.add("legend", "", "missing (one entry for each of R, M, N and -)")
    elif not isinstance(raw_legend, dict):
        check.add("legend", "", f"must be a table, not {_type_name(raw_legend)}")
    else:
        for code in raw_legend:
            if code not in CODES:
                check.add("legend", str(code), f"unknown code {code!r} (expected R, M, N or -)")
        for code in CODES:
            if code not in raw_legend:
                check.add("legend", code, f"missing the text for code {code!r}")
                continue
            text = check.languages(raw_legend[code], "legend", code)
            if text is not None:
                legend[code] = text

    cells: dict[tuple[str, str], str] = {}
    rows = doc.get("rows")
    if rows is None:
        check.add(HEADER, "rows", "missing (one row per anion)")
    elif not isinstance(rows, dict):
        check.add(HEADER, "rows", f"must be a table of anion = [codes], not {_type_name(rows)}")
    elif cations is not None and anions is not None:
        for anion, codes in rows.items():
            where = f"row {anion}"
            if anion not in anions:
                check.add(where, "", f"unknown anion {anion!r} (not in anions)")
                continue
            if not isinstance(codes, list):
                check.add(where, "", f"must be a list of codes, not {_type_name(codes)}")
                continue
            if len(codes) != len(cations):
                check.add(where, "", f"has {len(codes)} codes, expected {len(cations)} "
                          "(one per cation)")
                continue
            for cation, code in zip(cations, codes):
                if code not in CODES:
                    check.add(where, cation, f"{code!r} is not a solubility code "
                              "(expected R, M, N or -)")
                else:
                    cells[(cation, anion)] = code
        for anion in anions:
            if anion not in rows:
                check.add(f"row {anion}", "", "missing: every anion needs a row")

    if check.problems:
        return None
    return SolubilityTable(id=table_id or "", title=title or {}, cations=cations,
                           anions=anions, cells=cells, legend=legend, path=check.path)


# --- files --------------------------------------------------------------------------------

def load_reference(path: str | Path) -> tuple[PeriodicTable | SolubilityTable | None,
                                              list[Problem]]:
    """Read and check one reference file. Never raises for a bad file."""
    doc, problems = load_file(path)
    if doc is None:
        return None, problems
    return parse_reference(doc, str(path))


def _load_shipped(relative: str, expected: type):
    table, problems = load_reference(content_root() / relative)
    if problems or not isinstance(table, expected):
        details = "; ".join(str(p) for p in problems) or f"not a {expected.__name__}"
        raise ValueError(f"the shipped reference table {relative} is broken: {details}")
    return table


@cache
def periodic_table() -> PeriodicTable:
    """The periodic table the package ships (read once)."""
    return _load_shipped(PERIODIC_FILE, PeriodicTable)


@cache
def solubility_table() -> SolubilityTable:
    """The solubility table the package ships (read once)."""
    return _load_shipped(SOLUBILITY_FILE, SolubilityTable)

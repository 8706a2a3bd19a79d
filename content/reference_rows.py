"""Lookups in the reference tables and the rows the apps draw: plain lists of cell texts
(laying them out on a screen is the app's business)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from content.model import Element, PeriodicTable, SolubilityTable
from content.reference import PERIODS

def element_by_symbol(table: PeriodicTable, symbol: str) -> Element | None:
    """The element with this symbol; "fe" finds Fe when no exact match exists."""
    symbol = symbol.strip()
    for e in table.elements:
        if e.symbol == symbol:
            return e
    folded = symbol.casefold()
    for e in table.elements:
        if e.symbol.casefold() == folded:
            return e
    return None


def element_by_number(table: PeriodicTable, number: int) -> Element | None:
    for e in table.elements:
        if e.number == number:
            return e
    return None


def mass_text(mass: float) -> str:
    """A mass as a cell shows it: 55.845 -> "55.85"; a mass number 98.0 -> "98"."""
    if float(mass).is_integer():
        return str(int(mass))
    # Round half up on the written value, as a printed table does (55.845 -> 55.85).
    return str(Decimal(repr(float(mass))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _cell(e: Element) -> str:
    return f"{e.number} {e.symbol} {mass_text(e.mass)}"


_SERIES_LABELS = {
    6: {"kk": "Лантаноидтар", "ru": "Лантаноиды", "en": "Lanthanides"},
    7: {"kk": "Актиноидтар", "ru": "Актиноиды", "en": "Actinides"},
}


def periodic_rows(table: PeriodicTable, language: str = "kk") -> list[list[str]]:
    """The table as rows of 18 cell texts: periods 1 to 7, then the lanthanide and actinide
    rows. A cell reads like "26 Fe 55.85"; empty places are "". In periods 6 and 7 the group 3
    place holds the number range of the series ("57-71"); each series row starts with its
    label in `language` (kk, ru or en) and an empty cell, then the elements in order."""
    grid = [[""] * 18 for _ in PERIODS]
    series: dict[int, list[Element]] = {6: [], 7: []}
    for e in sorted(table.elements, key=lambda e: e.number):
        if e.group is not None:
            grid[e.period - 1][e.group - 1] = _cell(e)
        elif e.period in series:
            series[e.period].append(e)
    rows = grid
    for period, members in series.items():
        if not members:
            continue
        grid[period - 1][2] = f"{members[0].number}-{members[-1].number}"
        labels = _SERIES_LABELS[period]
        row = [labels.get(language, labels["en"]), ""] + [_cell(e) for e in members[:16]]
        rows.append(row + [""] * (18 - len(row)))
    return rows


def solubility_rows(table: SolubilityTable) -> list[list[str]]:
    """A header row ("" then the cations), then one row per anion: the anion, then its codes."""
    rows = [[""] + list(table.cations)]
    for anion in table.anions:
        rows.append([anion] + [table.cells.get((c, anion), "") for c in table.cations])
    return rows


_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUP = str.maketrans("0123456789+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻")


def ion_display(ion: str) -> str:
    """The printed form of an ASCII ion key: "SO4 2-" -> "SO₄²⁻", "Ba2+" -> "Ba²⁺",
    "NH4+" -> "NH₄⁺". Digits written straight after a one-letter element with a charge
    (like "S2-") are the charge; inside a formula they are counts."""
    ion = ion.strip()
    if " " in ion or "^" in ion:
        formula, _, charge = ion.replace("^", " ").rpartition(" ")
        return formula.strip().translate(_SUB) + charge.translate(_SUP)
    if ion.endswith(("+", "-")):
        sign = ion[-1]
        body = ion[:-1]
        m = re.match(r"^(.*?[A-Za-z)])(\d*)$", body)
        if m:
            formula, digits = m.group(1), m.group(2)
            # "Ba2+", "S2-", "Fe3+": a single element (one capital) -> the digits are a charge.
            if digits and re.fullmatch(r"[A-Z][a-z]?", formula):
                return formula + (digits + sign).translate(_SUP)
            return (formula + digits).translate(_SUB) + sign.translate(_SUP)
    return ion.translate(_SUB)

"""Identifiers in the CSV files Synaq writes (IIN, ИКТ) kept as text when Excel opens them.

Excel opening a CSV turns every cell that looks like a number into one: a 12-digit IIN shows
as 1,10314E+11 and an ИКТ loses its leading zero. A leading apostrophe is not honoured in a
CSV (it stays visible), and a leading tab or space is dropped before the number is read. What
Excel does honour is a formula, so such a cell is written ="0123456": Excel shows the text
0123456, LibreOffice shows it the same when formulas are evaluated, and a program reading the
file strips the ="…" with `plain_text` (the centre does). Only cells made of ASCII digits are
written this way; nothing else a user typed becomes a formula.
"""

from __future__ import annotations

import re

_WRAPPED = re.compile(r'="([0-9]*)"')


class Code(str):
    """A value that must stay text in a spreadsheet: an IIN, an ИКТ."""


def excel_text(value: str) -> str:
    """The cell text for a CSV: ="digits" for ASCII digits, the value as it is otherwise."""
    return f'="{value}"' if re.fullmatch(r"[0-9]+", value) else value


def plain_text(cell: str) -> str:
    """The value of a cell written by `excel_text` (a cell without the wrapper is returned as is)."""
    match = _WRAPPED.fullmatch(cell)
    return match.group(1) if match else cell

"""A roster file as rows of text cells, whatever Excel saved it as.

- .xlsx: read directly (openpyxl), the first sheet that has data; a number cell becomes its
  digits (an IIN Excel stored as a number, with the leading zero it dropped put back).
- "Unicode text" (UTF-16 with a byte-order mark, tab-separated) and UTF-16 without a mark.
- CSV in UTF-8 with or without a BOM, or Windows-1251; ';', ',' or tab between cells.
Anything else (an old .xls, a picture, a damaged workbook) is refused with what it looks like.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from dataclasses import dataclass

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls (and .doc)
MAX_ROWS = 100_000  # far more than any school; a bigger file is not a roster


class TableError(Exception):
    """The file cannot be read as a table; the message says what it is and what to do."""


@dataclass
class Table:
    rows: list[tuple[int, list[str]]]  # (line or Excel row number, cells), blank rows left out
    source: str  # how it was read, for the administrator: "CSV, UTF-8, ';'"


def read_table(raw: bytes) -> Table:
    if raw.startswith(XLSX_MAGIC):
        return _xlsx(raw)
    if raw.startswith(OLE_MAGIC):
        raise TableError("this is an old Excel .xls file: save it as an Excel workbook (.xlsx) or as CSV UTF-8")
    text, encoding = _decode(raw)
    return _csv(text, encoding)


def _decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise TableError("the file starts as UTF-16 text but is damaged further on") from None
    if len(raw) >= 4 and b"\x00" in raw:
        # UTF-16 without a mark: every other byte of Latin and Cyrillic text is the same few values.
        for encoding, zeros in (("utf-16-le", raw[1::2]), ("utf-16-be", raw[0::2])):
            if zeros.count(0) + zeros.count(4) >= 0.9 * len(zeros) and len(raw) % 2 == 0:
                try:
                    text = raw.decode(encoding)
                except UnicodeDecodeError:
                    break
                if "\x00" not in text:
                    return text, "UTF-16"
        raise TableError("this is not a text or Excel file (it has binary content); save the sheet as "
                         "an Excel workbook (.xlsx) or as CSV UTF-8")
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw[3:].decode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            raise TableError("the file says it is UTF-8 but is not; save it again as CSV UTF-8") from None
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1251"), "Windows-1251"  # Excel's "CSV" on a Russian-locale Windows
    except UnicodeDecodeError:
        raise TableError("the file is neither UTF-8, UTF-16 nor Windows-1251 text") from None


def _csv(text: str, encoding: str) -> Table:
    lines = [line for line in text.splitlines() if line.strip(" \t;,")]
    if not lines:
        raise TableError("the file is empty")
    first = lines[0]
    delimiter = max(("\t", ";", ","), key=lambda d: (first.count(d), d == ";"))
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            if len(rows) > MAX_ROWS:
                raise TableError(f"the file has more than {MAX_ROWS} rows; this is not a class roster")
            if any(cell.strip() for cell in cells):
                rows.append((reader.line_num, [c.strip() for c in cells]))
    except csv.Error as exc:
        raise TableError(f"line {reader.line_num}: cannot be read as CSV ({exc})") from None
    if not rows:
        raise TableError("the file is empty")
    names = {"\t": "tab", ";": "';'", ",": "','"}
    return Table(rows, f"CSV, {encoding}, {names[delimiter]} between cells")


def _xlsx(raw: bytes) -> Table:
    import openpyxl  # only for workbooks: the server starts without it

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, AttributeError, IndexError,
            EOFError, SyntaxError) as exc:  # the ways openpyxl says a zip is not a workbook
        raise TableError(f"this is not a readable Excel workbook (.xlsx): {type(exc).__name__}; open it in "
                         "Excel and save it again, or save it as CSV UTF-8") from None
    except Exception as exc:  # noqa: BLE001 - a damaged workbook must not end in a traceback
        raise TableError(f"this Excel workbook cannot be read ({type(exc).__name__}); save it again as .xlsx "
                         "or as CSV UTF-8") from None
    try:
        for sheet in book.worksheets:
            rows = []
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                if number > MAX_ROWS:
                    raise TableError(f"the sheet {sheet.title!r} has more than {MAX_ROWS} rows; this is not a class roster")
                cells = [_cell_text(v) for v in values]
                if any(cells):
                    rows.append((number, cells))
            if rows:
                return Table(rows, f"Excel workbook, sheet {sheet.title!r}")
    except TableError:
        raise
    except Exception as exc:  # noqa: BLE001 - as above, for damage found while reading rows
        raise TableError(f"this Excel workbook cannot be read ({type(exc).__name__}); save it again as .xlsx "
                         "or as CSV UTF-8") from None
    finally:
        book.close()
    raise TableError("the workbook is empty")


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        text = str(value)
        # An IIN kept as a number loses its leading zero (born 2000-2009): put it back.
        return "0" + text if len(text) == 11 else text
    if isinstance(value, float):
        return _cell_text(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return str(value).strip()

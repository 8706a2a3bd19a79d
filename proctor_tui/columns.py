"""Which columns of the room table fit a terminal, and how wide each is.

80 columns first: seat, name, status, answered, time left, connection and alerts always show;
from 100 columns the ИКТ and the variant come back, from 140 the subject. Texts are
abbreviated before a column is dropped (short status, "off 10:05", short alerts), and a cell
never runs into the next one: `fit` cuts it with "…". Plain Python, tested without a terminal.
"""

from __future__ import annotations

from dataclasses import dataclass

from .i18n import N_, t

PADDING = 1  # the table's cell padding, each side
SCROLLBAR = 2  # the vertical scrollbar, always reserved so the layout never jumps

# key -> (header, short header)
HEADERS = {
    "seat": (N_("Seat"), N_("No.")),
    "ikt": (N_("IKT"), N_("IKT")),
    "name": (N_("Name"), N_("Name")),
    "variant": (N_("V."), N_("V.")),
    "status": (N_("Status"), N_("Status")),
    "answered": (N_("Answered"), N_("Ans.")),
    "remaining": (N_("Time left"), N_("Left")),
    "connection": (N_("Connection"), N_("Link")),
    "alerts": (N_("Alerts"), N_("Alerts")),
    "subject": (N_("Subject"), N_("Subject")),
}
ORDER = ["seat", "ikt", "name", "variant", "status", "alerts", "answered", "remaining", "connection", "subject"]

# Dropped in this order when they do not fit; the others always stay.
OPTIONAL = ["subject", "variant", "ikt"]
WIDE = 140  # full names and the subject

# How long the texts are: 0 all in full; 1 the connection short ("offline 10:05"); 2 the status,
# the alerts and the time short too. Each level wants this much room for the name and the alerts.
ROOM_FOR = {0: (20, 16), 1: (14, 11), 2: (12, 10)}
# (text level, optional columns dropped), the first that fits wins: the ИКТ goes last.
CHOICES = [(0, 0), (0, 1), (1, 1), (1, 2), (2, 2), (2, 3)]


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: int


@dataclass(frozen=True)
class Layout:
    columns: tuple[Column, ...]
    level: int  # how short the texts are (ROOM_FOR)
    wide: bool

    @property
    def narrow(self) -> bool:
        """Status, alerts and time left in short."""
        return self.level >= 2

    @property
    def short_connection(self) -> bool:
        return self.level >= 1

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]

    def width(self, key: str) -> int:
        return next(c.width for c in self.columns if c.key == key)


def fit(text: str, width: int) -> str:
    """The text cut to `width` characters, ending in "…" when cut."""
    if len(text) <= width:
        return text
    return text[: max(0, width - 1)] + "…" if width > 0 else ""


def room_layout(width: int, fixed: dict[str, int]) -> Layout:
    """The columns for a table `width` cells wide. `fixed` gives the widths the texts need in
    this language: status, connection, remaining (each also _short) and answered."""
    wide = width >= WIDE
    usable = width - SCROLLBAR
    for level, dropped in CHOICES:
        keys = [k for k in ORDER if k not in OPTIONAL[:dropped] and (wide or k != "subject")]
        short = level >= 2
        sizes = {
            "seat": 3, "ikt": 7, "variant": 2, "answered": fixed["answered"], "subject": 24,
            "remaining": fixed["remaining_short" if short else "remaining"],
            "status": fixed["status_short" if short else "status"],
            "connection": fixed["connection_short" if level >= 1 else "connection"],
        }
        headers = {k: t(HEADERS[k][1] if short else HEADERS[k][0]) for k in keys}
        for key in sizes:
            sizes[key] = max(sizes[key], len(headers.get(key, "")))
        taken = sum(sizes[k] for k in keys if k in sizes) + 2 * PADDING * len(keys)
        rest = usable - taken
        name_min, alerts_min = ROOM_FOR[level]
        if rest >= name_min + alerts_min or (level, dropped) == CHOICES[-1]:
            name = max(ROOM_FOR[2][0], min(32 if wide else 24, rest - alerts_min))
            sizes["name"] = name
            sizes["alerts"] = max(ROOM_FOR[2][1], rest - name)
            columns = tuple(Column(k, fit(headers[k], sizes[k]), sizes[k]) for k in keys)
            return Layout(columns, level, wide)
    raise AssertionError("unreachable: the last choice always fits")

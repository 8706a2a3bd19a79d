"""The aids on the left of the test: the periodic table and the solubility table.

They come with the test (`test.aids`: only what the pack grants, ready to draw; grade 4 gets
none, and then no key or button offers them). Each scrolls with its first column (the
periods, the anions) and its header row kept in view; below 100 columns the panel takes the
whole width, so a table is readable at 80×24. Solubility codes are written as the school
tables of the interface language write them (Р, М, Н in Kazakh and Russian)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

import room_protocol as p

# The codes as Kazakh and Russian school tables print them (Cyrillic Р, М, Н).
CYRILLIC_CODES = {"R": "Р", "M": "М", "N": "Н"}


class AidsPanel(Vertical):
    """Hidden until opened; shows one table at a time (`periodic` or `solubility`)."""

    DEFAULT_CSS = """
    AidsPanel { dock: left; width: 50%; min-width: 36; display: none; border-right: thick $primary; }
    AidsPanel.-wide { width: 100%; border-right: none; }
    AidsPanel.-open { display: block; }
    AidsPanel #aids-title { height: auto; text-style: bold; padding: 0 1; background: $primary-background; }
    AidsPanel DataTable { height: 1fr; }
    AidsPanel #aids-legend { height: auto; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, language: str, aids: p.Aids | None, **kwargs):
        super().__init__(**kwargs)
        self.language = language
        self.aids = aids or p.Aids()
        self.showing: str | None = None
        self._filled: set[str] = set()

    @property
    def available(self) -> list[str]:
        return [name for name in ("periodic", "solubility") if getattr(self.aids, name) is not None]

    def compose(self) -> ComposeResult:
        yield Static("", id="aids-title", markup=False)
        yield DataTable(id="periodic", zebra_stripes=True, cursor_type="cell", fixed_columns=1)
        yield DataTable(id="solubility", zebra_stripes=True, cursor_type="cell", fixed_columns=1)
        yield Static("", id="aids-legend", markup=False)

    def toggle(self, which: str) -> bool:
        """Opens `which`, or closes the panel if it already shows it. Returns open or not."""
        if self.showing == which or which not in self.available:
            self.close()
            return False
        self.open(which)
        return True

    def close(self) -> None:
        self.showing = None
        self.remove_class("-open")

    def open(self, which: str) -> None:
        self._fill(which)
        self.showing = which
        for name in ("periodic", "solubility"):
            self.query_one(f"#{name}", DataTable).display = name == which
        self.add_class("-open")
        self.query_one(f"#{which}", DataTable).focus()

    def _text(self, texts: dict[str, str]) -> str:
        return texts.get(self.language) or texts.get("en", "")

    def code(self, code: str) -> str:
        """A solubility code as this language's school table writes it."""
        return CYRILLIC_CODES.get(code, code) if self.language in ("kk", "ru") else code

    def _fill(self, which: str) -> None:
        title = self.query_one("#aids-title", Static)
        legend = self.query_one("#aids-legend", Static)
        table = self.query_one(f"#{which}", DataTable)
        data = getattr(self.aids, which)
        title.update(self._text(data.title))
        if which == "periodic":
            legend.update("")
            if which not in self._filled:
                self._fill_periodic(table, data)
        else:
            legend.update("  ".join(f"{self.code(code)} — {self._text(names)}" for code, names in data.legend.items()))
            if which not in self._filled:
                self._fill_solubility(table, data)
        self._filled.add(which)

    def _fill_periodic(self, table: DataTable, data: p.PeriodicTable) -> None:
        table.add_column(Text(""), key="label")
        for group in range(1, 19):
            table.add_column(str(group), key=str(group))
        labels = data.series.get(self.language) or data.series.get("en") or []
        for index, row in enumerate(data.rows):
            if index < 7:
                label = Text(str(index + 1), style="bold")
                cells = row
            else:  # a lanthanide or actinide row: its label first, then the elements
                name = labels[index - 7] if index - 7 < len(labels) else ""
                label = Text(name[:6], style="italic")
                cells = ["", ""] + row[2:]
            table.add_row(label, *(self._element(cell) for cell in cells), height=3)

    @staticmethod
    def _element(cell: str) -> Text:
        parts = cell.split(" ")
        if len(parts) == 3:
            number, symbol, mass = parts
            return Text.assemble((number, "dim"), "\n", (symbol, "bold"), "\n", (mass, ""))
        return Text(cell)

    def _fill_solubility(self, table: DataTable, data: p.SolubilityTable) -> None:
        table.add_column("", key="anion")
        for index, cation in enumerate(data.cations):
            table.add_column(cation, key=f"c{index}")
        styles = {"R": "bold green", "M": "yellow", "N": "bold red"}
        for anion, codes in zip(data.anions, data.rows):
            table.add_row(Text(anion, style="bold"),
                          *(Text(self.code(code), style=styles.get(code, "dim")) for code in codes))

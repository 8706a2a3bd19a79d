"""The aids on the left of the test: the periodic table and the solubility table.

Both come from the content package (`content.reference`); each scrolls, so they are usable
at 80×24 and roomy on a larger screen."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static


class AidsPanel(Vertical):
    """Hidden until opened; shows one table at a time (`periodic` or `solubility`)."""

    DEFAULT_CSS = """
    AidsPanel { dock: left; width: 50%; min-width: 36; display: none; border-right: thick $primary; }
    AidsPanel.-open { display: block; }
    AidsPanel #aids-title { height: auto; text-style: bold; padding: 0 1; background: $primary-background; }
    AidsPanel DataTable { height: 1fr; }
    AidsPanel #aids-legend { height: auto; max-height: 4; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, language: str, **kwargs):
        super().__init__(**kwargs)
        self.language = language
        self.showing: str | None = None
        self._filled: set[str] = set()

    def compose(self) -> ComposeResult:
        yield Static("", id="aids-title", markup=False)
        yield DataTable(id="periodic", zebra_stripes=True, cursor_type="cell")
        yield DataTable(id="solubility", zebra_stripes=True, cursor_type="cell")
        yield Static("", id="aids-legend", markup=False)

    def toggle(self, which: str) -> bool:
        """Opens `which`, or closes the panel if it already shows it. Returns open or not."""
        if self.showing == which:
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

    def _fill(self, which: str) -> None:
        from content import reference

        title = self.query_one("#aids-title", Static)
        legend = self.query_one("#aids-legend", Static)
        table = self.query_one(f"#{which}", DataTable)
        if which == "periodic":
            data = reference.periodic_table()
            title.update(data.title.get(self.language) or data.title.get("en", ""))
            legend.update("")
            if which not in self._filled:
                self._fill_periodic(table, data)
        else:
            data = reference.solubility_table()
            title.update(data.title.get(self.language) or data.title.get("en", ""))
            legend.update("  ".join(f"{code} — {names.get(self.language) or names.get('en', '')}"
                                    for code, names in data.legend.items()))
            if which not in self._filled:
                self._fill_solubility(table, data)
        self._filled.add(which)

    def _fill_periodic(self, table: DataTable, data) -> None:
        from content.reference import periodic_rows

        table.add_column(Text(""), key="label")
        for group in range(1, 19):
            table.add_column(str(group), key=str(group))
        for index, row in enumerate(periodic_rows(data, self.language)):
            if index < 7:
                label = Text(str(index + 1), style="bold")
                cells = row
            else:  # a lanthanide or actinide row: its label first, then the elements
                label = Text(row[0][:6], style="italic")
                cells = ["", ""] + row[2:]
            table.add_row(label, *(self._element(cell) for cell in cells), height=3)

    @staticmethod
    def _element(cell: str) -> Text:
        parts = cell.split(" ")
        if len(parts) == 3:
            number, symbol, mass = parts
            return Text.assemble((number, "dim"), "\n", (symbol, "bold"), "\n", (mass, ""))
        return Text(cell)

    def _fill_solubility(self, table: DataTable, data) -> None:
        from content.reference import ion_display, solubility_rows

        rows = solubility_rows(data)
        table.add_column("", key="anion")
        for cation in rows[0][1:]:
            table.add_column(ion_display(cation), key=cation)
        styles = {"R": "bold green", "M": "yellow", "N": "bold red"}
        for row in rows[1:]:
            table.add_row(Text(ion_display(row[0]), style="bold"),
                          *(Text(code, style=styles.get(code, "dim")) for code in row[1:]))

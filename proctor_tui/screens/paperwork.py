"""Export (the results bundle to a USB stick) and Print (PDFs to sign and stamp).

Both write on the server's laptop: the paths are the server's, and the drives listed are the
ones plugged into it.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Footer, Input, Label, RadioButton, RadioSet, Static


from ..i18n import N_, t
from ..messages import Failed, Replied
from .base import SubScreen

PRINTS = [("slips", N_("Login slips")), ("staff", N_("Teachers' and principals' slips")),
          ("seating", N_("Seating sheet (Annex 4)")),
          ("acts", N_("Acts (Annexes 1 and 2)")), ("protocol", N_("Testing protocol (Annex 3)"))]


def size_text(count: int | None) -> str:
    if count is None:
        return "—"
    value = float(count)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return str(count)


class DrivesMixin:
    """The drives of the server's laptop, in a table; choosing one fills the path."""

    def drives_table(self) -> DataTable:
        return self.query_one("#drives", DataTable)

    def setup_drives(self) -> None:
        table = self.drives_table()
        for key, label in (("path", N_("Folder")), ("label", N_("Label")), ("free", N_("Free")),
                           ("removable", N_("Removable"))):
            table.add_column(t(label), key=key)
        self.app.act(lambda room: room.drives(), tag="drives", reply_to=self)

    def show_drives(self, drives: list[dict]) -> None:
        table = self.drives_table()
        table.clear()
        for index, drive in enumerate(drives):
            table.add_row(drive.path, drive.label, size_text(drive.free_bytes),
                          t("yes") if drive.removable else t("no"), key=str(index))
        self.drives = drives

    def drive_chosen(self, row: int) -> str | None:
        drives = getattr(self, "drives", [])
        return drives[row].path if 0 <= row < len(drives) else None


class ExportScreen(DrivesMixin, SubScreen):
    BINDINGS = [Binding("ctrl+e", "export", N_("Export"), id="do_export")]

    def compose(self) -> ComposeResult:
        yield from self.top()
        yield Static(t("Export the results (signed bundle for the Taldau centre)"), classes="screen-title")
        with Vertical(classes="paper"):
            yield Static(t("Plug the USB stick into the server's laptop, choose it, then export. The bundle is "
                           "signed; questionnaire answers go in a separate file without names."), classes="hint")
            yield DataTable(id="drives", cursor_type="row")
            with Horizontal(classes="field"):
                yield Label(t("Folder"), classes="field-label")
                yield Input(id="to", placeholder=t("a folder on the server's laptop"), compact=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("Export"), id="export", variant="primary")
            yield Static("", id="result")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.setup_drives()

    @on(DataTable.RowSelected, "#drives")
    @on(DataTable.RowHighlighted, "#drives")
    def _drive(self, event) -> None:
        path = self.drive_chosen(event.cursor_row)
        if path:
            self.query_one("#to", Input).value = path

    @on(Button.Pressed, "#export")
    @on(Input.Submitted, "#to")
    def action_export(self) -> None:
        to = self.query_one("#to", Input).value.strip()
        if not to:
            self.query_one("#result", Static).update(t("Choose a drive or type a folder."))
            return
        self.query_one("#result", Static).update(t("Exporting…"))
        self.app.act(lambda room: room.export(to), tag="export", reply_to=self)

    @on(Replied)
    def _replied(self, message: Replied) -> None:
        if message.tag == "drives":
            self.show_drives(message.reply)
        elif message.tag == "export":
            reply = message.reply
            text = t("Exported: {bundle} ({files} files, {size}). Check it with 'room-server verify'.",
                     bundle=reply.bundle, files=reply.files, size=size_text(reply.bytes))
            if reply.fingerprint:
                text += "\n" + t("The bundle is signed with the room key {fingerprint}: the same fingerprint is "
                                  "printed on the testing protocol.", fingerprint=reply.fingerprint)
            self.query_one("#result", Static).update(text)
            self.app.notify(t("The results are exported."))

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        if message.tag == "drives":
            self.query_one("#result", Static).update(t("The drives cannot be listed: {error}", error=message.error))
        else:
            self.query_one("#result", Static).update(message.error)


class PrintScreen(DrivesMixin, SubScreen):
    BINDINGS = [Binding("ctrl+p", "print", N_("Print"), id="do_print", priority=True)]

    def compose(self) -> ComposeResult:
        yield from self.top()
        yield Static(t("Print to PDF (to sign and stamp)"), classes="screen-title")
        with Vertical(classes="paper"):
            with RadioSet(id="what"):
                for index, (what, label) in enumerate(PRINTS):
                    yield RadioButton(t(label), name=what, value=index == 0)
            yield DataTable(id="drives", cursor_type="row")
            with Horizontal(classes="field"):
                yield Label(t("PDF file"), classes="field-label")
                yield Input(id="to", placeholder=t("a PDF path on the server's laptop"), compact=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("Print"), id="print", variant="primary")
            yield Static("", id="result")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.folder = ""
        self.setup_drives()
        self._suggest()

    def what(self) -> str:
        pressed = self.query_one("#what", RadioSet).pressed_button
        return pressed.name if pressed is not None and pressed.name else "slips"

    def _suggest(self) -> None:
        folder = self.folder.rstrip("/\\")
        name = f"synaq-{self.what()}.pdf"
        self.query_one("#to", Input).value = f"{folder}/{name}" if folder else name

    @on(RadioSet.Changed, "#what")
    def _what(self) -> None:
        self._suggest()

    @on(DataTable.RowSelected, "#drives")
    @on(DataTable.RowHighlighted, "#drives")
    def _drive(self, event) -> None:
        path = self.drive_chosen(event.cursor_row)
        if path:
            self.folder = path
            self._suggest()

    @on(Button.Pressed, "#print")
    @on(Input.Submitted, "#to")
    def action_print(self) -> None:
        to = self.query_one("#to", Input).value.strip()
        if not to:
            self.query_one("#result", Static).update(t("Give the PDF's path."))
            return
        self.query_one("#result", Static).update(t("Printing…"))
        what = self.what()
        self.app.act(lambda room: room.print(what, to), tag="print", reply_to=self)

    @on(Replied)
    def _replied(self, message: Replied) -> None:
        if message.tag == "drives":
            self.show_drives(message.reply)
        elif message.tag == "print":
            self.query_one("#result", Static).update(t("Printed: {path}", path=message.reply.path))
            self.app.notify(t("The PDF is ready."))

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        if message.tag == "drives":
            self.query_one("#result", Static).update(t("The drives cannot be listed: {error}", error=message.error))
        else:
            self.query_one("#result", Static).update(message.error)

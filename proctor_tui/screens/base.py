"""What every screen besides the room shares: the header lines, Escape back, the footer."""

from __future__ import annotations

from textual.binding import Binding
from textual.screen import Screen

from ..i18n import N_, translate_bindings
from ..widgets.status import AddressBar, NavBar, RoomHeader


# The screens' keys, the same on every screen (the nav bar shows them).
SCREEN_KEYS = [
        Binding("1", "app.show('seating')", N_("Seating sheet"), id="seating", show=False),
        Binding("2", "app.show('incidents')", N_("Incidents"), id="incidents", show=False),
        Binding("3", "app.show('protocol')", N_("Protocol"), id="protocol", show=False),
        Binding("4", "app.show('events')", N_("Event log"), id="events", show=False),
        Binding("5", "app.show('export')", N_("Export"), id="export", show=False),
        Binding("6", "app.show('print')", N_("Print"), id="print", show=False),
        Binding("7", "app.show('streams')", N_("Streams and staff"), id="streams", show=False),
]


class SubScreen(Screen):
    BINDINGS = [
        Binding("escape", "app.show('room')", N_("Back to the room"), id="back"),
        *SCREEN_KEYS,
    ]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    def top(self):
        yield RoomHeader(id="room-header")
        yield AddressBar(id="address-bar")
        yield NavBar(id="nav")

    def on_mount(self) -> None:
        self.watch(self.app, "revision", self._top_redraw, init=True)

    def _top_redraw(self, *_: object) -> None:
        self.query_one(RoomHeader).show(self.app)
        self.query_one(AddressBar).show(self.app)

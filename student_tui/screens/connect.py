"""Finding the room: rooms found on the network, or the address the teacher gives.

With several rooms listed the first is highlighted at once; ↑↓ move and Enter takes the
highlighted one. The address is remembered only after a login there worked, so a wrong
room chosen by mistake is not where the app goes next time."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.widgets import Button, Footer, Input, Label, ListItem, ListView, Static

from ..i18n import N_
from .base import StudentScreen


class RoomItem(ListItem):
    def __init__(self, room, text: str):
        super().__init__(Label(text, markup=False))
        self.room = room


class ConnectScreen(StudentScreen):
    BINDINGS = [Binding("f5", "search", N_("Search again"), id="search")]

    def __init__(self, address: str = "", *, error: str = "", **kwargs):
        super().__init__(**kwargs)
        self.address = address
        self.error = error  # why the last address did not work
        self.rooms: list = []

    def compose(self) -> ComposeResult:
        t = self.t
        with Center():
            with Vertical(id="connect-box", classes="card"):
                yield Static(t("Finding the test room"), classes="title")
                yield Static(t("Looking for the room on the network…"), id="search-status")
                yield ListView(id="rooms")
                yield Label(t("Room address (the teacher writes it on the board):"))
                yield Input(self.address, placeholder="192.168.1.10:8765", id="address")
                yield Button(t("Connect"), id="connect", variant="primary")
                yield Static("", id="connect-error", classes="error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#rooms", ListView).display = False
        if self.error:
            self.show_error(self.error)
        else:
            self.action_search()

    def action_search(self) -> None:
        self.query_one("#search-status", Static).update(self.t("Looking for the room on the network…"))
        self.search()

    @work(exclusive=True, group="discover")
    async def search(self) -> None:
        try:
            from room_client.discovery import discover
            rooms = await discover(self.sapp.discover_timeout, wait_for_first=False)
        except Exception as exc:  # multicast blocked, no network: the typed address works
            self.sapp.log_problem("discovery failed", exc)
            rooms = []
        self.show_rooms(rooms)

    def show_rooms(self, rooms: list) -> None:
        self.rooms = rooms
        status = self.query_one("#search-status", Static)
        listing = self.query_one("#rooms", ListView)
        listing.clear()
        if not rooms:
            status.update(self.t("No room was found on the network. Type the address below."))
            listing.display = False
            self.query_one("#address", Input).focus()
            return
        self.query_one("#connect-error", Static).update("")  # rooms found: an old address's trouble is past
        for room in rooms:
            text = self.t("School {school}, room {room}, grade {grade}", school=room.school or "-",
                          room=room.room or "-", grade=room.grade or "-")
            listing.append(RoomItem(room, f"{text}  ({room.address})"))
        listing.index = 0  # the first room highlighted: ↓ then Enter takes the second
        listing.display = True
        status.update(self.t("Choose your room:"))
        if len(rooms) == 1:  # exactly one room: straight on
            self.query_one("#address", Input).value = rooms[0].address
            self.connect(rooms[0].address)
        else:
            listing.focus()

    @on(ListView.Selected, "#rooms")
    def _picked(self, event: ListView.Selected) -> None:
        if isinstance(event.item, RoomItem):  # the very row highlighted, whatever the index says
            self.query_one("#address", Input).value = event.item.room.address
            self.connect(event.item.room.address)

    @on(Button.Pressed, "#connect")
    @on(Input.Submitted, "#address")
    def _typed(self) -> None:
        address = self.query_one("#address", Input).value.strip()
        if not address:
            self.show_error(self.t("Type the room's address first."))
            return
        self.connect(address)

    def connect(self, address: str) -> None:
        self.query_one("#connect-error", Static).update("")
        self.query_one("#search-status", Static).update(self.t("Connecting to the room…"))
        self.query_one("#connect", Button).disabled = True
        self.sapp.connect_to(address)

    def show_error(self, text: str) -> None:
        self.query_one("#connect", Button).disabled = False
        self.query_one("#search-status", Static).update("")
        self.query_one("#connect-error", Static).update(text)
        self.query_one("#address", Input).focus()

"""The lines above the room table: which room, the typed address, the screens, the counts."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from ..i18n import N_, t
from ..model import Summary

SITTING_TEXT = {"not_open": N_("not open yet"), "open": N_("open"), "closed": N_("closed")}
PAUSE_TEXT = {"power": N_("power"), "network": N_("network"), "other": N_("other"), "server_outage": N_("server outage")}


class RoomHeader(Widget):
    """School, room, sitting, grade and the clock (right-aligned at any width)."""

    DEFAULT_CSS = """
    RoomHeader { height: 1; background: $primary; color: $text; text-style: bold; padding: 0 1; }
    """

    left = reactive("", layout=False)
    right = reactive("", layout=False)

    def show(self, app) -> None:
        sitting = app.model.sitting
        hello = app.hello
        school = sitting.school or (hello.school if hello else "")
        room = sitting.room or (hello.room if hello else "")
        grade = sitting.grade or (hello.grade if hello else "")
        self.left = t("Synaq · {school} · room {room} · sitting {sitting} · grade {grade}", school=school or "—",
                      room=room or "—", sitting=sitting.sitting or "—", grade=grade or "—")
        self.right = app.now_text()

    def render(self) -> str:
        gap = self.content_size.width - len(self.left) - len(self.right)
        return f"{self.left}{' ' * gap}{self.right}" if gap > 1 else f"{self.left}  {self.right}"


class AddressBar(Static):
    """The address students type where discovery fails, the sitting's state and the link."""

    DEFAULT_CSS = """
    AddressBar { height: 1; padding: 0 1; background: $boost; }
    """

    def show(self, app) -> None:
        model = app.model
        sitting = model.sitting
        address = model.address or app.address
        parts = [t("Students type: {address}", address=address)]
        state = sitting.state
        if state:
            text = t("Sitting: {state}", state=t(SITTING_TEXT.get(state, state)))
            if state == "open" and sitting.opened_ms:
                text += " " + t("since {time}", time=app.time_text(sitting.opened_ms))
            parts.append(text)
        if sitting.paused:
            reason = sitting.pause_reason or ""
            parts.append(t("PAUSED ({reason})", reason=t(PAUSE_TEXT.get(reason, reason))))
        if sitting.room_break:
            parts.append(t("BREAK announced"))
        if not app.online:
            parts.append(t("NO CONNECTION to {address}: {reason}", address=app.address,
                           reason=app.link_reason or t("connecting")))
        self.update("  ·  ".join(parts))


NAV = [("seating", "1", N_("Seating sheet")), ("incidents", "2", N_("Incidents")), ("protocol", "3", N_("Protocol")),
       ("events", "4", N_("Event log")), ("export", "5", N_("Export")), ("print", "6", N_("Print"))]


class NavBar(Static):
    """The other screens, by number key or by click."""

    DEFAULT_CSS = """
    NavBar { height: 1; padding: 0 1; color: $text-muted; }
    """

    def on_mount(self) -> None:
        pieces = []
        for name, key, label in NAV:
            pieces.append(Content.from_markup(f"[b]$key[/b] [@click=app.show('{name}')]$label[/]", key=key,
                                              label=t(label)))
        self.update(Content("  ").join(pieces))


class SummaryBar(Static):
    """Present, testing, on break, finished, offline (and what else a proctor counts)."""

    DEFAULT_CSS = """
    SummaryBar { height: auto; max-height: 2; padding: 0 1; text-style: bold; }
    """

    def show(self, s: Summary) -> None:
        parts = [
            t("Present {n}", n=s.present), t("Testing {n}", n=s.testing), t("On break {n}", n=s.on_break),
            t("Finished {n}", n=s.finished), t("Offline {n}", n=s.offline), t("Absent {n}", n=s.absent),
        ]
        if s.removed:
            parts.append(t("Removed {n}", n=s.removed))
        parts.append(t("Slips out {handed}, back {collected}", handed=s.slips_handed, collected=s.slips_collected))
        if s.attention:
            parts.append(t("Need attention {n}", n=s.attention))
        self.update(" · ".join(parts))
        self.set_class(s.attention > 0, "-attention")
        self.set_class(s.offline > 0, "-offline")

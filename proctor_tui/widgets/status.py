"""The lines above the room table: which room, the typed address, the screens, the counts."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from ..i18n import N_, t
from ..columns import fit
from ..day import live_stream
from ..model import Summary

def set_text(widget: Static, text: str) -> None:
    """Updates a Static only when its text changes: every update lays the screen out again."""
    if getattr(widget, "_shown_text", None) != text:
        widget._shown_text = text
        widget.update(text)


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
        self.right = app.now_text()
        live = live_stream(sitting)
        if live is not None:  # a day of streams: which one is live, always in sight
            rest = t("room {room} · stream {stream} of {count} · grade {grade}", room=room or "—",
                     stream=live.number, count=len(sitting.streams), grade=grade or "—")
        else:
            rest = t("room {room} · sitting {sitting} · grade {grade}", room=room or "—",
                     sitting=sitting.sitting or "—", grade=grade or "—")
        parts = (school or "—", rest)
        if parts != getattr(self, "parts", None):
            self.parts = parts
            self.left = self._fit()

    def on_resize(self) -> None:
        if getattr(self, "parts", None):
            self.left = self._fit()

    def _fit(self) -> str:
        """The room's line at this width: the school's name is cut, never the room, the grade or
        the clock."""
        school, rest = self.parts
        room = self.content_size.width - len(self.right) - 2
        full = f"Synaq · {school} · {rest}"
        if len(full) <= room:
            return full
        return f"{fit(school, max(4, room - len(rest) - 3))} · {rest}"

    def render(self) -> str:
        gap = self.content_size.width - len(self.left) - len(self.right)
        return f"{self.left}{' ' * gap}{self.right}" if gap > 1 else f"{self.left}  {self.right}"


class AddressBar(Static):
    """The address students type where discovery fails, the sitting's state and the link."""

    DEFAULT_CSS = """
    AddressBar { height: auto; max-height: 2; padding: 0 1; background: $boost; }
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
        if app.stream_changing:  # the server closes every connection to make another stream live
            parts.append(t("{change} Reconnecting…", change=app.stream_changing))
        elif not app.online:
            parts.append(t("NO CONNECTION to {address}: {reason}", address=app.address,
                           reason=app.link_reason or t("connecting")))
        set_text(self, "  ·  ".join(parts))


NAV = [("seating", "1", N_("Seating sheet"), N_("Seating")), ("incidents", "2", N_("Incidents"), N_("Incidents")),
       ("protocol", "3", N_("Protocol"), N_("Protocol")), ("events", "4", N_("Event log"), N_("Events")),
       ("export", "5", N_("Export"), N_("Export")), ("print", "6", N_("Print"), N_("PDF")),
       ("streams", "7", N_("Streams and staff"), N_("Streams"))]


class NavBar(Static):
    """The other screens, by number key or by click, and the language key: short names where the
    long ones do not fit."""

    DEFAULT_CSS = """
    NavBar { height: 1; padding: 0 1; color: $text-muted; }
    """

    def on_mount(self) -> None:
        self._shown_short: bool | None = None
        self._show()

    def on_resize(self) -> None:
        self._show()

    def _show(self) -> None:
        long_text = "  ".join(f"{key} {t(label)}" for _, key, label, _ in NAV) + f"  F2 {t('Language')}"
        short = len(long_text) > max(self.content_size.width, 1)
        if short == self._shown_short:
            return
        self._shown_short = short
        pieces = []
        for name, key, label, short_label in NAV:
            pieces.append(Content.from_markup(f"[b]$key[/b] [@click=app.show('{name}')]$label[/]", key=key,
                                              label=t(short_label if short else label)))
        pieces.append(Content.from_markup("[b]F2[/b] [@click=app.switch_language]$label[/]", label=t("Language")))
        self.update(Content("  " if not short else " ").join(pieces))


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
        set_text(self, " · ".join(parts))
        self.set_class(s.attention > 0, "-attention")
        self.set_class(s.offline > 0, "-offline")

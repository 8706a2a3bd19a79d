"""How the test screen takes keys: every key comes to the screen in the order it was typed
and goes to the item on screen, or moves, or opens what an F-key names; the key bar says
which keys do what here and now."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events

from ..widgets.aids import AidsPanel
from ..widgets.answers import ChoiceAnswer, MatchingAnswer
from ..widgets.keybar import KeyBar, KeyHint

if TYPE_CHECKING:
    from ..widgets.item_view import ItemView

MOVES = {"left": -1, "right": 1, "pageup": -1, "pagedown": 1}
SCREEN_KEYS = {"f2": "periodic", "f3": "solubility", "f4": "previous_subject", "f5": "next_subject",
               "f6": "read", "f8": "take_break", "f10": "finish", "escape": "escape"}
LAST_SECONDS_MS = 10_000  # typed text is sent as it is typed when this little time is left


class KeyRouting:
    """The test screen's keys (a part of TestScreen)."""

    view: "ItemView"
    switching: bool
    paused: bool
    held_keys: list

    def move(self, step: int) -> None: ...  # TestScreen's, as are the actions SCREEN_KEYS name
    def on_key(self, event: events.Key) -> None:
        if self.app.screen is self and self.focus_binds(event.key):
            return  # a focused button or table: its own key (Enter presses, arrows move)
        if self.app.screen is not self:
            # Typed after a dialog or another screen came up: it belongs there.
            self.app.post_message(events.Key(event.key, event.character))
        elif self.switching:
            self.held_keys.append((event.key, event.character))
        elif not self.take_key(event.key, event.character):
            return  # tab, ctrl+q...: on to the app's own keys
        event.stop()
        event.prevent_default()

    def focus_binds(self, key: str) -> bool:
        """Whether the focused widget (or one around it, below this screen) has `key`."""
        node = self.focused
        while node is not None and node is not self:
            if node._bindings.key_to_bindings.get(key):
                return True
            node = node.parent
        return False

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        short = self.view.short if self.views and not self.paused else None
        if short is not None:
            short.box.insert(event.text)

    def take_key(self, key: str, character: str | None) -> bool:
        """One key for the item on screen, or for the screen. True when used."""
        if key in ("tab", "shift+tab"):
            return False  # the focus moves to the buttons below
        if self.paused:
            return not key.startswith("ctrl+")  # nothing changes while the room is paused
        if self.has_class("-aids-wide") and key not in SCREEN_KEYS:
            return True  # a table covers the item: keys for the item would land unseen
        if key in ("pageup", "pagedown"):
            self.move(MOVES[key])
            return True
        view = self.view
        if view.take_key(key, character):
            if view.short is not None and self.sapp.remaining_ms() <= LAST_SECONDS_MS:
                view.commit()  # the last seconds: what is typed is sent at once
            return True
        if key in MOVES:
            self.move(MOVES[key])
        elif key in ("up", "down", "home", "end"):
            scroll = self.query_one("#item-scroll")
            {"up": scroll.scroll_up, "down": scroll.scroll_down, "home": scroll.scroll_home,
             "end": scroll.scroll_end}[key](animate=False)
        elif key in SCREEN_KEYS and self.key_ready(key):
            getattr(self, f"action_{SCREEN_KEYS[key]}")()
        else:
            return key in SCREEN_KEYS  # an F-key of no use here does nothing
        return True

    def key_ready(self, key: str) -> bool:
        name = SCREEN_KEYS[key]
        if name in ("periodic", "solubility"):
            return name in self.query_one(AidsPanel).available
        if name == "previous_subject":
            return self.can_go_back
        if name == "next_subject":
            return not self.last_subject
        if name == "read":
            return bool(self.item.stimulus in self.stimulus_views)
        if name == "take_break":
            return self.break_due
        return True

    def key_hints(self) -> tuple[list[KeyHint], KeyHint]:
        t = self.t
        if self.query_one(AidsPanel).showing:
            hints = [KeyHint("Esc", t("Close the table"), 95)]
            if self.key_ready("f2"):
                hints.append(KeyHint("F2", t("Periodic table"), 50))
            if self.key_ready("f3"):
                hints.append(KeyHint("F3", t("Solubility"), 45))
            return hints, KeyHint("F10", t("Finish"), 100)
        short = self.item.kind == "short"
        hints = [KeyHint("PgUp PgDn" if short else "←→", t("Items"), 90)]
        if isinstance(self.view.answer, (ChoiceAnswer, MatchingAnswer)) if self.views else False:
            hints.append(KeyHint("Del", t("Clear"), 20))
        if self.key_ready("f6"):
            hints.append(KeyHint("F6", t("Read the text"), 80))
        if self.key_ready("f8"):
            hints.append(KeyHint("F8", t("Break"), 85))
        if self.key_ready("f4"):
            hints.append(KeyHint("F4", t("Previous subject"), 40))
        if self.key_ready("f5"):
            hints.append(KeyHint("F5", t("Next subject"), 70))
        if self.key_ready("f2"):
            hints.append(KeyHint("F2", t("Periodic table"), 50))
        if self.key_ready("f3"):
            hints.append(KeyHint("F3", t("Solubility"), 45))
        return hints, KeyHint("F10", t("Finish"), 100)

    def update_keys(self) -> None:
        if self.paused:
            self.query_one(KeyBar).show([], None)
        else:
            self.query_one(KeyBar).show(*self.key_hints())

    def release_keys(self) -> None:
        """The keys typed while a subject was opening, to the item now on screen."""
        self.switching = False
        held, self.held_keys = self.held_keys, []
        for key, character in held:
            if self.app.screen is not self or not self.take_key(key, character):
                self.app.post_message(events.Key(key, character))


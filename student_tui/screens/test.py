"""The test: the top bar, the palette of item numbers, the item with its stimulus and answer,
the keys at the bottom, Previous / Next and Next subject / Finish, and the aids on the left.

Every key comes to this screen, in the order it was typed (no answer widget takes the
focus), and the screen hands it to the item on screen. A subject's items are all built
when the subject opens, so moving to another item swaps which one is displayed in the same
step: a key typed right after → goes to the item the student now sees, never to the one
left behind. Keys typed while a subject is being opened wait and go to its first item."""

from __future__ import annotations

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

import room_protocol as p
from room_protocol.rules import is_answered

from ..widgets.aids import AidsPanel
from ..widgets.answers import AnswerChanged, ChoiceAnswer, MatchingAnswer
from ..widgets.document import DocumentView
from ..widgets.item_view import ItemView
from ..widgets.keybar import KeyBar, KeyHint
from ..widgets.palette import Palette
from ..widgets.topbar import TopBar, time_level
from .base import StudentScreen
from .dialogs import ConfirmDialog

MOVES = {"left": -1, "right": 1, "pageup": -1, "pagedown": 1}
SCREEN_KEYS = {"f2": "periodic", "f3": "solubility", "f4": "previous_subject", "f5": "next_subject",
               "f6": "read", "f8": "take_break", "f10": "finish", "escape": "escape"}
LAST_SECONDS_MS = 10_000  # typed text is sent as it is typed when this little time is left


class ItemScroll(VerticalScroll, inherit_bindings=False):
    """A scroll whose ↑↓ scroll it while left, right, Page Up and Page Down stay free for
    Previous / Next (the questionnaire's)."""

    BINDINGS = [
        Binding("up", "scroll_up", show=False),
        Binding("down", "scroll_down", show=False),
        Binding("home", "scroll_home", show=False),
        Binding("end", "scroll_end", show=False),
    ]


class ItemsScroll(VerticalScroll, can_focus=False):
    """The items' scroll: this screen scrolls it (↑↓ where the answer does not use them)."""


class TestScreen(StudentScreen):
    AUTO_FOCUS = ""  # no widget takes the keys: this screen routes them

    def __init__(self, test: p.Test, **kwargs):
        super().__init__(**kwargs)
        self.test = test
        self.subject_index = min(test.subject_index, len(test.subjects) - 1)
        self.index = 0
        self.views: list[ItemView] = []
        self.stimulus_views: dict[str, DocumentView] = {}
        self.switching = False  # a subject is being opened: keys wait in `held_keys`
        self.held_keys: list[tuple[str, str | None]] = []
        self.paused = False
        self.built = False  # composed and mounted: the widgets below can be reached
        self.warned: set[str] = set()
        for i, item in enumerate(self.items):
            if item.id == test.current_item:
                self.index = i

    # ------------------------------------------------------------------ data

    @property
    def subject(self) -> p.TestSubject:
        return self.test.subjects[self.subject_index]

    @property
    def items(self) -> list[p.TestItem]:
        return self.subject.items

    @property
    def item(self) -> p.TestItem:
        return self.items[self.index]

    @property
    def view(self) -> ItemView:
        return self.views[self.index]

    @property
    def last_subject(self) -> bool:
        return self.subject_index >= len(self.test.subjects) - 1

    @property
    def can_go_back(self) -> bool:
        """The pack lets finished subjects be reopened, and there is one before this."""
        return self.test.timing.reopen and self.subject_index > 0

    def value_of(self, item_id: str):
        client = self.sapp.client
        state = client.latest_by_item.get(item_id) if client else None
        if state is not None:
            return state.value
        return self.test.answers.get(item_id)

    def palette_state(self, item: p.TestItem) -> str | None:
        client = self.sapp.client
        state = client.item_state(item.id) if client else None
        if state is None:
            return "acked" if is_answered(item.kind, self.test.answers.get(item.id)) else None
        if state == "acked":
            return "acked" if is_answered(item.kind, self.value_of(item.id)) else None
        return "pending"

    def unanswered(self) -> int:
        return sum(1 for item in self.items if not is_answered(item.kind, self.value_of(item.id)))

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        t = self.t
        student = self.sapp.student
        name = " ".join(x for x in (student.surname, student.name) if x)
        yield TopBar(name, self.subject.title)
        with Horizontal(id="body"):
            yield AidsPanel(self.sapp.t.language, self.test.aids)
            with Vertical(id="test-main"):
                yield Static("", id="banner", markup=False)
                with Horizontal(id="palette-row"):
                    yield Static(t("Items:"), id="palette-label")
                    yield Palette(len(self.items))
                with Vertical(id="items-area"):
                    yield from self.subject_widgets()
                yield Static(t("The administrator has paused the test. The clock is stopped. Please wait."),
                             id="pause-panel")
                with Horizontal(id="nav"):
                    yield Button("◀ " + t("Previous"), id="prev", compact=True)
                    yield Button(t("Next") + " ▶", id="next", compact=True)
                    yield Button(t("Tables"), id="tables", compact=True)
                    yield Button("◀ " + t("Previous subject"), id="prev-subject", compact=True)
                    yield Button(t("Next subject"), id="next-subject", compact=True, variant="primary")
                    yield Button(t("Finish test"), id="finish", compact=True, variant="warning")
        yield KeyBar()

    def subject_widgets(self) -> list:
        """The stimuli and every item of the subject, built now, shown one at a time."""
        t = self.t
        texts = {"number_hint": t("Type a number and press Enter."),
                 "text_hint": t("Type your answer and press Enter."),
                 "units": t("You may write after the number: {units}."),
                 "bad_number": t("This is not a number. Use digits, a minus sign, a comma or a point.")}
        self.stimulus_views = {s.id: DocumentView(s.text, s.title, classes="stimulus") for s in self.subject.stimuli}
        self.views = []
        for index, item in enumerate(self.items):
            head = t("Item {n} of {count}", n=index + 1, count=len(self.items)) + "  ·  " + \
                self.tn("{n} point", "{n} points", item.points)
            view = ItemView(item, index, head, self.value_of(item.id), texts)
            view.display = False
            self.views.append(view)
        for view in self.stimulus_views.values():
            view.display = False
        return [*self.stimulus_views.values(), ItemsScroll(*self.views, id="item-scroll")]

    def on_mount(self) -> None:
        self.built = True
        self.query_one("#pause-panel").display = False
        self.query_one("#banner").display = False
        self.query_one("#tables", Button).display = bool(self.query_one(AidsPanel).available)
        self._subject_buttons()
        self.show_item(self.index)
        self.tick()
        self.set_interval(0.5, self.tick)
        self.call_after_refresh(self.prepare_views)

    def prepare_views(self) -> None:
        """Draws every item's text now, so showing one later costs nothing."""
        width = self.query_one("#item-scroll").scrollable_content_region.width
        for view in self.views:
            view.prepare(width)

    def _subject_buttons(self) -> None:
        self.query_one("#prev-subject", Button).display = self.can_go_back
        self.query_one("#next-subject", Button).display = not self.last_subject
        self.query_one("#finish", Button).display = self.last_subject

    # ------------------------------------------------------------------ keys

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
            scroll = self.query_one(ItemsScroll)
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

    # ------------------------------------------------------------------ showing an item

    def move(self, step: int) -> None:
        target = self.index + step
        if 0 <= target < len(self.items):
            self.show_item(target)

    def show_item(self, index: int) -> None:
        """Shows item `index` in this same step: the one shown before is hidden (what was
        typed in it is sent first), the new one, already built, is displayed."""
        index = max(0, min(index, len(self.items) - 1))
        if self.views[self.index].display and index != self.index:
            self.views[self.index].commit()
        for view in self.views:
            view.display = view.index == index
        self.index = index
        if self.view.short is not None:
            self.view.short.box.cursor_to_end()  # so → goes on at once, as from an empty box
        for stimulus_id, stimulus in self.stimulus_views.items():
            stimulus.display = stimulus_id == self.item.stimulus
        self.query_one(ItemsScroll).scroll_home(animate=False)
        self.refresh_states()
        self.update_keys()
        self.send_position(self.item.id)

    def commit_all(self) -> None:
        for view in self.views:
            view.commit()

    @work(exclusive=True, group="goto")
    async def send_position(self, item_id: str) -> None:
        if self.sapp.client is not None:
            await self.sapp.client.goto(item_id)

    @on(AnswerChanged)
    def _answered(self, event: AnswerChanged) -> None:
        event.stop()
        client = self.sapp.client
        if client is None or not event.item:
            return
        client.answer(event.item, event.value)
        self.refresh_states()

    # ------------------------------------------------------------------ state

    def refresh_states(self) -> None:
        if not self.views or not self.built:
            return
        self.query_one(Palette).show(self.index, [self.palette_state(item) for item in self.items])
        self.update_save_state()

    def update_save_state(self) -> None:
        client = self.sapp.client
        if client is None:
            return
        bar = self.query_one(TopBar)
        waiting = client.waiting_items()
        if not client.online:
            bar.save.show_state(self.tn("Offline: {n} answer waiting", "Offline: {n} answers waiting", waiting),
                                "offline")
        elif waiting:
            bar.save.show_state(self.t("Saving…"), "saving")
        else:
            bar.save.show_state(self.t("Saved"), "saved")
        bar.fit()

    @property
    def break_due(self) -> bool:
        clock = self.sapp.last_clock
        return bool(clock and clock.break_due and clock.state == "testing" and not clock.paused)

    def tick(self) -> None:
        if not self.built:
            return  # the clock spoke before the screen was built: its own mount ticks
        remaining = self.sapp.remaining_ms()
        self.query_one(TopBar).time.show_ms(self.t("Time left"), remaining)
        clock = self.sapp.last_clock
        self.set_paused(bool(clock and clock.paused))
        level = time_level(remaining)
        if level and level not in self.warned and remaining > 0:
            self.warned.update({"warn", level})  # said once each, and never "10" after "5"
            minutes = 5 if level == "danger" else 10
            self.notify(self.tn("{n} minute left. Check your answers.", "{n} minutes left. Check your answers.",
                                minutes), title="⚠", severity="warning", timeout=20)
        if remaining <= LAST_SECONDS_MS and self.views:
            self.view.commit()
        banner = self.query_one("#banner", Static)
        text = ""
        if self.break_due:
            minutes = self.test.timing.break_minutes
            text = (self.tn("The administrator has announced a break of {n} minute.",
                            "The administrator has announced a break of {n} minutes.", minutes)
                    if clock and clock.room_break else
                    self.tn("You may take a break of {n} minute now.", "You may take a break of {n} minutes now.",
                            minutes)) + " " + self.t("Press F8 to take it.")
        if str(banner.render()) != text:
            banner.update(text)
            banner.display = bool(text)
            self.update_keys()
        self.update_save_state()

    def set_paused(self, paused: bool) -> None:
        """A paused room takes no answers: the items are covered until it runs again, and
        everything typed stays as it is."""
        if paused == self.paused:
            return
        self.paused = paused
        self.set_class(paused, "-paused")
        self.query_one("#pause-panel").display = paused
        self.query_one("#items-area").display = not paused
        self.query_one("#nav").display = not paused
        self.update_keys()

    # ------------------------------------------------------------------ actions

    @on(Button.Pressed, "#prev")
    def _prev(self) -> None:
        self.move(-1)

    @on(Button.Pressed, "#next")
    def _next(self) -> None:
        self.move(1)

    @on(Palette.Selected)
    def _palette(self, event: Palette.Selected) -> None:
        if not self.paused and not self.switching:
            self.show_item(event.index)

    def action_periodic(self) -> None:
        self.toggle_aids("periodic")

    def action_solubility(self) -> None:
        self.toggle_aids("solubility")

    def toggle_aids(self, which: str) -> None:
        panel = self.query_one(AidsPanel)
        if not panel.toggle(which):
            self.set_focus(None)
        self.aids_layout()

    def on_resize(self) -> None:
        self.aids_layout()

    def aids_layout(self) -> None:
        """Below 100 columns a table takes the whole width (the item waits behind it)."""
        panel = self.query_one(AidsPanel)
        wide = self.size.width < 100
        panel.set_class(wide, "-wide")
        self.set_class(panel.showing is not None, "-aids")
        self.set_class(panel.showing is not None and wide, "-aids-wide")
        if self.views:
            self.update_keys()

    def action_escape(self) -> None:
        panel = self.query_one(AidsPanel)
        if panel.showing:
            panel.close()
            self.aids_layout()
        self.set_focus(None)  # a focused button or table gives the keys back to the item

    @on(Button.Pressed, "#tables")
    def _tables(self) -> None:
        panel = self.query_one(AidsPanel)
        if panel.showing:
            self.action_escape()
        else:
            self.toggle_aids(panel.available[0])

    def action_read(self) -> None:
        from .reading import ReadingScreen
        stimulus = next((s for s in self.subject.stimuli if s.id == self.item.stimulus), None)
        if stimulus is not None:
            self.app.push_screen(ReadingScreen(stimulus.title, stimulus.text))

    def action_take_break(self) -> None:
        self.sapp.offer_break()

    @on(Button.Pressed, "#next-subject")
    def _next_subject_button(self) -> None:
        self.action_next_subject()

    @on(Button.Pressed, "#prev-subject")
    def _previous_subject_button(self) -> None:
        self.action_previous_subject()

    def action_previous_subject(self) -> None:
        if self.can_go_back:
            self.commit_all()
            self.switching = True
            self.change_subject(self.test.subjects[self.subject_index - 1].id)

    @on(Button.Pressed, "#finish")
    def _finish_button(self) -> None:
        self.action_finish()

    def action_next_subject(self) -> None:
        if self.last_subject:
            self.action_finish()
            return
        self.commit_all()
        missing = self.unanswered()
        lines = []
        if missing:
            lines.append(self.tn("You have {n} unanswered item in this subject.",
                                 "You have {n} unanswered items in this subject.", missing))
        if self.test.timing.reopen:
            lines.append(self.t("You can come back to this subject later."))
        else:
            lines.append(self.t("You cannot come back to this subject later."))
        lines.append(self.t("Go on to the next subject?"))
        self.app.push_screen(ConfirmDialog("\n\n".join(lines), self.t("Next subject"), self.t("Stay here")),
                             self._next_subject_confirmed)

    def _next_subject_confirmed(self, yes: bool | None) -> None:
        if yes:
            self.switching = True  # keys typed from now on go to the next subject's first item
            self.change_subject(None)

    @work(exclusive=True, group="net")
    async def change_subject(self, subject_id: str | None) -> None:
        """The next subject (None) or the subject `subject_id`, as the server allows."""
        try:
            client = self.sapp.client
            now = await (client.next_subject() if subject_id is None else client.open_subject(subject_id))
        except Exception as exc:
            self.notify(self.sapp.explain(exc), severity="warning", timeout=8)
            self.release_keys()
            return
        await self.set_subject(now.subject_index)

    async def set_subject(self, index: int) -> None:
        self.switching = True
        try:
            self.subject_index = min(index, len(self.test.subjects) - 1)
            self.query_one(TopBar).set_subject(self.subject.title)
            area = self.query_one("#items-area")
            await area.remove_children()
            await area.mount_all(self.subject_widgets())
            await self.query_one(Palette).remove()
            await self.query_one("#palette-row").mount(Palette(len(self.items)))
            self._subject_buttons()
            self.index = 0
            self.show_item(0)
            self.call_after_refresh(self.prepare_views)
        finally:
            self.release_keys()

    def release_keys(self) -> None:
        """The keys typed while a subject was opening, to the item now on screen."""
        self.switching = False
        held, self.held_keys = self.held_keys, []
        for key, character in held:
            if self.app.screen is not self or not self.take_key(key, character):
                self.app.post_message(events.Key(key, character))

    def action_finish(self) -> None:
        self.commit_all()
        from .finish import FinishScreen
        self.app.push_screen(FinishScreen(self.test))

"""The test: the top bar, the palette of item numbers, the item with its stimulus and answer,
the keys at the bottom, Previous / Next and Next subject / Finish, and the aids on the left.

Every key comes to this screen, in the order it was typed (no answer widget takes the
focus), and the screen hands it to the item on screen. A subject's items are all built
when the subject opens, so moving to another item swaps which one is displayed in the same
step: a key typed right after → goes to the item the student now sees, never to the one
left behind. Keys typed while a subject is being opened wait and go to its first item."""

from __future__ import annotations

import asyncio

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

import room_protocol as p
from room_protocol.rules import is_answered

from ..widgets.aids import AidsPanel
from ..widgets.answers import AnswerChanged
from ..widgets.document import DocumentView
from ..widgets.item_view import ItemView
from ..widgets.keybar import KeyBar
from ..widgets.palette import Palette
from ..widgets.topbar import TopBar
from .base import StudentScreen
from .test_keys import KeyRouting
from .test_status import TestStatus
from .test_subjects import SubjectMoves


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


class TestScreen(KeyRouting, SubjectMoves, TestStatus, StudentScreen):
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
        self._position_task: asyncio.Task | None = None
        self._waiting_since: float | None = None
        self.warned: set[str] = set()
        self.warning = ("", 0.0)  # the time warning shown on the banner line, and until when
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

    # ------------------------------------------------------------------ showing an item

    def move(self, step: int) -> None:
        target = self.index + step
        if 0 <= target < len(self.items):
            self.show_item(target)

    def show_item(self, index: int) -> None:
        """Shows item `index` in this same step: the one shown before is hidden (what was
        typed in it is sent first), the new one, already built, is displayed."""
        index = max(0, min(index, len(self.items) - 1))
        old = self.views[self.index]
        if old.display and index != self.index:
            old.commit()
        # Only what changes is touched: each change costs the next frame some work.
        old.display = False
        self.index = index
        self.view.display = True
        if self.view.short is not None:
            self.view.short.box.cursor_to_end()  # so → goes on at once, as from an empty box
        for stimulus_id, stimulus in self.stimulus_views.items():
            shown = stimulus_id == self.item.stimulus
            if stimulus.display != shown:
                stimulus.display = shown
        scroll = self.query_one(ItemsScroll)
        if scroll.scroll_y:
            scroll.scroll_home(animate=False)
        self.refresh_states()
        self.update_keys()
        self.send_position(self.item.id)

    def commit_all(self) -> None:
        for view in self.views:
            view.commit()

    def send_position(self, item_id: str) -> None:
        """Tells the server where the student is (a plain task, not a worker: a move must
        not cost the next frame a worker's start-up and its messages)."""
        client = self.sapp.client
        if client is None:
            return
        if self._position_task is not None and not self._position_task.done():
            self._position_task.cancel()  # only the latest position matters
        self._position_task = asyncio.get_running_loop().create_task(client.goto(item_id))

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

    @on(Button.Pressed, "#finish")
    def _finish_button(self) -> None:
        self.action_finish()

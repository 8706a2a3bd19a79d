"""The test: the top bar, the palette of item numbers, the item with its stimulus and answer,
Previous / Next, Next subject, Finish, and the aids panel on the left."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Markdown, Static

import room_protocol as p
from room_protocol.rules import is_answered

from ..i18n import N_
from ..widgets.aids import AidsPanel
from ..widgets.answers import AnswerChanged, ChoiceAnswer, MatchingAnswer, ShortAnswer
from ..widgets.palette import Palette
from ..widgets.topbar import TopBar
from .base import StudentScreen
from .dialogs import ConfirmDialog


class ItemScroll(VerticalScroll, inherit_bindings=False):
    """The item's scroll: up and down scroll it when no answer widget takes them; left, right,
    Page Up and Page Down stay free for Previous / Next."""

    BINDINGS = [
        Binding("up", "scroll_up", show=False),
        Binding("down", "scroll_down", show=False),
        Binding("home", "scroll_home", show=False),
        Binding("end", "scroll_end", show=False),
    ]


class TestScreen(StudentScreen):
    BINDINGS = [
        Binding("left,pageup", "move(-1)", N_("Previous"), id="prev"),
        Binding("right,pagedown", "move(1)", N_("Next"), id="next"),
        Binding("f2", "aids('periodic')", N_("Periodic table"), id="periodic"),
        Binding("f3", "aids('solubility')", N_("Solubility"), id="solubility"),
        Binding("escape", "close_aids", N_("Close tables"), id="close_aids", show=False),
        Binding("f4", "previous_subject", N_("Previous subject"), id="previous_subject"),
        Binding("f5", "next_subject", N_("Next subject"), id="next_subject"),
        Binding("f10", "finish", N_("Finish test"), id="finish"),
    ]

    def __init__(self, test: p.Test, **kwargs):
        super().__init__(**kwargs)
        self.test = test
        self.subject_index = min(test.subject_index, len(test.subjects) - 1)
        self.closed: list[str] = []
        self.index = 0
        self._stimulus_id: str | None = None
        items = self.items
        if test.current_item:
            for i, item in enumerate(items):
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
    def last_subject(self) -> bool:
        return self.subject_index >= len(self.test.subjects) - 1

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
                yield Static("", id="pause-note", classes="notice")
                with Horizontal(id="palette-row"):
                    yield Static(t("Items:"), id="palette-label")
                    yield Palette(len(self.items))
                with ItemScroll(id="stimulus-scroll"):
                    yield Markdown("", id="stimulus")
                with ItemScroll(id="item-scroll"):
                    yield Static("", id="item-head", markup=False)
                    yield Markdown("", id="item-text")
                    yield Vertical(id="answer-slot")
                with Horizontal(id="nav"):
                    yield Button("◀ " + t("Previous"), id="prev", compact=True)
                    yield Button(t("Next") + " ▶", id="next", compact=True)
                    yield Button(t("Tables"), id="tables", compact=True)
                    yield Button("◀ " + t("Previous subject"), id="prev-subject", compact=True)
                    yield Button(t("Next subject"), id="next-subject", compact=True, variant="primary")
                    yield Button(t("Finish test"), id="finish", compact=True, variant="warning")
        yield Footer()

    async def on_mount(self) -> None:
        self.query_one("#pause-note", Static).display = False
        self.query_one("#tables", Button).display = bool(self.query_one(AidsPanel).available)
        self._subject_buttons()
        await self.show_item(self.index)
        self.tick()
        self.set_interval(0.5, self.tick)

    @property
    def can_go_back(self) -> bool:
        """The pack lets finished subjects be reopened, and there is one before this."""
        return self.test.timing.reopen and self.subject_index > 0

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "previous_subject":
            return self.can_go_back
        if action == "aids":  # only the tables this test grants (none for grade 4)
            return parameters[0] in self.query_one(AidsPanel).available
        return True

    def _subject_buttons(self) -> None:
        self.query_one("#prev-subject", Button).display = self.can_go_back
        self.query_one("#next-subject", Button).display = not self.last_subject
        self.query_one("#finish", Button).display = self.last_subject

    # ------------------------------------------------------------------ showing an item

    async def show_item(self, index: int) -> None:
        self.commit_short()
        self.index = max(0, min(index, len(self.items) - 1))
        item = self.item
        t = self.t
        self.query_one("#item-head", Static).update(
            t("Item {n} of {count}", n=self.index + 1, count=len(self.items)) + f"  ·  {item.points} "
            + t("points"))
        stimuli = {s.id: s for s in self.subject.stimuli}
        stimulus = stimuli.get(item.stimulus or "")
        stimulus_view = self.query_one("#stimulus", Markdown)
        stimulus_scroll = self.query_one("#stimulus-scroll", ItemScroll)
        stimulus_scroll.display = stimulus is not None
        if stimulus is not None and self._stimulus_id != stimulus.id:
            title = f"### {stimulus.title}\n\n" if stimulus.title else ""
            await stimulus_view.update(title + stimulus.text)
            self._stimulus_id = stimulus.id
            stimulus_scroll.scroll_home(animate=False)
        await self.query_one("#item-text", Markdown).update(item.text)
        slot = self.query_one("#answer-slot", Vertical)
        await slot.remove_children()
        widget = self.answer_widget(item)
        await slot.mount(widget)
        widget.focus(scroll_visible=False)
        self.query_one("#item-scroll", VerticalScroll).scroll_home(animate=False)
        self.refresh_states()
        self.send_position(item.id)

    def answer_widget(self, item: p.TestItem):
        value = self.value_of(item.id)
        if item.kind in ("single", "multiple"):
            return ChoiceAnswer(item.options or [], value, multiple=item.kind == "multiple", item_id=item.id,
                                id="answer")
        if item.kind == "matching":
            return MatchingAnswer(item.left or [], item.right or [], value, item_id=item.id, id="answer")
        hint = self.t("Type a number and press Enter.") if item.answer_type == "number" else \
            self.t("Type your answer and press Enter.")
        return ShortAnswer(value, hint, item_id=item.id, id="answer")

    def commit_short(self) -> None:
        for short in self.query(ShortAnswer):
            short.commit()

    @work(exclusive=True, group="goto")
    async def send_position(self, item_id: str) -> None:
        client = self.sapp.client
        if client is not None and client.online:
            await client.goto(item_id)

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
        if not self.query(Palette):
            return
        self.query_one(Palette).show(self.index, [self.palette_state(item) for item in self.items])
        self.update_save_state()

    def update_save_state(self) -> None:
        client = self.sapp.client
        save = self.query_one(TopBar).save
        if client is None:
            return
        waiting = client.waiting_items()
        if not client.online:
            save.show_state(self.t("Offline: {n} waiting", n=waiting), "offline")
        elif waiting:
            save.show_state(self.t("Saving…"), "saving")
        else:
            save.show_state(self.t("Saved"), "saved")

    def tick(self) -> None:
        self.query_one(TopBar).time.show_ms(self.t("Time left"), self.sapp.remaining_ms())
        clock = self.sapp.last_clock
        note = self.query_one("#pause-note", Static)
        paused = bool(clock and clock.paused)
        if paused:
            note.update(self.t("The administrator has paused the test. The clock is stopped. Please wait."))
        note.display = paused
        self.set_class(paused, "-paused")
        self.update_save_state()

    # ------------------------------------------------------------------ actions

    async def action_move(self, step: int) -> None:
        target = self.index + step
        if 0 <= target < len(self.items):
            await self.show_item(target)

    @on(Button.Pressed, "#prev")
    async def _prev(self) -> None:
        await self.action_move(-1)

    @on(Button.Pressed, "#next")
    async def _next(self) -> None:
        await self.action_move(1)

    @on(Palette.Selected)
    async def _palette(self, event: Palette.Selected) -> None:
        await self.show_item(event.index)

    def action_aids(self, which: str) -> None:
        panel = self.query_one(AidsPanel)
        if not panel.toggle(which):
            self.query_one("#answer").focus()
        self.set_class(panel.showing is not None, "-aids")

    def action_close_aids(self) -> None:
        panel = self.query_one(AidsPanel)
        if panel.showing:
            panel.close()
            self.set_class(False, "-aids")
            self.query_one("#answer").focus()

    @on(Button.Pressed, "#tables")
    def _tables(self) -> None:
        panel = self.query_one(AidsPanel)
        if panel.showing:
            self.action_close_aids()
        else:
            self.action_aids(self.query_one(AidsPanel).available[0])

    @on(Button.Pressed, "#next-subject")
    def _next_subject_button(self) -> None:
        self.action_next_subject()

    @on(Button.Pressed, "#prev-subject")
    def _previous_subject_button(self) -> None:
        self.action_previous_subject()

    def action_previous_subject(self) -> None:
        if self.can_go_back:
            self.commit_short()
            self.go_previous_subject()

    @work(exclusive=True, group="net")
    async def go_previous_subject(self) -> None:
        try:
            now = await self.sapp.client.open_subject(self.test.subjects[self.subject_index - 1].id)
        except Exception as exc:
            self.notify(self.sapp.explain(exc), severity="warning", timeout=8)
            return
        await self.set_subject(now.subject_index, now.closed)

    @on(Button.Pressed, "#finish")
    def _finish_button(self) -> None:
        self.action_finish()

    def action_next_subject(self) -> None:
        if self.last_subject:
            self.action_finish()
            return
        self.commit_short()
        missing = self.unanswered()
        lines = []
        if missing:
            lines.append(self.t("You have {n} unanswered items in this subject.", n=missing))
        if self.test.timing.reopen:
            lines.append(self.t("You can come back to this subject later."))
        else:
            lines.append(self.t("You cannot come back to this subject later."))
        lines.append(self.t("Go on to the next subject?"))
        self.app.push_screen(ConfirmDialog("\n\n".join(lines), self.t("Next subject"), self.t("Stay here")),
                             self._next_subject_confirmed)

    def _next_subject_confirmed(self, yes: bool | None) -> None:
        if yes:
            self.go_next_subject()

    @work(exclusive=True, group="net")
    async def go_next_subject(self) -> None:
        try:
            now = await self.sapp.client.next_subject()
        except Exception as exc:
            self.notify(self.sapp.explain(exc), severity="warning", timeout=8)
            return
        await self.set_subject(now.subject_index, now.closed)

    async def set_subject(self, index: int, closed: list) -> None:
        self.subject_index = min(index, len(self.test.subjects) - 1)
        self.closed = list(closed)
        self.query_one(TopBar).set_subject(self.subject.title)
        old = self.query_one(Palette)
        await old.remove()
        await self.query_one("#palette-row", Horizontal).mount(Palette(len(self.items)))
        self._subject_buttons()
        self.refresh_bindings()
        self.index = 0
        await self.show_item(0)

    def action_finish(self) -> None:
        self.commit_short()
        from .finish import FinishScreen
        self.app.push_screen(FinishScreen(self.test))

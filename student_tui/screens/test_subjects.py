"""Moving between subjects on the test screen, and finishing (a part of TestScreen)."""

from __future__ import annotations

from textual import work
from textual.widgets import Button

from ..widgets.palette import Palette
from ..widgets.topbar import TopBar
from .dialogs import ConfirmDialog


class SubjectMoves:
    """Next subject, a finished subject opened again, and Finish."""

    def _subject_buttons(self) -> None:
        self.query_one("#prev-subject", Button).display = self.can_go_back
        self.query_one("#next-subject", Button).display = not self.last_subject
        self.query_one("#finish", Button).display = self.last_subject

    def action_previous_subject(self) -> None:
        if self.can_go_back:
            self.commit_all()
            self.switching = True
            self.change_subject(self.test.subjects[self.subject_index - 1].id)

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

    def action_finish(self) -> None:
        self.commit_all()
        from .finish import FinishScreen
        self.app.push_screen(FinishScreen(self.test))

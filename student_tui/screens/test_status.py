"""What the test screen says about time, saving and the room: the clock in the top bar, the
banner line (10 and 5 minutes left, a break to take with F8), the saving state, and a paused
room covering the items (a part of TestScreen)."""

from __future__ import annotations

from textual.widgets import Static

from ..widgets.topbar import TopBar, time_level
from .test_keys import LAST_SECONDS_MS

WARNING_S = 60  # how long "10 minutes left" stays on the banner line
SAVING_AFTER_S = 0.5  # "Saving…" only for an answer not saved within this (no flicker per key)


class TestStatus:
    """The clock, the banner line, the saving state and the pause."""

    def update_save_state(self) -> None:
        client = self.sapp.client
        if client is None:
            return
        bar = self.query_one(TopBar)
        waiting = client.waiting_items()
        now = self.sapp.clock.monotonic()
        if not waiting:
            self._waiting_since = None
        elif self._waiting_since is None:
            self._waiting_since = now
        if not client.online:
            bar.save.show_state(self.tn("Offline: {n} answer waiting", "Offline: {n} answers waiting", waiting),
                                "offline")
        elif waiting and now - self._waiting_since >= SAVING_AFTER_S:
            bar.save.show_state(self.t("Saving…"), "saving")
        elif not waiting or bar.save.has_class("-offline"):
            bar.save.show_state(self.t("Saved"), "saved")
        # else: an answer on its way for a moment: the item's "…" says so; the bar stays still
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
        now = self.sapp.clock.monotonic()
        if level and level not in self.warned and remaining > 0:
            self.warned.update({"warn", level})  # said once each, and never "10" after "5"
            minutes = 5 if level == "danger" else 10
            self.warning = ("⚠ " + self.tn("{n} minute left. Check your answers.",
                                           "{n} minutes left. Check your answers.", minutes), now + WARNING_S)
        if remaining <= LAST_SECONDS_MS and self.views:
            self.view.commit()
        banner = self.query_one("#banner", Static)
        text = self.warning[0] if now <= self.warning[1] else ""
        if self.break_due and not text:
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

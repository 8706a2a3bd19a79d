"""The bar at the top of the test: remaining time, the student's name, the subject, saving."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

WARN_MS = 10 * 60_000
DANGER_MS = 5 * 60_000


def clock_text(ms: int) -> str:
    seconds = max(0, ms) // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


class TimeLeft(Static):
    """Remaining time; `-warn` at 10 minutes left, `-danger` at 5."""

    DEFAULT_CSS = """
    TimeLeft { width: auto; padding: 0 1; text-style: bold; }
    TimeLeft.-warn { background: $warning; color: $text; }
    TimeLeft.-danger { background: $error; color: $text; }
    """

    def show_ms(self, label: str, ms: int) -> None:
        self.update(f"{label} {clock_text(ms)}")
        self.set_class(DANGER_MS < ms <= WARN_MS, "-warn")
        self.set_class(ms <= DANGER_MS, "-danger")


class SaveState(Static):
    """saved / saving / offline with N answers waiting."""

    DEFAULT_CSS = """
    SaveState { width: auto; padding: 0 1; }
    SaveState.-saving { color: $warning; }
    SaveState.-offline { background: $error 40%; }
    """

    def show_state(self, text: str, state: str) -> None:
        self.update(text)
        for name in ("saved", "saving", "offline"):
            self.set_class(state == name, f"-{name}")


class TopBar(Horizontal):
    DEFAULT_CSS = """
    TopBar { dock: top; height: 1; background: $primary-background; }
    TopBar #who { width: 1fr; padding: 0 1; text-overflow: ellipsis; text-wrap: nowrap; }
    TopBar #subject { width: auto; max-width: 40%; padding: 0 1; text-style: bold; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, name_text: str = "", subject: str = "", **kwargs):
        super().__init__(**kwargs)
        self._name_text = name_text
        self._subject = subject

    def compose(self) -> ComposeResult:
        yield TimeLeft(id="time")
        yield Static(self._name_text, id="who", markup=False)
        yield Static(self._subject, id="subject", markup=False)
        yield SaveState(id="save")

    @property
    def time(self) -> TimeLeft:
        return self.query_one(TimeLeft)

    @property
    def save(self) -> SaveState:
        return self.query_one(SaveState)

    def set_subject(self, subject: str) -> None:
        self.query_one("#subject", Static).update(subject)

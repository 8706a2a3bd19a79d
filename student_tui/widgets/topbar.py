"""The bar at the top of the test: remaining time, the student's name, the subject, saving.

At 80 columns everything must stay readable: the time and the saving state are never cut;
the subject gives way first (with "…"), and the name keeps at least a few letters. Warnings
and states show in words and symbols as well as colours, for a screen without colour."""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

WARN_MS = 10 * 60_000
DANGER_MS = 5 * 60_000
NAME_MOST = 24  # the name asks for this much at most; the subject gets what is left


def clock_text(ms: int) -> str:
    seconds = max(0, ms) // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


def time_level(ms: int) -> str | None:
    """None, "warn" (10 minutes or less left) or "danger" (5 minutes or less)."""
    if ms <= DANGER_MS:
        return "danger"
    if ms <= WARN_MS:
        return "warn"
    return None


def update_auto_width(widget: "TimeLeft | SaveState", shown: str) -> None:
    """New text for a widget as wide as its text: the screen is laid out again only when the
    width changes (a layout costs a whole-screen pass, and the clock changes every second)."""
    widen = cell_len(shown) != cell_len(widget.shown)
    widget.shown = shown
    widget.update(shown, layout=widen)


class TimeLeft(Static):
    """Remaining time; from 10 minutes left it also says so with "⚠" (and `-warn`, then
    `-danger` at 5 minutes, for the colour)."""

    DEFAULT_CSS = """
    TimeLeft { width: auto; padding: 0 1; text-style: bold; }
    TimeLeft.-warn { background: $warning; color: $text; }
    TimeLeft.-danger { background: $error; color: $text; }
    """

    shown = ""

    def show_ms(self, label: str, ms: int) -> None:
        level = time_level(ms)
        shown = ("⚠ " if level else "") + f"{label} {clock_text(ms)}"
        if shown != self.shown:
            update_auto_width(self, shown)
        self.set_class(level == "warn", "-warn")
        self.set_class(level == "danger", "-danger")


class SaveState(Static):
    """✓ saved / … saving / ⚠ offline with N answers waiting."""

    DEFAULT_CSS = """
    SaveState { width: auto; padding: 0 1; }
    SaveState.-saving { color: $warning; }
    SaveState.-offline { background: $error 40%; }
    """

    SYMBOLS = {"saved": "✓", "saving": "…", "offline": "⚠"}
    shown = ""

    def show_state(self, text: str, state: str) -> None:
        shown = f"{self.SYMBOLS.get(state, '')} {text}".strip()
        if shown != self.shown:
            update_auto_width(self, shown)
        for name in ("saved", "saving", "offline"):
            self.set_class(state == name, f"-{name}")


class TopBar(Horizontal):
    DEFAULT_CSS = """
    TopBar { dock: top; height: 1; background: $primary-background; }
    TopBar #who { width: 1fr; padding: 0 1; text-overflow: ellipsis; text-wrap: nowrap; }
    TopBar #subject { width: auto; padding: 0 1; text-style: bold; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, name_text: str = "", subject: str = "", **kwargs):
        super().__init__(**kwargs)
        self._name_text = name_text
        self._subject = subject

    def compose(self) -> ComposeResult:
        yield TimeLeft(id="time", markup=False)
        yield Static(self._name_text, id="who", markup=False)
        yield Static(self._subject, id="subject", markup=False)
        yield SaveState(id="save", markup=False)

    @property
    def time(self) -> TimeLeft:
        return self.query_one(TimeLeft)

    @property
    def save(self) -> SaveState:
        return self.query_one(SaveState)

    def set_subject(self, subject: str) -> None:
        self._subject = subject
        self.query_one("#subject", Static).update(subject)
        self.fit()

    def on_resize(self) -> None:
        self.fit()

    def fit(self) -> None:
        """The subject gets what the time, the saving state and the name leave."""
        if not self.size.width:
            return
        used = sum(cell_len(widget.shown) + 2 for widget in (self.time, self.save))
        name = min(cell_len(self._name_text) + 2, NAME_MOST)
        width = max(8, self.size.width - used - name)
        subject = self.query_one("#subject", Static)
        if subject.styles.max_width is None or subject.styles.max_width.value != width:
            subject.styles.max_width = width  # set only when it changes: a change means a new layout

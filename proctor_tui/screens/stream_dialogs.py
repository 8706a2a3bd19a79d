"""Adding a stream to the day (what `room-server init --stream N` asks for) and the words of
the confirmation before another stream is made live."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from room_protocol import StreamView

from ..day import split_paths, stream_summary
from ..i18n import t
from ..messages import Failed, Replied
from .dialogs import Dialog
from .incident_forms import field_row


def switch_text(target: StreamView, live: StreamView) -> str:
    """What happens when `target` is made live instead of `live`, as the server does it."""
    lines = [stream_summary(target),
             t("Every computer connected to stream {live} is disconnected now: its students, teachers and this "
               "console. The console comes back showing stream {stream}; then only stream {stream}'s students can "
               "log in.", live=live.number, stream=target.number)]
    if live.state == "open":
        lines.append(t("The sitting of stream {live} is open: the server allows the switch only once it is closed "
                       "(C on the room screen).", live=live.number))
    else:
        if live.state == "not_open":
            lines.append(t("Stream {live}'s sitting was never opened: its students have not sat yet.",
                           live=live.number))
        lines.append(t("Stream {live}'s records stay in its folder. Print and Export then work on stream {stream}; "
                       "for stream {live}'s papers and bundle use room-server print or export --stream {live}.",
                       live=live.number, stream=target.number))
    return "\n".join(lines)


@dataclass
class NewStream:
    stream: int
    roster: str
    packs: list[str]
    questionnaires: list[str]


class AddStreamDialog(Dialog):
    """The new stream's number and files (paths on the server's laptop). The dialog sends the
    request itself and stays open on a refusal, showing why, so a path can be corrected;
    it returns the stream's number once the server has added it."""

    def __init__(self, number: int) -> None:
        super().__init__()
        self.number = number

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(t("Add a stream to the day"), classes="dialog-title")
            yield Static(t("Files on the server's laptop, as for room-server init --stream N: the stream's roster, "
                           "its test packs (one per language) and the centre's questionnaires. Separate several "
                           "files with ;"), classes="dialog-body")
            yield field_row(t("Stream number"), Input(str(self.number), id="stream", type="integer", max_length=2))
            yield field_row(t("Roster file"), Input(id="roster", placeholder=t("e.g. roster-grade4.xlsx"),
                                                    max_length=1000))
            yield field_row(t("Test packs"), Input(id="packs", placeholder=t("e.g. packs/g4-kk; packs/g4-ru"),
                                                   max_length=2000))
            yield field_row(t("Questionnaires"), Input(id="questionnaires", placeholder=t(
                "e.g. questionnaire-kk.toml; questionnaire-ru.toml"), max_length=4000))
            yield Static("", id="problem", classes="problem")
            with Horizontal(classes="dialog-buttons compact"):
                yield Button(t("Add the stream"), id="confirm", variant="primary")
                yield Button(t("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#roster", Input).focus()

    def _problem(self, text: str, field: str | None = None) -> None:
        self.query_one("#problem", Static).update(text)
        if field:
            self.query_one(f"#{field}", Input).focus()

    def chosen(self) -> NewStream | None:
        """The typed stream, or None with the problem shown."""
        values = {name: self.query_one(f"#{name}", Input).value.strip()
                  for name in ("stream", "roster", "packs", "questionnaires")}
        if not values["stream"].isdecimal():
            self._problem(t("Give the stream's number."), "stream")
            return None
        for name, problem in (("roster", t("Give the stream's roster file.")),
                              ("packs", t("Give at least one test pack.")),
                              ("questionnaires", t("Give the centre's questionnaires for this stream.")) ):
            if not split_paths(values[name]):
                self._problem(problem, name)
                return None
        return NewStream(int(values["stream"]), values["roster"].strip('"'), split_paths(values["packs"]),
                         split_paths(values["questionnaires"]))

    @on(Button.Pressed, "#confirm")
    @on(Input.Submitted, "#questionnaires")
    def _confirm(self) -> None:
        new = self.chosen()
        if new is None:
            return
        self._problem(t("Adding stream {stream}…", stream=new.stream))
        self.query_one("#confirm", Button).disabled = True
        self.app.act(lambda room: room.add_stream(new.stream, new.roster, new.packs, new.questionnaires),
                     tag="add_stream", reply_to=self, context=new.stream)

    @on(Input.Submitted, "#stream, #roster, #packs")
    def _next(self) -> None:
        self.focus_next()

    @on(Replied)
    def _added(self, message: Replied) -> None:
        if message.tag == "add_stream":
            self.dismiss(message.context)

    @on(Failed)
    def _refused(self, message: Failed) -> None:
        if message.tag == "add_stream":
            self.query_one("#confirm", Button).disabled = False
            self._problem(message.error)

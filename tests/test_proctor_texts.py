"""What the console says, without a terminal: the room's columns at 80 columns in every
language, the event log in words (answers per minute), and every refusal a proctor can get
from the server in Kazakh and Russian — the real server's reasons among them."""

from __future__ import annotations

import re

import pytest

from proctor_tui.columns import room_layout
from proctor_tui.event_text import log_rows
from proctor_tui.i18n import set_language
from proctor_tui.server_text import REASONS, reason_text, refusal_text
from proctor_tui.widgets.room_table import text_widths
from room_client import ServerError
import room_protocol as p

NEEDED = {"seat", "name", "status", "answered", "remaining", "connection", "alerts"}


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    set_language("en")


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
@pytest.mark.parametrize("width", [80, 100, 120, 160])
def test_the_needed_columns_fit(language, width):
    set_language(language)
    layout = room_layout(width, text_widths())
    assert NEEDED <= set(layout.keys)
    used = sum(c.width + 2 for c in layout.columns) + 2  # padding each side, the scrollbar
    assert used <= width, (layout, used)
    for column in layout.columns:
        assert len(column.header) <= column.width
    assert layout.width("name") >= 12
    if width >= 120:
        assert "ikt" in layout.keys


def event(at_s: float, kind: str, student=None, actor="m9-001", **data) -> p.EventView:
    return p.EventView(int(at_s * 1000), actor, student, kind, data)


def test_answers_are_one_line_a_minute_and_details_are_words():
    set_language("en")
    minute = 1_800_000_000 // 60 * 60  # the start of a minute
    events = [  # newest first, as the server sends them
        event(minute + 130, "extra_time", 2, "proctor", minutes=10, reason="froze"),
        *[event(minute + 70 + i, "answer", 1 + i % 3, seq=i, item=f"A-{i}", counted=True) for i in range(9)],
        event(minute + 65, "break_started", 1, slot=None),
        event(minute + 64, "break_started", 2, slot=0),
        event(minute + 30, "answer", 1, seq=1, item="A-1", counted=True, late=True),
        event(minute + 20, "answer", 1, seq=0, item="A-0", counted=True),
        event(minute + 10, "protocol_saved", None, "proctor", fields=["absent", "remarks"]),
        event(minute + 5, "paused", None, "proctor", reason="power", note="the lights went out"),
        event(minute + 1, "second_login", 3, address="10.0.0.7"),
    ]
    rows = log_rows(events, lambda ms: "09:41")
    answers = [r for r in rows if r.what == "answers"]
    assert [(r.answers, r.details) for r in answers] == [
        (9, "9 answers from 3 students in this minute"),
        (2, "2 answers in this minute (1 after the deadline, made offline in time)")]
    assert answers[1].student == 1
    details = {r.what: r.details for r in rows}
    assert details["extra time"] == "10 min: froze"
    assert details["protocol saved"] == "2 fields typed"
    assert details["room paused"] == "power — the lights went out"
    assert details["second login waiting"] == "from the computer 10.0.0.7"
    assert [r.details for r in rows if r.what == "break taken"] == ["", "scheduled break No. 1"]
    for row in rows:
        assert not re.search(r"\w+: (None|True|False|\[)", row.details), row.details
    assert len(rows) == 8  # 11 answers in two lines, and the 6 other entries


# Reasons the server sends to a proctor, as it words them (paths and figures filled in).
REASON_SAMPLES = [
    ("wrong_state", "the sitting is already open"), ("wrong_state", "the sitting is already closed"),
    ("bad_field", "an absence needs a reason"), ("wrong_state", "this student has logged in; they cannot be absent"),
    ("bad_field", "extra time must be 1 to 120 minutes"), ("bad_field", "extra time needs a reason"),
    ("wrong_state", "extra time is for a student who is testing"), ("bad_field", "kind must be annex1, annex2 or other"),
    ("bad_field", "an annex1 act names a student"), ("bad_field", "describe the incident (description)"),
    ("not_open", "the sitting is not open"), ("wrong_state", "a break is already announced"),
    ("wrong_state", "no break is announced"), ("bad_field", "the reason must be power, network or other"),
    ("bad_field", "say what happened (note) when the reason is other"), ("wrong_state", "the room is already paused"),
    ("wrong_state", "the room is not paused"), ("not_found", "no login is waiting for this student"),
    ("not_found", "no student 42"), ("forbidden", "wrong proctor key"),
    ("version", "this server speaks protocol 2, not 1"), ("too_fast", "too many messages; slow down"),
    ("bad_field", "print: 'what' must be one of slips, seating, acts, protocol"),
    ("bad_field", "print: 'to' must name a PDF file or a folder"),
    ("bad_field", "export: 'to' must name a folder (a USB stick)"),
    ("not_found", "no acts to print: no incidents are recorded in this room"),
    ("bad_field", "/media/usb/x.txt: the output must be a .pdf file"),
    ("bad_field", "the folder /media/none does not exist"),
    ("bad_field", "cannot write /media/usb/p.pdf: Permission denied"),
    ("bad_field", "/media/usb does not exist (is the USB stick plugged in and mounted?)"),
    ("bad_field", "/media/usb is read-only: nothing was written (is the stick's lock switch on?)"),
    ("bad_field", "not enough space on /media/usb: the bundle needs about 2.1 MB, only 1.0 MB is free; nothing was "
                  "written"),
    ("internal", "the drive /media/usb became full while writing; the unfinished bundle was removed. Free some space "
                 "or use a larger stick."),
    ("internal", "writing to /media/usb failed: Input/output error; the unfinished bundle was removed. Was the stick "
                 "pulled out?"),
    # a day of streams, and the staff slips
    ("wrong_state", "the sitting of stream 1 is open: close it first"), ("wrong_state", "stream 2 is already live"),
    ("not_found", "no stream 7 (the day has 1, 2)"), ("stream_changed", "stream 2 is live now"),
    ("busy", "another stream is opening"), ("bad_field", "a stream is numbered 1 to 20, not 21"),
    ("wrong_state", "this room is one sitting, not a day of streams (make a day with 'room-server init --stream N')"),
    ("bad_field", "/home/admin/room12 already has stream 2"),
    ("bad_field", "grade 4 and grade 9 sit in separate rooms: the packs given have grades 4, 9"),
    ("bad_field", "the packs of one room must have the same variants"),
    ("bad_field", "no student questionnaire for the test language(s) ru (give one --questionnaire per language)"),
    ("not_found", "no teachers' or principals' slips to print: add them with 'room-server staff'"),
    ("bad_field", "the slips file /home/admin/room12/staff-slips.csv is missing: the clear passwords exist only there, "
                  "so the slips cannot be printed"),
]


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_every_refusal_a_proctor_meets_is_translated(language):
    set_language(language)
    for code, reason in REASON_SAMPLES:
        text = reason_text(reason)
        assert text is not None, reason
        assert not re.search(r"\b(the|is|must|no|not|a)\b", text), (reason, text)  # no English words left
        assert refusal_text(code, reason).count(":") >= 1
    assert len(REASONS) >= len({r for _, r in REASON_SAMPLES}) - 5  # one pattern can serve several


async def test_the_real_servers_refusals_are_translated(live, tmp_path):
    """Refusals made by the running server, not written here, come out in Russian."""
    set_language("ru")
    proctor = await live.proctor()
    attempts = [
        lambda: proctor.attendance(live.student_id(0), False, ""),
        lambda: proctor.extra_time(live.student_id(0), 500, "x"),
        lambda: proctor.extra_time(live.student_id(0), 5, "x"),
        lambda: proctor.resume(),
        lambda: proctor.end_room_break(),
        lambda: proctor.print("acts", str(tmp_path / "acts.pdf")),
        lambda: proctor.print("seating", str(tmp_path / "nowhere" / "s.pdf")),
        lambda: proctor.export(str(tmp_path / "no-stick")),
        lambda: proctor.incident("other", None, {}),
        lambda: proctor.approve_login(live.student_id(0), True),
        lambda: proctor.switch_stream(2),  # a room of one sitting
        lambda: proctor.print("staff", str(tmp_path / "staff.pdf")),  # no teachers' slips made
    ]
    seen = 0
    for attempt in attempts:
        with pytest.raises(ServerError) as refused:
            await attempt()
        assert reason_text(refused.value.reason) is not None, refused.value.reason
        seen += 1
    assert seen == len(attempts)

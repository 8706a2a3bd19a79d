"""The day in words: its streams (grade 4 and grade 9 apart, one live at a time) and the
teachers' and principals' questionnaire slips. Plain Python, tested without a terminal.
"""

from __future__ import annotations

from room_protocol import SittingView, StaffView, StreamView

from .i18n import N_, t

# A stream's state: the live one is the room served now (its sitting not open, open or closed);
# another is not started yet or finished.
STREAM_STATE = {
    ("live", "not_open"): N_("live, not opened yet"),
    ("live", "open"): N_("live, sitting open"),
    ("live", "closed"): N_("live, sitting closed"),
    ("other", "not_open"): N_("not started yet"),
    ("other", "open"): N_("left open"),
    ("other", "closed"): N_("finished"),
}

AUDIENCE = {"teacher": N_("teacher"), "principal": N_("principal")}
STAFF_STATE = {"not_in": N_("not logged in"), "answering": N_("answering"), "finished": N_("finished")}


def live_stream(sitting: SittingView) -> StreamView | None:
    """The live stream of a day of streams; None for a room of one sitting."""
    return next((s for s in sitting.streams if s.live), None)


def stream_state_text(stream: StreamView) -> str:
    key = ("live" if stream.live else "other", stream.state)
    return t(STREAM_STATE[key]) if key in STREAM_STATE else stream.state


def stream_summary(stream: StreamView) -> str:
    """"Stream 2: grade 4, 20 students (kk)": what the switch's confirmation names."""
    return t("Stream {stream}: grade {grade}, {students} students ({languages})", stream=stream.number,
             grade=stream.grade, students=stream.students, languages=", ".join(stream.languages) or "—")


def next_stream_number(sitting: SittingView) -> int:
    return max((s.number for s in sitting.streams), default=0) + 1


def staff_state(member: StaffView) -> str:
    if member.done:
        return "finished"
    return "answering" if member.online else "not_in"


def staff_state_text(member: StaffView) -> str:
    return t(STAFF_STATE[staff_state(member)])


def audience_text(audience: str) -> str:
    return t(AUDIENCE[audience]) if audience in AUDIENCE else audience


def staff_counts(staff: list[StaffView]) -> str:
    """"Teachers 3: finished 1, answering 1, not logged in 1 · Principals 1: …"."""
    if not staff:
        return t("No teachers' or principals' slips yet (room-server staff adds them).")
    parts = []
    for audience, label in (("teacher", N_("Teachers {n}")), ("principal", N_("Principals {n}"))):
        members = [m for m in staff if m.audience == audience]
        if not members:
            continue
        states = [staff_state(m) for m in members]
        counts = ", ".join(f"{t(STAFF_STATE[state])} {states.count(state)}" for state in STAFF_STATE
                           if states.count(state))
        parts.append(f"{t(label, n=len(members))}: {counts}")
    return " · ".join(parts)


def split_paths(text: str) -> list[str]:
    """Several files typed in one field, separated by ";" (a path may hold spaces)."""
    return [part.strip().strip('"') for part in text.split(";") if part.strip().strip('"')]

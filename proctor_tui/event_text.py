"""The event log in words: what each audit entry says to a person, and the answers summed up
per minute (one line for the minute, not one line per answer). Plain Python, tested without
a terminal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from room_protocol import EventView

from .day import audience_text
from .i18n import N_, t
from .model import ALERT_TEXT

EVENT_TEXT = {
    "room_created": N_("room created"), "sitting_opened": N_("sitting opened"), "sitting_closed": N_("sitting closed"),
    "room_break_announced": N_("break announced"), "room_break_ended": N_("break ended"),
    "paused": N_("room paused"), "resumed": N_("room resumed"), "server_outage": N_("server was down (paused)"),
    "login": N_("logged in"), "login_failed": N_("wrong login or password"), "offline": N_("went offline"),
    "second_login": N_("second login waiting"), "second_login_approved": N_("second login approved"),
    "second_login_refused": N_("second login refused"), "data_mistake": N_("data mistake reported"),
    "confirmed": N_("data confirmed"), "rules_accepted": N_("rules accepted, waiting"), "started": N_("test started"),
    "next_subject": N_("next subject"), "open_subject": N_("subject opened"), "break_started": N_("break taken"),
    "break_ended": N_("back from break"), "finished": N_("test finished"), "result_sealed": N_("result shown"),
    "questionnaire_started": N_("questionnaire started"), "questionnaire_done": N_("questionnaire filled"),
    "questionnaire_time_over": N_("questionnaire time over"), "extra_time": N_("extra time"),
    "attendance": N_("attendance"), "login_slip": N_("login slip"), "incident": N_("incident recorded"),
    "removed": N_("removed, result annulled"), "removed_login": N_("removed student tried to log in"),
    "protocol_saved": N_("protocol saved"), "exported": N_("results exported"), "printed": N_("printed"),
    "answer": N_("answers"),
    "stream_switched": N_("another stream made live"), "stream_added": N_("stream added"),
    "staff_login": N_("logged in"), "staff_questionnaire_started": N_("questionnaire started"),
    "staff_questionnaire_done": N_("questionnaire filled"),
}
ACTOR_TEXT = {"proctor": N_("administrator"), "server": N_("server")}
PAUSE_TEXT = {"power": N_("power"), "network": N_("network"), "other": N_("other")}
FINISH_TEXT = {"time_over": N_("time over"), "closed": N_("sitting closed"), "finished": N_("by the student"),
               "removed": N_("removed")}
INCIDENT_TEXT = {"annex1": N_("Annex 1"), "annex2": N_("Annex 2"), "other": N_("Other")}
PRINT_TEXT = {"slips": N_("login slips"), "staff": N_("teachers' and principals' slips"),
              "seating": N_("seating sheet"), "acts": N_("acts"), "protocol": N_("testing protocol")}
SUBJECT_TEXT = {"reading": N_("reading literacy"), "math": N_("mathematical literacy"),
                "science": N_("science literacy")}


def _yes(value) -> str:
    return t("yes") if value else t("no")


def _subject(value) -> str:
    return t(SUBJECT_TEXT[value]) if value in SUBJECT_TEXT else str(value or "—")


def _points(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


def details_text(event: EventView, time_text: Callable[[int | None], str]) -> str:
    """The entry's data in words, never as "key: value"."""
    data = event.data or {}
    kind = event.kind
    if kind == "extra_time":
        return t("{minutes} min: {reason}", minutes=data.get("minutes"), reason=data.get("reason", ""))
    if kind == "paused":
        reason = data.get("reason", "")
        return " — ".join(x for x in (t(PAUSE_TEXT.get(reason, reason)) if reason else "", data.get("note", "")) if x)
    if kind == "server_outage":
        return t("from {start} to {end}", start=time_text(data.get("from_ms")), end=time_text(data.get("to_ms")))
    if kind == "attendance":
        if data.get("present"):
            return t("present, late") if data.get("late") else t("present")
        return t("absent: {reason} ({document})", reason=data.get("reason", ""), document=data.get("document") or "—")
    if kind == "login_slip":
        return t("handed: {handed}, collected: {collected}", handed=_yes(data.get("handed")),
                 collected=_yes(data.get("collected")))
    if kind == "finished":
        reason = data.get("reason", "")
        text = t(FINISH_TEXT[reason]) if reason in FINISH_TEXT else ""
        if "total" in data:
            text += (", " if text else "") + t("{points} points", points=_points(data["total"]))
        return text
    if kind == "result_sealed":
        return t("{points} points", points=_points(data.get("total")))
    if kind == "incident":
        kind_of = data.get("kind", "")
        return t(INCIDENT_TEXT[kind_of]) if kind_of in INCIDENT_TEXT else ""
    if kind == "removed":
        return t("by act No. {id}", id=data.get("incident")) if data.get("incident") is not None else ""
    if kind == "data_mistake":
        return str(data.get("note", ""))
    if kind == "stream_switched":
        return t("from stream {first} to stream {second}", first=data.get("from"), second=data.get("to"))
    if kind == "stream_added":
        return t("stream {stream}", stream=data.get("stream"))
    if kind == "staff_questionnaire_started":
        return str(data.get("language", ""))
    if kind == "staff_questionnaire_done":
        return ""
    if kind in ("login", "second_login", "removed_login", "staff_login"):
        return t("from the computer {address}", address=data["address"]) if data.get("address") else ""
    if kind == "login_failed":
        return t("login {login} from the computer {address}", login=data.get("login", ""),
                 address=data.get("address", ""))
    if kind == "break_started":
        slot = data.get("slot")
        if isinstance(slot, int):  # a scheduled break, counted from 0
            return t("scheduled break No. {number}", number=slot + 1)
        return t("announced break No. {number}", number=slot) if slot else ""
    if kind == "room_break_announced":
        return t("break No. {number}", number=data["number"]) if data.get("number") else ""
    if kind == "next_subject":
        return t("from {first} to {second}", first=_subject(data.get("from")), second=_subject(data.get("to")))
    if kind == "open_subject":
        return _subject(data.get("subject"))
    if kind == "room_created":
        return t("{n} students on the list", n=data.get("students", 0))
    if kind == "protocol_saved":
        return t("{n} fields typed", n=len(data.get("fields") or []))
    if kind == "exported":
        return t("{files} files to {bundle}", files=data.get("files"), bundle=data.get("bundle", ""))
    if kind == "printed":
        what = data.get("what", "")
        return t("{what} to {path}", what=t(PRINT_TEXT[what]) if what in PRINT_TEXT else what, path=data.get("path", ""))
    # Anything else: its values only (numbers, texts), never the field names.
    return ", ".join(str(v) for v in data.values() if isinstance(v, (str, int, float)) and not isinstance(v, bool))[:120]


def what_text(kind: str) -> str:
    if kind in EVENT_TEXT:
        return t(EVENT_TEXT[kind])
    if kind in ALERT_TEXT:
        return t(ALERT_TEXT[kind])
    return kind.replace("_", " ")


def who_text(actor: str, event: EventView | None = None) -> str:
    if event is not None and event.kind.startswith("staff_"):  # a teacher's or principal's slip: no name
        return f"{audience_text((event.data or {}).get('audience', ''))} {actor}".strip()
    return t(ACTOR_TEXT[actor]) if actor in ACTOR_TEXT else (t("student") if actor else "")


@dataclass
class LogRow:
    at_ms: int
    who: str
    student: int | None
    what: str
    details: str
    answers: int = 0  # a minute of answers: how many


def log_rows(events: list[EventView], time_text: Callable[[int | None], str]) -> list[LogRow]:
    """The log's lines, newest first: each entry in words, and each minute's answers as one line
    ("37 answers from 12 students")."""
    rows: list[LogRow] = []
    minute_of: dict[int, LogRow] = {}
    students_of: dict[int, set] = {}
    late_of: dict[int, int] = {}
    for event in events:  # newest first
        if event.kind != "answer":
            rows.append(LogRow(event.at_ms, who_text(event.actor, event), event.student, what_text(event.kind),
                               details_text(event, time_text)))
            continue
        minute = event.at_ms // 60_000
        row = minute_of.get(minute)
        if row is None:
            row = minute_of[minute] = LogRow(event.at_ms, t("students"), None, t(EVENT_TEXT["answer"]), "")
            students_of[minute], late_of[minute] = set(), 0
            rows.append(row)
        row.answers += 1
        students_of[minute].add(event.student)
        late_of[minute] += bool((event.data or {}).get("late"))
    for minute, row in minute_of.items():
        who = students_of[minute]
        if len(who) == 1:
            row.student = next(iter(who))
            row.who = t("student")
            row.details = t("{n} answers in this minute", n=row.answers)
        else:
            row.details = t("{n} answers from {students} students in this minute", n=row.answers, students=len(who))
        if late_of[minute]:
            row.details += " " + t("({n} after the deadline, made offline in time)", n=late_of[minute])
    return rows

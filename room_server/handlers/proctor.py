"""The administrator's actions on the room: watching it, opening and closing the sitting,
attendance and login slips, extra time, incidents, the event log and the testing protocol."""

from __future__ import annotations

import hashlib
import hmac

import room_protocol as p
from room_protocol import ErrorCode, ProtocolError
from room_protocol.rules import AFTER_TEST, IN_TEST, INCIDENT_KINDS, State, incident_removes, is_present

from .. import views
from ..dispatch import Call, handles
from ..model import AttendanceRow
from ..room import Room
from ..storage import attempts as attempt_rows, attendance as attendance_rows, audit, incidents as incident_rows
from ..storage import meta as meta_rows, now_ms
from .attempt import finish_attempt, seal
from .breaks import resume


def check_proctor_key(room: Room, key: str | None) -> bool:
    if not key:
        return False
    return hmac.compare_digest(hashlib.sha256(key.encode()).hexdigest(), room.meta.get("proctor_key_sha256", ""))


@handles(p.Watch)
async def watch(room: Room, call: Call, msg: p.Watch) -> p.Room:
    room.proctors.add(call.conn)
    return views.room_message(room)


@handles(p.OpenSitting)
async def open_sitting(room: Room, call: Call, msg: p.OpenSitting) -> None:
    if room.sitting_state != "not_open":
        raise ProtocolError(ErrorCode.WRONG_STATE, f"the sitting is already {room.sitting_state}")
    await room.record("proctor", None, "sitting_opened", None, meta={"sitting_state": "open", "opened_ms": str(now_ms())})
    room.broadcast(lambda sid: p.SittingNow("open"))
    room.mark_all()
    room.to_proctors(p.SittingChanged(views.sitting_view(room)))


@handles(p.CloseSitting)
async def close_sitting(room: Room, call: Call, msg: p.CloseSitting) -> None:
    if room.sitting_state == "closed":
        raise ProtocolError(ErrorCode.WRONG_STATE, "the sitting is already closed")
    finished = []
    for student_id, a in room.attempts.items():
        if a.state in IN_TEST:
            await finish_attempt(room, student_id, "closed", "proctor", seal=True)
            finished.append(student_id)
        elif a.state in AFTER_TEST and a.result is None and not a.annulled:
            await seal(room, student_id, "proctor")  # no late answer counts after the close
            finished.append(student_id)
    if room.paused:
        await resume(room, None)
    await room.record("proctor", None, "sitting_closed", None, meta={"sitting_state": "closed", "closed_ms": str(now_ms())})
    # Told once everything is on disk: a student who sees the result finds the sitting closed.
    for student_id in finished:
        room.to_student(student_id, p.Result.of(room.attempts[student_id].result))
    room.broadcast(lambda sid: p.SittingNow("closed"))
    room.mark_all()
    room.to_proctors(p.SittingChanged(views.sitting_view(room)))


@handles(p.Attendance)
async def attendance(room: Room, call: Call, msg: p.Attendance) -> None:
    student = room.student_arg(msg.student)
    if not msg.present and not msg.reason.strip():
        raise ProtocolError(ErrorCode.BAD_FIELD, "an absence needs a reason")
    if not msg.present and room.attempts[student.id].state != State.NOT_LOGGED_IN:
        raise ProtocolError(ErrorCode.WRONG_STATE, "this student has logged in; they cannot be absent")
    old = room.attendance[student.id]
    row = AttendanceRow(msg.present, msg.reason[:200], msg.document[:200], old.slip_handed, old.slip_collected,
                        msg.present and msg.late)
    data = {"present": row.present, "reason": row.reason, "document": row.document, "late": row.late}
    await room.record("proctor", student.id, "attendance", data, also=[attendance_rows.mark(student.id, row, now_ms())])
    room.attendance[student.id] = row
    room.mark(student.id)


@handles(p.Slips)
async def slips(room: Room, call: Call, msg: p.Slips) -> None:
    student = room.student_arg(msg.student)
    row = room.attendance[student.id]
    handed = row.slip_handed if msg.handed is None else msg.handed
    collected = row.slip_collected if msg.collected is None else msg.collected
    await room.record("proctor", student.id, "login_slip", {"handed": handed, "collected": collected},
                      also=[attendance_rows.slips(student.id, handed, collected, now_ms())])
    row.slip_handed, row.slip_collected = handed, collected
    room.mark(student.id)


@handles(p.ExtraTime)
async def extra_time(room: Room, call: Call, msg: p.ExtraTime) -> None:
    student = room.student_arg(msg.student)
    a = room.attempts[student.id]
    if not 1 <= msg.minutes <= 120:
        raise ProtocolError(ErrorCode.BAD_FIELD, "extra time must be 1 to 120 minutes")
    if not msg.reason.strip():
        raise ProtocolError(ErrorCode.BAD_FIELD, "extra time needs a reason")
    if a.state not in IN_TEST:
        raise ProtocolError(ErrorCode.WRONG_STATE, "extra time is for a student who is testing")
    # The extra_time row and the attempt's new limit commit together: a crash between two
    # transactions used to leave the row without the longer limit.
    reason = msg.reason[:300]
    added = msg.minutes * 60_000
    await room.change_attempt(student.id, "proctor", "extra_time", {"minutes": msg.minutes, "reason": reason},
                              also=[meta_rows.add_extra_time(student.id, msg.minutes, reason, now_ms()),
                                    attempt_rows.add_extra_time(student.id, added)],
                              apply=lambda: setattr(a, "extra_ms", a.extra_ms + added))
    views.push_clock(room, student.id)


@handles(p.Incident)
async def incident(room: Room, call: Call, msg: p.Incident) -> p.IncidentOk:
    if msg.kind not in INCIDENT_KINDS:
        raise ProtocolError(ErrorCode.BAD_FIELD, "kind must be annex1, annex2 or other")
    student = room.student_arg(msg.student) if msg.student is not None else None
    if msg.kind in ("annex1", "annex2") and student is None:
        raise ProtocolError(ErrorCode.BAD_FIELD, f"an {msg.kind} act names a student")
    fields = {str(k)[:40]: (v if isinstance(v, (int, float, bool)) else str(v)[:1000]) for k, v in msg.fields.items()}
    if msg.kind == "other" and not str(fields.get("description", "")).strip():
        raise ProtocolError(ErrorCode.BAD_FIELD, "describe the incident (description)")
    if student is not None:  # the act's facts the server knows, as the annexes ask for them
        fields.setdefault("student_name", student.full_name())
        fields.setdefault("ikt", student.ikt)
        fields.setdefault("seat", student.seat)
        fields.setdefault("variant", student.variant)
    fields.setdefault("room", room.meta.get("room", ""))
    fields.setdefault("school", room.meta.get("school", ""))
    now = now_ms()
    student_id = student.id if student else None
    incident_id = (await room.record("proctor", student_id, "incident", {"kind": msg.kind},
                                     also=[incident_rows.add(msg.kind, student_id, now, fields)]))[0]
    if student is not None and incident_removes(msg.kind):
        await remove_student(room, student.id, incident_id)
    return p.IncidentOk(p.IncidentView(incident_id, msg.kind, student_id, now, fields))


async def remove_student(room: Room, student_id: int, incident_id: int) -> None:
    """Annex 1 or 2: the student's test ends, the result is annulled, and the slip never
    logs in again in this sitting."""
    a = room.attempts[student_id]
    if a.state != State.REMOVED:
        await room.change_attempt(student_id, "proctor", "removed", {"incident": incident_id}, state=State.REMOVED,
                                  annulled=1, finish_reason="removed", finished_ms=now_ms(), break_started_ms=None)
    room.to_student(student_id, p.Ended("removed"))
    pending = room.pending.pop(student_id, None)
    if pending:
        pending[0].close_soon(ErrorCode.REMOVED, "the administrator has ended this test")


@handles(p.ListIncidents)
async def list_incidents(room: Room, call: Call, msg: p.ListIncidents) -> p.Incidents:
    return p.Incidents([p.IncidentView(**i) for i in await incident_rows.all_incidents(room.database)])


@handles(p.ListEvents)
async def list_events(room: Room, call: Call, msg: p.ListEvents) -> p.Events:
    limit = max(1, min(msg.limit, 1000))
    return p.Events([p.EventView(**e) for e in await audit.recent(room.database, msg.student, limit)])


async def protocol_prefill(room: Room) -> dict:
    """The testing protocol's counted facts, always recomputed from the records."""
    pauses = await meta_rows.load_pauses(room.database)
    incidents = await incident_rows.all_incidents(room.database)
    return {
        "school": room.meta.get("school", ""), "room": room.meta.get("room", ""),
        "sitting": room.meta.get("sitting", ""), "grade": room.meta.get("grade", ""),
        "start_ms": int(room.meta["opened_ms"]) if room.meta.get("opened_ms") else None,
        "end_ms": int(room.meta["closed_ms"]) if room.meta.get("closed_ms") else None,
        "registered": len(room.students),
        "present": sum(1 for sid, row in room.attendance.items() if is_present(row.present, room.attempts[sid].device is not None)),
        "absent": sum(1 for row in room.attendance.values() if row.present is False),
        "late": sum(1 for row in room.attendance.values() if row.late),
        "finished": sum(1 for a in room.attempts.values() if a.state in AFTER_TEST),
        "removed": sum(1 for a in room.attempts.values() if a.state == State.REMOVED and a.device is not None),
        "not_admitted": sum(1 for a in room.attempts.values() if a.state == State.REMOVED and a.device is None),
        "incidents": [{"id": i["id"], "kind": i["kind"], "student": i["student"]} for i in incidents],
        "pauses": [{"start_ms": pause.start_ms, "end_ms": pause.end_ms, "reason": reason, "note": note}
                   for pause, reason, note in pauses],
        "slips_handed": sum(1 for row in room.attendance.values() if row.slip_handed),
        "slips_collected": sum(1 for row in room.attendance.values() if row.slip_collected),
        "late_grace_minutes": room.late_grace_ms / 60_000,
    }


@handles(p.GetProtocol)
async def get_protocol(room: Room, call: Call, msg: p.GetProtocol) -> p.ProtocolForm:
    return p.ProtocolForm(await incident_rows.saved_protocol(room.database), await protocol_prefill(room))


@handles(p.SaveProtocol)
async def save_protocol(room: Room, call: Call, msg: p.SaveProtocol) -> None:
    clean = {str(k)[:60]: (v if isinstance(v, (int, float, bool)) or v is None else str(v)[:4000])
             for k, v in msg.fields.items()}
    await room.record("proctor", None, "protocol_saved", {"fields": sorted(clean)},
                      also=[incident_rows.save_protocol(clean, now_ms())])

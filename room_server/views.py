"""What clients see of the room: the protocol's typed views, built from its state."""

from __future__ import annotations

import room_protocol as p
from content import reference, reference_rows
from room_protocol.rules import AFTER_TEST, IN_TEST, State

from .room import Room
from .sitting import break_offered, minutes_ms
from .storage import now_ms

OFFLINE_ALERT_MS = 60_000
FIVE_MINUTES_MS = 5 * 60_000


def student_info(room: Room, student_id: int) -> p.StudentInfo:
    s = room.students[student_id]
    return p.StudentInfo(s.surname, s.name, s.patronymic, s.iin, s.language, "MODO", s.ikt, s.seat, s.grade,
                         s.class_name)


def remaining_ms(room: Room, student_id: int, now: int) -> int:
    clock = room.clock_of(student_id)
    return clock.remaining_ms(now) if room.attempts[student_id].started_ms else clock.limit_ms


def attempt_view(room: Room, student_id: int) -> p.AttemptView:
    a = room.attempts[student_id]
    student = room.students[student_id]
    pack = room.pack_of(student)
    now = now_ms()
    items = {item.id: item for item in pack.variant(student.variant).items()}
    answered = sorted(item_id for item_id, (_, value) in a.latest.items()
                      if item_id in items and p.rules.is_answered(items[item_id].kind, value))
    return p.AttemptView(
        a.state, room.sitting_state, a.subject_index, list(a.closed_subjects), a.current_item, answered,
        remaining_ms(room, student_id, now), room.clock_of(student_id).elapsed_ms(now), pack.timing.total_minutes,
        a.questionnaire_done,
        # The app's journal of unsent answers opens with this key, also after the deadline.
        a.journal_key, pack.rules,
        # After the test, the sealed result again (never for an annulled attempt).
        a.result if a.state in AFTER_TEST and not a.annulled else None,
        room.late_grace_ms)


def clock_message(room: Room, student_id: int) -> p.Clock:
    a = room.attempts[student_id]
    timing = room.pack_of(room.students[student_id]).timing
    clock = room.clock_of(student_id)
    now = now_ms()
    elapsed = clock.elapsed_ms(now)
    offered = a.state == State.TESTING and break_offered(timing, elapsed, set(a.break_slots), room.room_break_key)
    break_left = None
    if a.state == State.ON_BREAK and a.break_started_ms is not None:
        break_left = max(0, minutes_ms(timing.break_minutes) - (now - a.break_started_ms))
    return p.Clock(a.state, remaining_ms(room, student_id, now), elapsed, room.paused, offered, break_left,
                   room.room_break, room.pause_reason if room.paused else None)


def clock_if_testing(room: Room, student_id: int) -> p.Clock | None:
    return clock_message(room, student_id) if room.attempts[student_id].state in IN_TEST else None


def push_clock(room: Room, student_id: int) -> None:
    room.to_student(student_id, clock_message(room, student_id))


def test_message(room: Room, student_id: int) -> p.Test:
    student = room.students[student_id]
    pack = room.pack_of(student)
    variant = pack.variant(student.variant)
    a = room.attempts[student_id]
    subjects = []
    for subject, block in zip(pack.subjects, variant.subjects):
        subjects.append(p.TestSubject(
            subject.id, subject.title, [p.Stimulus(s.id, s.title, s.text) for s in block.stimuli],
            [p.from_wire(p.TestItem, item.student_view()) for item in block.items]))
    t = pack.timing
    timing = p.Timing(t.total_minutes, t.work_block_minutes, t.break_minutes, t.breaks, t.breaks_optional,
                      t.reopen_finished_subjects)
    answers = {item: value for item, (_, value) in a.latest.items()}
    return p.Test(subjects, timing, a.journal_key or b"", answers, a.next_seq, a.current_item, a.subject_index,
                  aids(pack.aids))


def aids(names: tuple[str, ...]) -> p.Aids:
    """The reference tables a pack grants, drawn as the student's computer shows them."""
    periodic = solubility = None
    if "periodic" in names:
        table = reference.periodic_table()
        by_language = {lang: reference_rows.periodic_rows(table, lang) for lang in ("kk", "ru", "en")}
        rows = [list(row) for row in by_language["en"]]
        series = {lang: [row[0] for row in lang_rows[7:]] for lang, lang_rows in by_language.items()}
        for row in rows[7:]:
            row[0] = ""
        periodic = p.PeriodicTable(dict(table.title), rows, series)
    if "solubility" in names:
        table = reference.solubility_table()
        grid = reference_rows.solubility_rows(table)
        solubility = p.SolubilityTable(dict(table.title), [reference_rows.ion_display(c) for c in grid[0][1:]],
                                       [reference_rows.ion_display(row[0]) for row in grid[1:]],
                                       [row[1:] for row in grid[1:]],
                                       {code: dict(names) for code, names in table.legend.items()})
    return p.Aids(periodic, solubility)


def seat_view(room: Room, student_id: int) -> p.SeatView:
    s = room.students[student_id]
    a = room.attempts[student_id]
    att = room.attendance[student_id]
    pack = room.pack_of(s)
    now = now_ms()
    status = a.state
    if att.present is False:
        status = "absent"
    elif student_id in room.pending:
        status = "awaiting_approval"
    online = student_id in room.online
    remaining = remaining_ms(room, student_id, now)
    alerts = []
    if student_id in room.pending:
        alerts.append("second_login")
    if a.data_mistake:
        alerts.append("data_mistake")
    if not online and a.state in IN_TEST and a.offline_since_ms and now - a.offline_since_ms > OFFLINE_ALERT_MS:
        alerts.append("offline")
    if a.state in IN_TEST and remaining <= FIVE_MINUTES_MS:
        alerts.append("five_minutes")
    if a.late_answers:
        alerts.append("late_answer")
    if student_id in room.removed_login_tries:
        alerts.append("removed_login")
    if room.guessed.get(student_id, 0) > now:
        alerts.append("login_burst")
    subject = pack.subjects[min(a.subject_index, len(pack.subjects) - 1)]
    on_break = a.state == State.ON_BREAK
    return p.SeatView(
        s.id, s.seat, s.ikt, s.login, s.surname, s.name, s.patronymic, s.class_label, s.language,
        s.variant, status, a.state, subject.id if a.started_ms else "", subject.title if a.started_ms else "",
        room.answered_count(student_id), len(pack.variant(s.variant).items()), remaining, online,
        None if online or a.state == State.NOT_LOGGED_IN else a.offline_since_ms, alerts, a.data_mistake or "",
        att.present, a.device is not None, att.late, att.reason, att.document, att.slip_handed, att.slip_collected, a.extra_ms // 60_000,
        a.annulled, a.finish_reason or "", a.questionnaire_done,  # whether, never what
        on_break,
        (max(0, minutes_ms(pack.timing.break_minutes) - (now - a.break_started_ms))
         if on_break and a.break_started_ms is not None else None),
        a.late_answers)


def sitting_view(room: Room) -> p.SittingView:
    meta = room.meta
    return p.SittingView(
        room.sitting_state, meta.get("school", ""), meta.get("room", ""), meta.get("sitting", ""),
        int(meta.get("grade", "0")), int(meta["opened_ms"]) if meta.get("opened_ms") else None,
        int(meta["closed_ms"]) if meta.get("closed_ms") else None, room.paused,
        room.pause_reason if room.paused else None, room.room_break,
        {lang: pack.id for lang, pack in room.packs.items()},
        next(iter(room.packs.values())).timing.total_minutes, room.late_grace_ms, room.staff.views(room.responded),
        room.day.streams(room) if room.day is not None else [])


def room_message(room: Room) -> p.Room:
    return p.Room(sitting_view(room), [seat_view(room, sid) for sid in room.students], room.address)


# A proctor's send queue holds SEND_QUEUE_LIMIT frames: every seat of a room of 500 in one
# flush (the ticker marks them all every 5 s) overflowed it and dropped the console each time.
SEATS_PER_FLUSH = 100


def flush_seats(room: Room) -> None:
    """Sends the proctors the seats that changed since the last flush, at most SEATS_PER_FLUSH
    of them; the others stay marked for the next flush, half a second later."""
    if not room.dirty_seats:
        return
    if not room.proctors:
        room.dirty_seats.clear()
        return
    for student_id in sorted(room.dirty_seats)[:SEATS_PER_FLUSH]:
        room.dirty_seats.discard(student_id)
        room.to_proctors(p.Seat(seat_view(room, student_id)))

"""Saving answers, and answers that arrive after the deadline.

An answer is acknowledged only after its commit (storage/answers.py). An app cut off from the
server keeps answering and journals what it makes; when it comes back it sends them. Whether
such a late answer counts is `sitting.late_answer_refusal` (docs/protocol.md, "Late answers");
every late answer that counts is an alert on the console and flagged in the audit log and the
bundle. The result is sealed when first shown, so no answer changes it afterwards.
"""

from __future__ import annotations

import room_protocol as p
from room_protocol import ErrorCode, ProtocolError
from room_protocol.rules import IN_TEST, MAX_SEQ, MAX_SEQ_AHEAD, answer_shape_error

from ..dispatch import Call, handles
from ..room import Room
from ..sitting import LateAnswer, late_answer_refusal
from ..storage import AnswerRecord, now_ms
from ..storage import answers as answer_rows

MAX_MADE_MS = 7 * 24 * 3_600_000  # attempt time of an answer: far above any test, far below SQLite's 64 bits


async def late_refusal(room: Room, student_id: int, msg: p.Answer, now: int) -> ProtocolError | None:
    """Why an answer arriving after the attempt ended does not count, or None if it does."""
    a = room.attempts[student_id]
    clock = room.clock_of(student_id)
    verdict = late_answer_refusal(LateAnswer(
        made_ms=msg.made_ms, limit_ms=clock.limit_ms, elapsed_now_ms=clock.elapsed_ms(now),
        offline_at_deadline=a.offline_at_deadline, time_over=a.finish_reason == "time_over",
        sealed=a.result is not None, sitting_closed=room.sitting_state == "closed",
        since_end_ms=now - (a.finished_ms or 0), grace_ms=room.late_grace_ms,
        offline_from_ms=clock.elapsed_ms(a.lost_at_ms) if a.lost_at_ms else None,
        latest_made_before=await answer_rows.latest_made_before(room.database, student_id, msg.seq)))
    return None if verdict is None else ProtocolError(*verdict)


@handles(p.Answer)
async def answer(room: Room, call: Call, msg: p.Answer) -> p.Ack:
    student, a = call.student, call.attempt
    variant = room.pack_of(student).variant(student.variant)
    item = variant.item(msg.item)
    if item is None:
        raise ProtocolError(ErrorCode.NOT_FOUND, f"no item {msg.item!r} in this test")
    if not 1 <= msg.seq <= min(MAX_SEQ, a.next_seq + MAX_SEQ_AHEAD):
        raise ProtocolError(ErrorCode.BAD_FIELD, f"answer: 'seq' must be from 1 to {min(MAX_SEQ, a.next_seq + MAX_SEQ_AHEAD)}")
    if not 0 <= msg.made_ms <= MAX_MADE_MS:
        raise ProtocolError(ErrorCode.BAD_FIELD, f"answer: 'made_ms' must be from 0 to {MAX_MADE_MS}")
    shape = answer_shape_error(item.kind, msg.value, options=len(item.options), left=len(item.left),
                               right=len(item.right))
    if shape:
        raise ProtocolError(ErrorCode.BAD_FIELD, f"the answer to {item.id} must be {shape}")
    refusal = None
    if a.state in IN_TEST and not a.ending:
        subject_id = variant.subject_of(item.id)
        index = [s.subject for s in variant.subjects].index(subject_id)
        if subject_id in a.closed_subjects:
            raise ProtocolError(ErrorCode.SUBJECT_CLOSED, "this subject is finished and cannot be reopened")
        if index > a.subject_index and not room.pack_of(student).timing.reopen_finished_subjects:
            raise ProtocolError(ErrorCode.WRONG_STATE, "this subject is not open yet")
    else:
        refusal = await late_refusal(room, student.id, msg, now_ms())
    record = AnswerRecord(student.id, msg.seq, msg.item, msg.value, msg.made_ms, refusal is None, student.login,
                          late=(a.state not in IN_TEST or a.ending) and refusal is None)
    stored = await room.answers.save(record)
    if not stored.is_new and (stored.item != msg.item or stored.value != msg.value):
        raise ProtocolError(ErrorCode.BAD_FIELD, f"answer number {msg.seq} was already used for another answer")
    if refusal is not None:  # kept for the record, counted = false
        raise refusal
    if record.late and stored.is_new:
        room.event(now_ms(), student.login, student.id, "late_answer", {"item": msg.item, "seq": msg.seq})
    return p.Ack(msg.seq, msg.item, stored.counted)

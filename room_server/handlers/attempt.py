"""The attempt from personal data to the result: confirming, starting (or waiting for the
sitting), moving between items and subjects, and finishing with the arithmetic check. The
result is computed once, when it is first shown, and sealed with the attempt."""

from __future__ import annotations

import secrets

import room_protocol as p
from content.scoring import score_attempt
from room_protocol import ErrorCode, ProtocolError
from room_protocol.rules import AFTER_TEST, IN_TEST, State, is_answered

from .. import views
from ..dispatch import Call, handles
from ..room import Room
from ..sitting import arithmetic_check, check_answer_ok
from ..storage import now_ms


@handles(p.ReportMistake)
async def report_mistake(room: Room, call: Call, msg: p.ReportMistake) -> None:
    note = msg.note[:500] or "the student reports a mistake in their personal data"
    await room.change_attempt(call.student.id, call.student.login, "data_mistake", {"note": note}, data_mistake=note)


@handles(p.ConfirmData)
async def confirm_data(room: Room, call: Call, msg: p.ConfirmData) -> None:
    await room.change_attempt(call.student.id, call.student.login, "confirmed", None, state=State.RULES,
                              data_mistake=None)


@handles(p.Start)
async def start(room: Room, call: Call, msg: p.Start) -> p.Message:
    student, a = call.student, call.attempt
    if a.state in IN_TEST:  # a resume: the test again, where the student stopped
        views.push_clock(room, student.id)
        return views.test_message(room, student.id)
    if room.sitting_state == "closed":
        raise ProtocolError(ErrorCode.CLOSED, "the sitting is closed")
    if room.sitting_state != "open":
        if a.state != State.WAITING:
            await room.change_attempt(student.id, student.login, "rules_accepted", None, state=State.WAITING)
        return p.Waiting()
    await room.change_attempt(
        student.id, student.login, "started", None, state=State.TESTING, started_ms=a.started_ms or now_ms(),
        journal_key=a.journal_key or secrets.token_bytes(32),
        current_item=a.current_item or room.pack_of(student).variant(student.variant).items()[0].id)
    views.push_clock(room, student.id)
    return views.test_message(room, student.id)


@handles(p.Goto)
async def goto(room: Room, call: Call, msg: p.Goto) -> None:
    student, a = call.student, call.attempt
    if room.pack_of(student).variant(student.variant).item(msg.item) is None:
        raise ProtocolError(ErrorCode.NOT_FOUND, f"no item {msg.item!r} in this test")
    a.current_item = msg.item
    a.position_dirty = True  # written by the ticker: losing a second of position is harmless


@handles(p.NextSubject)
async def next_subject(room: Room, call: Call, msg: p.NextSubject) -> p.SubjectNow:
    student, a = call.student, call.attempt
    pack = room.pack_of(student)
    if a.subject_index >= len(pack.subjects) - 1:
        raise ProtocolError(ErrorCode.WRONG_STATE, "this is the last subject; finish the test instead")
    closed = list(a.closed_subjects)
    current = pack.subjects[a.subject_index].id
    if not pack.timing.reopen_finished_subjects and current not in closed:
        closed.append(current)
    index = a.subject_index + 1
    first = pack.variant(student.variant).subjects[index].items[0].id
    await room.change_attempt(student.id, student.login, "next_subject", {"from": current, "to": pack.subjects[index].id},
                              subject_index=index, closed_subjects=closed, current_item=first)
    return p.SubjectNow(index, closed)


@handles(p.OpenSubject)
async def open_subject(room: Room, call: Call, msg: p.OpenSubject) -> p.SubjectNow:
    student, a = call.student, call.attempt
    pack = room.pack_of(student)
    ids = [s.id for s in pack.subjects]
    if msg.subject not in ids:
        raise ProtocolError(ErrorCode.NOT_FOUND, f"no subject {msg.subject!r}")
    index = ids.index(msg.subject)
    if msg.subject in a.closed_subjects or (index > a.subject_index and not pack.timing.reopen_finished_subjects):
        raise ProtocolError(ErrorCode.SUBJECT_CLOSED, "this subject cannot be opened now")
    first = pack.variant(student.variant).subjects[index].items[0].id
    await room.change_attempt(student.id, student.login, "open_subject", {"subject": msg.subject},
                              subject_index=index, current_item=first)
    return p.SubjectNow(index, list(a.closed_subjects))


@handles(p.FinishRequest)
async def finish_request(room: Room, call: Call, msg: p.FinishRequest) -> p.FinishCheck:
    student, a = call.student, call.attempt
    question, a.check = arithmetic_check(room.rng)
    pack = room.pack_of(student)
    unanswered = {}
    for subject, block in zip(pack.subjects, pack.variant(student.variant).subjects):
        unanswered[subject.id] = sum(
            1 for item in block.items if not is_answered(item.kind, a.latest.get(item.id, (0, None))[1]))
    return p.FinishCheck(question, unanswered)


@handles(p.Finish)
async def finish(room: Room, call: Call, msg: p.Finish) -> p.Result:
    student, a = call.student, call.attempt
    if a.check is None:
        raise ProtocolError(ErrorCode.WRONG_STATE, "ask to finish first (finish_request)")
    if not check_answer_ok(a.check, msg.check):
        a.check = None
        raise ProtocolError(ErrorCode.BAD_CHECK, "the example's answer is wrong; try a new one")
    await finish_attempt(room, student.id, "finished", student.login, seal=True)
    return p.Result.of(a.result)


@handles(p.GetResult)
async def get_result(room: Room, call: Call, msg: p.GetResult) -> p.Result:
    """The result of a finished attempt. An app that was offline at the deadline asks for it
    after it has sent its journal: this is when the result is sealed."""
    a = call.attempt
    if a.annulled:
        raise ProtocolError(ErrorCode.REMOVED, "the administrator has ended this test")
    if a.result is None:
        await seal(room, call.student.id, call.student.login)
    return p.Result.of(a.result)


def compute_result(room: Room, student_id: int) -> p.ResultView:
    student, a = room.students[student_id], room.attempts[student_id]
    responses = {item: value for item, (_, value) in a.latest.items()}
    score = score_attempt(room.pack_of(student), student.variant, responses)
    return p.ResultView([p.SubjectScore(s.subject, s.title, s.score, s.max_score) for s in score.subjects],
                        score.total, score.max_total, score.percent, a.finish_reason or "finished")


async def finish_attempt(room: Room, student_id: int, reason: str, actor: str, *, seal: bool, **changes) -> None:
    """Ends the test. With `seal`, the result is computed and sealed in the same commit; an
    app cut off at the deadline gets its grace window first (see handlers/answers.py)."""
    a = room.attempts[student_id]
    a.finish_reason = reason
    a.ending = True  # an answer arriving from here on is judged as after the test
    try:
        # Answers that arrived before the end may still be on their way to the disk: the
        # result counts them (memory follows the file at their commit).
        await room.answers.settled()
        if seal:
            changes["result"] = compute_result(room, student_id)
        await room.change_attempt(student_id, actor, "finished",
                                  {"reason": reason, **({"total": changes["result"].total} if seal else {})},
                                  state=State.FINISHED, finished_ms=now_ms(), finish_reason=reason,
                                  break_started_ms=None, **changes)
    finally:
        a.ending = False
    a.check = None


async def seal(room: Room, student_id: int, actor: str) -> None:
    """Computes and seals the result of a finished attempt; from now on it never changes."""
    a = room.attempts[student_id]
    if a.result is not None or a.state not in AFTER_TEST:
        return
    result = compute_result(room, student_id)
    await room.change_attempt(student_id, actor, "result_sealed", {"total": result.total}, result=result)

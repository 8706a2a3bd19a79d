"""The questionnaire after the test. It is confidential by construction: the answers are
sealed on the student's computer to the analysis centre's key and arrive here as one
fixed-size blob, which the room keeps for the centre without being able to read it. The room
knows only whether a student submitted."""

from __future__ import annotations

import room_protocol as p
from room_protocol import ErrorCode, ProtocolError
from room_protocol.rules import QUESTIONNAIRE_LATE_MS, QUESTIONNAIRE_SEALED_BYTES, State

from ..dispatch import Call, handles
from ..room import Room
from ..sitting import minutes_ms
from ..storage import now_ms, questionnaire as questionnaire_rows


@handles(p.QuestionnaireStart)
async def questionnaire_start(room: Room, call: Call, msg: p.QuestionnaireStart) -> p.QuestionnaireOut:
    student, a = call.student, call.attempt
    q = room.questionnaires[student.language]
    started = a.questionnaire_started_ms or now_ms()
    if a.state != State.QUESTIONNAIRE:
        await room.change_attempt(student.id, student.login, "questionnaire_started", None,
                                  state=State.QUESTIONNAIRE, questionnaire_started_ms=started)
    remaining = max(0, minutes_ms(q.minutes) - (now_ms() - started))
    return p.QuestionnaireOut(q.id, q.version, q.audience, q.title, q.intro, q.minutes, remaining,
                              [p.QuestionView(**question.student_view()) for question in q.questions], q.centre_key)


@handles(p.QuestionnaireSubmit)
async def questionnaire_submit(room: Room, call: Call, msg: p.QuestionnaireSubmit) -> p.Done:
    student, a = call.student, call.attempt
    who = questionnaire_rows.respondent(student.id)
    if who in room.responded:
        raise ProtocolError(ErrorCode.ALREADY_DONE, "this questionnaire was already submitted")
    if a.state == State.DONE:  # its time ran out while the app was sending
        q = room.questionnaires[student.language]
        ends = (a.questionnaire_started_ms or 0) + minutes_ms(q.minutes) + QUESTIONNAIRE_LATE_MS
        if a.questionnaire_started_ms is None or now_ms() > ends:
            raise ProtocolError(ErrorCode.WRONG_STATE, "the questionnaire's time is over")
    if len(msg.sealed) != QUESTIONNAIRE_SEALED_BYTES:
        raise ProtocolError(ErrorCode.BAD_FIELD, f"a sealed response is {QUESTIONNAIRE_SEALED_BYTES} bytes, "
                                                 f"not {len(msg.sealed)}")
    q = room.questionnaires[student.language]
    await room.change_attempt(
        student.id, student.login, "questionnaire_done", None,
        also=[questionnaire_rows.add_response(who, q.audience, q.id, msg.sealed, now_ms())],
        apply=lambda: room.responded.add(who), state=State.DONE, questionnaire_done=1)
    return p.Done()

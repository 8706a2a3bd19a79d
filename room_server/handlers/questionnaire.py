"""The questionnaire after the test: confidential, under a pseudonym no table joins to the
student."""

from __future__ import annotations

import secrets
from typing import Any

import room_protocol as p
from room_protocol import ErrorCode, ProtocolError
from room_protocol.rules import State

from ..dispatch import Call, handles
from ..room import Room
from ..sitting import minutes_ms
from ..storage import now_ms, questionnaire as questionnaire_rows


@handles(p.QuestionnaireStart)
async def questionnaire_start(room: Room, call: Call, msg: p.QuestionnaireStart) -> p.QuestionnaireOut:
    student, a = call.student, call.attempt
    q = room.questionnaires[student.language]
    started = a.questionnaire_started_ms or now_ms()
    pseudonym = secrets.token_hex(12)
    await room.database.write([questionnaire_rows.issue_pseudonym(pseudonym)])
    room.pseudonyms.add(pseudonym)
    if a.state != State.QUESTIONNAIRE:
        await room.change_attempt(student.id, student.login, "questionnaire_started", None,
                                  state=State.QUESTIONNAIRE, questionnaire_started_ms=started)
    remaining = max(0, minutes_ms(q.minutes) - (now_ms() - started))
    return p.QuestionnaireOut(pseudonym, q.title, q.intro, q.minutes, remaining,
                              [p.QuestionView(**question.student_view()) for question in q.questions])


@handles(p.QuestionnaireAnswer)
async def questionnaire_answer(room: Room, call: Call, msg: p.QuestionnaireAnswer) -> None:
    if msg.pseudonym not in room.pseudonyms:
        raise ProtocolError(ErrorCode.NOT_FOUND, "unknown questionnaire pseudonym")
    q = room.questionnaires[call.student.language]
    question = next((x for x in q.questions if x.id == msg.question), None)
    if question is None:
        raise ProtocolError(ErrorCode.NOT_FOUND, f"no question {msg.question!r}")
    _check_value(question, msg.value)
    # No audit entry and no time: nothing may join these answers back to the student.
    await room.database.write([questionnaire_rows.answer(msg.pseudonym, msg.question, msg.value)])


@handles(p.QuestionnaireDone)
async def questionnaire_done(room: Room, call: Call, msg: p.QuestionnaireDone) -> p.Done:
    await room.change_attempt(call.student.id, call.student.login, "questionnaire_done", None, state=State.DONE,
                              questionnaire_done=1)
    return p.Done()


def _check_value(question, value: Any) -> None:
    if value is None:
        return
    ok = False
    if question.kind == "choice":
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(question.options)
    elif question.kind == "multi":
        ok = isinstance(value, list) and all(isinstance(v, int) and 0 <= v < len(question.options) for v in value)
    elif question.kind == "text":
        ok = isinstance(value, str) and len(value) <= 500
    if not ok:
        raise ProtocolError(ErrorCode.BAD_FIELD, f"the answer does not fit question {question.id}")

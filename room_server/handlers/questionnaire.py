"""The questionnaire: a student's after the test, a teacher's or principal's whenever the room
runs. It is confidential by construction: the answers are sealed on the answering computer to
the analysis centre's key and arrive here as one fixed-size blob, which the room keeps for the
centre without being able to read it. The room knows only whether each respondent submitted."""

from __future__ import annotations

import room_protocol as p
from content.model import Questionnaire
from room_protocol import ErrorCode, ProtocolError
from room_protocol.rules import QUESTIONNAIRE_LATE_MS, QUESTIONNAIRE_SEALED_BYTES, State

from .. import views
from ..dispatch import Call, handles
from ..model import StaffMember
from ..room import Room
from ..sitting import minutes_ms
from ..storage import now_ms, questionnaire as questionnaire_rows, staff as staff_rows


def questionnaire_out(q: Questionnaire, started_ms: int) -> p.QuestionnaireOut:
    remaining = max(0, minutes_ms(q.minutes) - (now_ms() - started_ms))
    return p.QuestionnaireOut(q.id, q.version, q.audience, q.title, q.intro, q.minutes, remaining,
                              [p.QuestionView(**question.student_view()) for question in q.questions], q.centre_key)


def check_sealed(msg: p.QuestionnaireSubmit) -> None:
    if len(msg.sealed) != QUESTIONNAIRE_SEALED_BYTES:
        raise ProtocolError(ErrorCode.BAD_FIELD, f"a sealed response is {QUESTIONNAIRE_SEALED_BYTES} bytes, "
                                                 f"not {len(msg.sealed)}")


def check_in_time(q: Questionnaire, started_ms: int | None) -> None:
    """A response sent as its time ran out may arrive a little late; never one much later."""
    if started_ms is None or now_ms() > started_ms + minutes_ms(q.minutes) + QUESTIONNAIRE_LATE_MS:
        raise ProtocolError(ErrorCode.WRONG_STATE, "the questionnaire's time is over")


@handles(p.QuestionnaireStart)
async def questionnaire_start(room: Room, call: Call, msg: p.QuestionnaireStart) -> p.QuestionnaireOut:
    if call.staff is not None:
        return await staff_start(room, call.staff, msg)
    student, a = call.student, call.attempt
    q = room.questionnaires[student.language]
    started = a.questionnaire_started_ms or now_ms()
    if a.state != State.QUESTIONNAIRE:
        await room.change_attempt(student.id, student.login, "questionnaire_started", None,
                                  state=State.QUESTIONNAIRE, questionnaire_started_ms=started)
    return questionnaire_out(q, started)


@handles(p.QuestionnaireSubmit)
async def questionnaire_submit(room: Room, call: Call, msg: p.QuestionnaireSubmit) -> p.Done:
    if call.staff is not None:
        return await staff_submit(room, call.staff, msg)
    student, a = call.student, call.attempt
    who = questionnaire_rows.respondent(student.id)
    if who in room.responded:
        raise ProtocolError(ErrorCode.ALREADY_DONE, "this questionnaire was already submitted")
    q = room.questionnaires[student.language]
    if a.state == State.DONE:  # its time ran out while the app was sending
        check_in_time(q, a.questionnaire_started_ms)
    check_sealed(msg)
    await room.change_attempt(
        student.id, student.login, "questionnaire_done", None,
        also=[questionnaire_rows.add_response(who, q.audience, q.id, msg.sealed, now_ms())],
        apply=lambda: room.responded.add(who), state=State.DONE, questionnaire_done=1)
    return p.Done()


def staff_questionnaire(room: Room, member: StaffMember, language: str) -> Questionnaire:
    q = room.staff.questionnaires.get((member.audience, language))
    if q is None:
        languages = ", ".join(room.staff.languages(member.audience)) or "none"
        raise ProtocolError(ErrorCode.BAD_FIELD, f"no {member.audience} questionnaire in {language!r} here "
                                                 f"(languages: {languages})")
    return q


async def staff_start(room: Room, member: StaffMember, msg: p.QuestionnaireStart) -> p.QuestionnaireOut:
    if member.respondent in room.responded:
        raise ProtocolError(ErrorCode.ALREADY_DONE, "this questionnaire was already submitted")
    q = staff_questionnaire(room, member, msg.language)
    if member.questionnaire_started_ms is None or member.language != msg.language:
        started = member.questionnaire_started_ms or now_ms()

        def applied() -> None:
            member.questionnaire_started_ms, member.language = started, msg.language

        await room.record(member.login, None, "staff_questionnaire_started",
                          {"audience": member.audience, "language": msg.language},
                          also=[staff_rows.opened(member.id, started, msg.language)], apply=applied)
    return questionnaire_out(q, member.questionnaire_started_ms)


async def staff_submit(room: Room, member: StaffMember, msg: p.QuestionnaireSubmit) -> p.Done:
    if member.respondent in room.responded:
        raise ProtocolError(ErrorCode.ALREADY_DONE, "this questionnaire was already submitted")
    if member.questionnaire_started_ms is None or member.language is None:
        raise ProtocolError(ErrorCode.WRONG_STATE, "open the questionnaire first")
    q = staff_questionnaire(room, member, member.language)
    check_in_time(q, member.questionnaire_started_ms)
    check_sealed(msg)

    def applied() -> None:
        room.responded.add(member.respondent)

    await room.record(member.login, None, "staff_questionnaire_done", {"audience": member.audience},
                      also=[questionnaire_rows.add_response(member.respondent, member.audience, q.id, msg.sealed,
                                                            now_ms())], apply=applied)
    room.to_proctors(p.SittingChanged(views.sitting_view(room)))
    return p.Done()

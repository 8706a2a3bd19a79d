"""The format of a questionnaire response, sealed on the answering computer so the answers
never leave it in clear, and opened only at the analysis centre. The plaintext is msgpack of {v, audience, questionnaire, version, ikt, answers},
padded to one fixed size (room_protocol.rules.QUESTIONNAIRE_PLAINTEXT_BYTES) and sealed with
HPKE to the analysis centre's key (room_protocol.seal)."""

from __future__ import annotations

from typing import Any

import msgpack

from . import seal
from .messages import QuestionnaireOut
from .rules import MAX_QUESTIONNAIRE_TEXT, QUESTIONNAIRE_PLAINTEXT_BYTES
from .views import QuestionView

RESPONSE_VERSION = 1


def check_answer(question: QuestionView, value: Any) -> str | None:
    """None if `value` fits the question, else what it must be."""
    count = len(question.options)
    if question.kind == "choice":
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < count
        return None if ok else "one option's index"
    if question.kind == "multi":
        ok = isinstance(value, list) and len(set(value)) == len(value) and all(
            isinstance(v, int) and not isinstance(v, bool) and 0 <= v < count for v in value)
        return None if ok else "a list of different option indexes"
    if question.kind == "text":
        ok = isinstance(value, str) and len(value) <= MAX_QUESTIONNAIRE_TEXT
        return None if ok else f"text of at most {MAX_QUESTIONNAIRE_TEXT} characters"
    return "an answer of a known question kind"


def seal_response(questionnaire: QuestionnaireOut, answers: dict[str, Any], ikt: str) -> bytes:
    questions = {q.id: q for q in questionnaire.questions}
    for question_id, value in answers.items():
        if question_id not in questions:
            raise ValueError(f"no question {question_id!r} in this questionnaire")
        problem = check_answer(questions[question_id], value)
        if problem:
            raise ValueError(f"the answer to {question_id} must be {problem}")
    body = msgpack.packb({"v": RESPONSE_VERSION, "audience": questionnaire.audience,
                         "questionnaire": questionnaire.questionnaire, "version": questionnaire.version,
                         "ikt": ikt, "answers": answers}, use_bin_type=True)
    return seal.seal_padded(questionnaire.centre_key, body, QUESTIONNAIRE_PLAINTEXT_BYTES, seal.QUESTIONNAIRE_INFO)


def open_response(private_key: bytes, sealed: bytes) -> dict:
    """The centre's side: the response's plaintext (raises room_protocol.seal.SealError)."""
    return msgpack.unpackb(seal.open_padded(private_key, sealed, seal.QUESTIONNAIRE_INFO), raw=False)

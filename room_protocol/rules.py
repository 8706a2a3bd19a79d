"""The room's rules that every side must read the same way, as plain functions.

The server enforces them; the apps ask them to draw what the server will do. Nothing here
needs a socket, a database or a clock.
"""

from __future__ import annotations

import re
from typing import Any


class State:
    """An attempt's states (the state machine is drawn in docs/protocol.md)."""

    NOT_LOGGED_IN = "not_logged_in"
    CONFIRMING = "confirming"  # personal data shown, waiting for "Correct"
    RULES = "rules"  # rules shown, waiting for "I agree" + "Start testing"
    WAITING = "waiting"  # rules accepted, the sitting not open yet
    TESTING = "testing"
    ON_BREAK = "on_break"
    FINISHED = "finished"  # the result shown; the questionnaire is next
    QUESTIONNAIRE = "questionnaire"
    DONE = "done"
    REMOVED = "removed"  # removed or not admitted by the administrator; result annulled


IN_TEST = frozenset({State.TESTING, State.ON_BREAK})
AFTER_TEST = frozenset({State.FINISHED, State.QUESTIONNAIRE, State.DONE})
BEFORE_TEST = frozenset({State.CONFIRMING, State.RULES, State.WAITING})
STATES = frozenset(v for k, v in vars(State).items() if k.isupper())

# Which student message is allowed in which state (the server refuses the rest with
# wrong_state). Answers after the test only under the late-answer rule.
ALLOWED: dict[str, frozenset[str]] = {
    "report_mistake": frozenset({State.CONFIRMING}),
    "confirm_data": frozenset({State.CONFIRMING}),
    "start": frozenset({State.RULES, State.WAITING, State.TESTING, State.ON_BREAK}),
    "answer": frozenset({State.TESTING, State.ON_BREAK}) | AFTER_TEST,
    "goto": frozenset({State.TESTING}),
    "next_subject": frozenset({State.TESTING}),
    "open_subject": frozenset({State.TESTING}),
    "take_break": frozenset({State.TESTING}),
    "end_break": frozenset({State.ON_BREAK}),
    "finish_request": frozenset({State.TESTING}),
    "finish": frozenset({State.TESTING}),
    "get_result": AFTER_TEST,
    "questionnaire_start": frozenset({State.FINISHED, State.QUESTIONNAIRE}),
    "questionnaire_submit": frozenset({State.QUESTIONNAIRE, State.DONE}),
}

# Messages a paused room refuses (with `paused`), and a student on break (with `on_break`):
# nothing the student would have to undo when the room resumes.
REFUSED_WHILE_PAUSED = frozenset({"answer", "goto", "next_subject", "open_subject", "take_break",
                                  "finish_request", "finish"})
REFUSED_ON_BREAK = frozenset({"answer", "goto", "next_subject", "open_subject", "finish_request", "finish"})

FINISH_REASONS = ("finished", "time_over", "closed", "removed")
ALERTS = ("second_login", "data_mistake", "offline", "five_minutes", "late_answer", "login_burst",
          "removed_login")

# ------------------------------------------------------------------------- answers

ITEM_KINDS = ("single", "multiple", "matching", "short")
MAX_SHORT_ANSWER = 200
MAX_SEQ = 1_000_000  # answer numbers per attempt: far above any test (a few hundred changes)
MAX_SEQ_AHEAD = 10_000  # how far past the highest stored number a new one may jump
# A computer the student moves to numbers its answers from this far above the server's next
# number: the computer left behind may hold answers in its journal under the numbers just
# above, and the same number must never name two answers (docs/protocol.md, "Saving answers").
NEW_COMPUTER_SEQ_GAP = 1_000


def option_letter(index: int) -> str:
    """Options are named A, B, C... by their position in the author's list."""
    return chr(ord("A") + index)


def _letter_in(value: Any, count: int) -> bool:
    return isinstance(value, str) and len(value) == 1 and 0 <= ord(value) - 65 < count


def _left_number(key: Any, count: int) -> bool:
    return isinstance(key, str) and key.isascii() and key.isdigit() and 1 <= int(key) <= count


def answer_shape_error(kind: str, value: Any, *, options: int = 0, left: int = 0, right: int = 0) -> str | None:
    """None if `value` fits an item of this kind (docs/protocol.md, "Answer values"), else
    what it must be. `None` (clearing the answer) always fits."""
    if value is None:
        return None
    if kind == "single":
        return None if _letter_in(value, options) else "a single option letter"
    if kind == "multiple":
        ok = isinstance(value, list) and len(set(map(str, value))) == len(value) and all(
            _letter_in(v, options) for v in value)
        return None if ok else "a list of different option letters"
    if kind == "matching":
        ok = isinstance(value, dict) and all(_left_number(k, left) and _letter_in(v, right) for k, v in value.items())
        return None if ok else "a map from left numbers (as text) to right letters"
    if kind == "short":
        ok = isinstance(value, str) and len(value) <= MAX_SHORT_ANSWER
        return None if ok else f"text of at most {MAX_SHORT_ANSWER} characters"
    return "an answer of a known item kind"


def is_answered(kind: str, value: Any) -> bool:
    """Whether a saved value counts as an answer: the one rule the result, the finish screen,
    the palette and the proctor's count all use. Blank text is not an answer."""
    if value is None:
        return False
    if kind == "single":
        return isinstance(value, str) and bool(value.strip())
    if kind == "multiple":
        return isinstance(value, list) and any(isinstance(v, str) and v.strip() for v in value)
    if kind == "matching":
        return isinstance(value, dict) and any(isinstance(v, str) and v.strip() for v in value.values())
    if kind == "short":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return True  # a number sent as a number by some client: scoring reads it
        return isinstance(value, str) and bool(value.strip())
    return False


# ------------------------------------------------------------------------- the questionnaire

# A response is sealed on the answering computer (room_protocol.seal): msgpack of
# {v, audience, questionnaire, version, language, ikt, answers} padded to this many bytes, so
# every sealed response has the same length whatever it says.
QUESTIONNAIRE_PLAINTEXT_BYTES = 15 * 1024
SEAL_OVERHEAD = 48  # the encapsulated key and the AEAD tag
QUESTIONNAIRE_SEALED_BYTES = QUESTIONNAIRE_PLAINTEXT_BYTES + SEAL_OVERHEAD
MAX_QUESTIONNAIRE_TEXT = 300  # characters of a typed answer (fits the fixed size whatever the script)
QUESTIONNAIRE_LATE_MS = 2 * 60_000  # a response the app sent at its time over may arrive this late
STAFF_AUDIENCES = ("teacher", "principal")  # who answers a questionnaire without a test
STAFF_MESSAGES = frozenset({"questionnaire_start", "questionnaire_submit"})  # all a staff login may send


# ------------------------------------------------------------------------- number answers

# A typed number: an optional sign, digits with one decimal point or comma. Deliberately
# narrower than float(): "1e3", "inf", "1_000" are not what a student means.
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")
_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-"})  # "−5" typed from a layout
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")  # "82 000": spaces group the thousands


def number_text(text: Any, units: list[str] | tuple[str, ...] | None = ()) -> str | None:
    """A typed number answer as the plain number ("82 000 ₸" -> "82000", "2,5" -> "2.5"), or
    None when it is not a number. Digits, a sign, one decimal comma or point and spaces are
    allowed; so is one of the item's `units` after the number (with or without its final
    dot, any case). The app checks it before sending, the scorer reads the same way."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        text = repr(text)  # a client that sent the number itself
    if not isinstance(text, str):
        return None
    cleaned = _SPACES.sub(" ", text.translate(_MINUS_SIGNS)).strip()
    forms = {form for unit in units or () for form in (unit.strip(), unit.strip().rstrip(".")) if form}
    for form in sorted(forms, key=len, reverse=True):  # "жылы" before "ж"
        if len(cleaned) > len(form) and cleaned[-len(form):].casefold() == form.casefold():
            cleaned = cleaned[:-len(form)].strip()
            break
    cleaned = cleaned.replace(" ", "")
    if not _NUMBER.match(cleaned):
        return None
    return cleaned.replace(",", ".")


# ------------------------------------------------------------------------- the room

def is_present(marked: bool | None, logged_in: bool) -> bool:
    """Present: marked present, or not marked but logged in at some point (they are in the
    room). A student whose slip an impostor used, and who never logged in, is not."""
    if marked is not None:
        return marked
    return logged_in


INCIDENT_KINDS = ("annex1", "annex2", "other")


def incident_removes(kind: str) -> bool:
    """Annex 1 (prohibited items) removes the student; Annex 2 (an impostor) either keeps the
    impostor out or removes them — either way the slip is never used again in this sitting
    and the result is annulled. Other incidents only go on record."""
    return kind in ("annex1", "annex2")

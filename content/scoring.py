"""Scoring of a student's responses (docs/content-format.md, "Scoring"). Plain functions, no I/O.

Responses arrive in the wire format the server stores:
  single   -> "B"
  multiple -> ["A", "C"]
  matching -> {"1": "C", "2": "A"}   (left number as text -> right letter)
  short    -> the typed text ("2,5" and "2.5" are the same number)
None, "", [] and {} mean no answer. A response of the wrong shape scores 0, never raises:
the server must be able to score whatever a (possibly broken) client sent.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation

from content.model import Item, TestPack
from room_protocol import rules

def normalize_text(text: str) -> str:
    """Compare text answers as a teacher would: case, surrounding and repeated spaces, and
    ё/е do not matter."""
    text = unicodedata.normalize("NFC", text).casefold().replace("ё", "е")
    return " ".join(text.split())


def parse_number(text: object, units: tuple[str, ...] = ()) -> Decimal | None:
    """A typed number ("2,5", " 2.5 ", "-3", "82 000 ₸" when "₸" is one of the item's
    units), or None when it is not one (the protocol's one rule, `rules.number_text`)."""
    cleaned = rules.number_text(text, units)
    if cleaned is None:
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def _letter(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip().upper()
    return value or None


def _chosen_letters(response: object) -> set[str]:
    if not isinstance(response, (list, tuple)):
        return set()
    return {letter for letter in map(_letter, response) if letter}


def _pairs(response: object) -> dict[str, str]:
    """A matching response as {"1": "C"}; keys may arrive as ints from some encoders."""
    if not isinstance(response, dict):
        return {}
    pairs = {}
    for number, letter in response.items():
        letter = _letter(letter)
        if letter:
            pairs[str(number).strip()] = letter
    return pairs


def is_answered(item: Item, response: object) -> bool:
    """Whether the student gave an answer to the item: the protocol's one rule."""
    return rules.is_answered(item.kind, response)


def score_item(item: Item, response: object) -> int:
    """Points earned for one response (0 for no answer or a malformed one)."""
    if not is_answered(item, response):
        return 0
    if item.kind == "single":
        return item.points if _letter(response) == item.key else 0
    if item.kind == "multiple":
        key = set(item.key)
        chosen = _chosen_letters(response)
        errors = len(key - chosen) + len(chosen - key)
        return max(0, item.points - errors)
    if item.kind == "matching":
        key: dict[str, str] = item.key
        pairs = _pairs(response)
        wrong = sum(1 for number, letter in key.items() if pairs.get(number) != letter)
        nonexistent = sum(1 for number in pairs if number not in key)
        return max(0, item.points - wrong - nonexistent)
    if item.kind == "short":
        if item.answer_type == "number":
            value = parse_number(response, item.units)
            if value is None:
                return 0
            # Decimal from the shortest repr keeps 0.1 as 0.1, so tolerance edges are exact.
            distance = abs(value - Decimal(repr(float(item.key))))
            return item.points if distance <= Decimal(repr(float(item.tolerance))) else 0
        accepted = {normalize_text(form) for form in item.key}
        return item.points if normalize_text(str(response)) in accepted else 0
    raise ValueError(f"item {item.id}: unknown kind {item.kind!r}")


@dataclass(frozen=True)
class SubjectScore:
    subject: str  # subject id
    title: str
    score: int
    max_score: int

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class AttemptScore:
    subjects: list[SubjectScore]
    total: int
    max_total: int
    percent: float

    def as_dict(self) -> dict:
        return asdict(self)


def percent_of(total: int, max_total: int) -> float:
    return round(total / max_total * 100, 1) if max_total else 0.0


def score_attempt(pack: TestPack, variant_id: str, responses: dict[str, object]) -> AttemptScore:
    """Scores of one student's variant: per subject, total and percent.

    `responses` maps item id to response; missing items count as unanswered.
    Raises KeyError for a variant the pack does not have."""
    variant = pack.variant(variant_id)
    subjects = []
    for part in variant.subjects:
        score = sum(score_item(item, responses.get(item.id)) for item in part.items)
        max_score = sum(item.points for item in part.items)
        subjects.append(SubjectScore(part.subject, pack.subject(part.subject).title, score, max_score))
    total = sum(s.score for s in subjects)
    max_total = sum(s.max_score for s in subjects)
    return AttemptScore(subjects, total, max_total, percent_of(total, max_total))

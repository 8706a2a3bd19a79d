"""content.scoring against tables worked out by hand."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from content import model
from content.model import Item, Subject, SubjectItems, Timing, Variant
from content.scoring import (
    AttemptScore,
    SubjectScore,
    is_answered,
    normalize_text,
    score_attempt,
    score_item,
)

SINGLE = Item("s", "single", "?", 1, options=("a", "b", "c", "d"), key="B")
SINGLE_3 = Item("s3", "single", "?", 3, options=("a", "b"), key="A")
MULTIPLE = Item("m", "multiple", "?", 2, options=("a", "b", "c", "d"), key=("A", "C"))
MULTIPLE_3 = Item("m3", "multiple", "?", 3, options=("a", "b", "c", "d", "e"), key=("A", "B", "D"))
MATCHING = Item("p", "matching", "?", 3, left=("Fe", "Cu", "Na"), right=("Cu", "Na", "Fe", "K"),
                key={"1": "C", "2": "A", "3": "B"})
MATCHING_2 = Item("p2", "matching", "?", 2, left=("Fe", "Cu", "Na"), right=("Cu", "Na", "Fe"),
                  key={"1": "C", "2": "A", "3": "B"})
NUMBER = Item("n", "short", "?", 1, answer_type="number", key=2.5)
NUMBER_TOL = Item("nt", "short", "?", 2, answer_type="number", key=25.0, tolerance=0.5)
NUMBER_TENTH = Item("n10", "short", "?", 1, answer_type="number", key=0.3, tolerance=0.1)
NEGATIVE = Item("neg", "short", "?", 1, answer_type="number", key=-4.0)
YEAR = Item("y", "short", "?", 1, answer_type="number", key=2015.0, units=("ж.", "жылы"))
MONEY = Item("tg", "short", "?", 1, answer_type="number", key=82000.0, units=("₸",))
TEXT = Item("t", "short", "?", 1, answer_type="text", key=("Алматы", "Алма-Ата"))
TEXT_YO = Item("ty", "short", "?", 1, answer_type="text", key=("ёлка",))

ROWS = [
    # numbers with the units the item declares: stripped; other text after a number: 0
    (YEAR, "2015 ж.", 1),
    (YEAR, "2015 ж", 1),
    (YEAR, "2015 жылы", 1),
    (YEAR, "2015 ЖЫЛЫ", 1),
    (YEAR, "2015", 1),
    (YEAR, "2015 г.", 0),
    (YEAR, "ж. 2015", 0),
    (MONEY, "82 000 ₸", 1),
    (MONEY, "82000₸", 1),
    (MONEY, "82\u00a0000", 1),
    (NUMBER, "2,5 ₸", 0),  # a unit this item does not declare
    # single: all or nothing
    (SINGLE, "B", 1),
    (SINGLE, "b", 1),
    (SINGLE, " B ", 1),
    (SINGLE, "A", 0),
    (SINGLE, "E", 0),
    (SINGLE, None, 0),
    (SINGLE, "", 0),
    (SINGLE, ["B"], 0),  # wrong shape
    (SINGLE_3, "A", 3),
    # multiple, 2 points, key A C: one point off per error, never below 0
    (MULTIPLE, ["A", "C"], 2),
    (MULTIPLE, ["C", "A"], 2),
    (MULTIPLE, ["A"], 1),  # missed C
    (MULTIPLE, ["A", "B", "C"], 1),  # extra B
    (MULTIPLE, ["B"], 0),  # missed A, C, extra B: 2-3 -> 0
    (MULTIPLE, ["B", "D"], 0),
    (MULTIPLE, ["A", "B", "C", "D"], 0),  # two extras
    (MULTIPLE, ["A", "A", "C"], 2),  # a repeated letter is one choice
    (MULTIPLE, ["a", "c"], 2),
    (MULTIPLE, [], 0),
    (MULTIPLE, None, 0),
    (MULTIPLE, "AC", 0),  # wrong shape
    # multiple, 3 points, key A B D
    (MULTIPLE_3, ["A", "B", "D"], 3),
    (MULTIPLE_3, ["A", "B"], 2),
    (MULTIPLE_3, ["A", "B", "D", "E"], 2),
    (MULTIPLE_3, ["A", "C"], 0),  # missed B, D; extra C: 3-3 = 0
    (MULTIPLE_3, ["A"], 1),  # missed B, D -> 3-2
    (MULTIPLE_3, ["C", "E"], 0),
    # matching, 3 points, 3 pairs 1-C 2-A 3-B
    (MATCHING, {"1": "C", "2": "A", "3": "B"}, 3),
    (MATCHING, {"3": "B", "1": "C", "2": "A"}, 3),
    (MATCHING, {"1": "C", "2": "A", "3": "D"}, 2),  # one wrong
    (MATCHING, {"1": "C", "2": "A"}, 2),  # one unpaired
    (MATCHING, {"1": "C", "2": "B", "3": "A"}, 1),  # two wrong
    (MATCHING, {"1": "A", "2": "B", "3": "C"}, 0),
    (MATCHING, {"1": "C", "2": "A", "3": "B", "4": "D"}, 2),  # left 4 does not exist
    (MATCHING, {1: "C", 2: "A", 3: "B"}, 3),  # int keys from an encoder
    (MATCHING, {"1": "c", "2": "a", "3": "b"}, 3),
    (MATCHING, {"1": "C", "2": "", "3": None}, 1),  # empty pairings are unpaired
    (MATCHING, {}, 0),
    (MATCHING, None, 0),
    (MATCHING, ["C", "A", "B"], 0),  # wrong shape
    # matching, 2 points, 3 pairs: one slip -> 1, two slips -> 0
    (MATCHING_2, {"1": "C", "2": "A", "3": "B"}, 2),
    (MATCHING_2, {"1": "C", "2": "A", "3": "A"}, 1),
    (MATCHING_2, {"1": "C"}, 0),
    # short number: comma or point, spaces trimmed, tolerance edges inclusive
    (NUMBER, "2.5", 1),
    (NUMBER, "2,5", 1),
    (NUMBER, " 2,50 ", 1),
    (NUMBER, "+2.5", 1),
    (NUMBER, "2.51", 0),
    (NUMBER, "5/2", 0),
    (NUMBER, "2.5 cm", 0),
    (NUMBER, "1e0", 0),
    (NUMBER, "nan", 0),
    (NUMBER, "", 0),
    (NUMBER, "   ", 0),
    (NUMBER, None, 0),
    (NUMBER, 2.5, 1),  # a client that sent the number itself
    (NUMBER_TOL, "25", 2),
    (NUMBER_TOL, "24.5", 2),  # edge: exactly the tolerance away
    (NUMBER_TOL, "25,5", 2),
    (NUMBER_TOL, "25.51", 0),
    (NUMBER_TOL, "24.49", 0),
    (NUMBER_TENTH, "0.4", 1),  # 0.4 - 0.3 is 0.1 exactly, not 0.10000000000000003
    (NUMBER_TENTH, "0,2", 1),
    (NUMBER_TENTH, "0.41", 0),
    (NUMBER_TENTH, ".3", 1),
    (NEGATIVE, "-4", 1),
    (NEGATIVE, "\u22124", 1),  # the minus sign of some keyboard layouts
    (NEGATIVE, "4", 0),
    # short text: case, spaces and ё/е do not matter
    (TEXT, "Алматы", 1),
    (TEXT, "алматы", 1),
    (TEXT, "  АЛМАТЫ ", 1),
    (TEXT, "Алма-Ата", 1),
    (TEXT, "алма-ата", 1),
    (TEXT, "Алма Ата", 0),
    (TEXT, "Астана", 0),
    (TEXT, "", 0),
    (TEXT_YO, "Елка", 1),
    (TEXT_YO, "ЁЛКА", 1),
    (TEXT_YO, "ёлка", 1),
]


@pytest.mark.parametrize("item, response, expected", ROWS,
                         ids=[f"{r[0].id}-{r[1]!r}" for r in ROWS])
def test_score_item(item, response, expected):
    score = score_item(item, response)
    assert score == expected
    assert type(score) is int


@pytest.mark.parametrize("item, response, answered", [
    (SINGLE, "A", True),
    (SINGLE, "", False),
    (SINGLE, None, False),
    (MULTIPLE, ["B"], True),
    (MULTIPLE, [], False),
    (MATCHING, {"1": "A"}, True),
    (MATCHING, {}, False),
    (MATCHING, {"1": ""}, False),
    (NUMBER, "abc", True),  # answered, though not a number: scores 0
    (NUMBER, "  ", False),
    (TEXT, "x", True),
])
def test_is_answered(item, response, answered):
    assert is_answered(item, response) is answered


@pytest.mark.parametrize("raw, normal", [
    ("  Алма   Ата ", "алма ата"),
    ("ЁЛКА", "елка"),
    ("Қазақстан", "қазақстан"),
    ("Straße", "strasse"),
    ("a\tb\nc", "a b c"),
])
def test_normalize_text(raw, normal):
    assert normalize_text(raw) == normal


ANY_RESPONSE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=2) | st.integers(), inner, max_size=4),
    max_leaves=8,
)


@given(response=ANY_RESPONSE)
def test_any_response_scores_within_the_points(response):
    for item in (SINGLE, MULTIPLE_3, MATCHING, NUMBER_TOL, TEXT):
        assert 0 <= score_item(item, response) <= item.points


# --------------------------------------------------------------------------- a whole attempt


def attempt_pack() -> model.TestPack:
    reading = SubjectItems("reading", (), (
        Item("r1", "single", "?", 1, options=("a", "b", "c"), key="B"),
        Item("r2", "multiple", "?", 2, options=("a", "b", "c", "d"), key=("A", "C")),
        Item("r3", "single", "?", 1, options=("a", "b"), key="A"),
    ))
    math = SubjectItems("math", (), (
        Item("m1", "matching", "?", 3, left=("x", "y", "z"), right=("p", "q", "r"),
             key={"1": "B", "2": "C", "3": "A"}),
        Item("m2", "short", "?", 1, answer_type="number", key=12.5, tolerance=0.0),
        Item("m3", "short", "?", 2, answer_type="number", key=100.0, tolerance=1.0),
    ))
    science = SubjectItems("science", (), (
        Item("c1", "short", "?", 1, answer_type="text", key=("Сутегі",)),
        Item("c2", "multiple", "?", 3, options=("a", "b", "c", "d", "e"), key=("B", "D", "E")),
    ))
    return model.TestPack(
        id="mini", title="Mini", grade=9, language="kk",
        timing=Timing(170, 35, 10, 3),
        subjects=(Subject("reading", "Оқу"), Subject("math", "Математика"),
                  Subject("science", "Жаратылыстану")),
        variants=(Variant("A", (reading, math, science)), Variant("B", (reading, math, science))),
    )


def test_score_attempt():
    responses = {
        "r1": "B",                           # 1 of 1
        "r2": ["A", "B"],                    # missed C, extra B: 2-2 = 0 of 2
        # r3 unanswered                      # 0 of 1          -> reading 1 of 4
        "m1": {"1": "B", "2": "C", "3": "C"},  # one wrong: 3-1 = 2 of 3
        "m2": "12,5",                        # 1 of 1
        "m3": "98.5",                        # 1.5 away, tolerance 1: 0 of 2 -> math 3 of 6
        "c1": " сутегі ",                    # 1 of 1
        "c2": ["B", "D"],                    # missed E: 3-1 = 2 of 3 -> science 3 of 4
        "unknown-item": "A",                 # ignored
    }
    # total 1+3+3 = 7 of 4+6+4 = 14 -> 50.0 %
    result = score_attempt(attempt_pack(), "A", responses)
    assert result == AttemptScore(
        subjects=[SubjectScore("reading", "Оқу", 1, 4), SubjectScore("math", "Математика", 3, 6),
                  SubjectScore("science", "Жаратылыстану", 3, 4)],
        total=7, max_total=14, percent=50.0,
    )
    assert result.as_dict() == {
        "subjects": [
            {"subject": "reading", "title": "Оқу", "score": 1, "max_score": 4},
            {"subject": "math", "title": "Математика", "score": 3, "max_score": 6},
            {"subject": "science", "title": "Жаратылыстану", "score": 3, "max_score": 4},
        ],
        "total": 7, "max_total": 14, "percent": 50.0,
    }


def test_score_attempt_rounds_percent_and_handles_nothing():
    pack = attempt_pack()
    # r1 right only: 1 of 14 = 7.142... -> 7.1
    assert score_attempt(pack, "B", {"r1": "B"}).percent == 7.1
    # everything right: 14 of 14
    full = {"r1": "B", "r2": ["A", "C"], "r3": "A", "m1": {"1": "B", "2": "C", "3": "A"},
            "m2": "12.5", "m3": "101", "c1": "Сутегі", "c2": ["E", "D", "B"]}
    assert (score_attempt(pack, "A", full).total, score_attempt(pack, "A", full).percent) == (14, 100.0)
    # 2 of 14 = 14.2857 -> 14.3
    assert score_attempt(pack, "A", {"r1": "B", "r3": "A"}).percent == 14.3
    empty = score_attempt(pack, "A", {})
    assert (empty.total, empty.max_total, empty.percent) == (0, 14, 0.0)


def test_empty_variant_scores_zero_percent():
    pack = model.TestPack("e", "E", 4, "ru", Timing(105, 25, 10, 2), (Subject("s", "S"),),
                    (Variant("A", (SubjectItems("s", (), ()),)),))
    assert score_attempt(pack, "A", {}).as_dict() == {
        "subjects": [{"subject": "s", "title": "S", "score": 0, "max_score": 0}],
        "total": 0, "max_total": 0, "percent": 0.0,
    }

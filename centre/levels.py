"""Levels of achievement: the share of a subject's points a student earned, in four bands.
One table, used by the dataset (`subject_scores.level`) and every report."""

from __future__ import annotations

# (lowest percent, kk, ru), from the top band down
LEVELS: tuple[tuple[float, str, str], ...] = (
    (80.0, "жоғары", "высокий"),
    (55.0, "жеткілікті", "достаточный"),
    (30.0, "базалық", "базовый"),
    (0.0, "төмен", "низкий"),
)


def level_of(percent: float | None) -> int | None:
    """4 (high) ... 1 (low); None for no score."""
    if percent is None:
        return None
    for index, (lowest, _kk, _ru) in enumerate(LEVELS):
        if percent >= lowest:
            return len(LEVELS) - index
    return 1


def level_name(level: int, language: str) -> str:
    _lowest, kk, ru = LEVELS[len(LEVELS) - level]
    return kk if language == "kk" else ru


def level_sql(percent_column: str) -> str:
    """The same bands as a SQL CASE, for engines that compute levels themselves."""
    cases = " ".join(f"WHEN {percent_column} >= {lowest} THEN {len(LEVELS) - i}"
                     for i, (lowest, _kk, _ru) in enumerate(LEVELS[:-1]))
    return f"CASE {cases} ELSE 1 END"

"""`synaq-centre stats`: item analysis of the whole dataset.

The per-student and per-item figures are SQL (`analysis_views`), written in the part of SQL
that DuckDB and Spark SQL share, so the same text runs on a laptop and on a cluster (the
Spark test runs these very statements). Python then does what is not a GROUP BY: Cronbach's
alpha from the aggregates, Mantel–Haenszel DIF over the score strata, Rasch CML over the
raw-score table, and the flags.

Who counts: students who sat and whose results were not annulled. A form is one subject of
one test variant in one language, of one year and grade. An unanswered item scores 0.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pyarrow as pa

from . import dif, rasch
from .engine import connect, rows

FORM = ("year", "grade", "language", "variant", "subject")
UPPER_LOWER_PERCENT = 27  # Kelley's upper and lower 27% (whole numbers: every engine compares them exactly)

# Flags for review: (code, test, what it means to the reviewer). One place for every threshold.
TOO_HARD, TOO_EASY, WEAK, NEGATIVE, LOW_UL, OMITTED, DISTRACTOR, DIF_C, DIF_B = (
    "too_hard", "too_easy", "weak_item_rest", "negative_item_rest", "low_upper_lower", "often_omitted",
    "strong_students_distractor", "dif_c", "dif_b")
FLAG_TEXT = {
    TOO_HARD: "p < 0,10: почти никто не решает / өте қиын",
    TOO_EASY: "p > 0,95: решают почти все / өте жеңіл",
    WEAK: "item-rest < 0,15: слабо различает / нашар ажыратады",
    NEGATIVE: "item-rest < 0: сильные ошибаются чаще слабых — проверить ключ / кілтті тексеру",
    LOW_UL: "верхние 27% − нижние 27% < 0,10",
    OMITTED: "пропускают > 15% / 15%-дан көбі өткізіп жібереді",
    DISTRACTOR: "дистрактор привлекает сильных учащихся / күшті оқушыларды тартады",
    DIF_C: "DIF категории C (kk ↔ ru): перевод или содержание различаются",
    DIF_B: "DIF категории B (kk ↔ ru)",
}
MIN_CHOOSERS = 20  # a distractor is judged only when this many students chose it


def _on(left: str, right: str, columns: tuple[str, ...]) -> str:
    return " AND ".join(f"{left}.{c} = {right}.{c}" for c in columns)


STUDENT = FORM + ("sitting_id", "ikt")
JOIN = ("year", "subject", "sitting_id", "ikt")  # one student, one subject: exactly one form


def analysis_views(year: int | None = None) -> list[tuple[str, str]]:
    """(name, SELECT) in order; each may use the ones before it. Portable: DuckDB and Spark SQL."""
    where = f" AND r.year = {int(year)}" if year is not None else ""
    form = ", ".join(FORM)
    student = ", ".join(STUDENT)
    return [
        ("pop", f"""
            SELECT r.year, r.grade, r.language, r.variant, r.subject, r.item, r.sitting_id, r.ikt,
                   r.score, r.max_score, CAST(r.answered AS INT) AS answered, CAST(r.correct AS INT) AS correct,
                   r.choice
            FROM responses r JOIN students s
              ON r.year = s.year AND r.sitting_id = s.sitting_id AND r.ikt = s.ikt
            WHERE s.sat AND NOT s.annulled{where}"""),
        ("totals", f"""
            SELECT {student}, total, max_total, raw, k,
                   CASE WHEN 100 * place <= {UPPER_LOWER_PERCENT} * n_form THEN 'lower'
                        WHEN 100 * place > {100 - UPPER_LOWER_PERCENT} * n_form THEN 'upper' ELSE 'middle' END AS band
            FROM (SELECT {student}, total, max_total, raw, k,
                         ROW_NUMBER() OVER (PARTITION BY {form} ORDER BY total, sitting_id, ikt) AS place,
                         COUNT(*) OVER (PARTITION BY {form}) AS n_form
                  FROM (SELECT {student}, SUM(score) AS total, SUM(max_score) AS max_total,
                               SUM(correct) AS raw, COUNT(*) AS k
                        FROM pop GROUP BY {student}) per_student) ranked"""),
        ("item_stats", f"""
            SELECT {', '.join('p.' + c for c in FORM)}, p.item, COUNT(*) AS n,
                   AVG(CAST(p.score AS DOUBLE)) / MAX(p.max_score) AS p_value,
                   1 - AVG(CAST(p.answered AS DOUBLE)) AS omit_rate,
                   -- Undefined (null in every engine; DuckDB alone would say NaN) when everyone
                   -- scored the same on the item or on the rest.
                   CASE WHEN VAR_SAMP(CAST(p.score AS DOUBLE)) > 0 AND VAR_SAMP(CAST(t.total - p.score AS DOUBLE)) > 0
                        THEN CORR(CAST(p.score AS DOUBLE), CAST(t.total - p.score AS DOUBLE)) END AS item_rest,
                   (AVG(CASE WHEN t.band = 'upper' THEN CAST(p.score AS DOUBLE) END)
                    - AVG(CASE WHEN t.band = 'lower' THEN CAST(p.score AS DOUBLE) END)) / MAX(p.max_score) AS upper_lower,
                   VAR_SAMP(CAST(p.score AS DOUBLE)) AS score_var,
                   SUM(CASE WHEN t.raw > 0 AND t.raw < t.k THEN p.correct ELSE 0 END) AS rasch_right
            FROM pop p JOIN totals t ON {_on('p', 't', JOIN)}
            GROUP BY {', '.join('p.' + c for c in FORM)}, p.item"""),
        ("form_stats", f"""
            SELECT {', '.join('i.' + c for c in FORM)}, COUNT(*) AS k, MAX(f.n) AS n,
                   CAST(COUNT(*) AS DOUBLE) / (COUNT(*) - 1) * (1 - SUM(i.score_var) / MAX(f.total_var)) AS alpha,
                   MAX(f.mean_total) AS mean_total, MAX(f.max_total) AS max_total
            FROM item_stats i JOIN (SELECT {form}, COUNT(*) AS n, VAR_SAMP(CAST(total AS DOUBLE)) AS total_var,
                                           AVG(CAST(total AS DOUBLE)) AS mean_total, MAX(max_total) AS max_total
                                    FROM totals GROUP BY {form}) f ON {_on('i', 'f', FORM)}
            GROUP BY {', '.join('i.' + c for c in FORM)}"""),
        ("item_levels", f"""
            SELECT {', '.join('p.' + c for c in FORM)}, p.item, t.total AS level, p.choice, COUNT(*) AS n,
                   SUM(p.correct) AS right_n,
                   SUM(CAST(t.total - p.score AS DOUBLE) / NULLIF(t.max_total - p.max_score, 0)) AS rest_sum
            FROM pop p JOIN totals t ON {_on('p', 't', JOIN)}
            GROUP BY {', '.join('p.' + c for c in FORM)}, p.item, t.total, p.choice"""),
        ("raw_scores", f"SELECT {form}, raw, MAX(k) AS k, COUNT(*) AS n FROM totals GROUP BY {form}, raw"),
    ]


# Views DuckDB keeps as tables: read more than once, small next to the responses.
MATERIALISED = {"totals", "item_stats"}


def duckdb_views(con, year: int | None = None) -> None:
    for name, sql in analysis_views(year):
        kind = "TABLE" if name in MATERIALISED else "VIEW"
        con.execute(f"CREATE OR REPLACE TEMP {kind} {name} AS {sql}")


def compute(dataset: Path, year: int | None = None, *, memory_limit: str | None = None) -> dict[str, pa.Table]:
    """Every table of the item analysis: item_stats, distractors, forms."""
    con = connect(dataset, memory_limit=memory_limit)
    duckdb_views(con, year)
    items = {(r["year"], r["grade"], r["language"], r["variant"], r["item"]): r
             for r in rows(con, "SELECT * FROM items")}
    stats = rows(con, "SELECT * FROM item_stats ORDER BY year, grade, language, variant, subject, item")
    forms = rows(con, "SELECT * FROM form_stats ORDER BY year, grade, language, variant, subject")
    levels = rows(con, "SELECT * FROM item_levels")
    raw_scores = rows(con, "SELECT * FROM raw_scores")
    con.close()

    for s in stats:
        meta = items.get((s["year"], s["grade"], s["language"], s["variant"], s["item"]), {})
        s.update(position=meta.get("position"), kind=meta.get("kind"), max_score=meta.get("max_score"),
                 topic=meta.get("topic"), key=meta.get("key"))
    _rasch(stats, raw_scores)
    _mantel_haenszel(stats, levels)
    distractors = _distractors(stats, levels, items)
    for s in stats:
        s["flags"] = flags_of(s)
    for f in forms:
        f["alpha"] = None if f["alpha"] is None or not np.isfinite(f["alpha"]) else float(f["alpha"])
    stats.sort(key=lambda s: (s["year"], s["grade"], s["language"], s["variant"], s["position"] or 0))
    for s in stats:
        for internal in ("score_var", "key", "rasch_right"):
            s.pop(internal, None)
    return {"item_stats": pa.Table.from_pylist(stats), "distractors": pa.Table.from_pylist(distractors),
            "forms": pa.Table.from_pylist(forms)}


def _form(row: dict) -> tuple:
    return tuple(row[c] for c in FORM)


def _rasch(stats: list[dict], raw_scores: list[dict]) -> None:
    counts: dict[tuple, dict[int, int]] = defaultdict(dict)
    sizes: dict[tuple, int] = {}
    for r in raw_scores:
        counts[_form(r)][int(r["raw"])] = int(r["n"])
        sizes[_form(r)] = int(r["k"])
    right = {(_form(s), s["item"]): int(s["rasch_right"]) for s in stats}
    by_form: dict[tuple, list[dict]] = defaultdict(list)
    for s in stats:
        by_form[_form(s)].append(s)
    for form, members in by_form.items():
        k = sizes.get(form, len(members))
        members.sort(key=lambda s: s["position"] or 0)
        score_counts = np.array([counts[form].get(r, 0) for r in range(k + 1)])
        fitted = rasch.fit(np.array([right.get((form, s["item"]), 0) for s in members]), score_counts)
        for s, b, se in zip(members, fitted.difficulty, fitted.se):
            s["rasch_b"] = float(b) if np.isfinite(b) else None
            s["rasch_se"] = float(se) if np.isfinite(se) else None


def _mantel_haenszel(stats: list[dict], levels: list[dict]) -> None:
    """Strata by the subject total; Kazakh forms are the reference group, Russian the focal."""
    tables: dict[tuple, dict] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0]))
    for r in levels:
        cell = tables[(r["year"], r["grade"], r["variant"], r["subject"], r["item"])][r["level"]]
        at = {"kk": 0, "ru": 2}.get(r["language"])
        if at is not None:
            cell[at] += int(r["right_n"])
            cell[at + 1] += int(r["n"])
    results = {key: dif.mantel_haenszel([dif.Stratum(*cell) for _, cell in sorted(levels.items())])
               for key, levels in tables.items()}
    for s in stats:
        found = results.get((s["year"], s["grade"], s["variant"], s["subject"], s["item"]))
        ok = found is not None and found.d_dif is not None and found.ref_n and found.focal_n
        s["mh_d_dif"] = found.d_dif if ok else None
        s["mh_se"] = found.se if ok else None
        s["ets"] = (found.category + found.sign) if ok else None


def _distractors(stats: list[dict], levels: list[dict], items: dict) -> list[dict]:
    chosen: dict[tuple, dict[str, dict]] = defaultdict(dict)
    for r in levels:
        if r["choice"] is None:
            continue
        c = chosen[(_form(r), r["item"])].setdefault(r["choice"], {"chosen": 0, "rest_sum": 0.0})
        c["chosen"] += int(r["n"])
        c["rest_sum"] += r["rest_sum"] or 0.0
    for options in chosen.values():
        for c in options.values():
            c["rest_mean"] = c["rest_sum"] / c["chosen"]
    out = []
    for s in stats:
        if s["kind"] != "single":
            continue
        meta = items.get((s["year"], s["grade"], s["language"], s["variant"], s["item"]), {})
        key = str(meta.get("key", "")).strip('"')
        options = [chr(65 + i) for i in range(int(meta.get("options") or 0))]
        mine = chosen.get((_form(s), s["item"]), {})
        key_mean = mine.get(key, {}).get("rest_mean")
        s["distractor_flag"] = False
        for option in options:
            c = mine.get(option, {})
            n = int(c.get("chosen", 0))
            mean = c.get("rest_mean")
            strong = bool(option != key and n >= MIN_CHOOSERS and mean is not None and key_mean is not None
                          and mean >= key_mean)
            s["distractor_flag"] |= strong
            out.append({**{k: s[k] for k in FORM}, "item": s["item"], "option": option, "is_key": option == key,
                        "chosen": n, "share": n / s["n"] if s["n"] else None, "rest_mean": mean, "flag": strong})
    return out


def flags_of(s: dict) -> list[str]:
    flags = []
    p, ir, ul, omit = s.get("p_value"), s.get("item_rest"), s.get("upper_lower"), s.get("omit_rate")
    if p is not None and p < 0.10:
        flags.append(TOO_HARD)
    if p is not None and p > 0.95:
        flags.append(TOO_EASY)
    if ir is not None and ir < 0:
        flags.append(NEGATIVE)
    elif ir is not None and ir < 0.15:
        flags.append(WEAK)
    if ul is not None and ul < 0.10:
        flags.append(LOW_UL)
    if omit is not None and omit > 0.15:
        flags.append(OMITTED)
    if s.get("distractor_flag"):
        flags.append(DISTRACTOR)
    if (s.get("ets") or "").startswith("C"):
        flags.append(DIF_C)
    elif (s.get("ets") or "").startswith("B"):
        flags.append(DIF_B)
    return flags

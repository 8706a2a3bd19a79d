"""A national year written straight into the centre's dataset, for the benchmarks.

Going through signed bundles costs about half a second a room in the room's own writer
(its PDFs), so 14,000 rooms would take hours; the item analysis and the reports do not care
how the rows arrived, so here the same kind of Rasch model as `synaq-centre simulate` writes
the tables directly, in the dataset's schemas, through the dataset's own publish. Forms are
larger than the sample packs' (items_per_subject, 20 by default: 60 items a student) so that
~420,000 students give ~25 million responses.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa

from centre.dataset import Dataset
from centre.levels import level_of
from centre.regions import REGIONS
from centre.schema import TABLES

SUBJECTS = (("reading", "Оқу сауаттылығы", "Читательская грамотность"),
            ("math", "Математикалық сауаттылық", "Математическая грамотность"),
            ("science", "Жаратылыстану-ғылыми сауаттылық", "Естественнонаучная грамотность"))
KINDS = ("single", "single", "single", "multiple", "matching", "short")  # by position, repeating
POINTS = {"single": 1, "multiple": 2, "matching": 2, "short": 1}
ROOM = 30
DIF_ITEM, DIF_SHIFT = "A-m2", 1.2


def _strings(codes: np.ndarray, values: list[str]) -> pa.Array:
    """Strings from small integer codes, built by Arrow (no Python string per row)."""
    return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), pa.array(values, pa.string())).cast(pa.string())


def forms(items_per_subject: int, seed: int) -> tuple[list[dict], dict[str, float]]:
    """Item rows for both grades, languages and variants A and B; generating b per grade/item."""
    rng = np.random.default_rng(seed)
    rows, b = [], {}
    for grade in (4, 9):
        for variant in ("A", "B"):
            position = 0
            for subject, kk, ru in SUBJECTS:
                for n in range(1, items_per_subject + 1):
                    position += 1
                    item = f"{variant}-{subject[0]}{n}"
                    kind = KINDS[(n - 1) % len(KINDS)]
                    b[f"{grade}/{item}"] = float(rng.normal(0, 1))
                    for language, title in (("kk", kk), ("ru", ru)):
                        rows.append({"year": None, "grade": grade, "language": language, "variant": variant,
                                     "item": item, "pack_id": f"g{grade}-{language}", "subject": subject,
                                     "subject_title": title, "position": position, "kind": kind,
                                     "key": json.dumps("B") if kind == "single" else "null",
                                     "max_score": POINTS[kind], "options": 4 if kind in ("single", "multiple") else None,
                                     "topic": f"{title} · {1 + (n - 1) // 4}", "text": ""})
    return rows, b


def make(root: Path, *, students: int = 420_000, items_per_subject: int = 20, year: int = 2027, seed: int = 1) -> dict:
    dataset = Dataset(root)
    items, b = forms(items_per_subject, seed)
    rng = np.random.default_rng(seed + 1)
    regions = sorted(REGIONS)
    per_chunk = students // (2 * len(regions))
    written = {"students": 0, "responses": 0}
    with dataset.writer():
        batch = dataset.new_batch()
        for grade in (4, 9):
            dataset.stage("items", {"year": year, "grade": grade},
                          pa.Table.from_pylist([dict(r, year=year) for r in items if r["grade"] == grade],
                                               schema=TABLES["items"][0]), batch)
        dataset.publish(batch)
        for grade in (4, 9):
            for region in regions:
                batch = dataset.new_batch()
                tables = _chunk(rng, grade, region, per_chunk, items, b, year)
                for name, table in tables.items():
                    dataset.stage(name, {"year": year, "grade": grade, "region": region}, table, batch)
                dataset.publish(batch)
                written["students"] += tables["students"].num_rows
                written["responses"] += tables["responses"].num_rows
    written["truth"] = b
    return written


def _chunk(rng: np.random.Generator, grade: int, region: str, n: int, items: list[dict], b: dict, year: int) -> dict:
    rooms = math.ceil(n / ROOM)
    room = np.arange(n) // ROOM
    school_codes = [f"S-{region}-{r:05d}" for r in range(rooms)]
    sitting_codes = [f"{region.lower()}{grade}{r:05d}/1" for r in range(rooms)]
    room_language = np.where(rng.random(rooms) < 0.65, 0, 1)  # 0 kk, 1 ru
    language = room_language[room]
    variant = np.arange(n) % 2
    ikt = rng.choice(10**7, size=n, replace=False)
    ikt_text = pa.array([f"{x:07d}" for x in ikt], pa.string())
    theta = rng.normal(0, 0.5, rooms)[room] + rng.normal(0, 1, n)
    roll = rng.random(n)
    sat = roll >= 0.05
    annulled = (roll >= 0.05) & (roll < 0.054)
    # A room seats one class, or two (every other seat from the second): a sampled school
    # sends a class or two per grade.
    two = rng.random(rooms) < 0.4
    classes = np.array(["А", "Б"])[np.where(two[room], np.arange(n) % 2, 0)]
    class_label = [f"{grade}{c}" for c in classes]

    # Responses: every student who sat, every item of their form (language × variant).
    form_items = {(lang, var): [r for r in items if r["grade"] == grade and r["language"] == lang and r["variant"] == var]
                  for lang in ("kk", "ru") for var in ("A", "B")}
    k = len(form_items[("kk", "A")])
    who = np.flatnonzero(sat)
    m = len(who)
    lang_of = np.array(["kk", "ru"])[language[who]]
    var_of = np.array(["A", "B"])[variant[who]]
    item_code = np.empty((m, k), dtype=np.int32)
    difficulty = np.empty((m, k))
    max_score = np.empty((m, k), dtype=np.int16)
    single = np.empty((m, k), dtype=bool)
    item_names = sorted({r["item"] for r in items if r["grade"] == grade})
    index = {name: i for i, name in enumerate(item_names)}
    for (lang, var), rows in form_items.items():
        mask = (lang_of == lang) & (var_of == var)
        item_code[mask] = [index[r["item"]] for r in rows]
        difficulty[mask] = [b[f"{grade}/{r['item']}"] + (DIF_SHIFT if lang == "ru" and r["item"] == DIF_ITEM else 0.0)
                            for r in rows]
        max_score[mask] = [r["max_score"] for r in rows]
        single[mask] = [r["kind"] == "single" for r in rows]
    p = 1.0 / (1.0 + np.exp(difficulty - theta[who][:, None]))
    correct = rng.random((m, k)) < p
    partial = (~correct) & (max_score > 1) & (rng.random((m, k)) < 0.5)
    score = np.where(correct, max_score, np.where(partial, 1, 0)).astype(np.int16)
    answered = correct | partial | (rng.random((m, k)) >= 0.12)
    distractor = rng.choice([0, 2, 2, 3], size=(m, k))  # A, C, C, D: C is the tempting one
    choice_code = np.where(single & answered, np.where(correct, 1, distractor), -1)
    letters = ["A", "B", "C", "D"]
    choice = pa.DictionaryArray.from_arrays(pa.array(choice_code.ravel(), pa.int32(), mask=choice_code.ravel() < 0),
                                            pa.array(letters)).cast(pa.string())
    value = pa.DictionaryArray.from_arrays(
        pa.array(np.where(choice_code >= 0, choice_code, 4).ravel(), pa.int32(), mask=~answered.ravel()),
        pa.array([json.dumps(x) for x in letters] + ['"x"'])).cast(pa.string())
    student_of = np.repeat(who, k)
    subject_names = [s for s, _, _ in SUBJECTS]
    subject_code = np.tile(np.repeat(np.arange(3), k // 3), m)
    position = np.tile(np.arange(1, k + 1, dtype=np.int16), m)
    made = np.cumsum(rng.integers(20, 200, (m, k)), axis=1).astype(np.int32)
    started = np.int64(1_807_000_000_000) + rng.integers(0, 3_600_000, m)
    responses = pa.table({
        "sitting_id": _strings(room[student_of], sitting_codes), "ikt": ikt_text.take(pa.array(student_of)),
        "school_id": _strings(room[student_of], school_codes), "language": _strings(language[student_of], ["kk", "ru"]),
        "variant": _strings(variant[student_of], ["A", "B"]), "subject": _strings(subject_code, subject_names),
        "item": _strings(item_code.ravel(), item_names), "position": position, "answered": answered.ravel(),
        "value": value, "choice": choice, "score": score.ravel(), "max_score": max_score.ravel(),
        "correct": score.ravel() == max_score.ravel(), "made_s": made.ravel(),
        "received_at": pa.array(np.repeat(started, k) + made.ravel().astype(np.int64) * 1000, pa.timestamp("ms", tz="UTC")),
        "late": np.zeros(m * k, dtype=bool),
    })
    per_subject = score.reshape(m, 3, k // 3).sum(axis=2)
    max_subject = max_score.reshape(m, 3, k // 3).sum(axis=2)
    total = np.zeros(n, dtype=np.int16)
    total[who] = per_subject.sum(axis=1)
    max_total = np.zeros(n, dtype=np.int16)
    max_total[who] = max_subject.sum(axis=1)
    percent = np.where(sat, 100.0 * total / np.maximum(max_total, 1), np.nan).astype(np.float32)
    students = pa.table({
        "sitting_id": _strings(room, sitting_codes), "ikt": ikt_text, "school_id": _strings(room, school_codes),
        "school": _strings(room, [f"№ {r + 1} мектеп ({region})" for r in range(rooms)]), "class": pa.array(class_label),
        "language": _strings(language, ["kk", "ru"]), "variant": _strings(variant, ["A", "B"]),
        "seat": (np.arange(n) % ROOM + 1).astype(np.int16),
        "attendance": _strings(sat.astype(np.int32), ["absent", "present"]),
        "state": _strings(np.where(annulled, 2, sat.astype(np.int32)), ["not_logged_in", "done", "removed"]),
        "finish_reason": pa.array(np.where(annulled, "removed", np.where(sat, "finished", None))),
        "sat": sat, "annulled": annulled,
        "started_at": pa.array(np.where(sat, started_all(started, who, n), 0), pa.timestamp("ms", tz="UTC"), mask=~sat),
        "finished_at": pa.array(np.zeros(n, dtype=np.int64), pa.timestamp("ms", tz="UTC"), mask=np.ones(n, bool)),
        "answered": pa.array(np.where(sat, k, 0).astype(np.int16), mask=~sat),
        "items": pa.array(np.full(n, k, dtype=np.int16), mask=~sat),
        "total_score": pa.array(total, mask=~sat), "max_total": pa.array(max_total, mask=~sat),
        "percent": pa.array(percent, mask=~sat), "late_refused": np.zeros(n, dtype=np.int16),
        "bundle_id": _strings(room, [f"bench-{region}-{grade}-{r}" for r in range(rooms)]),
    })
    subject_rows = {"sitting_id": [], "ikt": [], "school_id": [], "class": [], "language": [], "variant": [],
                    "subject": [], "score": [], "max_score": [], "percent": [], "level": [], "annulled": []}
    for j, subject in enumerate(subject_names):
        pct = 100.0 * per_subject[:, j] / max_subject[:, j]
        subject_rows["sitting_id"].append(_strings(room[who], sitting_codes))
        subject_rows["ikt"].append(ikt_text.take(pa.array(who)))
        subject_rows["school_id"].append(_strings(room[who], school_codes))
        subject_rows["class"].append(pa.array([class_label[i] for i in who]))
        subject_rows["language"].append(_strings(language[who], ["kk", "ru"]))
        subject_rows["variant"].append(_strings(variant[who], ["A", "B"]))
        subject_rows["subject"].append(pa.array([subject] * m))
        subject_rows["score"].append(pa.array(per_subject[:, j].astype(np.int16)))
        subject_rows["max_score"].append(pa.array(max_subject[:, j].astype(np.int16)))
        subject_rows["percent"].append(pa.array(np.round(pct, 1).astype(np.float32)))
        subject_rows["level"].append(pa.array([level_of(x) for x in np.round(pct, 1)], pa.int8()))
        subject_rows["annulled"].append(pa.array(annulled[who]))
    subject_scores = pa.table({name: pa.concat_arrays(parts) for name, parts in subject_rows.items()})
    identities = pa.table({"sitting_id": _strings(room, sitting_codes), "ikt": ikt_text,
                           "school_id": _strings(room, school_codes), "iin": pa.array([f"{x:012d}" for x in ikt]),
                           "surname": pa.array(["Сейітқали"] * n), "name": pa.array(["Әлихан"] * n),
                           "patronymic": pa.array(["Серікұлы"] * n), "class": pa.array(class_label),
                           "login": pa.array([f"m{grade}-{i % ROOM + 1:03d}" for i in range(n)])})
    q_who = who[~annulled[who]]
    answers = np.clip(np.round(1.5 - 0.6 * theta[q_who] + rng.normal(0, 0.8, len(q_who))), 0, 3).astype(np.int16)
    questionnaire = pa.table({"sitting_id": _strings(room[q_who], sitting_codes),
                              "school_id": _strings(room[q_who], school_codes),
                              "ikt": ikt_text.take(pa.array(q_who)), "audience": pa.array(["student"] * len(q_who)),
                              "questionnaire_id": pa.array(["student-kk"] * len(q_who)),
                              "version": pa.array(np.ones(len(q_who), dtype=np.int16)),
                              "question": pa.array(["q2"] * len(q_who)), "value": pa.array([str(a) for a in answers]),
                              "option": pa.array(answers), "options": pa.nulls(len(q_who), pa.list_(pa.int16())),
                              "text": pa.nulls(len(q_who), pa.string())})
    return {"students": students, "responses": responses, "subject_scores": subject_scores,
            "identities": identities, "questionnaire": questionnaire}


def started_all(started: np.ndarray, who: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=np.int64)
    out[who] = started
    return out

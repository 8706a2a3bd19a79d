"""The item analysis's review flags on a simulated dataset with two planted faults: a
distractor that draws the strong students (as a second right answer or a wrong key would),
and an item moderately harder in its Russian form (DIF of ETS category B). Students answer by
a Rasch model; the tables are written straight into the dataset through its own publish (as
the national benchmark does), large enough that category B is no coin toss; then
`synaq-centre stats` runs and its tables and item-report PDF are read back."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pypdf import PdfReader

from centre.cli import main as centre
from centre.dataset import Dataset
from centre.schema import TABLES
from centre.stats import DIF_B, DIF_C, DISTRACTOR, MIN_CHOOSERS

YEAR, GRADE, REGION = 2027, 9, "KZ-ALM"
PER_LANGUAGE = 6000  # students per test language: the SE of MH D-DIF is then about 0.1
ITEMS = [f"m{n}" for n in range(1, 21)]
KEY, LETTERS = "B", "ABCD"
DIF_ITEM, DIF_SHIFT = "m7", 0.53  # logits harder in Russian: D-DIF −2.35 · 0.53 ≈ −1.25, mid-way in category B
LURE_ITEM, LURE = "m12", "D"  # the strong students' favourite on this item
ROOM = 25


def lure_share(theta: np.ndarray) -> np.ndarray:
    """How often a student picks the planted distractor on LURE_ITEM: mostly the strong ones."""
    return 0.7 / (1.0 + np.exp(-2.5 * (theta - 0.8)))


def answers(rng: np.random.Generator, b: np.ndarray, language: str) -> np.ndarray:
    """Each student's choice on each item by a Rasch model: an index into LETTERS, −1 for none."""
    k = len(ITEMS)
    theta = rng.normal(0, 1, PER_LANGUAGE)
    shift = np.array([DIF_SHIFT if language == "ru" and item == DIF_ITEM else 0.0 for item in ITEMS])
    right = rng.random((PER_LANGUAGE, k)) < 1 / (1 + np.exp(b + shift - theta[:, None]))
    others = np.array([i for i, c in enumerate(LETTERS) if c != KEY])
    choice = np.where(right, LETTERS.index(KEY), others[rng.integers(0, len(others), (PER_LANGUAGE, k))])
    choice[~right & (rng.random((PER_LANGUAGE, k)) < 0.1)] = -1  # some wrong answers left blank
    choice[rng.random(PER_LANGUAGE) < lure_share(theta), ITEMS.index(LURE_ITEM)] = LETTERS.index(LURE)
    return choice


def write_planted(root: Path, seed: int = 11) -> dict[str, np.ndarray]:
    """The dataset (students and responses of one form in Kazakh and in Russian, every item a
    single choice worth 1); returns each language's choices (students × items)."""
    rng = np.random.default_rng(seed)
    b = np.linspace(-1.6, 1.6, len(ITEMS))
    rng.shuffle(b)
    k, n = len(ITEMS), PER_LANGUAGE
    dataset = Dataset(root)
    made = {}
    with dataset.writer():
        batch = dataset.new_batch()
        items = [{"language": lang, "variant": "A", "item": item, "pack_id": f"g9-{lang}", "subject": "math",
                  "subject_title": "Математика", "position": j + 1, "kind": "single", "key": json.dumps(KEY),
                  "max_score": 1, "options": len(LETTERS), "topic": f"Тақырып {j % 4 + 1}", "text": item}
                 for lang in ("kk", "ru") for j, item in enumerate(ITEMS)]
        dataset.stage("items", {"year": YEAR, "grade": GRADE}, pa.Table.from_pylist(items, schema=TABLES["items"][0]),
                      batch)
        for lang in ("kk", "ru"):
            choice = made[lang] = answers(rng, b, lang)
            score = (choice == LETTERS.index(KEY)).astype(np.int16)
            rooms = np.arange(n) // ROOM
            sitting = np.array([f"{lang}{r:04d}/1" for r in rooms], dtype=object)
            school = np.array([f"S-{lang}-{r:04d}" for r in rooms], dtype=object)
            ikt = np.array([f"{i:07d}" for i in range(n)], dtype=object)
            total = score.sum(axis=1)
            students = {"sitting_id": sitting, "ikt": ikt, "school_id": school, "school": school, "class": ["9А"] * n,
                        "language": [lang] * n, "variant": ["A"] * n, "seat": np.arange(n) % ROOM + 1,
                        "attendance": ["present"] * n, "state": ["done"] * n, "finish_reason": ["finished"] * n,
                        "sat": np.ones(n, bool), "annulled": np.zeros(n, bool), "answered": (choice >= 0).sum(axis=1),
                        "items": [k] * n, "total_score": total, "max_total": [k] * n, "percent": 100.0 * total / k,
                        "late_refused": [0] * n, "bundle_id": [f"planted-{lang}"] * n}
            letters = np.array([None, *LETTERS], dtype=object)[choice.ravel() + 1]
            responses = {"sitting_id": np.repeat(sitting, k), "ikt": np.repeat(ikt, k),
                         "school_id": np.repeat(school, k),
                         "language": [lang] * (n * k), "variant": ["A"] * (n * k), "subject": ["math"] * (n * k),
                         "item": np.tile(np.array(ITEMS, dtype=object), n), "position": np.tile(np.arange(1, k + 1), n),
                         "answered": choice.ravel() >= 0, "value": [json.dumps(c) if c else None for c in letters],
                         "choice": letters, "score": score.ravel(), "max_score": np.ones(n * k, np.int16),
                         "correct": score.ravel() == 1, "late": np.zeros(n * k, bool)}
            where = {"year": YEAR, "grade": GRADE, "region": REGION}
            for name, columns in (("students", students), ("responses", responses)):
                schema = TABLES[name][0]
                size = len(columns["ikt"])
                arrays = [pa.array(columns[f.name], f.type) if f.name in columns else pa.nulls(size, f.type)
                          for f in schema]
                dataset.stage(name, where, pa.Table.from_arrays(arrays, schema=schema), batch)
        dataset.publish(batch)
    return made


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted")
    choices = write_planted(root / "ds")
    assert centre(["stats", "--dataset", str(root / "ds"), "--out", str(root / "stats")]) == 0
    return root / "stats", choices


def table(stats: Path, name: str) -> list[dict]:
    return pq.read_table(stats / f"{name}.parquet").to_pylist()


def test_the_distractor_table_is_each_options_share_and_its_choosers_rest_score(planted):
    stats, choices = planted
    got = {(d["language"], d["item"], d["option"]): d for d in table(stats, "distractors")}
    assert len(got) == 2 * len(ITEMS) * len(LETTERS)
    for lang, choice in choices.items():
        score = (choice == LETTERS.index(KEY)).astype(float)
        rest = (score.sum(axis=1)[:, None] - score) / (len(ITEMS) - 1)  # the other items' share of points
        for j, item in enumerate(ITEMS):
            for index, option in enumerate(LETTERS):
                chose = choice[:, j] == index
                row = got[(lang, item, option)]
                assert row["is_key"] == (option == KEY) and row["chosen"] == chose.sum()
                assert row["share"] == pytest.approx(chose.mean())
                assert row["rest_mean"] == pytest.approx(rest[chose, j].mean())


def test_the_planted_distractor_is_flagged_as_attracting_strong_students_and_no_other(planted):
    stats, _ = planted
    rows = table(stats, "distractors")
    flagged = {(d["language"], d["item"], d["option"]) for d in rows if d["flag"]}
    assert flagged == {("kk", LURE_ITEM, LURE), ("ru", LURE_ITEM, LURE)}
    for lang in ("kk", "ru"):
        mine = {d["option"]: d for d in rows if (d["language"], d["item"]) == (lang, LURE_ITEM)}
        assert mine[LURE]["rest_mean"] >= mine[KEY]["rest_mean"] and mine[LURE]["chosen"] >= MIN_CHOOSERS
        # An ordinary distractor draws the weaker students.
        assert mine["A"]["rest_mean"] < mine[KEY]["rest_mean"]
    items = table(stats, "item_stats")
    assert {(s["language"], s["item"]) for s in items if DISTRACTOR in s["flags"]} == {("kk", LURE_ITEM),
                                                                                        ("ru", LURE_ITEM)}


def test_a_moderate_dif_item_is_category_b_and_no_other_item_has_dif(planted):
    stats, _ = planted
    items = table(stats, "item_stats")
    planted_rows = [s for s in items if s["item"] == DIF_ITEM]
    assert len(planted_rows) == 2  # the Kazakh and the Russian form share one MH result
    for s in planted_rows:
        assert s["ets"] == "B-" and 1.0 <= -s["mh_d_dif"] < 1.5
        assert abs(s["mh_d_dif"] + 2.35 * DIF_SHIFT) < 3 * s["mh_se"]  # the shift that was planted, within 3 SE
        assert DIF_B in s["flags"] and DIF_C not in s["flags"]
    assert {s["ets"] for s in items if s["item"] != DIF_ITEM} == {"A"}


def pdf_text(path: Path) -> str:
    return "\n".join(" ".join(page.extract_text().split()) for page in PdfReader(path).pages)


def test_the_item_report_shows_the_review_flags(planted):
    stats, _ = planted
    text = pdf_text(stats / "item-report.pdf")
    items = table(stats, "item_stats")
    for lang in ("kk", "ru"):
        assert f"{YEAR} · {GRADE} класс · {lang} · вариант A · math" in text
        for item, code in ((LURE_ITEM, DISTRACTOR), (DIF_ITEM, DIF_B)):
            (s,) = [r for r in items if (r["language"], r["item"]) == (lang, item)]
            position = s["position"]
            # The item's row: position, id, kind, topic ... the ETS category, then its flags in full.
            row = re.search(rf"\b{position} {item} single .*?(?=\b{position + 1} m\d+ single|\Z)", text)
            assert row and ", ".join(s["flags"]) in row.group(0), (item, s["flags"])
            assert code in row.group(0)
        # Under the form, the flagged distractor's table with the strong students' option marked.
        options = re.search(rf"{LURE_ITEM}: варианты ответа (.*?)(?:{GRADE} класс|\Z)", text.split(f"· {lang} ·", 1)[1])
        assert options and re.search(rf"\b{LURE} \d+ [\d,]+ [\d,]+ сильные выбирают", options.group(1))
    assert text.count("сильные выбирают") == 2  # the lure in each form, nothing else
    assert f"{DIF_B}: DIF категории B" in text  # the legend says what the code means

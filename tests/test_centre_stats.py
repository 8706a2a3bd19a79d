"""Item analysis: the Rasch estimator against girth's, Mantel–Haenszel on a table worked by
hand, and the whole chain on simulated bundles — the generating difficulties recovered, the
planted DIF item flagged, every figure equal to one computed directly from the responses; and
the feedback of a Russian-language school among them, read back from its PDF and workbook."""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import openpyxl
import pyarrow.parquet as pq
import pytest
from pypdf import PdfReader

from centre.cli import main as centre
from centre.dataset import Dataset
from centre.dif import Stratum, mantel_haenszel
from centre.rasch import fit
from centre.regions import region_name
from centre.report import MIN_GROUP


# ------------------------------------------------------------------------- estimators

@pytest.mark.parametrize("items, persons", [(8, 1500), (30, 4000)])
def test_rasch_cml_agrees_with_girth(items, persons):
    girth = pytest.importorskip("girth")  # a test dependency: pip install -e '.[test]'
    from girth.synthetic import create_synthetic_irt_dichotomous
    rng = np.random.default_rng(items)
    b = rng.normal(0, 1.2, items)
    data = create_synthetic_irt_dichotomous(b, np.ones(items), rng.normal(0, 1, persons), seed=items)  # items × persons
    raw = data.sum(axis=0)
    middle = (raw > 0) & (raw < items)
    ours = fit(data[:, middle].sum(axis=1), np.bincount(raw, minlength=items + 1))
    theirs = girth.rasch_conditional(data)["Difficulty"]
    assert ours.converged
    assert np.max(np.abs(ours.difficulty - (theirs - theirs.mean()))) < 1e-3
    assert np.corrcoef(ours.difficulty, b)[0, 1] > 0.97


def test_rasch_gives_an_item_nobody_solved_no_finite_difficulty():
    right = np.array([0, 40, 60, 80])
    counts = np.array([5, 50, 40, 30, 5])
    result = fit(right, counts)
    assert result.difficulty[0] == np.inf and np.all(np.isfinite(result.difficulty[1:]))
    assert result.difficulty[1] > result.difficulty[2] > result.difficulty[3]


def test_mantel_haenszel_on_a_table_worked_by_hand():
    # Two score levels, each 20/10 right/wrong in Kazakh and 10/20 in Russian: α = 4.
    result = mantel_haenszel([Stratum(20, 30, 10, 30), Stratum(20, 30, 10, 30)])
    assert result.d_dif == pytest.approx(-2.35 * math.log(4.0))
    assert result.category == "C" and result.sign == "-"
    # The same odds in both languages: no DIF.
    same = mantel_haenszel([Stratum(20, 30, 20, 30), Stratum(10, 30, 10, 30)])
    assert same.d_dif == pytest.approx(0.0) and same.category == "A"
    # A large difference on a handful of students is not significant: A, not C.
    few = mantel_haenszel([Stratum(2, 3, 1, 3)])
    assert few.category == "A"


# ------------------------------------------------------------------------- simulated bundles

@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> tuple[Path, Path, dict]:
    """50 simulated grade 9 schools written as signed bundles, ingested, analysed."""
    root = tmp_path_factory.mktemp("sim")
    sticks, ds = root / "sticks", root / "ds"
    assert centre(["simulate", "--out", str(sticks), "--schools", "50", "--grades", "9", "--seed", "7"]) == 0
    assert centre(["ingest", str(sticks), "--dataset", str(ds), "--quiet",
                   "--key", str(sticks / "centre-key" / "centre.key")]) == 0  # the key pair simulate made
    assert centre(["stats", "--dataset", str(ds), "--out", str(root / "stats")]) == 0
    return ds, root / "stats", json.loads((sticks / "simulation.json").read_text("utf-8"))


def test_the_bundles_are_the_rooms_own_and_hold_absences_annulments_and_late_answers(simulated):
    ds, _, _ = simulated
    students = pq.read_table(Dataset(ds).root / "students").to_pylist()
    assert len({s["bundle_id"] for s in students}) == 50
    assert any(s["attendance"] == "absent" and not s["sat"] for s in students)
    assert any(s["annulled"] for s in students)
    assert any(s["finish_reason"] == "time_over" and s["late_refused"] > 0 for s in students)
    late = pq.read_table(ds / "responses", filters=[("late", "=", True)])
    assert late.num_rows > 0


def test_simulated_bundles_are_format_2_with_responses_linked_and_schools_placed(simulated):
    ds, _, _ = simulated
    students = pq.read_table(ds / "students").to_pylist()
    # Every student who finished sealed a response naming their own ИКТ; the removed did not.
    responded = {(q["sitting_id"], q["ikt"]) for q in pq.read_table(ds / "questionnaire").to_pylist()}
    finished = {(s["sitting_id"], s["ikt"]) for s in students if s["sat"] and not s["annulled"]}
    assert responded == finished
    ledger = pq.read_table(ds / "bundles").to_pylist()
    assert {b["questionnaires_set_aside"] for b in ledger} == {0}
    # Nine schools in ten named their region and BIN, the others were placed by their stick's folder.
    named = [b for b in ledger if b["region_from"] == "bundle"]
    assert len(named) == 45 and all(b["school_id"] == b["school_bin"] and len(b["school_bin"]) == 12 for b in named)
    assert all(b["school_id"].startswith("S-") for b in ledger if b["region_from"] == "given")


def test_simulate_seals_to_the_centre_key_it_is_given(tmp_path, capsys):
    assert centre(["keys", "new", "--dir", str(tmp_path / "k")]) == 0
    assert centre(["keys", "new", "--dir", str(tmp_path / "other")]) == 0
    sticks = tmp_path / "sticks"
    assert centre(["simulate", "--out", str(sticks), "--schools", "1", "--grades", "9",
                   "--centre-key", str(tmp_path / "k" / "centre.pub")]) == 0
    assert not (sticks / "centre-key").exists()
    (bundle,) = [m.parent for m in sticks.rglob("manifest.json")]
    assert (bundle / "results.csv.sealed").exists() and not (bundle / "results.csv").exists()
    capsys.readouterr()
    assert centre(["ingest", str(sticks), "--dataset", str(tmp_path / "ds1"), "--key", str(tmp_path / "other" / "centre.key")]) == 1
    assert "sealed to another centre's key" in capsys.readouterr().err
    assert centre(["ingest", str(sticks), "--dataset", str(tmp_path / "ds2"), "--key", str(tmp_path / "k" / "centre.key")]) == 0


def test_stats_recovers_the_generating_difficulties(simulated):
    _, stats, truth = simulated
    rows = pq.read_table(stats / "item_stats.parquet").to_pylist()
    forms = defaultdict(list)
    for r in rows:
        if r["language"] == "kk":  # the Kazakh forms carry no planted DIF
            forms[(r["grade"], r["variant"], r["subject"])].append(r)
    estimated, generating = [], []
    for members in forms.values():
        b = np.array([r["rasch_b"] for r in members])
        g = np.array([truth["difficulties"][f"{r['grade']}/{r['item']}"] for r in members])
        estimated += list(b - b.mean())
        generating += list(g - g.mean())
    assert len(estimated) == 60
    assert np.corrcoef(estimated, generating)[0, 1] >= 0.95


def test_stats_flags_the_planted_dif_item_and_no_other_as_c(simulated):
    _, stats, truth = simulated
    rows = pq.read_table(stats / "item_stats.parquet").to_pylist()
    planted = truth["dif"]["item"]
    flagged_c = {r["item"] for r in rows if (r["ets"] or "").startswith("C")}
    assert flagged_c == {planted}
    for r in rows:
        if r["item"] == planted:
            assert r["ets"] == "C-" and r["mh_d_dif"] < -1.5 and "dif_c" in r["flags"]
    assert (stats / "item-report.pdf").read_bytes().startswith(b"%PDF")


def test_every_figure_equals_one_computed_directly_from_the_responses(simulated):
    """p-value, omit rate, item-rest, upper–lower and alpha by hand, for one form."""
    ds, stats, _ = simulated
    students = {(s["sitting_id"], s["ikt"]): s for s in pq.read_table(ds / "students").to_pylist()}
    responses = pq.read_table(ds / "responses", filters=[("language", "=", "kk"), ("variant", "=", "B"),
                                                         ("subject", "=", "math")]).to_pylist()
    responses = [r for r in responses if students[(r["sitting_id"], r["ikt"])]["sat"]
                 and not students[(r["sitting_id"], r["ikt"])]["annulled"]]
    per_student = defaultdict(dict)
    for r in responses:
        per_student[(r["sitting_id"], r["ikt"])][r["item"]] = r
    keys = sorted(per_student)
    items = sorted({r["item"] for r in responses})
    scores = np.array([[per_student[k][i]["score"] for i in items] for k in keys], dtype=float)
    answered = np.array([[per_student[k][i]["answered"] for i in items] for k in keys], dtype=float)
    maxima = np.array([per_student[keys[0]][i]["max_score"] for i in items], dtype=float)
    total = scores.sum(axis=1)
    order = sorted(range(len(keys)), key=lambda n: (total[n], keys[n]))
    n = len(keys)
    lower = [order[j] for j in range(n) if 100 * (j + 1) <= 27 * n]
    upper = [order[j] for j in range(n) if 100 * (j + 1) > 73 * n]
    got = {r["item"]: r for r in pq.read_table(stats / "item_stats.parquet").to_pylist()
           if (r["language"], r["variant"], r["subject"]) == ("kk", "B", "math")}
    for j, item in enumerate(items):
        assert got[item]["n"] == n
        assert got[item]["p_value"] == pytest.approx(scores[:, j].mean() / maxima[j])
        assert got[item]["omit_rate"] == pytest.approx(1 - answered[:, j].mean())
        assert got[item]["item_rest"] == pytest.approx(np.corrcoef(scores[:, j], total - scores[:, j])[0, 1])
        ul = (scores[upper, j].mean() - scores[lower, j].mean()) / maxima[j]
        assert got[item]["upper_lower"] == pytest.approx(ul)
    k = len(items)
    alpha = k / (k - 1) * (1 - scores.var(axis=0, ddof=1).sum() / total.var(ddof=1))
    (form,) = [f for f in pq.read_table(stats / "forms.parquet").to_pylist()
               if (f["language"], f["variant"], f["subject"]) == ("kk", "B", "math")]
    assert form["alpha"] == pytest.approx(alpha) and form["n"] == n


# ------------------------------------------------------------------------- feedback in Russian

def pdf_text(path: Path) -> str:
    return "\n".join(" ".join(page.extract_text().split()) for page in PdfReader(path).pages)


def means(rows: list[dict], subjects: tuple[str, ...]) -> list[str]:
    """Each subject's mean percent as the report prints it."""
    return [f"{np.mean([r['percent'] for r in rows if r['subject'] == s]):.0f}" for s in subjects]


def test_a_russian_schools_report_is_in_russian_with_region_country_and_topics(simulated, tmp_path):
    ds, _, _ = simulated
    students = pq.read_table(ds / "students").to_pylist()
    languages, region_of = defaultdict(Counter), {}
    for s in students:
        languages[s["school_id"]][s["language"]] += 1
        region_of[s["school_id"]] = s["region"]
    counted = {(s["sitting_id"], s["ikt"]) for s in students if s["sat"] and not s["annulled"]}
    size = Counter(s["school_id"] for s in students if (s["sitting_id"], s["ikt"]) in counted)
    # A school most of whose students took the test in Russian, in a region with a Kazakh school.
    russian = sorted(sid for sid, n in languages.items() if n["ru"] > n["kk"] and size[sid] >= MIN_GROUP)
    kazakh = sorted(sid for sid, n in languages.items() if n["kk"] >= n["ru"])
    ru, kk = next((r, k) for r in russian for k in kazakh if region_of[k] == region_of[r])
    region = region_of[ru]
    out = tmp_path / "reports"
    assert centre(["report", "--dataset", str(ds), "--out", str(out), "--school", ru, "--school", kk,
                   "--jobs", "1"]) == 0
    (folder,) = (out / region).glob(f"{ru}_*")
    text = pdf_text(folder / "school-report.pdf")
    assert "Мониторинг образовательных достижений обучающихся (МОДО) — обратная связь для школы" in text
    assert "мектепке кері байланыс" not in text and f"Регион: {region_name(region, 'ru')}" in text

    # The school, its region and the country side by side, per subject, as the dataset has them.
    subjects = ("reading", "math", "science")
    scores = [r for r in pq.read_table(ds / "subject_scores").to_pylist() if not r["annulled"]]
    school = means([r for r in scores if r["school_id"] == ru], subjects)
    in_region = means([r for r in scores if r["region"] == region], subjects)
    assert school != in_region  # the region's figures are its schools', not this one's again
    for row in ("Школа", *school), (region_name(region, "ru"), *in_region), ("Казахстан", *means(scores, subjects)):
        assert " ".join(row) in text, (row, text[:1500])

    # Strengths and gaps by topic: the school's share of points per topic against the country's.
    topic_of = {(i["variant"], i["item"]): i["topic"] for i in pq.read_table(ds / "items").to_pylist()
                if i["language"] == "ru" and i["grade"] == 9}
    points = defaultdict(lambda: [0, 0, 0, 0])  # topic -> school score, max, country score, max
    for r in pq.read_table(ds / "responses").to_pylist():
        if (r["sitting_id"], r["ikt"]) in counted:
            cell = points[topic_of[(r["variant"], r["item"])]]
            cell[2] += r["score"]
            cell[3] += r["max_score"]
            if r["school_id"] == ru:
                cell[0] += r["score"]
                cell[1] += r["max_score"]
    topics = sorted(((100 * a / b - 100 * c / d, name, 100 * a / b) for name, (a, b, c, d) in points.items() if b),
                    reverse=True)
    assert "Сильные стороны и пробелы по темам" in text
    for diff, name, value in [t for t in topics[:3] if t[0] > 0]:
        assert f"Сильные стороны {name} {value:.0f} {diff:+.0f}" in text
    for diff, name, value in [t for t in topics[-3:] if t[0] < 0]:
        assert f"Темы, требующие внимания {name} {value:.0f} {diff:+.0f}" in text

    # Its results workbook is in Russian too; the Kazakh school's report and workbook in Kazakh.
    sheet = openpyxl.load_workbook(folder / "results.xlsx").active
    assert sheet.title == "Результаты, 9 класс" and [c.value for c in sheet[1]][:3] == ["ИКТ", "ИИН", "Фамилия"]
    mine = {s["ikt"]: s for s in students if s["school_id"] == ru}
    body = list(sheet.iter_rows(min_row=2, max_row=1 + len(mine)))
    assert sorted(r[0].value for r in body) == sorted(mine) and all(r[1].data_type == "s" for r in body)
    total = [c.value for c in sheet[1]].index("Итого")
    for row in body:
        s = mine[row[0].value]
        assert row[total].value == (s["total_score"] if s["sat"] and not s["annulled"] else None)
    (kk_folder,) = (out / region).glob(f"{kk}_*")
    assert "мектепке кері байланыс" in pdf_text(kk_folder / "school-report.pdf")
    assert openpyxl.load_workbook(kk_folder / "results.xlsx").active.title == "Нәтижелер, 9-сынып"

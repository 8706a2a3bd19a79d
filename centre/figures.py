"""The figures of one year for the feedback PDFs, gathered from DuckDB in a handful of grouped
queries over the whole year (country, region, school and class at once). Who counts: students
who sat and whose result was not annulled."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from content.questionnaire_loader import shipped_questionnaire

from .engine import connect, rows
from .regions import region_name

class ReportError(Exception):
    """Nothing to report on; the message says why."""


@dataclass
class Figures:
    """One year's figures, looked up by the PDFs. Keys: grade, subject, then the group."""
    year: int
    min_group: int
    subject_titles: dict = field(default_factory=dict)  # (grade, subject, language) -> title
    means: dict = field(default_factory=dict)  # (scope, group, grade, subject) -> (n, mean percent)
    levels: dict = field(default_factory=dict)  # (scope, group, grade, subject) -> {level: n}
    topics: dict = field(default_factory=dict)  # (scope, group, grade, language) -> {topic: percent}
    schools: list = field(default_factory=list)  # one dict per school
    classes: dict = field(default_factory=lambda: defaultdict(list))  # school_id -> [(grade, class)]
    context: dict = field(default_factory=dict)  # (region, grade) -> [(question, option, n, mean)]
    subjects: dict = field(default_factory=dict)  # grade -> [subject ids in the test's order]
    students: dict = field(default_factory=lambda: defaultdict(list))  # school_id -> [every registered student]
    student_topics: dict = field(default_factory=dict)  # (sitting_id, ikt) -> {topic: percent}

    def mean(self, scope: str, group, grade: int, subject: str) -> tuple[int, float | None]:
        return self.means.get((scope, group, grade, subject), (0, None))

    def subject_title(self, grade: int, subject: str, language: str) -> str:
        """The subject's title in `language`, else in the other test language, else its id."""
        return self.subject_titles.get((grade, subject, language)) or self.subject_titles.get(
            (grade, subject, "kk" if language == "ru" else "ru"), subject)


COUNTS = "NOT s.annulled AND s.sat"


def gather(dataset: Path, year: int | None, schools: list[str] | None, min_group: int) -> Figures:
    con = connect(dataset, tables=("students", "subject_scores", "responses", "items", "questionnaire", "identities"))
    if year is None:
        found = rows(con, "SELECT max(year) AS y FROM students")
        if not found or found[0]["y"] is None:
            raise ReportError(f"{dataset} holds no students yet: ingest some bundles first")
        year = int(found[0]["y"])
    f = Figures(year, min_group)
    for r in rows(con, "SELECT DISTINCT grade, subject, language, subject_title FROM items WHERE year = ?", [year]):
        f.subject_titles[(r["grade"], r["subject"], r["language"])] = r["subject_title"]
    for r in rows(con, """SELECT grade, subject FROM items WHERE year = ? GROUP BY grade, subject
                          ORDER BY grade, min(position), subject""", [year]):
        f.subjects.setdefault(r["grade"], []).append(r["subject"])

    scopes = {"country": "'KZ'", "region": "region", "school": "school_id", "class": "school_id || '|' || class"}
    for scope, group in scopes.items():
        for r in rows(con, f"""SELECT {group} AS g, grade, subject, count(*) AS n, avg(percent) AS mean
                               FROM subject_scores WHERE year = ? AND NOT annulled GROUP BY ALL""", [year]):
            f.means[(scope, r["g"], r["grade"], r["subject"])] = (r["n"], r["mean"])
        for r in rows(con, f"""SELECT {group} AS g, grade, subject, level, count(*) AS n
                               FROM subject_scores WHERE year = ? AND NOT annulled GROUP BY ALL""", [year]):
            f.levels.setdefault((scope, r["g"], r["grade"], r["subject"]), {})[r["level"]] = r["n"]

    # Topics: items are pooled by their topic's name in each report language.
    con.execute(f"""CREATE TEMP TABLE item_sums AS
        SELECT r.region, r.school_id, r.school_id || '|' || s.class AS class_key, r.grade, r.variant, r.item,
               sum(r.score) AS score, sum(r.max_score) AS max_score
        FROM responses r JOIN students s ON r.year = s.year AND r.grade = s.grade AND r.region = s.region
             AND r.sitting_id = s.sitting_id AND r.ikt = s.ikt
        WHERE r.year = {int(year)} AND {COUNTS} GROUP BY ALL""")
    for scope, group in (("country", "'KZ'"), ("school", "school_id"), ("class", "class_key")):
        for language in ("kk", "ru"):
            for r in rows(con, f"""SELECT {group} AS g, x.grade, t.topic, sum(x.score) AS score, sum(x.max_score) AS max_score
                                   FROM item_sums x JOIN items t ON t.year = {int(year)} AND t.grade = x.grade
                                        AND t.variant = x.variant AND t.item = x.item AND t.language = ?
                                   GROUP BY ALL""", [language]):
                if r["max_score"]:
                    f.topics.setdefault((scope, r["g"], r["grade"], language), {})[r["topic"]] = (
                        100.0 * r["score"] / r["max_score"])

    wanted = set(schools or [])
    for r in rows(con, """SELECT school_id, any_value(school) AS school, any_value(region) AS region,
                                 count(*) AS registered, count(*) FILTER (WHERE sat) AS sat,
                                 count(*) FILTER (WHERE attendance = 'absent') AS absent,
                                 count(*) FILTER (WHERE annulled) AS annulled,
                                 count(*) FILTER (WHERE language = 'kk') AS kk, count(*) FILTER (WHERE language = 'ru') AS ru,
                                 list(DISTINCT grade ORDER BY grade) AS grades
                          FROM students WHERE year = ? GROUP BY school_id ORDER BY region, school_id""", [year]):
        if wanted and r["school_id"] not in wanted:
            continue
        r["language"] = "ru" if r["ru"] > r["kk"] else "kk"
        f.schools.append(r)
    for r in rows(con, "SELECT DISTINCT school_id, grade, class FROM students WHERE year = ? AND sat ORDER BY ALL", [year]):
        f.classes[r["school_id"]].append((r["grade"], r["class"]))
    _context(con, f)
    _students(con, f, {s["school_id"] for s in f.schools})
    con.close()
    return f


def _context(con, f: Figures) -> None:
    """Questionnaire answers beside results, per region and grade: for each option of a
    question, how many students chose it and their own mean result (each response is linked to
    its student by the ИКТ sealed inside it, within the sitting). Only students whose results
    count; a multi question counts each chosen option. Groups under `min_group` are left for
    the PDF to hide."""
    found = rows(con, f"""
        WITH chosen AS (
            SELECT year, grade, region, sitting_id, ikt, question, option FROM questionnaire
            WHERE year = {f.year} AND option IS NOT NULL
            UNION ALL
            SELECT year, grade, region, sitting_id, ikt, question, unnest(options) AS option FROM questionnaire
            WHERE year = {f.year} AND options IS NOT NULL)
        SELECT q.region, q.grade, q.question, q.option, count(*) AS n, avg(s.percent) AS mean
        FROM chosen q JOIN students s ON s.year = q.year AND s.grade = q.grade AND s.region = q.region
             AND s.sitting_id = q.sitting_id AND s.ikt = q.ikt
        WHERE {COUNTS} GROUP BY ALL""")
    for r in found:
        f.context.setdefault((r["region"], r["grade"]), []).append((r["question"], r["option"], r["n"], r["mean"]))


def _students(con, f: Figures, schools: set[str]) -> None:
    if not schools:
        return
    con.register("wanted_schools", __import__("pyarrow").table({"school_id": sorted(schools)}))
    # Every registered student: those who sat get a letter, all of them a row of the results workbook.
    people = rows(con, f"""
        SELECT s.school_id, s.sitting_id, s.ikt, s.grade, s.class, s.language, s.variant, s.seat, s.attendance,
               s.state, s.annulled, s.sat, s.total_score, s.max_total, s.percent,
               i.iin, i.surname, i.name, i.patronymic
        FROM students s JOIN wanted_schools w USING (school_id)
             LEFT JOIN identities i ON i.year = s.year AND i.sitting_id = s.sitting_id AND i.ikt = s.ikt
        WHERE s.year = {f.year} ORDER BY s.class, i.surname, i.name""")
    scores = defaultdict(dict)
    for r in rows(con, f"""SELECT c.sitting_id, c.ikt, c.subject, c.score, c.max_score, c.percent, c.level
                           FROM subject_scores c JOIN wanted_schools w USING (school_id) WHERE c.year = {f.year}"""):
        scores[(r["sitting_id"], r["ikt"])][r["subject"]] = r
    for p in people:
        p["scores"] = scores.get((p["sitting_id"], p["ikt"]), {})
        f.students[p["school_id"]].append(p)
    for r in rows(con, f"""
        SELECT r.sitting_id, r.ikt, t.topic, sum(r.score) AS score, sum(r.max_score) AS max_score
        FROM responses r JOIN wanted_schools w USING (school_id)
             JOIN items t ON t.year = r.year AND t.grade = r.grade AND t.language = r.language
                  AND t.variant = r.variant AND t.item = r.item
        WHERE r.year = {f.year} GROUP BY ALL"""):
        if r["max_score"]:
            f.student_topics.setdefault((r["sitting_id"], r["ikt"]), {})[r["topic"]] = 100.0 * r["score"] / r["max_score"]


def question_texts(language: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    try:
        q = shipped_questionnaire(language)
    except ValueError:
        return {}
    return {x.id: (" ".join(x.text.split()), x.options) for x in q.questions}




def region_label(code: str, language: str) -> str:
    return region_name(code, language)

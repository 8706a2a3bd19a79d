"""The three feedback PDFs: the school's report, a class teacher's summary, and the parents'
letters of one class (one page per child, naming that child only, to print and hand over).

Charts are drawn by matplotlib (its bundled DejaVu Sans has the Kazakh letters) into PNG
and placed by fpdf2. Every group smaller than the threshold is shown as "fewer than N".
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # no screen: draw into memory
import matplotlib.pyplot as plt  # noqa: E402

from .levels import LEVELS, level_name  # noqa: E402
from .pdfdoc import FONT, Doc  # noqa: E402
from .figures import Figures, question_texts, region_label  # noqa: E402
from .texts import t  # noqa: E402

COLOURS = ["#1f5f99", "#6aa6d8", "#9bc4a6", "#e0a35a", "#b4b4b4", "#c97b9b"]
LEVEL_RGB = [(192, 57, 43), (230, 155, 58), (143, 191, 106), (46, 125, 79)]  # low ... high
_question_cache: dict[str, dict] = {}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def _subjects(f: Figures, grade: int) -> list[str]:
    return sorted({s for (g, s, _lang) in f.subject_titles if g == grade},
                  key=lambda s: ["reading", "math", "science"].index(s) if s in ("reading", "math", "science") else 9)


def _title(f: Figures, grade: int, subject: str, language: str) -> str:
    return f.subject_title(grade, subject, language)


def _shown(f: Figures, scope: str, group, grade: int, subject: str) -> float | None:
    n, mean = f.mean(scope, group, grade, subject)
    return mean if n >= f.min_group else None


def _png(fig):
    """The figure as an RGB image for fpdf2 (no PNG written and read again, no alpha channel
    for it to split off)."""
    from PIL import Image
    fig.set_dpi(90)
    fig.canvas.draw()
    image = Image.frombuffer("RGBA", fig.canvas.get_width_height(), fig.canvas.buffer_rgba()).convert("RGB")
    plt.close(fig)
    return image


def _groups(f: Figures, school: dict, grade: int, language: str) -> list[tuple[str, str, str]]:
    """(label, scope, group) side by side: the school, each of its classes, the region, the country."""
    sid = school["school_id"]
    groups = [(t("school", language), "school", sid)]
    for g, class_ in f.classes.get(sid, []):
        if g == grade:
            groups.append((f"{t('class', language)} {class_}", "class", f"{sid}|{class_}"))
    return groups + [(region_label(school["region"], language), "region", school["region"]),
                     (t("country", language), "country", "KZ")]


def subject_chart(f: Figures, school: dict, grade: int, language: str):
    """Bars only: the numbers go in the table beneath (text drawn by matplotlib is most of a
    chart's cost, and a table reads back)."""
    subjects = _subjects(f, grade)
    groups = _groups(f, school, grade, language)
    fig, ax = plt.subplots(figsize=(7.2, 2.6))
    fig.subplots_adjust(left=0.07, right=0.99, top=0.97, bottom=0.27)  # fixed margins: no layout pass
    width = 0.8 / len(groups)
    for index, (label, scope, group) in enumerate(groups):
        values = [_shown(f, scope, group, grade, s) or 0 for s in subjects]
        ax.bar([n + index * width for n in range(len(subjects))], values, width, label=label,
               color=COLOURS[index % len(COLOURS)])
    ax.set_xticks([n + 0.4 - width / 2 for n in range(len(subjects))])
    ax.set_xticklabels([_title(f, grade, s, language) for s in subjects], fontsize=7.5)
    ax.set_ylim(0, 100)
    ax.set_ylabel("%", fontsize=8)
    ax.legend(fontsize=6.5, ncol=min(4, len(groups)), loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def subject_table(doc: Doc, f: Figures, school: dict, grade: int, language: str) -> None:
    subjects = _subjects(f, grade)
    body = []
    for label, scope, group in _groups(f, school, grade, language):
        cells = []
        for s in subjects:
            n, mean = f.mean(scope, group, grade, s)
            cells.append(_pct(mean) if n >= f.min_group else (t("suppressed", language, n=f.min_group) if n else "—"))
        body.append([label] + cells)
    width = (doc.width - 62) / max(1, len(subjects))
    doc.table([""] + [_title(f, grade, s, language) for s in subjects], body, [62] + [width] * len(subjects), size=7.5)


def level_bars(doc: Doc, f: Figures, school: dict, grade: int, language: str) -> None:
    """Shares of students at each level, school beside country: stacked bars drawn straight
    into the PDF (simple shapes; matplotlib cost a tenth of a second for each)."""
    scopes = [(t("school", language), "school", school["school_id"]), (t("country", language), "country", "KZ")]
    label_w, bar_w, h = 70.0, doc.width - 72.0, 5.0
    doc.set_font(FONT, size=7)
    for s in _subjects(f, grade):
        for name, scope, group in scopes:
            counts = f.levels.get((scope, group, grade, s), {})
            total = sum(counts.values())
            if doc.get_y() + h > doc.page_break_trigger:
                doc.add_page()
            y = doc.get_y()
            doc.set_x(doc.l_margin)
            doc.cell(label_w, h, f"{_title(f, grade, s, language)[:30]} · {name}")
            x = doc.l_margin + label_w + 2
            if total < f.min_group:
                doc.cell(bar_w, h, t("suppressed", language, n=f.min_group) if total else "—")
            else:
                for level in (1, 2, 3, 4):
                    share = counts.get(level, 0) / total
                    w = bar_w * share
                    if w <= 0:
                        continue
                    doc.set_fill_color(*LEVEL_RGB[level - 1])
                    doc.rect(x, y + 0.6, w, h - 1.2, style="F")
                    if w > 7:
                        doc.set_xy(x, y)
                        doc.set_text_color(255 if level in (1, 4) else 0)
                        doc.cell(w, h, f"{100 * share:.0f}", align="C")
                        doc.set_text_color(0)
                    x += w
            doc.set_xy(doc.l_margin, y + h)
    doc.ln(1)
    doc.set_x(doc.l_margin + label_w + 2)
    for level in (1, 2, 3, 4):
        doc.set_fill_color(*LEVEL_RGB[level - 1])
        doc.rect(doc.get_x(), doc.get_y() + 1.2, 3, 3, style="F")
        doc.set_x(doc.get_x() + 4)
        doc.cell(28, h, level_name(level, language))
    doc.ln(h + 1)
    doc.set_font(FONT, size=10)


def _topic_rows(f: Figures, scope: str, group, grade: int, language: str) -> list[tuple[str, float, float]]:
    mine = f.topics.get((scope, group, grade, language), {})
    country = f.topics.get(("country", "KZ", grade, language), {})
    return sorted(((topic, value, value - country[topic]) for topic, value in mine.items() if topic in country),
                  key=lambda r: r[2])


def school_pdf(f: Figures, school: dict) -> bytes:
    lang = school["language"]
    doc = Doc(f"Synaq · {school['school']} · {f.year}")
    doc.alias_nb_pages()
    doc.add_page()
    doc.big_title(t("school_title", lang), size=13)
    doc.para(f"{school['school']} · {t('region', lang)}: {region_label(school['region'], lang)} · "
             f"{t('year_grade', lang, year=f.year, grade=', '.join(map(str, school['grades'])))}", bold=True)
    doc.para(t("participation", lang, **{k: school[k] for k in ("registered", "sat", "absent", "annulled")}))
    doc.para(t("threshold", lang, n=f.min_group), size=8)
    recommendations = []
    for grade in school["grades"]:
        doc.heading(f"{t('by_subject', lang)} — {t('year_grade', lang, year=f.year, grade=grade)}")
        doc.picture(subject_chart(f, school, grade, lang), w=doc.width)
        subject_table(doc, f, school, grade, lang)
        doc.heading(t("levels", lang))
        level_bars(doc, f, school, grade, lang)
        doc.para(t("levels_note", lang), size=7.5)
        topics = _topic_rows(f, "school", school["school_id"], grade, lang)
        n_school = max((f.mean("school", school["school_id"], grade, s)[0] for s in _subjects(f, grade)), default=0)
        if topics and n_school >= f.min_group:
            doc.heading(t("topics", lang))
            doc.para(t("topics_note", lang), size=8)
            best = [r for r in reversed(topics[-3:]) if r[2] > 0]
            worst = [r for r in topics[:3] if r[2] < 0]
            body = [[t("strengths", lang), name, _pct(value), f"{diff:+.0f}"] for name, value, diff in best]
            body += [[t("gaps", lang), name, _pct(value), f"{diff:+.0f}"] for name, value, diff in worst]
            # The first column holds "Назар аударатын тақырыптар" whole at 8 pt.
            doc.table(["", t("topic", lang), t("school", lang) + ", %", t("difference", lang)], body, [47, 99, 18, 18],
                      size=8, marks=[i >= len(best) for i in range(len(body))])
            recommendations += [t("recommend_gap", lang, topic=name, diff=f"{-diff:.0f}") for name, _v, diff in worst
                                if diff <= -5]
            for s in _subjects(f, grade):
                counts = f.levels.get(("school", school["school_id"], grade, s), {})
                total = sum(counts.values())
                if total >= f.min_group and counts.get(1, 0) / total >= 0.25:
                    recommendations.append(t("recommend_low", lang, subject=_title(f, grade, s, lang),
                                             share=f"{100 * counts.get(1, 0) / total:.0f}"))
        _context_section(doc, f, school, grade, lang)
    doc.heading(t("recommend", lang))
    for line in recommendations or [t("recommend_none", lang)]:
        doc.para("• " + line, size=9)
    return doc.bytes()


def _context_section(doc: Doc, f: Figures, school: dict, grade: int, lang: str) -> None:
    answers = f.context.get((school["region"], grade), [])
    if not answers:
        return
    texts = _question_cache.setdefault(lang, question_texts(lang))
    by_question: dict[str, list] = {}
    for question, option, n, mean in answers:
        if n >= f.min_group and question in texts:
            by_question.setdefault(question, []).append((option, n, mean))
    spread = sorted(((max(m for _, _, m in v) - min(m for _, _, m in v), q) for q, v in by_question.items() if len(v) > 1),
                    reverse=True)[:3]
    if not spread:
        return
    doc.heading(t("context", lang))
    doc.para(t("context_note", lang), size=8)
    for _, question in spread:
        text, options = texts[question]
        doc.para(text, size=8.5, bold=True)
        body = [[options[o] if o is not None and 0 <= o < len(options) else str(o), n, _pct(mean)]
                for o, n, mean in sorted(by_question[question])]
        doc.table([t("answer", lang), t("students_n", lang), t("mean", lang)], body, [110, 30, 30], size=8)


def teacher_pdf(f: Figures, school: dict, grade: int, class_: str) -> bytes:
    lang = school["language"]
    key = f"{school['school_id']}|{class_}"
    doc = Doc(f"Synaq · {school['school']} · {class_} · {f.year}")
    doc.alias_nb_pages()
    doc.add_page()
    doc.big_title(t("teacher_title", lang), size=13)
    doc.para(f"{school['school']} · {t('class', lang)} {class_} · {t('year_grade', lang, year=f.year, grade=grade)}", bold=True)
    doc.para(t("threshold", lang, n=f.min_group), size=8)
    subjects = _subjects(f, grade)
    small = all(f.mean("class", key, grade, s)[0] < f.min_group for s in subjects)
    body = []
    for s in subjects:
        body.append([_title(f, grade, s, lang), _pct(_shown(f, "class", key, grade, s)),
                     _pct(_shown(f, "school", school["school_id"], grade, s)),
                     _pct(_shown(f, "region", school["region"], grade, s)), _pct(_shown(f, "country", "KZ", grade, s))])
    doc.table([t("subject", lang), t("class", lang) + ", %", t("school", lang) + ", %",
               region_label(school["region"], lang)[:18] + ", %", t("country", lang) + ", %"], body, [62, 28, 28, 34, 28])
    if small:
        doc.para(t("class_too_small", lang, n=f.min_group))
        return doc.bytes()
    doc.heading(t("level_counts", lang))
    head = [t("subject", lang)] + [level_name(level, lang) for level in (1, 2, 3, 4)]
    doc.table(head, [[_title(f, grade, s, lang)] + [f.levels.get(("class", key, grade, s), {}).get(level, 0)
                                                   for level in (1, 2, 3, 4)] for s in subjects], [62, 28, 28, 28, 28])
    doc.para(t("levels_note", lang), size=7.5)
    topics = _topic_rows(f, "class", key, grade, lang)
    if topics:
        doc.heading(t("topics", lang))
        doc.table([t("topic", lang), t("class", lang) + ", %", t("difference", lang)],
                  [[name, _pct(value), f"{diff:+.0f}"] for name, value, diff in topics], [120, 25, 25], size=8,
                  marks=[diff < -5 for _n, _v, diff in topics])
    return doc.bytes()


def letters_pdf(f: Figures, school: dict, pupils: list[dict]) -> bytes:
    doc = Doc(f"Synaq · {school['school']} · {f.year}", page_numbers=False)  # each page is a letter of its own
    for p in pupils:
        lang = p["language"] if p["language"] in ("kk", "ru") else school["language"]
        name = " ".join(x for x in (p.get("surname"), p.get("name"), p.get("patronymic")) if x) or p["ikt"]
        doc.add_page()
        doc.big_title(t("letter_title", lang), size=12)
        doc.para(t("dear_parent", lang), bold=True)
        doc.para(t("letter_intro", lang, name=name, class_=p["class"], school=school["school"], year=f.year))
        if p["annulled"]:
            doc.para(t("annulled_letter", lang), bold=True)
        else:
            key = f"{school['school_id']}|{p['class']}"
            body = []
            for s in _subjects(f, p["grade"]):
                mine = p["scores"].get(s)
                if not mine:
                    continue
                body.append([_title(f, p["grade"], s, lang), f"{mine['score']} / {mine['max_score']}", _pct(mine["percent"]),
                             level_name(mine["level"], lang) if mine["level"] else "—",
                             _pct(_shown(f, "class", key, p["grade"], s)), _pct(_shown(f, "country", "KZ", p["grade"], s))])
            doc.heading(t("letter_table", lang), size=11)
            doc.table([t("subject", lang), t("score", lang), t("child", lang), t("level", lang), t("class_mean", lang),
                       t("country_mean", lang)], body, [62, 22, 22, 28, 24, 24], size=8.5)
            doc.para(t("levels_note", lang), size=7.5)
            topics = sorted(f.student_topics.get((p["sitting_id"], p["ikt"]), {}).items(), key=lambda kv: kv[1])
            good = [name for name, value in reversed(topics) if value >= 70][:3]
            work = [name for name, value in topics if value < 50][:3]
            if good:
                doc.para(t("did_well", lang) + ": " + "; ".join(good), size=9)
            if work:
                doc.para(t("to_work", lang) + ": " + "; ".join(work), size=9)
        doc.para(t("letter_close", lang), size=9)
        doc.para(t("confidential", lang), size=7.5)
    return doc.bytes()


__all__ = ["school_pdf", "teacher_pdf", "letters_pdf", "LEVELS"]

"""The PDF item report for the centre's reviewers: per test form, every item's figures, with
the flagged ones shaded and explained, then the distractor table of each flagged item."""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa

from .pdfdoc import Doc
from .stats import FLAG_TEXT, FORM


def _num(value, digits: int = 2) -> str:
    if value is None or value != value:  # None or NaN
        return "—"
    return f"{value:.{digits}f}".replace(".", ",")


def item_report_pdf(tables: dict[str, pa.Table]) -> bytes:
    stats = tables["item_stats"].to_pylist()
    forms = {tuple(f[c] for c in FORM): f for f in tables["forms"].to_pylist()}
    options = defaultdict(list)
    for d in tables["distractors"].to_pylist():
        options[tuple(d[c] for c in FORM) + (d["item"],)].append(d)
    doc = Doc("Synaq — анализ заданий / тапсырмаларды талдау", orientation="L")
    doc.alias_nb_pages()
    doc.add_page()
    doc.big_title("Анализ заданий — Тапсырмаларды талдау")
    flagged = sum(1 for s in stats if s["flags"])
    doc.para(f"Заданий: {len(stats)}; отмечено для проверки: {flagged}. Учтены учащиеся, которые писали тест и чьи "
             "результаты не аннулированы; пропуск = 0 баллов. p — средний балл / максимум; item-rest — корреляция "
             "балла за задание с суммой остальных заданий предмета; В−Н — разность p верхних и нижних 27%; b — "
             "трудность Раша (CML, среднее 0 в форме); DIF — Мантель–Хензель kk ↔ ru, категории ETS (− труднее на ru).")
    doc.heading("Отметки / Белгілер")
    for code, text in FLAG_TEXT.items():
        doc.para(f"{code}: {text}", size=8)
    by_form = defaultdict(list)
    for s in stats:
        by_form[tuple(s[c] for c in FORM)].append(s)
    head = ["№", "Задание", "Тип", "Тема", "n", "p", "Пропуск", "item-rest", "В−Н", "b (SE)", "DIF", "Отметки"]
    widths = [8, 16, 17, 44, 13, 12, 17, 18, 12, 24, 18, 70]
    for form, members in sorted(by_form.items()):
        year, grade, language, variant, subject = form
        f = forms.get(form, {})
        doc.heading(f"{year} · {grade} класс · {language} · вариант {variant} · {subject}: "
                    f"n = {f.get('n', '—')}, α Кронбаха = {_num(f.get('alpha'))}")
        body = [[s["position"], s["item"], s["kind"], s["topic"] or "", s["n"], _num(s["p_value"]),
                 _num(s["omit_rate"]), _num(s["item_rest"]), _num(s["upper_lower"]),
                 f"{_num(s['rasch_b'])} ({_num(s['rasch_se'])})", s["ets"] or "—", ", ".join(s["flags"])]
                for s in members]
        doc.table(head, body, widths, marks=[bool(s["flags"]) for s in members])
        for s in members:
            rows = options.get(form + (s["item"],))
            if s["flags"] and rows:
                doc.para(f"{s['item']}: варианты ответа", size=8, bold=True)
                doc.table(["Вариант", "Ключ", "Выбрали", "Доля", "Средний % остальных заданий", "Отметка"],
                          [[d["option"], "ключ" if d["is_key"] else "", d["chosen"], _num(d["share"]),
                            _num(100 * d["rest_mean"] if d["rest_mean"] is not None else None, 1),
                            "сильные выбирают" if d["flag"] else ""] for d in rows],
                          [20, 16, 20, 16, 50, 40], size=7, marks=[d["flag"] for d in rows])
    return doc.bytes()

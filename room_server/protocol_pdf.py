"""The testing protocol (Annex 3): the room's facts from the records, what the administrator
saved over them, the incidents, the pauses, the remarks and the fingerprint of the key that
signs the results bundle. Each numbered section keeps its heading with what follows it."""

from __future__ import annotations

import json
import re

from fpdf.enums import XPos, YPos

from room_protocol.protocol_form import RECORDED, SUFFIX, TYPED, corrections

from .pdf import ANNEX, FONT, MODO, TITLES, Doc, page_footer, pdf_bytes, paper_date
from room_protocol import seal

from .signing import fingerprint_for_paper
from .snapshot import Snapshot, local_time

PAUSE_REASONS = {"power": "электр қуаты / электропитание", "network": "желі / сеть",
                 "other": "басқа / другое", "server_outage": "сервер тоқтады / остановка сервера"}
KIND_NAMES = {"annex1": "1-қосымша / Прил. 1: тыйым салынған зат / запрещённый предмет",
              "annex2": "2-қосымша / Прил. 2: бөгде тұлға / подставное лицо",
              "other": "басқа / другое"}

# The counted facts' names on paper, for the list of corrections.
FIGURE_NAMES = {
    "registered": "Тізімде / По списку", "present": "Келді / Явились", "absent": "Келмеді / Не явились",
    "late": "Кешікті / Опоздали", "finished": "Тестті аяқтады / Завершили тест", "removed": "Шығарылды / Удалены",
    "slips_handed": "Кіру формалары берілді / Форм входа выдано", "slips_collected": "жиналды / собрано",
    "start_time": "Тестілеудің басталуы / Начало тестирования", "end_time": "Аяқталуы / Окончание",
}


def protocol_form(snap: Snapshot, fingerprint: str) -> bytes:
    fields = snap.protocol_fields()  # the records' facts recomputed, and what was typed
    true = {name: str(fields.get(name, "")) for name in FIGURE_NAMES}
    true["start_time"] = local_time(_ms(fields.get("start_ms")), "%H:%M")
    true["end_time"] = local_time(_ms(fields.get("end_ms")), "%H:%M")
    fixes = corrections(snap.protocol_saved, true)

    def figure(name: str) -> str:
        """The records' figure; a typed correction beside it, marked."""
        return f"{true[name]} ({fixes[name]}*)" if name in fixes else true[name]

    def wide(name: str) -> float:
        """A figure's blank: wider where a correction stands beside it."""
        return 26 if name in fixes else 14

    doc = Doc(page_footer(snap))
    doc.add_page()
    doc.annex_label(ANNEX["protocol"])
    doc.heading(*TITLES["protocol"])
    doc.text_line(f"{MODO} · {snap.grade}-сынып / {snap.grade} класс", size=10, align="C")
    doc.gap(2)
    org = " ".join(str(x) for x in (fields.get("org_code", ""), fields.get("school", "")) if x)
    doc.blank("Мектеп / Организация образования:", org, caption="код, наименование / коды, атауы")
    placed = "   ".join(x for x in (snap.meta.get("region") and f"Өңір / Регион: {snap.meta['region']}",
                                      snap.meta.get("school_bin") and f"БСН / БИН: {snap.meta['school_bin']}") if x)
    if placed:  # the codes the room was made with (room-server init --region --school-bin)
        doc.text_line(placed, size=9)
    doc.blank("Аудитория №", fields.get("room", ""), width=22, end_line=False)
    doc.cell(4, 6, "")
    doc.blank("Ағын / Поток:", fields.get("sitting", ""), width=18, end_line=False)
    doc.cell(4, 6, "")
    doc.blank("Күні / Дата:", paper_date(fields.get("date"), snap.date_ms))
    doc.blank("Тест өткізуші / Тест-администратор:", fields.get("administrator", ""), caption="Т.А.Ә. / Ф.И.О.")
    doc.gap(1)
    doc.blank("Тестілеудің басталуы / Начало тестирования:", figure("start_time"), width=30, end_line=False)
    doc.cell(4, 6, "")
    doc.blank("Аяқталуы / Окончание:", figure("end_time"), width=30)
    doc.gap(2)

    doc.section("1. Қатысу / Явка")
    doc.blank("Тізімде / По списку:", figure("registered"), width=wide("registered"), end_line=False)
    doc.cell(3, 6, "")
    doc.blank("Келді / Явились:", figure("present"), width=wide("present"), end_line=False)
    doc.cell(3, 6, "")
    doc.blank("Келмеді / Не явились:", figure("absent"), width=wide("absent"))
    doc.blank("Тестті аяқтады / Завершили тест:", figure("finished"), width=wide("finished"), end_line=False)
    doc.cell(3, 6, "")
    doc.blank("Шығарылды / Удалены:", figure("removed"), width=wide("removed"))
    doc.blank("Кіру формалары берілді / Форм входа выдано:", figure("slips_handed"), width=wide("slips_handed"), end_line=False)
    doc.cell(3, 6, "")
    doc.blank("жиналды / собрано:", figure("slips_collected"), width=wide("slips_collected"))
    if true["late"] not in ("", "0") or "late" in fixes:
        doc.blank("Кешікті / Опоздали:", figure("late"), width=wide("late"))
    if fixes:
        doc.gap(1)
        doc.text_line("* Тест өткізуші түзеткен / Исправлено тест-администратором (жазбалар бойынша / по записям → "
                      "түзету / исправление):", size=8)
        for name, typed in fixes.items():
            doc.text_line(f"  • {FIGURE_NAMES[name]}: {true[name] or '—'} → {typed}", size=8)
    absent = [s for s in snap.students if s.attendance_status == "absent"]
    if absent:
        doc.gap(1)
        doc.text_line("Келмегендер / Не явившиеся:", size=9)
        for s in absent:
            reason = "; ".join(x for x in (s.attendance.get("reason"), s.attendance.get("document")) if x)
            doc.text_line(f"  • {s.full_name()} (ИКТ {s.ikt}, орын / место {s.seat}) — {reason}", size=9)
    doc.gap(3)

    doc.section("2. Оқиғалар мен актілер / Происшествия и акты")
    if snap.incidents:
        with doc.table(col_widths=(12, 22, 60, 60, 26), line_height=3.8, padding=0.8,
                       text_align=("CENTER", "CENTER", "LEFT", "LEFT", "CENTER")) as table:
            head = table.row()
            for text in ("№", "Уақыты\nВремя", "Түрі / Вид", "Тестіленуші / Тестируемый", "ИКТ"):
                head.cell(text)
            for i in snap.incidents:
                s = snap.student(i["student_id"])
                f = i["fields"]
                row = table.row()
                for text in (str(i["id"]), local_time(i["at_ms"], "%H:%M"), KIND_NAMES.get(i["kind"], i["kind"]),
                             f.get("student_name") or (s.full_name() if s else "—"), f.get("ikt") or (s.ikt if s else "")):
                    row.cell(str(text))
    else:
        doc.text_line("Оқиғалар болған жоқ / Происшествий не было.", size=9)
    doc.gap(3)

    doc.section("3. Техникалық ақаулар мен үзілістер / Технические сбои и приостановки")
    pauses = fields["pauses"]
    if pauses:
        with doc.table(col_widths=(28, 28, 22, 50, 52), line_height=3.8, padding=0.8,
                       text_align=("CENTER", "CENTER", "CENTER", "LEFT", "LEFT")) as table:
            head = table.row()
            for text in ("Басталуы\nНачало", "Аяқталуы\nКонец", "Мин.", "Себебі / Причина", "Ескерту / Примечание"):
                head.cell(text)
            for p in pauses:
                start_ms, end_ms = _ms(p.get("start_ms")), _ms(p.get("end_ms"))
                minutes = f"{(end_ms - start_ms) / 60000:.0f}" if start_ms and end_ms else ""
                row = table.row()
                for text in (local_time(start_ms, "%H:%M:%S"), local_time(end_ms, "%H:%M:%S") or "…", minutes,
                             PAUSE_REASONS.get(p.get("reason", ""), str(p.get("reason", ""))), str(p.get("note", ""))):
                    row.cell(text)
    else:
        doc.text_line("Үзілістер болған жоқ / Приостановок не было.", size=9)
    faults = own_fault_lines(str(fields.get("faults") or ""), pauses)
    if faults:
        doc.text_line("Ақаулар / Сбои: " + "; ".join(faults), size=9)
    extra = snap.extra_time
    if extra:
        doc.gap(1)
        doc.text_line("Қосымша уақыт / Дополнительное время:", size=9)
        for e in extra:
            s = snap.student(e["student_id"])
            who = f"{s.full_name()} (ИКТ {s.ikt})" if s else str(e["student_id"])
            doc.text_line(f"  • {local_time(e['at_ms'], '%H:%M')} {who}: +{e['minutes']} мин. — {e['reason']}", size=9)
    doc.gap(3)

    doc.section("4. Ескертулер / Замечания")
    remarks = str(fields.get("remarks") or "")
    if remarks:
        doc.text_line(remarks, size=9)
    for _ in range(1 if remarks else 3):
        doc.blank("", "")
    others = {k: v for k, v in snap.protocol_saved.items()
              if k not in RECORDED and k not in TYPED and not k.endswith(SUFFIX) and v not in (None, "")}
    for value in others.values():  # typed by another client: printed, under no field's key
        text = value if not isinstance(value, (dict, list)) else json.dumps(value, ensure_ascii=False)
        doc.text_line(f"Басқа мәлімет / Иные сведения: {text}", size=9)
    doc.gap(3)

    doc.section("5. Нәтижелер файлының қолтаңбасы / Подпись файла результатов", keep_with=60)
    doc.text_line("Бөлме кілтінің ізі (Ed25519) / Отпечаток ключа подписи аудитории (Ed25519):", size=9)
    doc.set_font("Courier", size=10)  # fixed width: easy to compare group by group
    doc.multi_cell(0, 5, fingerprint_for_paper(fingerprint), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.set_font(FONT, size=10)
    doc.text_line("USB-дегі нәтижелер осы кілтпен қол қойылған; тексеру: room-server verify БУМА / "
                  "Результаты на USB подписаны этим ключом; проверка: room-server verify ПАПКА", size=7.5)
    doc.text_line("Талдау орталығының кілті (сауалнама мен жеке деректер соған шифрланған) / "
                  "Ключ центра анализа (анкеты и персональные данные зашифрованы для него):", size=9)
    doc.set_font("Courier", size=10)
    doc.multi_cell(0, 5, seal.fingerprint_for_paper(seal.fingerprint(snap.centre_key)), new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)
    doc.set_font(FONT, size=10)
    doc.text_line("Кешігіп келген жауаптар шегі / Предел для поздних ответов: "
                  f"{int(snap.late_grace_minutes)} мин", size=9)
    doc.gap(2)
    doc.signature("тест өткізуші / тест-администратор (Т.А.Ә. / Ф.И.О.)", fields.get("administrator", ""))
    doc.signature("мектеп үйлестірушісі / школьный координатор (Т.А.Ә. / Ф.И.О.)", fields.get("coordinator", ""))
    doc.stamp_place()
    return pdf_bytes(doc)


_NOTHING = {"", "-", "—", "none", "жоқ", "нет", "no"}
_SPAN = re.compile(r"^\s*(\d{1,2}:\d{2})(?::\d{2})?\s*[–—-]")


def own_fault_lines(text: str, pauses: list[dict]) -> list[str]:
    """The lines of the typed faults text that the pauses table does not already say: the
    console fills the field with one line per pause ("10:05–10:12 power: ..."), printed once,
    in the table."""
    starts = {local_time(_ms(p.get("start_ms")), "%H:%M").lstrip("0") for p in pauses}
    lines = []
    for line in text.splitlines():
        line = line.strip()
        match = _SPAN.match(line)
        if line.casefold().strip(".") in _NOTHING or (match and match.group(1).lstrip("0") in starts):
            continue
        lines.append(line)
    return lines


def _ms(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None

"""The console's room model (sorting, filtering, the summary, time texts), its catalogs and
its command line — without a terminal."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

import proctor_tui
from proctor_tui.app import ProctorApp, build_parser, find_server, main
from proctor_tui.i18n import translator
import room_protocol as p
from proctor_tui.model import NO_SITTING, RoomModel, format_remaining, matches, short_name

PACKAGE = Path(proctor_tui.__file__).parent


def seat(student: int, status: str = "not_logged_in", **extra) -> p.SeatView:
    state = extra.pop("state", status if status not in ("absent", "awaiting_approval") else "not_logged_in")
    view = {"student": student, "seat": student, "ikt": f"{student:07d}", "login": f"m9-{student:03d}",
            "surname": f"Сұлтанов{student}", "name": "Әлихан", "patronymic": "", "class_label": "9А", "language": "kk",
            "variant": "A", "status": status, "state": state, "subject": "", "subject_title": "", "answered": 0,
            "total": 30, "remaining_ms": 600_000, "online": False, "offline_since_ms": None, "alerts": [],
            "data_mistake": "", "present": None, "logged_in": state != "not_logged_in", "late": False, "absent_reason": "", "absent_document": "",
            "slip_handed": False, "slip_collected": False, "extra_minutes": 0, "annulled": False,
            "finish_reason": "", "questionnaire_done": False, "on_break": False, "break_remaining_ms": None,
            "late_answers": 0}
    view.update(extra)
    return p.SeatView(**view)


def model(*seats: p.SeatView) -> RoomModel:
    m = RoomModel(frozen=True)
    m.load(dataclasses.replace(NO_SITTING, state="open"), list(seats), "10.0.0.5:8765")
    return m


def test_summary_counts_what_the_proctor_counts():
    m = model(seat(1, "testing", online=True, slip_handed=True),
              seat(2, "on_break", online=True, slip_handed=True, slip_collected=True),
              seat(3, "done", questionnaire_done=True),
              seat(4, "absent", present=False),
              seat(5, "testing", online=False, alerts=["offline"]),
              seat(6, "not_logged_in"))
    s = m.summary()
    assert (s.present, s.testing, s.on_break, s.finished, s.offline, s.absent) == (4, 2, 1, 1, 1, 1)
    assert (s.slips_handed, s.slips_collected, s.attention) == (2, 1, 1)


def test_sorting_and_filtering():
    m = model(seat(3, "testing", answered=5, remaining_ms=100_000), seat(1, "finished", answered=30),
              seat(2, "awaiting_approval", alerts=["second_login"], remaining_ms=50_000))
    assert [s.student for s in m.rows()] == [1, 2, 3]
    assert [s.student for s in m.rows(sort="answered", reverse=True)] == [1, 3, 2]
    assert [s.student for s in m.rows(status_filter="attention")] == [2]
    assert [s.student for s in m.rows(status_filter="finished")] == [1]
    assert [s.student for s in m.rows(text="0000003")] == [3]
    assert matches(seat(7), "сұлтанов7 әлихан", "all")
    assert not matches(seat(7), "nobody", "all")


def test_time_texts():
    assert format_remaining(10_200_000) == "2:50:00"
    assert format_remaining(61_001) == "0:01:02"
    assert format_remaining(-5) == "0:00:00"
    assert short_name(seat(1, surname="Бекмұхамедова", name="Бауыржан")) == "Бекмұхамедова Б."
    assert short_name(seat(2, surname="Ким", name="Ан")) == "Ким Ан"


def test_questionnaire_answers_are_never_shown():
    """The console shows only whether a questionnaire is filled: no screen reads an answer."""
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "questionnaire_answer" not in text, path
        assert "pseudonym" not in text, path


def used_messages() -> dict[str, str]:
    """Every msgid the console can show: t("...") and N_("...") calls."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name in ("t", "N_") and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str):
                found.setdefault(node.args[0].value, f"{path.name}:{node.lineno}")
    return found


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_every_message_is_translated(language):
    messages = used_messages()
    assert len(messages) > 200
    missing = translator().missing(list(messages), language)
    assert not missing, [f"{m!r} ({messages[m]})" for m in missing]


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_translations_keep_their_placeholders(language):
    catalog = translator().catalog(language)
    import string
    for msgid, text in catalog.items():
        want = {f for _, f, _, _ in string.Formatter().parse(msgid) if f}
        got = {f for _, f, _, _ in string.Formatter().parse(text) if f}
        assert want == got, (msgid, text)


def test_every_binding_has_an_id_and_a_description():
    from proctor_tui.screens import (base, dialogs, events, incident_forms, incidents, paperwork, protocol, room,
                                     seating, stream_dialogs, streams)
    modules = (base, dialogs, events, incident_forms, incidents, paperwork, protocol, room, seating, stream_dialogs,
               streams)
    classes = [ProctorApp] + [obj for m in modules for obj in vars(m).values()
                              if isinstance(obj, type) and "BINDINGS" in vars(obj)
                              and obj.__module__.startswith("proctor_tui")]
    for cls in classes:
        for binding in cls.BINDINGS:
            assert binding.id and binding.description, (cls.__name__, binding.key)


def test_command_line(tmp_path, capsys):
    args = build_parser().parse_args(["--data", "room", "--lang", "ru"])
    assert (args.data, args.lang, args.server) == ("room", "ru", None)
    assert main(["--data", str(tmp_path)]) == 1  # no proctor.key there
    assert "proctor.key" in capsys.readouterr().err
    assert main([]) == 2


async def test_the_typed_address_wins_and_the_default_is_tried_last():
    assert await find_server("10.0.0.5:9000", "key") == "10.0.0.5:9000"
    assert await find_server(None, "key", discovery=False) == "127.0.0.1:8765"

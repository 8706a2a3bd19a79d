"""Snapshots of the student app's main screens at 80×24 and 120×40, in Kazakh and Russian.

A real room server serves fixed demo students (fixed names); every clock on screen is frozen
through the app's `frozen_ms` option, and cursors do not blink. Update with
`pytest tests/test_student_snapshots.py --snapshot-update` only after looking at the report."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

import room_protocol as p
from test_student_support import SNAPSHOT_SEATS, log_in, make_app, room, to_test, wait_for, wait_screen  # noqa: F401

SNAPSHOT_DIR = Path(__file__).parent / "snapshots"
FROZEN_MS = 50 * 60_000
SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
SEAT = {  # language -> seats kept for the snapshots: personal data, rules, the test
    "kk": {"data": 1, "rules": 2, "test": 3},
    "ru": {"data": 5, "rules": 10, "test": 15},
}
assert {seat for seats in SEAT.values() for seat in seats.values()} == set(SNAPSHOT_SEATS)


@pytest.fixture(autouse=True)
def snapshots_in_tests_snapshots(monkeypatch):
    """Keep these snapshots in tests/snapshots/<module>/ rather than __snapshots__."""
    from pytest_textual_snapshot import SVGImageExtension

    monkeypatch.setattr(SVGImageExtension, "dirname",
                        classmethod(lambda cls, *, test_location: str(SNAPSHOT_DIR / test_location.basename)))


async def settle(pilot) -> None:
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


def result_message(language: str) -> p.Result:
    titles = {"kk": ["Оқу сауаттылығы", "Математикалық сауаттылық", "Жаратылыстану-ғылыми сауаттылық"],
              "ru": ["Читательская грамотность", "Математическая грамотность", "Естественнонаучная грамотность"]}
    scores = [(9, 14), (7, 14), (11, 15)]
    subjects = [p.SubjectScore(sid, title, score, top)
                for sid, title, (score, top) in zip(("reading", "math", "science"), titles[language], scores)]
    return p.Result(subjects, 27, 43, 62.8, "finished")


def questionnaire_message(language: str) -> p.QuestionnaireOut:
    from content.questionnaire_loader import shipped_questionnaire
    q = shipped_questionnaire(language)
    return p.QuestionnaireOut("snapshot", q.version, q.audience, q.title, q.intro, q.minutes, q.minutes * 60_000,
                              [p.QuestionView(**question.student_view()) for question in q.questions], bytes(32))


def build(room, tmp_path, language: str, screen: str):
    """The app and the steps that bring it to `screen`."""
    seats = SEAT[language]
    seat = seats.get(screen, seats["test"])
    # One state folder (so one device id) per student: a second device would need approval.
    app = make_app(room, room.data.parent / f"state-seat-{seat}", language=language, frozen_ms=FROZEN_MS)

    async def run_before(pilot) -> None:
        row = room.login_for_seat(seat)
        if screen == "login":
            await wait_screen(pilot, app, "LoginScreen")
            await wait_for(lambda: app.hello is not None, pilot=pilot, what="the room's name")
        elif screen == "data":
            await log_in(pilot, app, row)
            await wait_screen(pilot, app, "DataScreen")
        elif screen == "rules":
            await log_in(pilot, app, row)
            await wait_screen(pilot, app, "DataScreen", "RulesScreen")
            if type(app.screen).__name__ == "DataScreen":
                await pilot.click("#correct")
            await wait_screen(pilot, app, "RulesScreen")
        else:
            await to_test(pilot, app, row)
            if screen == "aids":
                await pilot.press("f2")
            elif screen == "break":
                from student_tui.screens.breaks import BreakScreen
                app.push_screen(BreakScreen())
                await wait_screen(pilot, app, "BreakScreen")
            elif screen == "result":
                app.show_result(result_message(language))
                await wait_screen(pilot, app, "ResultScreen")
            elif screen == "questionnaire":
                app.questionnaire_started(questionnaire_message(language))
                await wait_screen(pilot, app, "QuestionnaireIntroScreen")
        await settle(pilot)

    return app, run_before


MAIN = ["login", "data", "rules", "test", "aids", "result"]
SMALL_ONLY = ["break", "questionnaire"]
CASES = [(lang, screen, size) for lang in ("kk", "ru") for screen in MAIN for size in SIZES] + \
        [(lang, screen, "80x24") for lang in ("kk", "ru") for screen in SMALL_ONLY]


@pytest.mark.parametrize("language,screen,size", CASES)
def test_snapshot(snap_compare, room, tmp_path, language, screen, size):
    app, run_before = build(room, tmp_path, language, screen)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)

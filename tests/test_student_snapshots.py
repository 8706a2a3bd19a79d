"""Snapshots of the student app's screens at 80×24 (the main ones also at 120×40), in Kazakh
and Russian (and English where its words differ): login, data, rules, the test, the aids,
reading mode, a number answer's note, the break offer, the break, a paused room, the room
choice, the result, the questionnaire, a principal choosing the questionnaire's language,
the top bar offline.

A real room server serves fixed demo students (fixed names). Every time a screen shows comes
from one frozen clock (`FrozenClock`), so a slow machine draws the same picture; the break
and the pause are real (each in a room of its own), so no clock push from the server can
take the picture away; cursors do not blink. Update with
`pytest tests/test_student_snapshots.py --snapshot-update` only after looking at the report."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import Input

import room_protocol as p
from room_client import ServerError
from student_tui.clock import FrozenClock
from test_student_support import (SNAPSHOT_SEATS, ServerThread, log_in, make_app, proctor, room,  # noqa: F401
                                  to_test, typed, wait_for, wait_screen)

SNAPSHOT_DIR = Path(__file__).parent / "snapshots"
FROZEN_MS = 50 * 60_000
BREAK_MS = 7 * 60_000 + 30_000
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


@pytest.fixture(scope="module")
def break_room(tmp_path_factory):
    """A room of its own whose administrator announces a break (it would reach every test)."""
    server = ServerThread(tmp_path_factory.mktemp("break-room") / "room", students=20).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def paused_room(tmp_path_factory):
    server = ServerThread(tmp_path_factory.mktemp("paused-room") / "room", students=20).start()
    yield server
    server.stop()


async def room_action(server, message) -> None:
    admin = await proctor(server)
    try:
        await admin.request(message)
    except ServerError:
        pass  # already so (the other language's picture asked first)
    finally:
        await admin.close()


def staff_slip(room, audience: str) -> dict:
    import csv
    with open(room.data / "staff-slips.csv", encoding="utf-8") as f:
        return next(row for row in csv.DictReader(f) if row["audience"] == audience)


def build(room, tmp_path, language: str, screen: str):
    """The app and the steps that bring it to `screen`."""
    seats = SEAT.get(language, SEAT["kk"])
    seat = seats.get(screen, seats["test"])
    # One state folder (so one device id) per student: a second device would need approval.
    app = make_app(room, room.data.parent / f"state-seat-{seat}", language=language, frozen_ms=FROZEN_MS,
                   clock=FrozenClock(FROZEN_MS, BREAK_MS))

    async def run_before(pilot) -> None:
        row = room.login_for_seat(seat)
        if screen == "login":
            await wait_screen(pilot, app, "LoginScreen")
            await wait_for(lambda: app.hello is not None, pilot=pilot, what="the room's name")
        elif screen == "staff":  # a principal's slip: the questionnaire's language first
            await log_in(pilot, app, staff_slip(room, "principal"))
            await wait_screen(pilot, app, "QuestionnaireLanguageScreen")
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
            elif screen == "solubility":
                await pilot.press("f3")
            elif screen == "reading":
                await pilot.press("f6")
                await wait_screen(pilot, app, "ReadingScreen")
            elif screen == "number":
                index = next(i for i, item in enumerate(app.screen.items) if item.answer_type == "number")
                app.screen.show_item(index)
                await pilot.press(*typed("abc"), "enter")
            elif screen in ("offer", "break"):
                await room_action(room, p.AnnounceBreak())
                await wait_for(lambda: app.screen.break_due, pilot=pilot, what="the break offer")
                if screen == "break":
                    await pilot.press("f8")
                    await wait_screen(pilot, app, "BreakOfferDialog")
                    await pilot.press("enter")
                    await wait_screen(pilot, app, "BreakScreen")
            elif screen == "paused":
                await room_action(room, p.Pause("power"))
                await wait_for(lambda: app.screen.paused, pilot=pilot, what="the pause")
            elif screen == "result":
                app.show_result(result_message(language))
                await wait_screen(pilot, app, "ResultScreen")
            elif screen == "questionnaire":
                app.questionnaire_started(questionnaire_message(language))
                await wait_screen(pilot, app, "QuestionnaireIntroScreen")
        await settle(pilot)

    return app, run_before


MAIN = ["login", "data", "rules", "test", "aids", "result"]
SMALL_ONLY = ["questionnaire", "staff", "solubility", "reading", "number"]  # after the main ones: they move the item
OWN_ROOM = {"offer": "break_room", "break": "break_room", "paused": "paused_room"}
CASES = [(lang, screen, size) for lang in ("kk", "ru") for screen in MAIN for size in SIZES] + \
        [(lang, screen, "80x24") for lang in ("kk", "ru") for screen in SMALL_ONLY + list(OWN_ROOM)] + \
        [("en", "data", "80x24")]


@pytest.mark.parametrize("language,screen,size", CASES)
def test_snapshot(snap_compare, request, tmp_path, language, screen, size):
    server = request.getfixturevalue(OWN_ROOM.get(screen, "room"))
    app, run_before = build(server, tmp_path, language, screen)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)


class BarApp(App):
    """The test's top bar alone, offline with answers waiting, beside a long subject name."""

    def __init__(self, language: str):
        super().__init__()
        from room_client.i18n import Translator
        self.t = Translator("student_tui", language)

    def compose(self):
        from student_tui.widgets.topbar import TopBar
        yield TopBar("Бекмұхамедова Ақерке", "Жаратылыстану-ғылыми сауаттылық")

    def on_mount(self) -> None:
        from student_tui.widgets.topbar import TopBar
        bar = self.query_one(TopBar)
        bar.time.show_ms(self.t("Time left"), 9 * 60_000 + 59_000)
        bar.save.show_state(self.t.plural("Offline: {n} answer waiting", "Offline: {n} answers waiting", 3), "offline")
        bar.fit()


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_snapshot_top_bar_offline(snap_compare, language):
    assert snap_compare(BarApp(language), terminal_size=(80, 3))


class FoundRoom:
    def __init__(self, address: str, school: str, room: str):
        self.address, self.school, self.room, self.grade, self.name = address, school, room, "9", school


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_snapshot_room_choice(snap_compare, tmp_path, language):
    from student_tui.app import StudentApp
    app = StudentApp(server="127.0.0.1:9", language=language, state_dir=tmp_path, safe=False,
                     clock=FrozenClock(FROZEN_MS))

    async def run_before(pilot) -> None:
        await wait_for(lambda: type(app.screen).__name__ == "ConnectScreen", pilot=pilot, what="the room choice")
        await pilot.pause()
        app.screen.show_rooms([FoundRoom("192.168.1.10:8765", "№ 12 мектеп-лицей", "12"),
                               FoundRoom("192.168.1.11:8765", "№ 7 гимназия", "3")])
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)

"""Browser seats in a real headless Chromium against a real `room-server demo`.

The page, its scripts, its font and its WebSocket all come from the room's address; every
other request fails the test. What the tab shows is read from the frames the browser got.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import sync_playwright

from browser_support import Guard, Tab, greenish, launch, serve, start_demo, stop
from conftest import db_answers, db_rows

pytestmark = pytest.mark.browser

# SYNAQ_SCREENSHOTS=docs/img refreshes the README's two pictures from a run of this test.
SCREENSHOTS = os.environ.get("SYNAQ_SCREENSHOTS")


def keep_screenshot(path: Path, name: str) -> None:
    assert path.stat().st_size > 10_000  # a real picture, not an empty page
    if SCREENSHOTS:
        shutil.copy(path, Path(SCREENSHOTS) / name)


def demo_login(data, seat: str = "1") -> dict:
    with open(data / "demo-logins.csv", encoding="utf-8") as f:
        return next(r for r in csv.DictReader(f) if r["seat"] == seat)


@pytest.fixture
def demo(tmp_path):
    server, data, port = start_demo(tmp_path)
    try:
        yield data, port
    finally:
        stop(server)


def log_in(tab: Tab, row: dict) -> None:
    tab.wait("Тестке кіру")
    tab.focus()
    tab.type(row["login"])
    tab.wait(re.escape(row["login"]))
    tab.press("Tab")
    tab.type(row["password"])
    tab.wait("•" * len(row["password"]))
    tab.press("Enter")


def into_the_test(tab: Tab, row: dict) -> None:
    """From the login screen to item 1 of the test."""
    log_in(tab, row)
    tab.wait("Деректеріңізді тексеріңіз")
    assert row["surname"] in tab.text()
    tab.press("Enter")  # "Correct" has the focus
    tab.wait("Келісемін")
    tab.press("Space")  # tick "I agree"; "Start testing" comes alive and takes the focus
    tab.wait("Енді «Тестілеуді бастау» батырмасын басыңыз")
    tab.press("Enter")
    tab.wait("Тапсырмалар:")


def test_a_student_takes_the_test_in_a_browser_and_a_reload_keeps_everything(demo, tmp_path):
    data, port = demo
    row = demo_login(data)
    with sync_playwright() as pw:
        browser = launch(pw)
        context = browser.new_context(viewport={"width": 1280, "height": 760})
        guard = Guard(context, f"127.0.0.1:{port}")
        page = context.new_page()
        tab = Tab(page)
        page.goto(f"http://127.0.0.1:{port}/")
        into_the_test(tab, row)

        # Item 1 (single choice): B, then on to item 2; item 1 turns green once saved.
        tab.wait(r"\( \) A\.")
        tab.press("b")
        tab.wait(r"\(•\) B\.")
        tab.wait("Сақталды")
        tab.press("PageDown")
        tab.wait(r"тапсырманың 2-сі")
        tab.wait(r"\[ \] A\.")  # item 2 (multiple choice) drawn
        tab.until(lambda: greenish(tab.palette_background(1)), "item 1 green in the palette")
        assert not greenish(tab.palette_background(3))
        student_id = db_rows(data, "SELECT id FROM students WHERE login = ?", (row["login"],))[0]["id"]
        assert list(db_answers(data, student_id).values()) == ["B"]
        page.screenshot(path=str(tmp_path / "test.png"))
        keep_screenshot(tmp_path / "test.png", "browser-seat-test.png")

        # Reload: the same seat, the same process and screen; no second login, no approval.
        page.reload()
        tab.wait(r"тапсырманың 2-сі")
        tab.wait(r"\[ \] A\.")
        tab.until(lambda: greenish(tab.palette_background(1)), "item 1 still green after the reload")
        assert "Тестке кіру" not in tab.text()

        # Finish: the example, then the result.
        tab.focus()
        tab.press("F10")
        screen = tab.wait(r"\d+ [+−] \d+ = \?")
        a, op, b = re.search(r"(\d+) ([+−]) (\d+) = \?", screen).groups()
        tab.type(str(int(a) + int(b) if op == "+" else int(a) - int(b)))
        tab.press("Enter")
        tab.wait("Сіздің нәтижеңіз")
        page.screenshot(path=str(tmp_path / "result.png"))
        keep_screenshot(tmp_path / "result.png", "browser-seat-result.png")
        browser.close()

    assert guard.foreign == [], f"requests left the laptop: {guard.foreign}"
    assert any("/seat/ws/" in url for url in guard.seen) and any(url.endswith("/seat/static/textual.js") for url in guard.seen)
    attempts = db_rows(data, "SELECT state FROM attempts WHERE student_id = ?", (student_id,))
    assert attempts[0]["state"] in ("finished", "questionnaire")


def test_more_tabs_than_the_cap_see_the_message_in_three_languages(tmp_path):
    server, data, port = start_demo(tmp_path, "--max-browser-seats", "2")
    try:
        with sync_playwright() as pw:
            browser = launch(pw)
            tabs = []
            for _ in range(3):  # three browsers (three contexts: three seat ids) for two seats
                context = browser.new_context(viewport={"width": 1000, "height": 700})
                Guard(context, f"127.0.0.1:{port}")
                page = context.new_page()
                tab = Tab(page)
                page.goto(f"http://127.0.0.1:{port}/")
                tabs.append(tab)
            for tab in tabs[:2]:
                tab.wait("Тестке кіру")
            refused = tabs[2].page
            refused.wait_for_selector("#refused", state="visible", timeout=20_000)
            text = refused.inner_text("#refused")
            assert "Бұл сыныптағы барлық орын бос емес" in text  # kk
            assert "Все места в этом классе заняты" in text  # ru
            assert "Every seat of this room is taken" in text  # en
            assert not refused.is_visible("#terminal")
            refused.screenshot(path=str(tmp_path / "full.png"))
            # The two seated tabs still work: a reload of one is the same seat, not a third.
            tabs[0].page.reload()
            tabs[0].wait("Тестке кіру")
            browser.close()
    finally:
        stop(server)


def test_the_page_loads_nothing_from_outside_and_names_the_address_the_browser_used(demo):
    data, port = demo
    with sync_playwright() as pw:
        browser = launch(pw)
        context = browser.new_context()
        guard = Guard(context, f"localhost:{port}")  # the name typed, not the address the server bound
        page = context.new_page()
        tab = Tab(page)
        sockets = []
        page.on("websocket", lambda ws: sockets.append(ws.url))
        page.goto(f"http://localhost:{port}/")
        tab.wait("Тестке кіру")
        font_loaded = page.evaluate('document.fonts.check(\'16px "Roboto Mono"\')')
        html = page.content()
        browser.close()
    assert guard.foreign == [], f"requests left the laptop: {guard.foreign}"
    assert sockets and all(url.startswith(f"ws://localhost:{port}/seat/ws/") for url in sockets)
    assert font_loaded
    assert "0.0.0.0" not in html and "googleapis" not in html
    loaded = {url.split(f"localhost:{port}", 1)[1] for url in guard.seen}
    assert {"/", "/seat/static/textual.js", "/seat/static/xterm.css", "/seat/static/RobotoMono.ttf"} <= loaded


def test_when_the_laptops_server_dies_its_seats_end_and_continue_after_the_restart_needs_no_approval(tmp_path):
    server, data, port = start_demo(tmp_path)
    row = demo_login(data)
    try:
        with sync_playwright() as pw:
            browser = launch(pw)
            context = browser.new_context(viewport={"width": 1280, "height": 760})
            guard = Guard(context, f"127.0.0.1:{port}")
            page = context.new_page()
            tab = Tab(page)
            page.goto(f"http://127.0.0.1:{port}/")
            into_the_test(tab, row)
            tab.wait(r"\( \) A\.")
            tab.press("b")
            tab.wait(r"\(•\) B\.")
            student_id = db_rows(data, "SELECT id FROM students WHERE login = ?", (row["login"],))[0]["id"]
            tab.until(lambda: list(db_answers(data, student_id).values()) == ["B"], "the answer saved in the room")
            seat_processes = psutil.Process(server.pid).children(recursive=True)  # the fork server and the seat
            assert len(seat_processes) >= 2

            server.kill()  # the laptop's room server dies: its bridge and its seats with it
            server.wait()
            page.wait_for_selector("#closed", state="visible", timeout=20_000)
            closed = page.inner_text("#closed")
            assert "Сақталған жауаптарыңыз жоғалмайды" in closed and "Your saved answers are safe" in closed
            _, left = psutil.wait_procs(seat_processes, timeout=15)
            assert left == [], f"seat processes outlived the room server: {left}"

            server = serve(tmp_path, data, port)  # restarted on the same folder and port
            page.click("#closed button")  # "Continue": the same seat id, a new process in the same folder
            tab.wait("Тестке кіру")
            log_in(tab, row)
            tab.wait("Тапсырмалар:")  # back in the test at once: the same computer, no approval asked
            tab.wait(r"\(•\) B\.")  # item 1 again, with its answer
            browser.close()
        assert guard.foreign == [], f"requests left the laptop: {guard.foreign}"
        assert db_rows(data, "SELECT id FROM audit WHERE kind = 'second_login'") == []
        assert list(db_answers(data, student_id).values()) == ["B"]
    finally:
        stop(server)

"""End-to-end runs of the installed `student-tui` in a real terminal (tmux) at 80×24, against
a real `room-server demo`: log in, answer every item of every subject with the keys sent at
machine speed (one burst per subject, no wait between keys, moving on with → and PgDn in the
same burst), open the periodic table, take a break the administrator announced, finish,
answer the questionnaire, and then find every answer in the server's database exactly as it
was typed. And a killed app leaves the terminal as it found it."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import msgpack
import pytest

import room_protocol as p
from test_student_support import free_port

pytestmark = pytest.mark.tmux

BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = BIN / name
    return str(found) if found.exists() else (shutil.which(name) or name)


class Tmux:
    def __init__(self, command: str, width: int = 80, height: int = 24):
        self.name = f"synaq-student-{uuid.uuid4().hex[:8]}"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height), command],
                       check=True)

    def screen(self) -> str:
        out = subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True)
        return out.stdout

    def keys(self, *keys: str) -> None:
        for key in keys:
            subprocess.run(["tmux", "send-keys", "-t", self.name, key], check=True)

    def text(self, text: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", text], check=True)

    def burst(self, keys: list[str]) -> None:
        """All `keys` in one send-keys: the terminal gets them as fast as a machine types."""
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def pane_pid(self) -> int:
        out = subprocess.run(["tmux", "display", "-p", "-t", self.name, "#{pane_pid}"], capture_output=True,
                             text=True, check=True)
        return int(out.stdout.strip())

    def wait(self, pattern: str, timeout: float = 15.0, gone: bool = False) -> str:
        """Polls the pane until `pattern` (a regex) appears (or disappears with gone=True)."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if bool(re.search(pattern, screen)) != gone:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {pattern!r}{' to go' if gone else ''}; the screen:\n{screen}")
            time.sleep(0.05)

    def kill(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError("the room server did not start listening")


@pytest.fixture
def demo_server(tmp_path):
    port = free_port()
    data = tmp_path / "room"
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen([tool("room-server"), "demo", "--data", str(data), "--port", str(port), "--host",
                               "127.0.0.1", "--no-zeroconf"], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_port(port)
        yield data, port
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def answer_keys(item, index: int) -> tuple[list[str], object]:
    """tmux keys that answer `item`, and the value the server must then hold."""
    if item.kind == "single":
        mark = "ABCD"[index % len(item.options)]
        return [mark.lower()], mark
    if item.kind == "multiple":
        return ["a", "c"], ["A", "C"]
    if item.kind == "matching":
        pairs = {str(n + 1): chr(65 + (n + index) % len(item.right)) for n in range(len(item.left))}
        return [key for left, right in pairs.items() for key in (left, right.lower())], pairs
    if item.answer_type == "number":
        text = f"20{10 + index}" + (f" {item.units[0]}" if item.units else "")
    else:
        text = f"Алматы {index}"
    return [part if part else "Space" for word in text.split(" ") for part in (word, "")][:-1], text


async def test_student_tui_from_login_to_the_questionnaire(demo_server, tmp_path):
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed: the end-to-end terminal test needs it")
    from content.loader import shipped_pack
    from content.questionnaire_loader import shipped_questionnaire
    from room_client import ProctorClient

    data, port = demo_server
    row = next(r for r in __import__("csv").DictReader(open(data / "demo-logins.csv", encoding="utf-8"))
               if r["seat"] == "1")  # seat 1: Kazakh, variant A
    subjects = shipped_pack(9, "kk").variant("A").subjects
    questions = shipped_questionnaire("kk").questions

    term = Tmux(f"{tool('student-tui')} --server 127.0.0.1:{port} --lang kk --state-dir {tmp_path / 'state'}")
    admin = ProctorClient(f"127.0.0.1:{port}", (data / "proctor.key").read_text().strip(),
                       reconnect=False)
    try:
        term.wait("Тестке кіру")
        term.text(row["login"])
        term.wait(re.escape(row["login"]))
        # A key can be lost while the terminal still answers the app's start-up queries: check
        # where the password went, and move it if it landed in the login field.
        for _ in range(5):
            term.keys("Tab")
            term.text(row["password"])
            screen = term.wait("•" * len(row["password"]) + "|" + re.escape(row["login"] + row["password"]))
            if "•" * len(row["password"]) in screen:
                break
            term.keys(*["BSpace"] * len(row["password"]))
            term.wait(re.escape(row["login"] + row["password"]), gone=True)
        term.keys("Enter")
        term.wait("Деректеріңізді тексеріңіз")
        assert row["surname"] in term.screen()
        term.keys("Enter")  # "Correct" has the focus
        term.wait("Келісемін")
        term.keys("Space")  # tick "I agree"; "Start testing" comes alive and takes the focus
        term.wait("Енді «Тестілеуді бастау» батырмасын басыңыз")
        term.keys("Enter")
        term.wait("Тапсырмалар:")

        # Every item of every subject, each subject's keys in one burst at machine speed.
        expected = {}
        for number, subject in enumerate(subjects):
            items = subject.items
            term.wait(f"{len(items)} тапсырманың 1-сі")
            keys: list[str] = []
            for index, item in enumerate(items):
                item_keys, value = answer_keys(item, index)
                keys += item_keys + (["PageDown" if index % 2 else "Right"] if index < len(items) - 1 else [])
                expected[item.id] = value
            term.burst(keys)
            term.wait(f"{len(items)} тапсырманың {len(items)}-сі")
            term.wait("✓ Сақталды")
            if number < len(subjects) - 1:
                term.keys("F5")
                term.wait("Келесі пәнге өтесіз бе")
                term.keys("BTab", "Enter")  # "Next subject" (the dialog starts on "Stay here")
                term.wait("Келесі пәнге өтесіз бе", gone=True)

        # The periodic table, opened and closed by its key.
        term.keys("F2")
        term.wait("Менделеевтің")
        assert "Li" in term.screen() and "6.94" in term.screen()
        term.keys("F2")
        term.wait("Менделеевтің", gone=True)

        # The administrator announces a break: a line on the screen; F8 takes it.
        await admin.connect()
        await admin.request(p.AnnounceBreak())
        term.wait("F8")
        term.keys("F8")
        term.wait("Үзіліс алу")
        term.keys("Enter")  # asked for: "Take a break" has the focus
        term.wait("Тестке оралу")
        assert "Тапсырмалар:" not in term.screen()  # the items are hidden
        term.keys("Enter")
        term.wait("Тапсырмалар:")
        await admin.request(p.EndRoomBreak())

        # Finish: the example, then the result.
        term.keys("F10")
        screen = term.wait(r"шығарыңыз: \d+ [+−] \d+ = \?")
        a, op, b = re.search(r"(\d+) ([+−]) (\d+) = \?", screen).groups()
        term.text(str(int(a) + int(b) if op == "+" else int(a) - int(b)))
        term.keys("Enter")
        term.wait("Сіздің нәтижеңіз")
        term.keys("Enter")  # "Go to the questionnaire"
        term.wait("Бастау")
        assert "құпия" in term.screen()
        term.keys("Enter")
        for index, question in enumerate(questions):
            term.wait(f"{len(questions)} сұрақтың {index + 1}-сі")
            if question.kind in ("choice", "multi"):
                box = "( )" if question.kind == "choice" else "[ ]"
                term.wait(re.escape(f"{box} A."))
                term.keys("a")
                term.wait(re.escape(f"{'(•)' if question.kind == 'choice' else '[x]'} A."))
            else:
                term.wait("▊")  # the text box
                term.text("жақсы")
                term.keys("Enter")
                term.wait("жақсы")
            if index < len(questions) - 1:
                term.keys("PageDown")
        term.keys("F10")
        term.wait("Рахмет!")
        term.keys("Enter")
        term.wait("шығуыңызға болады")
    finally:
        term.kill()
        await admin.close()

    import sqlite3
    with sqlite3.connect(data / "room.sqlite") as db:
        student = db.execute("SELECT id FROM students WHERE login = ?", (row["login"],)).fetchone()[0]
        stored = {}
        for item, value in db.execute("SELECT item, value FROM answers WHERE student_id = ? AND counted = 1 ORDER BY seq",
                                      (student,)):
            stored[item] = msgpack.unpackb(value, raw=False) if value is not None else None
        state = db.execute("SELECT state FROM attempts WHERE student_id = ?", (student,)).fetchone()[0]
        q_answers = db.execute("SELECT COUNT(*) FROM questionnaire_responses").fetchone()[0]
    for item_id, value in expected.items():
        assert stored.get(item_id) == value, item_id
    assert state == "done"
    assert q_answers == 1  # one sealed response


def test_a_killed_app_gives_the_terminal_back(demo_server, tmp_path):
    """`kill` (SIGTERM) on the running app, as a closing session or an administrator does:
    the app exits the normal way, so the terminal is cooked again (echo, line editing)."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed: the end-to-end terminal test needs it")
    _, port = demo_server
    after = tmp_path / "stty-after.txt"
    app = f"{tool('student-tui')} --server 127.0.0.1:{port} --lang kk --state-dir {tmp_path / 'state'}"
    term = Tmux(f"sh -c '{app}; stty -a > {after}; sleep 60'")  # the app in the foreground, on the terminal
    try:
        term.wait("Тестке кіру")
        shell = term.pane_pid()
        pid = int(Path(f"/proc/{shell}/task/{shell}/children").read_text().split()[0])  # the app, by its id
        subprocess.run(["kill", "-TERM", str(pid)], check=True)
        deadline = time.monotonic() + 15
        while not (after.exists() and after.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.05)
        settings = after.read_text().split()
        assert "icanon" in settings and "echo" in settings  # not -icanon / -echo: the terminal is usable
    finally:
        term.kill()

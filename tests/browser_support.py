"""A real headless Chromium (Debian's package, driven by Playwright) for the browser-seat tests.

What the tab shows is read from what the browser received: every binary WebSocket frame the
page gets is fed to a terminal emulator (pyte) of the size the page asked for, so the tests
assert on the same bytes xterm.js drew. Every request the browser makes is routed here: one
to any host but the room's fails the test.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyte
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parent.parent


def tool(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError("the room server did not start listening")


def start_demo(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen, Path, int]:
    port = free_port()
    data = tmp_path / "room"
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen([tool("room-server"), "demo", "--data", str(data), "--port", str(port), "--host",
                               "127.0.0.1", "--no-zeroconf", *extra], stdout=log, stderr=subprocess.STDOUT)
    wait_port(port)
    return server, data, port


def serve(tmp_path: Path, data: Path, port: int) -> subprocess.Popen:
    """`room-server serve` for a room already made (e.g. by `demo`), on the same port again."""
    log = open(tmp_path / "server.log", "a")
    server = subprocess.Popen([tool("room-server"), "serve", "--data", str(data), "--port", str(port), "--host",
                               "127.0.0.1", "--no-zeroconf"], stdout=log, stderr=subprocess.STDOUT)
    wait_port(port)
    return server


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def launch(playwright):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed (apt-get install chromium); .ci/run installs it")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


class Guard:
    """Routes every request of a browser context; anything not for `origin_host` is refused and kept."""

    def __init__(self, context, host: str):
        self.host = host
        self.seen: list[str] = []
        self.foreign: list[str] = []
        context.route("**/*", self._route)
        context.route_web_socket(re.compile(".*"), self._route_ws)

    def _route(self, route) -> None:
        url = route.request.url
        self.seen.append(url)
        if url.startswith("data:") or re.match(rf"^https?://{re.escape(self.host)}/", url):
            route.continue_()
        else:
            self.foreign.append(url)
            route.abort()

    def _route_ws(self, ws) -> None:
        self.seen.append(ws.url)
        if re.match(rf"^wss?://{re.escape(self.host)}/", ws.url):
            ws.connect_to_server()
        else:
            self.foreign.append(ws.url)
            ws.close()


class Tab:
    """One page of a seat and the terminal it was sent, as text and colours."""

    def __init__(self, page):
        self.page = page
        self.screen = pyte.Screen(80, 24)
        self.stream = pyte.ByteStream(self.screen)
        self.closed_codes: list[int] = []
        page.on("websocket", self._socket)

    def _socket(self, ws) -> None:
        if "/seat/ws/" not in ws.url:
            return
        self.screen = pyte.Screen(80, 24)  # a new tab's terminal starts empty
        self.stream = pyte.ByteStream(self.screen)
        ws.on("framesent", self._sent)
        ws.on("framereceived", self._received)

    def _sent(self, payload) -> None:
        if isinstance(payload, str) and payload.startswith('["resize"'):
            size = json.loads(payload)[1]
            self.screen.resize(size["height"], size["width"])

    def _received(self, payload) -> None:
        if isinstance(payload, bytes):
            self.stream.feed(payload)

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait(self, pattern: str, timeout: float = 20.0, gone: bool = False) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.text()
            if bool(re.search(pattern, text)) != gone:
                return text
            self.page.wait_for_timeout(50)  # lets Playwright deliver the frames (not a sleep for a result)
        raise AssertionError(f"{'still' if gone else 'never'} on the screen: {pattern!r}\n{self.text()}")

    def until(self, condition, what: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            self.page.wait_for_timeout(50)
        raise AssertionError(f"never came: {what}\n{self.text()}")

    def background_of(self, text: str) -> str:
        """The background colour (hex) of the first cell where `text` starts on the screen."""
        for row, line in enumerate(self.screen.display):
            col = line.find(text)
            if col >= 0:
                return self.screen.buffer[row][col].bg
        raise AssertionError(f"{text!r} is not on the screen")

    def palette_background(self, number: int) -> str:
        """The background of item `number` in the palette (the row that starts "Тапсырмалар:")."""
        for row, line in enumerate(self.screen.display):
            if "Тапсырмалар:" in line:
                match = re.search(rf"(?<!\d){number}(?!\d)", line[line.index("Тапсырмалар:") + 12:])
                if match:
                    return self.screen.buffer[row][line.index("Тапсырмалар:") + 12 + match.start()].bg
        raise AssertionError(f"no palette with item {number} on the screen\n{self.text()}")

    def focus(self) -> None:
        """Keys to the terminal without a click (a click would land on a widget of the app)."""
        self.page.focus(".xterm-helper-textarea")

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)

    def press(self, *keys: str) -> None:
        for key in keys:
            self.page.keyboard.press(key)


def greenish(colour: str) -> bool:
    try:
        r, g, b = (int(colour[i:i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        return False
    return g > r + 30 and g > b

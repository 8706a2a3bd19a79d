"""The real parts the model-based test (test_room_model.py) drives: one asyncio loop in a
background thread, a room on disk served by a real server process, a cuttable link per
student desk, and the student's app on a computer (the real client library with that
computer's journal folder).

Hypothesis' stateful rules are synchronous; every client, the link proxies and the proctor's
connections live on the one loop of `LoopThread`, and the rules hand it coroutines
(`asyncio.run_coroutine_threadsafe`), so clients keep running (reconnecting, flushing their
journal, receiving pushes) while a rule waits or the server is killed from the main thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable

import room_protocol as p
from conftest import centre_private_key, make_room
from link_proxy import LinkProxy
from room_client import Acked, Offline, ProctorClient, ServerError, StudentClient
from room_process import RoomProcess
from room_protocol import ErrorCode
from room_protocol.rules import IN_TEST

READY_S = 10.0  # invariant 6: logged in again and ready this long after the link or server returns


class LoopThread:
    """One event loop for the whole run, in a thread of its own."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="room-model-loop", daemon=True)
        self.thread.start()

    def run(self, coro: Awaitable, timeout: float = 60.0, what: str = "a step") -> Any:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise AssertionError(f"{what} did not end within {timeout} s") from None

    def call(self, func: Callable[[], Any], timeout: float = 10.0) -> Any:
        """A plain function run on the loop (reading a client's state without racing it)."""
        async def call():
            return func()
        return self.run(call(), timeout)

    def close(self) -> None:
        async def cancel_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        self.run(cancel_all(), 30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def result_of(view: p.ResultView | None) -> tuple | None:
    """A result as the student reads it: comparable whatever message carried it."""
    if view is None:
        return None
    return (round(view.total, 6), round(view.max_total, 6), view.reason,
            tuple((s.subject, round(s.score, 6), round(s.max_score, 6)) for s in view.subjects))


class App:
    """A student's app on one computer: a real StudentClient with that computer's journal
    folder, and what the app shows, followed from the client's events."""

    def __init__(self, address: str, folder: Path, device: str, login: str, password: str):
        self.client = StudentClient(address, journal_dir=folder, reconnect=True, client_name="room-model/1")
        self.folder, self.device, self.login, self.password = folder, device, login, password
        self.state: str | None = None  # the attempt's state the app shows
        self.paused = False  # the last clock said the room is paused
        self.result: tuple | None = None  # the result the app was shown
        self.acked: dict[int, tuple[str, Any, bool]] = {}  # seq -> (item, value, counted) shown saved
        self.refusals: list[str] = []  # codes of answers refused for good
        self.killed = False

    @property
    def logged_in(self) -> bool:
        """Logged in once: the journal is open and the student can answer."""
        return self.client.login_ok is not None

    def follow(self) -> None:
        """Reads the client's events so far (run on the loop)."""
        while True:
            try:
                event = self.client.events.get_nowait()
            except asyncio.QueueEmpty:
                return
            if isinstance(event, Acked):
                self.acked[event.seq] = (event.item, event.value, event.counted)
            elif isinstance(event, ServerError):
                self.refusals.append(event.code)
            elif isinstance(event, p.LoginOk):
                self.logged(event)
            elif isinstance(event, p.Clock):
                self.state, self.paused = event.state, event.paused
            elif isinstance(event, p.Result):
                self.state, self.result = "finished", result_of(event)

    def logged(self, login_ok: p.LoginOk) -> None:
        self.state = login_ok.attempt.state
        if login_ok.attempt.result is not None:
            self.result = result_of(login_ok.attempt.result)

    async def log_in(self) -> str:
        """The student logs in (and goes on into the test): "ready" or "awaiting_approval".
        Raises Offline when the room cannot be reached."""
        self.follow()
        if not self.client.online:
            await self.client.connect()
        try:
            login_ok = await self.client.login(self.login, self.password, self.device)
        except ServerError as exc:
            if exc.code == ErrorCode.AWAITING_APPROVAL:
                return "awaiting_approval"
            raise
        self.logged(login_ok)
        await self.go_on()
        return "ready"

    async def go_on(self) -> None:
        """What the app does after logging in: back into the test, where the student was."""
        self.follow()  # a login the proctor approved arrives as a push
        if self.state == "confirming":
            await self.client.confirm_data()
            self.state = "rules"
        if self.state in ("rules", "waiting") or self.state in IN_TEST:
            reply = await self.client.start()
            if isinstance(reply, p.Test):
                self.state = self.state if self.state in IN_TEST else "testing"
        self.follow()

    async def kill(self, proxy: LinkProxy, link_up: bool) -> None:
        """The app's process dies: its connection is torn down without a close frame (the
        desk's link is cut under it), nothing more is sent, its journal stays on disk."""
        self.follow()
        proxy.cut()
        await self.client.close()
        self.follow()
        if link_up:
            proxy.restore()
        self.killed = True


@dataclass
class Template:
    """The room made once per run; every sequence starts from a copy of it."""

    folder: Path
    key: str
    logins: list[dict]


class RoomWorld:
    """One sequence's room: a copy of the template, its server process on a fixed port and
    folder, a link proxy per student desk, and the proctor's connections."""

    def __init__(self, loop: LoopThread, template: Template, folder: Path, students: int):
        self.loop = loop
        shutil.copytree(template.folder, folder)
        self.folder = folder
        self.data = folder / "room"
        self.key = template.key
        self.logins = template.logins[:students]
        self.server = RoomProcess(self.data)
        self.server_state = "down"  # "up", "frozen" or "down"
        self.proxies: list[LinkProxy] = []

    def start(self) -> None:
        self.server.start()
        self.server_state = "up"
        async def proxies() -> list[LinkProxy]:
            made = [LinkProxy(self.server.port) for _ in self.logins]
            for proxy in made:
                await proxy.start()
            return made
        self.proxies = self.loop.run(proxies(), what="starting the link proxies")

    def centre_key(self) -> bytes:
        """The trial analysis centre's private key (made with the template room)."""
        return centre_private_key(self.folder / "centre")

    def app(self, index: int, computer: str) -> App:
        folder = self.folder / f"pc-{index}{computer}"
        login = self.logins[index]
        return App(self.proxies[index].address, folder, f"desk{index}-{computer}", login["login"], login["password"])

    def proctor(self, action: Callable[[ProctorClient], Awaitable], timeout: float = 30.0) -> Any:
        """One proctor action on a connection of its own, straight to the server."""
        async def run():
            client = ProctorClient(self.server.address, self.key, reconnect=False)
            await client.connect()
            try:
                return await action(client)
            finally:
                await client.close()
        return self.loop.run(run(), timeout, what="a proctor action")

    def kill_server(self) -> None:
        self.server.kill()
        self.server_state = "down"

    def restart_server(self) -> None:
        self.server.start()
        self.server_state = "up"

    def freeze_server(self) -> None:
        self.server.freeze()
        self.server_state = "frozen"

    def thaw_server(self) -> None:
        self.server.thaw()
        self.server_state = "up"

    def set_link(self, index: int, up: bool) -> None:
        proxy = self.proxies[index]
        self.loop.call(proxy.restore if up else proxy.cut)

    def close(self, apps: list[App]) -> None:
        """Everything of this sequence ends, also after a failure."""
        async def close_clients():
            for app in apps:
                if not app.killed:
                    await app.client.close()
            for proxy in self.proxies:
                await proxy.close()
        try:
            self.loop.run(close_clients(), 30, what="closing the clients")
        finally:
            self.server.kill()  # the sequence is over: its room is thrown away


def make_template(loop: LoopThread, folder: Path, students: int) -> Template:
    room = loop.run(make_room(folder, students=students), what="making the room")
    return Template(folder, room.key, room.logins)


async def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Polls `condition` on the loop until truthy; AssertionError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


__all__ = ["App", "LoopThread", "Offline", "READY_S", "RoomWorld", "Template", "make_template", "result_of",
           "wait_for"]

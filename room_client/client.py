"""The one async client of the room server: both apps, the simulated students and the tests.

It keeps the connection alive (reconnecting with backoff, logging in again on the same
device), numbers the student's answers and keeps each one's state — pending (not sent),
sent, acknowledged — and sends every unacknowledged answer again after a reconnect. The
server's pushes come out of `events` as protocol messages, plus `Connection` changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from room_server import protocol as p
from room_server.protocol import ErrorCode, ProtocolError

from .journal import Journal

log = logging.getLogger("synaq.client")

PENDING, SENT, ACKED = "pending", "sent", "acked"
FLUSH_IN_FLIGHT = 32  # answers a flush keeps in flight at once (the server allows 64)
# Refusals that mean "not now" rather than "never": the answer stays pending.
RETRY_CODES = frozenset({ErrorCode.TOO_FAST, ErrorCode.INTERNAL, ErrorCode.SLOW_DOWN})
CLIENT_NAME = "synaq-client/1"


class ServerError(Exception):
    """The server refused a request: `code` from protocol.ErrorCode, a readable `reason`."""

    def __init__(self, code: str, reason: str, retry_after_s: float | None = None):
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.retry_after_s = retry_after_s


class Offline(Exception):
    """The server cannot be reached right now."""


@dataclass
class Connection:
    """Pushed to `events` when the link changes: online, offline, or reconnected."""

    online: bool
    reason: str = ""


@dataclass
class Acked:
    """Pushed to `events` when the server has committed an answer to disk."""

    seq: int
    item: str
    value: Any
    counted: bool


@dataclass
class AnswerState:
    seq: int
    item: str
    value: Any
    made_ms: int
    state: str = PENDING
    counted: bool = True
    retries: int = 0  # resends after a "not now" refusal (too fast, internal)


@dataclass
class AttemptClock:
    """The attempt's time as the server last said it, run forward on the monotonic clock
    (never the wall clock, which a student could change)."""

    elapsed_ms: int = 0
    remaining_ms: int = 0
    paused: bool = True
    anchor: float = field(default_factory=time.monotonic)

    def update(self, elapsed_ms: int, remaining_ms: int, paused: bool) -> None:
        self.elapsed_ms, self.remaining_ms, self.paused = elapsed_ms, remaining_ms, paused
        self.anchor = time.monotonic()

    def _moved(self) -> int:
        return 0 if self.paused else int((time.monotonic() - self.anchor) * 1000)

    def now_elapsed_ms(self) -> int:
        return self.elapsed_ms + self._moved()

    def now_remaining_ms(self) -> int:
        return max(0, self.remaining_ms - self._moved())


def parse_address(address: str) -> str:
    """"HOST:PORT", "HOST" or a ws:// URL to the WebSocket URL."""
    address = address.strip()
    if address.startswith(("ws://", "wss://")):
        return address
    if address.startswith("http://"):
        address = address[len("http://"):]
    address = address.rstrip("/")
    if address.count(":") == 1:
        host, port = address.split(":")
        if not port.isdigit():
            raise ValueError(f"the port in {address!r} is not a number")
    elif address.startswith("["):
        host, port = address, "8765"
    else:
        host, port = address, "8765"
    if not host:
        raise ValueError("the address has no host")
    return f"ws://{host}:{port}{p.WS_PATH}"


class RoomClient:
    def __init__(self, address: str, *, role: str = "student", key: str | None = None,
                 journal: Journal | None = None, reconnect: bool = True, client_name: str = CLIENT_NAME):
        self.url = parse_address(address)
        self.address = address
        self.role = role
        self.key = key
        self.journal = journal
        self.reconnect = reconnect
        self.client_name = client_name
        self.events: asyncio.Queue = asyncio.Queue(maxsize=10_000)
        self.hello: p.HelloOk | None = None
        self.online = False
        self.clock = AttemptClock()
        self.answers: dict[int, AnswerState] = {}  # seq -> state, the unacknowledged and the latest
        self.latest_by_item: dict[str, AnswerState] = {}
        self.next_seq = 1
        self.login_ok: p.LoginOk | None = None
        self.last_clock: p.Clock | None = None
        self._watching = False
        self.test: p.Test | None = None
        self.bytes_sent = 0
        self.bytes_received = 0
        self._credentials: tuple[str, str, str] | None = None  # login, password, device
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future] = {}
        self._reader: asyncio.Task | None = None
        self._reconnector: asyncio.Task | None = None
        self._closed = False
        self._ready = asyncio.Event()  # online and (for a student) logged in again
        self._last_frame = 0.0  # monotonic time of the last frame from the server

    # ------------------------------------------------------------------ the link

    async def connect(self, timeout: float = 5.0) -> p.HelloOk:
        """Connects and says hello; raises Offline or ServerError."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            # Bounded: a link that silently drops packets would otherwise hold a connect
            # attempt for minutes of TCP retries, long after the link came back.
            self._ws = await asyncio.wait_for(
                self._session.ws_connect(self.url, heartbeat=p.HEARTBEAT_S, timeout=aiohttp.ClientWSTimeout(ws_close=2),
                                         max_msg_size=4 * 1024 * 1024, autoping=True), timeout)
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            raise Offline(f"cannot reach the room at {self.address} ({exc.__class__.__name__})") from None
        self._reader = asyncio.create_task(self._read(self._ws), name="client-reader")
        hello = await self.request(p.Hello(p.PROTOCOL_VERSION, self.role, self.client_name, self.key), timeout=timeout)
        self.hello = hello
        self.online = True
        return hello

    async def close(self) -> None:
        self._closed = True
        for task in (self._reconnector, self._reader):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._session is not None:
            await self._session.close()
        self.online = False

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            async for frame in ws:
                if frame.type != aiohttp.WSMsgType.BINARY:
                    continue
                self.bytes_received += len(frame.data)
                self._last_frame = time.monotonic()
                try:
                    msg, re = p.decode_server_frame(frame.data)
                except ProtocolError as exc:
                    log.warning("a frame from the server was not understood: %s", exc)
                    continue
                future = self._waiting.pop(re, None) if re is not None else None
                if future is not None and not future.done():
                    future.set_result(msg)
                else:
                    await self._push(msg)
        except Exception as exc:  # the link broke in some way: treat as offline
            log.info("connection lost: %s", exc)
        finally:
            if self._ws is ws:
                self._lost("the connection to the room was lost")

    def _drop_link(self) -> None:
        """Gives up on the current connection: the reader's end marks the client offline
        and starts reconnecting."""
        ws, reader = self._ws, self._reader
        if reader is not None and not reader.done():
            reader.cancel()
        if ws is not None and not ws.closed:
            asyncio.get_running_loop().create_task(ws.close())

    def _lost(self, reason: str) -> None:
        was_online = self.online
        self.online = False
        self._ready.clear()
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(Offline(reason))
        self._waiting.clear()
        for answer in self.answers.values():
            if answer.state == SENT:
                answer.state = PENDING  # sent but never acknowledged: send again
        if was_online:
            self._emit(Connection(False, reason))
        if self.reconnect and not self._closed and (self._reconnector is None or self._reconnector.done()):
            self._reconnector = asyncio.create_task(self._reconnect_loop(), name="client-reconnect")

    async def _reconnect_loop(self) -> None:
        delay = 0.2
        while not self._closed:
            await asyncio.sleep(delay)
            try:
                await self.connect()
                if self.role == "student" and self._credentials is not None:
                    await self._login_again()
                if self.role == "proctor" and self._watching:
                    self._emit(await self.request(p.Watch()))  # a fresh snapshot, then live seats again
                self._emit(Connection(True, "reconnected"))
                return
            except (Offline, asyncio.TimeoutError):
                pass
            except ServerError as exc:
                if exc.code in (ErrorCode.SLOW_DOWN, ErrorCode.TOO_FAST, ErrorCode.INTERNAL):
                    # Passing (other logins failed from this address, a busy server): wait as
                    # told and log in again on a fresh link, instead of staying logged out.
                    delay = max(0.2, min(exc.retry_after_s or delay, 60.0))
                    if self._ws is not None:
                        with contextlib.suppress(Exception):
                            await self._ws.close()
                    continue
                self._emit(exc)  # e.g. awaiting approval, removed: the app decides
                if exc.code != ErrorCode.AWAITING_APPROVAL:
                    return
                return
            delay = min(delay * 2, 5.0)

    async def _login_again(self) -> None:
        login, password, device = self._credentials
        login_ok = await self.request(p.Login(login, password, "MODO", device))
        await self._after_login(login_ok)
        self._emit(login_ok)
        if login_ok.attempt["state"] in ("testing", "on_break"):
            test = await self.request(p.Start())
            await self._took_test(test)
        self._ready.set()
        await self.flush_answers()

    def _emit(self, event) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.events.put_nowait(event)

    async def _push(self, msg: p.Message) -> None:
        if isinstance(msg, p.Clock):
            self.last_clock = msg
            self.clock.update(msg.elapsed_ms, msg.remaining_ms, msg.paused or msg.state not in ("testing", "on_break"))
        elif isinstance(msg, p.LoginOk):  # after the proctor approved a waiting login
            await self._after_login(msg)
            self._ready.set()  # answers are sent from now on, not left pending
        elif isinstance(msg, p.Error) and msg.code in (ErrorCode.REPLACED, ErrorCode.REFUSED, ErrorCode.REMOVED):
            self.reconnect = False  # the server ended this connection on purpose
        self._emit(msg)

    async def request(self, msg: p.Message, timeout: float = 15.0) -> p.Message:
        """Sends and waits for the reply; an `error` reply raises ServerError."""
        if self._ws is None or self._ws.closed:
            raise Offline("not connected to the room")
        request_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        frame = p.encode_request(msg, request_id)
        try:
            await self._ws.send_bytes(frame)
        except (ConnectionError, RuntimeError, aiohttp.ClientError) as exc:
            self._waiting.pop(request_id, None)
            raise Offline(str(exc)) from None
        self.bytes_sent += len(frame)
        sent_at = time.monotonic()
        try:
            reply = await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            if self._last_frame < sent_at:
                # Nothing at all came back (no reply, no clock push): the link is dead even if
                # no error says so (a half-open connection the heartbeat missed). Start over.
                self._drop_link()
            raise
        finally:
            self._waiting.pop(request_id, None)
        if isinstance(reply, p.Error):
            raise ServerError(reply.code, reply.reason, reply.retry_after_s)
        return reply

    # ------------------------------------------------------------------ the student

    async def login(self, login: str, password: str, device: str) -> p.LoginOk:
        self._credentials = (login, password, device)
        login_ok = await self.request(p.Login(login, password, "MODO", device))
        await self._after_login(login_ok)
        self._ready.set()
        if self.waiting_count():
            asyncio.get_running_loop().create_task(self.flush_answers())
        return login_ok

    async def _after_login(self, login_ok: p.LoginOk) -> None:
        self.login_ok = login_ok
        attempt = login_ok.attempt
        self.clock.update(attempt["elapsed_ms"], attempt["remaining_ms"], attempt["state"] not in ("testing", "on_break"))
        if attempt.get("journal_key"):
            self._load_journal(attempt["journal_key"])

    def _load_journal(self, key: bytes) -> None:
        """Answers left unsent when the app was closed come back as pending."""
        if self.journal is None:
            return
        if not self.journal.unlocked:
            self.journal.unlock(key)
        for entry in self.journal.pending():
            if entry["seq"] not in self.answers:
                state = AnswerState(entry["seq"], entry["item"], entry["value"], entry["made_ms"])
                self.answers[state.seq] = state
                self.latest_by_item[state.item] = state
        self.next_seq = max(self.next_seq, max(self.answers, default=0) + 1)

    async def confirm_data(self) -> None:
        await self.request(p.ConfirmData())

    async def report_mistake(self, note: str = "") -> None:
        await self.request(p.ReportMistake(note))

    async def start(self) -> p.Test | p.Waiting:
        reply = await self.request(p.Start())
        if isinstance(reply, p.Test):
            await self._took_test(reply)
        return reply

    async def _took_test(self, test: p.Test) -> None:
        self.test = test
        for item, value in test.answers.items():
            mine = self.latest_by_item.get(item)
            if mine is None or mine.state == ACKED:
                self.latest_by_item[item] = AnswerState(0, item, value, 0, ACKED)
        self._load_journal(test.journal_key)
        known = max(self.answers, default=0)
        self.next_seq = max(self.next_seq, test.next_seq, known + 1)

    def answer(self, item: str, value: Any) -> AnswerState:
        """Records an answer now (and in the journal) and sends it when the link allows."""
        state = AnswerState(self.next_seq, item, value, self.clock.now_elapsed_ms())
        self.next_seq += 1
        self.answers[state.seq] = state
        self.latest_by_item[item] = state
        if self.journal is not None:
            self.journal.add(state.seq, item, value, state.made_ms)
        if self.online and self._ready.is_set():
            asyncio.get_running_loop().create_task(self._send_answer(state))
        return state

    def item_state(self, item: str) -> str | None:
        """pending / sent / acked for the item's latest answer; None if never answered."""
        state = self.latest_by_item.get(item)
        return state.state if state else None

    def waiting_count(self) -> int:
        return sum(1 for a in self.answers.values() if a.state != ACKED)

    async def flush_answers(self) -> None:
        """Sends every unacknowledged answer, oldest first, a bounded number at a time
        (the server refuses more than MAX_IN_FLIGHT waiting answers per connection)."""
        pending = sorted((a for a in self.answers.values() if a.state == PENDING), key=lambda a: a.seq)
        gate = asyncio.Semaphore(FLUSH_IN_FLIGHT)

        async def send(answer: AnswerState) -> None:
            async with gate:
                await self._send_answer(answer)

        await asyncio.gather(*(send(a) for a in pending), return_exceptions=True)

    async def _send_answer(self, state: AnswerState) -> None:
        if state.state != PENDING:
            return
        state.state = SENT
        try:
            ack = await self.request(p.Answer(state.seq, state.item, state.value, state.made_ms))
        except Offline:
            state.state = PENDING
            return
        except asyncio.TimeoutError:
            state.state = PENDING
            return
        except ServerError as exc:
            if exc.code in RETRY_CODES:
                # Not refused, only not now (too many in flight, a disk hiccup): it stays
                # pending and goes again after a pause, or with the next flush.
                state.state = PENDING
                if self.online and state.retries < 20:
                    state.retries += 1
                    await asyncio.sleep(exc.retry_after_s or min(0.2 * state.retries, 2.0))
                    await self._send_answer(state)
                return
            # Refused for good (time over, removed, a bad value): it will never count.
            state.state = ACKED
            state.counted = False
            self._forget(state)
            self._emit(exc)
            return
        state.state = ACKED
        state.counted = ack.counted
        self._forget(state)
        self._emit(Acked(state.seq, state.item, state.value, ack.counted))

    def _forget(self, state: AnswerState) -> None:
        if self.latest_by_item.get(state.item) is not state:
            self.answers.pop(state.seq, None)
        if self.journal is not None:
            self.journal.acked(state.seq)

    async def goto(self, item: str) -> None:
        with contextlib.suppress(Offline, ServerError, asyncio.TimeoutError):
            await self.request(p.Goto(item))

    async def next_subject(self) -> p.SubjectNow:
        return await self.request(p.NextSubject())

    async def open_subject(self, subject: str) -> p.SubjectNow:
        return await self.request(p.OpenSubject(subject))

    async def take_break(self) -> None:
        await self.request(p.TakeBreak())

    async def end_break(self) -> None:
        await self.request(p.EndBreak())

    async def finish_request(self) -> p.FinishCheck:
        return await self.request(p.FinishRequest())

    async def finish(self, check: str) -> p.Result:
        return await self.request(p.Finish(check))

    async def questionnaire_start(self) -> p.QuestionnaireOut:
        return await self.request(p.QuestionnaireStart())

    async def questionnaire_answer(self, pseudonym: str, question: str, value: Any) -> None:
        await self.request(p.QuestionnaireAnswer(pseudonym, question, value))

    async def questionnaire_done(self, pseudonym: str) -> p.Done:
        return await self.request(p.QuestionnaireDone(pseudonym))

    async def wait_ready(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self._ready.wait(), timeout)

    # ------------------------------------------------------------------ the proctor

    async def watch(self) -> p.Room:
        """The room now; `seat` and `event` pushes follow, also after a reconnect."""
        room = await self.request(p.Watch())
        self._watching = True
        return room

    async def act(self, msg: p.Message) -> p.Message:
        """Any proctor action; returns the server's reply (usually `ok`)."""
        return await self.request(msg)

"""The student's session: logging in, the attempt's clock, and answers that are never lost.

Every answer gets the next number (`seq`) and goes into the journal (encrypted, on disk)
before it is sent; it is *pending* until sent, *sent* until the server's `ack` (sent only
after the commit), then *acked*. Whatever is not acked is sent again after any reconnect, and
after the app was closed: the journal belongs to the login and is opened, and its answers
sent, as part of logging in. A refusal that means "not now" (busy, paused, on a break) keeps
the answer pending; only an ack or a final refusal takes it out of the journal.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import room_protocol as p
from room_protocol import ErrorCode
from room_protocol.rules import IN_TEST

from .journal import Journal, journal_path
from room_protocol.responses import seal_response
from .link import Offline, RoomLink, ServerError

log = logging.getLogger("synaq.client")

PENDING, SENT, ACKED = "pending", "sent", "acked"
FLUSH_IN_FLIGHT = 32  # answers a flush keeps in flight at once (the server allows 64)
HOLD_CODES = frozenset({ErrorCode.PAUSED, ErrorCode.ON_BREAK})  # sent again when the clock says go
MAX_RETRIES = 20


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


@dataclass(frozen=True)
class Credentials:
    login: str
    password: str
    device: str


@dataclass
class AttemptClock:
    """The attempt's time as the server last said it, run forward on the monotonic clock
    (never the wall clock, which a student could change)."""

    elapsed_ms: int = 0
    remaining_ms: int = 0
    paused: bool = True
    monotonic: Callable[[], float] = time.monotonic  # injectable: tests run it frozen
    anchor: float = -1.0

    def __post_init__(self) -> None:
        if self.anchor < 0:
            self.anchor = self.monotonic()

    def update(self, elapsed_ms: int, remaining_ms: int, paused: bool) -> None:
        self.elapsed_ms, self.remaining_ms, self.paused = elapsed_ms, remaining_ms, paused
        self.anchor = self.monotonic()

    def _moved(self) -> int:
        return 0 if self.paused else int((self.monotonic() - self.anchor) * 1000)

    def now_elapsed_ms(self) -> int:
        return self.elapsed_ms + self._moved()

    def now_remaining_ms(self) -> int:
        return max(0, self.remaining_ms - self._moved())


class StudentClient(RoomLink):
    role = "student"

    def __init__(self, address: str, *, journal_dir: Path | None = None, reconnect: bool = True,
                 client_name: str = "synaq-client/1", local_address: str | None = None,
                 headers: dict[str, str] | None = None, monotonic: Callable[[], float] = time.monotonic):
        super().__init__(address, reconnect=reconnect, client_name=client_name, local_address=local_address,
                         headers=headers)
        self.journal_dir = Path(journal_dir) if journal_dir is not None else None
        self.journal: Journal | None = None
        self.clock = AttemptClock(monotonic=monotonic)
        self.position: str | None = None  # the item the student is on, told to the server when it can be
        self.answers: dict[int, AnswerState] = {}  # seq -> state, the unacknowledged and the latest
        self.latest_by_item: dict[str, AnswerState] = {}
        self.next_seq = 1
        self.login_ok: p.LoginOk | None = None
        self.staff_ok: p.StaffOk | None = None  # a teacher's or principal's slip: no test, the questionnaire
        self.last_clock: p.Clock | None = None
        self.test: p.Test | None = None
        self.credentials: Credentials | None = None
        self.awaiting_approval = False
        self._ready = asyncio.Event()  # online and logged in: answers go out as they are made
        self._held = False  # answers wait for the room to resume or the break to end

    # ------------------------------------------------------------------ logging in

    async def login(self, login: str, password: str, device: str) -> p.LoginOk | p.StaffOk:
        """Logs in; the login's journal is opened and its unsent answers are sent as part of
        it. A teacher's or principal's slip gets `staff_ok` (the questionnaire only). Raises
        ServerError (bad_login, awaiting_approval...) or Offline."""
        self.credentials = Credentials(login, password, device)
        if self.journal_dir is not None and (self.journal is None or self.journal.login != login):
            self.journal = Journal(journal_path(self.journal_dir, login), login)
        try:
            login_ok = await self.request(p.Login(login, password, "MODO", device))
        except ServerError as exc:
            self.awaiting_approval = exc.code == ErrorCode.AWAITING_APPROVAL
            if exc.code not in (ErrorCode.AWAITING_APPROVAL, ErrorCode.NOT_YOUR_STREAM):
                # A wrong password and the like: never sent again behind the student's back
                # when the link comes back. A login waiting for the administrator's approval,
                # or for its stream (every link comes back when another stream goes live), is.
                self.credentials = None
            raise
        self._logged_in(login_ok)
        return login_ok

    def _logged_in(self, login_ok: p.LoginOk | p.StaffOk) -> None:
        if isinstance(login_ok, p.StaffOk):
            self.staff_ok = login_ok
            self.awaiting_approval = False
            self._ready.set()
            return
        self.login_ok = login_ok
        self.awaiting_approval = False
        attempt = login_ok.attempt
        self.clock.update(attempt.elapsed_ms, attempt.remaining_ms, attempt.state not in IN_TEST)
        if attempt.state not in IN_TEST:
            self._held = False  # the test is over: no pause or break to wait for
        if attempt.journal_key:
            self._load_journal(attempt.journal_key)
        self._ready.set()
        if self.waiting_count():
            asyncio.get_running_loop().create_task(self.flush_answers())

    def _load_journal(self, key: bytes) -> None:
        """Answers left unsent when the app was closed come back as pending."""
        if self.journal is None:
            return
        if not self.journal.unlocked:
            self.journal.unlock(key)
            self.journal.save_soon()  # answers made before the key came: on disk now
        for entry in self.journal.pending():
            if entry["seq"] not in self.answers:
                state = AnswerState(entry["seq"], entry["item"], entry["value"], entry["made_ms"])
                self.answers[state.seq] = state
                mine = self.latest_by_item.get(state.item)
                if mine is None or mine.seq < state.seq:
                    self.latest_by_item[state.item] = state
        self.next_seq = max(self.next_seq, max(self.answers, default=0) + 1)

    async def _reconnected(self) -> None:
        if self.credentials is None:
            return
        c = self.credentials
        login_ok = await self.request(p.Login(c.login, c.password, "MODO", c.device))
        self._logged_in(login_ok)
        self._emit(login_ok)
        if isinstance(login_ok, p.LoginOk) and login_ok.attempt.state in IN_TEST:  # staff_ok has no attempt
            test = await self.request(p.Start())
            self._took_test(test)
            if self.position and self.position != test.current_item:
                # The student moved while the link was down: the server learns where they are,
                # so a relaunch resumes at the student's own item.
                await self.goto(self.position)

    def _link_lost(self) -> None:
        self._ready.clear()
        for answer in self.answers.values():
            if answer.state == SENT:
                answer.state = PENDING  # sent but never acknowledged: send again

    async def _push(self, msg: p.Message) -> None:
        if isinstance(msg, p.Clock):
            self.last_clock = msg
            self.clock.update(msg.elapsed_ms, msg.remaining_ms, msg.paused or msg.state not in IN_TEST)
            if self._held and not msg.paused and msg.state == "testing":
                self._held = False
                asyncio.get_running_loop().create_task(self.flush_answers())
        elif isinstance(msg, p.LoginOk):  # the proctor approved a waiting login
            self._logged_in(msg)
        elif isinstance(msg, p.Result) and self._held:
            # The test is over (the deadline, or the sitting closed, which ends a pause too):
            # held answers go now and get their verdict, instead of waiting for a clock that
            # never comes.
            self._held = False
            asyncio.get_running_loop().create_task(self.flush_answers())
        await super()._push(msg)

    async def close(self) -> None:
        if self.journal is not None:
            await self.journal.save()  # the last answers on disk before the app goes
        await super().close()

    async def wait_ready(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self._ready.wait(), timeout)

    # ------------------------------------------------------------------ the attempt

    async def confirm_data(self) -> None:
        await self.request(p.ConfirmData())

    async def report_mistake(self, note: str = "") -> None:
        await self.request(p.ReportMistake(note))

    async def start(self) -> p.Test | p.Waiting:
        reply = await self.request(p.Start())
        if isinstance(reply, p.Test):
            self._took_test(reply)
        return reply

    def _took_test(self, test: p.Test) -> None:
        self.test = test
        for item, value in test.answers.items():
            mine = self.latest_by_item.get(item)
            if mine is None or mine.state == ACKED:
                self.latest_by_item[item] = AnswerState(0, item, value, 0, ACKED)
        self._load_journal(test.journal_key)
        self.next_seq = max(self.next_seq, test.next_seq, max(self.answers, default=0) + 1)

    async def goto(self, item: str) -> None:
        """Tells the server where the student is; offline, it is told after the reconnect."""
        self.position = item
        if not self.online:
            return
        try:
            await self.request(p.Goto(item))
        except (Offline, ServerError, asyncio.TimeoutError) as exc:
            log.info("goto %s not recorded: %s", item, exc)  # where the student is: best effort

    async def next_subject(self) -> p.SubjectNow:
        return await self.request(p.NextSubject())

    async def open_subject(self, subject: str) -> p.SubjectNow:
        return await self.request(p.OpenSubject(subject))

    async def take_break(self) -> None:
        await self.request(p.TakeBreak())

    async def end_break(self) -> None:
        await self.request(p.EndBreak())

    async def finish_request(self, timeout: float = 5.0) -> p.FinishCheck:
        """The finish check (how many items are left unanswered), asked only once the answers
        this computer holds are acknowledged (`timeout` s at most): an answer given a moment
        before Finish is still on its way, and the count must include it."""
        if self.online:
            await self.deliver_answers(timeout)
        return await self.request(p.FinishRequest())

    async def finish(self, check: str) -> p.Result:
        return await self.request(p.Finish(check))

    async def result(self, timeout: float = 30.0) -> p.Result:
        """The result of a finished attempt, once every answer this computer holds was sent
        (the server seals the result when it is asked for)."""
        await self.deliver_answers(timeout)
        return await self.request(p.GetResult())

    async def deliver_answers(self, timeout: float) -> None:
        """Sends every answer this computer holds and waits for their acknowledgements, for
        `timeout` s at most; not while the room holds them (a pause or a break)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        await self.flush_answers()
        while self.waiting_count() and not self._held and loop.time() < deadline:
            await asyncio.sleep(0.05)
            if not any(a.state == SENT for a in self.answers.values()):
                await self.flush_answers()

    # ------------------------------------------------------------------ answers

    def answer(self, item: str, value: Any) -> AnswerState:
        """Records an answer now (and in the journal) and sends it when the link allows."""
        state = AnswerState(self.next_seq, item, value, self.clock.now_elapsed_ms())
        self.next_seq += 1
        self.answers[state.seq] = state
        self.latest_by_item[item] = state
        if self.journal is not None:
            self.journal.add(state.seq, item, value, state.made_ms)
        if self.online and self._ready.is_set() and not self._held:
            asyncio.get_running_loop().create_task(self._send_answer(state))
        return state

    def item_state(self, item: str) -> str | None:
        """pending / sent / acked for the item's latest answer; None if never answered."""
        state = self.latest_by_item.get(item)
        return state.state if state else None

    def waiting_count(self) -> int:
        """Answers not yet acknowledged (every change counts)."""
        return sum(1 for a in self.answers.values() if a.state != ACKED)

    def waiting_items(self) -> int:
        """Items whose latest answer is not yet saved: what the student sees as waiting."""
        return sum(1 for a in self.latest_by_item.values() if a.state != ACKED)

    async def flush_answers(self) -> None:
        """Sends every unacknowledged answer, oldest first, a bounded number at a time
        (the server refuses more than 64 waiting answers per connection)."""
        pending = sorted((a for a in self.answers.values() if a.state == PENDING), key=lambda a: a.seq)
        gate = asyncio.Semaphore(FLUSH_IN_FLIGHT)

        async def send(answer: AnswerState) -> None:
            async with gate:
                await self._send_answer(answer)

        await asyncio.gather(*(send(a) for a in pending), return_exceptions=True)

    async def _send_answer(self, state: AnswerState) -> None:
        if state.state != PENDING or self._held:
            return
        state.state = SENT
        try:
            ack = await self.request(p.Answer(state.seq, state.item, state.value, state.made_ms))
        except (Offline, asyncio.TimeoutError):
            state.state = PENDING
            return
        except ServerError as exc:
            if exc.code in HOLD_CODES:
                state.state = PENDING  # the room is paused or the student on a break: later
                self._held = True
                return
            if exc.code in p.RETRY_CODES:
                # Not refused, only not now (too many in flight, a disk hiccup): it stays
                # pending and goes again after a pause, or with the next flush.
                state.state = PENDING
                if self.online and state.retries < MAX_RETRIES:
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
            self.journal.drop(state.seq)
            self.journal.save_soon()

    # ------------------------------------------------------------------ the questionnaire

    async def questionnaire_start(self, language: str = "") -> p.QuestionnaireOut:
        """The questionnaire; a teacher or principal names the language (`staff_ok.languages`)."""
        return await self.request(p.QuestionnaireStart(language))

    async def questionnaire_submit(self, questionnaire: p.QuestionnaireOut, answers: dict[str, Any]) -> p.Done:
        """Seals the answers here, to the analysis centre's key, with this student's ИКТ (so
        the centre, and only the centre, can join them with the results), and sends them once.
        Raises ValueError for an answer that does not fit its question."""
        return await self.request(p.QuestionnaireSubmit(seal_response(questionnaire, answers, self.ikt())))

    def ikt(self) -> str:
        return self.login_ok.student.ikt if self.login_ok else ""

"""Simulated students: the whole sitting over the real protocol, through the real client.

Each one logs in, confirms, starts (waiting for the sitting to open), answers every item of
every subject with pauses that look like thinking, takes a break when one is offered,
finishes with the arithmetic check, answers the questionnaire. They ride out a server
restart or a cut link like the student app does: the client reconnects and resends.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from room_client import Acked, Offline, StudentClient, ServerError

import room_protocol as p


@dataclass
class SimReport:
    login: str
    finished: bool = False
    answers_acked: int = 0
    error: str = ""
    acked: list = field(default_factory=list)  # (item, value, seq)
    waited_for_stream: bool = False  # came while another stream of the day ran


def random_value(item: dict, rng: random.Random) -> Any:
    kind = item.kind
    if kind == "single":
        return chr(65 + rng.randrange(len(item.options)))
    if kind == "multiple":
        count = min(len(item.options), 2)
        return sorted(chr(65 + i) for i in rng.sample(range(len(item.options)), count))
    if kind == "matching":
        return {str(i + 1): chr(65 + rng.randrange(len(item.right))) for i in range(len(item.left))}
    if item.answer_type == "number":
        return str(rng.randint(1, 100))
    return rng.choice(["жауап", "ответ", "Алматы"])


def solve(question: str) -> str:
    """The finish example, as a student would solve it."""
    match = re.fullmatch(r"\s*(\d+)\s*([+−-])\s*(\d+)\s*", question)
    if not match:
        return "0"
    a, op, b = int(match.group(1)), match.group(2), int(match.group(3))
    return str(a + b if op == "+" else a - b)


class SimStudent:
    def __init__(self, server: str, login: str, password: str, *, think: float, rng: random.Random,
                 take_break: bool = True, device: str | None = None):
        self.client = StudentClient(server, client_name="synaq-sim/1")
        self.login = login
        self.password = password
        self.think = think
        self.rng = rng
        self.take_break = take_break
        self.device = device or f"sim-{login}"
        self.report = SimReport(login)
        self.ended = asyncio.Event()

    async def _retry(self, call, *args, attempts: int = 200):
        """A request that rides out a lost link: wait until logged in again, then retry."""
        for _ in range(attempts):
            try:
                return await call(*args)
            except ServerError as exc:
                if exc.code in (p.ErrorCode.PAUSED, p.ErrorCode.ON_BREAK):
                    # The room is paused, or this student on a break: wait as the screen says.
                    await asyncio.sleep(0.5)
                    continue
                if exc.code not in p.RETRY_CODES:
                    raise
                # Told to wait (failed logins, a burst, a busy room): wait, as a child would.
                await asyncio.sleep(min(exc.retry_after_s or 0.5, 60.0))
            except (Offline, asyncio.TimeoutError):
                try:
                    await self.client.wait_ready(timeout=30)
                except asyncio.TimeoutError:
                    pass
        raise RuntimeError(f"{self.login}: the server stayed unreachable")

    async def _sleep(self) -> None:
        if self.think > 0:
            await asyncio.sleep(self.rng.uniform(0.5, 1.5) * self.think)

    async def run(self) -> SimReport:
        try:
            await self._run()
            self.report.finished = True
        except ServerError as exc:
            self.report.error = f"{exc.code}: {exc.reason}"
        except Exception as exc:  # the report says what went wrong, the run goes on
            self.report.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.report.answers_acked = len(self.report.acked)
            await self.client.close()
        return self.report

    async def _connect(self) -> None:
        for _ in range(100):
            try:
                await self.client.connect()
                return
            except Offline:
                await asyncio.sleep(0.2)
        raise RuntimeError("cannot reach the server")

    async def _log_in(self) -> p.LoginOk:
        while True:
            try:
                return await self._retry(self.client.login, self.login, self.password, self.device)
            except ServerError as exc:
                if exc.code != p.ErrorCode.NOT_YOUR_STREAM:
                    raise
            # Another stream of the day runs now: wait at the door for ours, as a child would.
            self.report.waited_for_stream = True
            await asyncio.sleep(5)
            if self.client.login_ok is not None:  # the link logged in again on its own
                return self.client.login_ok

    async def _run(self) -> None:
        await self._connect()
        login_ok = await self._log_in()
        state = login_ok.attempt.state
        if state == "confirming":
            await self._retry(self.client.confirm_data)
        test = None
        while test is None:
            reply = await self._retry(self.client.start)
            if isinstance(reply, p.Test):
                test = reply
            else:
                await self._wait_for(lambda m: isinstance(m, p.SittingNow) and m.state == "open", timeout=3600)
        await self._take_test(test)
        await self._questionnaire()

    async def _wait_for(self, predicate, timeout: float) -> Any:
        async def loop():
            while True:
                event = await self.client.events.get()
                self._note(event)
                if predicate(event):
                    return event
        return await asyncio.wait_for(loop(), timeout)

    def _note(self, event) -> None:
        if isinstance(event, Acked) and event.counted:
            self.report.acked.append((event.item, event.value, event.seq))
        elif isinstance(event, p.Ended):
            self.ended.set()

    def _drain(self) -> None:
        while not self.client.events.empty():
            self._note(self.client.events.get_nowait())

    async def _take_test(self, test: p.Test) -> None:
        subjects = test.subjects
        start_index = test.subject_index
        for index in range(start_index, len(subjects)):
            for item in subjects[index].items:
                if item.id in test.answers:
                    continue  # answered before a restart
                await self._sleep()
                self._drain()
                if self.ended.is_set():
                    raise RuntimeError("the administrator ended the test")
                await self._maybe_break()
                self.client.answer(item.id, random_value(item, self.rng))
            if index < len(subjects) - 1:
                await self._settle()
                try:
                    await self._retry(self.client.next_subject)
                except ServerError as exc:
                    if exc.code != p.ErrorCode.WRONG_STATE:
                        raise
        await self._settle()
        for _ in range(5):
            try:
                check = await self._retry(self.client.finish_request)
                await self._retry(self.client.finish, solve(check.question))
                break
            except ServerError as exc:
                if exc.code == p.ErrorCode.WRONG_STATE:
                    break  # time over: the server finished the attempt itself
                if exc.code != p.ErrorCode.BAD_CHECK:
                    raise

    async def _maybe_break(self) -> None:
        if not self.take_break:
            return
        clock = self._last_clock
        if clock is not None and clock.break_due and not self._had_break:
            self._had_break = True
            try:
                await self._retry(self.client.take_break)
                await asyncio.sleep(min(1.0, self.think))
                await self._retry(self.client.end_break)
            except ServerError:
                pass

    _had_break = False

    @property
    def _last_clock(self) -> p.Clock | None:
        return self.client.last_clock

    async def _settle(self, timeout: float = 120) -> None:
        """Waits until every answer is acknowledged (through reconnects)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.client.waiting_count() and loop.time() < deadline:
            self._drain()
            if self.client.online:
                await self.client.flush_answers()
            await asyncio.sleep(0.05)
        self._drain()
        if self.client.waiting_count():
            raise RuntimeError(f"{self.client.waiting_count()} answers never acknowledged")

    async def _questionnaire(self) -> None:
        try:
            q = await self._retry(self.client.questionnaire_start)
        except ServerError as exc:
            if exc.code == p.ErrorCode.WRONG_STATE:
                return  # already done before a restart
            raise
        answers: dict[str, Any] = {}
        for question in q.questions:
            if question.kind == "choice":
                answers[question.id] = self.rng.randrange(len(question.options))
            elif question.kind == "multi":
                answers[question.id] = [self.rng.randrange(len(question.options))]
            else:
                answers[question.id] = "—"
        try:
            await self._retry(self.client.questionnaire_submit, q, answers)
        except ServerError as exc:
            if exc.code != p.ErrorCode.ALREADY_DONE:  # sent before a restart: once is enough
                raise


def read_logins(path: str | Path) -> list[tuple[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return [(row["login"], row["password"]) for row in csv.DictReader(f)]


async def run_sim(server: str, logins_csv: str, *, students: int | None = None, think: float = 1.0,
                  acks: str | None = None, skip: int = 0, take_break: bool = True, seed: int = 1) -> int:
    try:
        logins = read_logins(logins_csv)[skip:]
    except (OSError, KeyError) as exc:
        print(f"synaq-sim: cannot read logins from {logins_csv}: {exc}", file=sys.stderr)
        return 2
    if students is not None:
        logins = logins[:students]
    rng = random.Random(seed)
    sims = [SimStudent(server, login, password, think=think, rng=random.Random(rng.random()), take_break=take_break)
            for login, password in logins]
    reports = await asyncio.gather(*(s.run() for s in sims))
    if acks:
        with open(acks, "a", encoding="utf-8") as f:
            for report in reports:
                for item, value, seq in report.acked:
                    f.write(json.dumps({"login": report.login, "item": item, "value": value, "seq": seq},
                                       ensure_ascii=False) + "\n")
    failed = [r for r in reports if not r.finished]
    total = sum(r.answers_acked for r in reports)
    print(f"{len(reports) - len(failed)} of {len(reports)} students finished; {total} answers acknowledged.")
    for r in failed:
        print(f"  {r.login}: {r.error}", file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="synaq-sim", description="simulated students taking the whole sitting")
    parser.add_argument("--server", required=True, help="HOST:PORT")
    parser.add_argument("--logins", required=True, help="a CSV with login,password columns")
    parser.add_argument("--students", type=int, default=None, help="how many (default: every login)")
    parser.add_argument("--think", type=float, default=1.0, help="seconds between a student's answers")
    parser.add_argument("--acks", help="write one JSON line per acknowledged answer")
    parser.add_argument("--skip", type=int, default=0, help="leave out the first N logins")
    parser.add_argument("--no-break", action="store_true", help="do not wait for a break")
    args = parser.parse_args(argv)
    try:
        return asyncio.run(run_sim(args.server, args.logins, students=args.students, think=args.think,
                                   acks=args.acks, skip=args.skip, take_break=not args.no_break))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

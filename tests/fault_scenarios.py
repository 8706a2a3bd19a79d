"""The faults the harness makes while students answer: the server killed, links cut, a student's
app killed and started again, a second computer, the proctor's pauses and incidents. A part of
`Harness` (tests/fault_harness.py), which owns the room, the groups and the proctor."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import time
from typing import Any


from fault_checks import LINK_SETTLE_MS
from fault_lab import log, wall_ms


class FaultScenarios:

    async def kill_server(self, down_s: float) -> None:
        log(f"SIGKILL the server (down {down_s:.1f} s)")
        self.server.kill()
        await asyncio.sleep(down_s)
        await asyncio.to_thread(self.server.start)

    async def cut_link(self, kind: str) -> None:
        candidates = [g for g in self.groups[1:] if g["link"] and g["proc"].poll() is None]
        if not candidates or self.net is None:
            return
        group = self.rng.choice(candidates)
        link = group["link"]
        if kind == "drop" and not self.net.iptables:
            kind = "down"
        if kind == "squeeze" and not self.net.tc:
            kind = "down"
        hold = {"down": self.rng.uniform(3, 8), "drop": self.rng.uniform(18, 25), "squeeze": self.rng.uniform(10, 18)}[kind]
        log(f"link fault {kind} on group {group['index']} for {hold:.0f} s")
        setter = {"down": self.net.set_down, "drop": self.net.set_drop, "squeeze": self.net.set_squeeze}[kind]
        setter(link, True)
        begin = wall_ms()
        try:
            await asyncio.sleep(hold)
        finally:
            setter(link, False)
            self.windows.setdefault(group["index"], []).append((begin, wall_ms() + LINK_SETTLE_MS))
        self.summary.cuts += 1
        self.summary.cut_kinds[kind] = self.summary.cut_kinds.get(kind, 0) + 1

    async def kill_student_app(self) -> None:
        """The one journaling student: offline (when it can be), answers a few, its process
        killed; then the link back and the app started again: it resends from its journal."""
        group = self.groups[0]
        acked = await self.wait_for_lines(group["log"], "ack", 3, timeout=120)
        if not acked:
            log("the journaling student never got 3 acks; killing it anyway")
        link = group["link"]
        if link and self.net and self.net.iptables:
            self.net.set_drop(link, True)
        begin = wall_ms()
        try:
            made_before = self.count_lines(group["log"], "made")
            await self.wait_until(lambda: self.count_lines(group["log"], "made") >= made_before + 2, 30)
            log("SIGKILL the journaling student's app while it is offline")
            os.kill(group["proc"].pid, signal.SIGKILL)
            group["proc"].wait(timeout=10)
        finally:
            if link and self.net and self.net.iptables:
                self.net.set_drop(link, False)
            self.windows.setdefault(0, []).append((begin, wall_ms() + LINK_SETTLE_MS))
        await asyncio.sleep(1)
        self.start_group(group)
        self.summary.app_kills += 1

    async def second_device(self) -> None:
        """A student answers on one computer, then logs in on another; the proctor approves;
        the student finishes there. Runs in this process, on loopback."""
        from room_client import Acked, Offline, StudentClient, ServerError
        import room_protocol as p
        from room_tools.sim import random_value, solve

        row = self.second_login
        sid = self.student_id(row["login"])
        out = open(self.work / "second.jsonl", "a", encoding="utf-8", buffering=1)
        self.extra_logs.append(self.work / "second.jsonl")

        def note(event: Any) -> None:
            if isinstance(event, Acked):
                out.write(json.dumps({"k": "ack", "login": row["login"], "seq": event.seq, "item": event.item,
                                      "value": event.value, "counted": event.counted}, ensure_ascii=False) + "\n")

        async def retry(call, *args):
            for _ in range(200):
                try:
                    return await call(*args)
                except (Offline, asyncio.TimeoutError):
                    await asyncio.sleep(0.3)
            raise RuntimeError("second computer: the server stayed unreachable")

        async def settle(client: StudentClient) -> None:
            deadline = time.monotonic() + 120
            while client.waiting_count() and time.monotonic() < deadline:
                if client.online:
                    await client.flush_answers()
                await asyncio.sleep(0.1)
            while not client.events.empty():
                note(client.events.get_nowait())

        first = StudentClient(f"127.0.0.1:{self.port}", client_name="harness-first")
        second = StudentClient(f"127.0.0.1:{self.port}", client_name="harness-second")
        rng = random.Random(self.cfg.seed + 7)
        try:
            await retry(first.connect)
            await retry(first.login, row["login"], row["password"], "first-computer")
            if first.login_ok.attempt.state == "confirming":
                await retry(first.confirm_data)
            test = await retry(first.start)
            items = [item for subject in test.subjects[:1] for item in subject.items]
            for item in items[:5]:
                first.answer(item.id, random_value(item, rng))
                await asyncio.sleep(0.2)
            await settle(first)
            # The first computer "breaks"; the student moves to another one.
            await retry(second.connect)
            try:
                await second.login(row["login"], row["password"], "second-computer")
                raise RuntimeError("a second computer logged in without the proctor's approval")
            except ServerError as exc:
                if exc.code != p.ErrorCode.AWAITING_APPROVAL:
                    raise
            approved = False
            deadline = time.monotonic() + 120
            while not approved and time.monotonic() < deadline:
                try:
                    await self.act(p.ApproveLogin(sid, True), {"kind": "second_login_approved", "student": sid})
                except ServerError as exc:
                    if exc.code != p.ErrorCode.NOT_FOUND:  # the waiting login was lost in a restart: it logs in again
                        raise
                    await asyncio.sleep(0.5)
                    continue
                approved = await self.wait_until(lambda: second.login_ok is not None, 10)
            if not approved:
                raise RuntimeError("the second computer was never approved")
            self.summary.second_device = True
            test = await retry(second.start)
            for item in [i for s in test.subjects[:1] for i in s.items][5:10]:
                second.answer(item.id, random_value(item, rng))
                await asyncio.sleep(0.2)
            await settle(second)
            while not first.events.empty():
                note(first.events.get_nowait())
            for _ in range(5):
                try:
                    check = await retry(second.finish_request)
                    await retry(second.finish, solve(check.question))
                    break
                except ServerError as exc:
                    if exc.code != p.ErrorCode.BAD_CHECK:
                        break
        finally:
            while not first.events.empty():
                note(first.events.get_nowait())
            while not second.events.empty():
                note(second.events.get_nowait())
            out.close()
            await first.close()
            await second.close()

    async def room_actions(self) -> None:
        """Pause and resume the room, extra time for a student, incidents."""
        import room_protocol as p
        token = f"h{self.rng.randrange(10**6)}"
        await self.act(p.Pause("network", f"pause {token}"), {"kind": "paused", "note": f"pause {token}"},
                       done_codes=("wrong_state",))
        await asyncio.sleep(self.rng.uniform(2, 4))
        await self.act(p.Resume(), {"kind": "resumed"}, done_codes=("wrong_state",))
        sid = self.student_id(self.logins[1 + self.rng.randrange(self.cfg.students - 1)]["login"])
        try:
            await self.act(p.ExtraTime(sid, 5, f"extra {token}"), {"kind": "extra_time", "student": sid, "reason": f"extra {token}"})
        except Exception as exc:  # the student may have finished already
            log(f"extra time not given: {exc}")
        await self.act(p.Incident("other", None, {"description": f"incident {token}"}),
                       {"kind": "incident", "description": f"incident {token}"})

    async def faults(self) -> None:
        cfg = self.cfg
        # How long the students take without faults: 30 items a student, a bit more for
        # changed answers and subject changes; faults are spread over that.
        expected = 36 * cfg.think + 10
        plan: list[tuple[float, str]] = []
        for i in range(cfg.kills):
            plan.append(((i + 0.5 + self.rng.uniform(-0.3, 0.3)) * expected / cfg.kills, "kill"))
        kinds = ["down", "drop", "squeeze"]
        for i in range(cfg.cuts if self.net else 0):
            plan.append(((i + 0.3 + self.rng.uniform(0, 0.4)) * expected / max(cfg.cuts, 1), kinds[i % 3]))
        plan.append((expected * 0.3, "app_kill"))
        plan.append((expected * 0.45, "actions"))
        plan.append((expected * 0.2, "second_device"))
        plan.sort()
        t0 = time.monotonic()
        side: list[asyncio.Task] = []
        long_outage_done = not cfg.long_outage
        deadline = t0 + cfg.timeout_s
        for at, kind in plan:
            while time.monotonic() - t0 < at and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
                self.server.sample_rss()
            if kind == "kill":
                down = self.rng.uniform(0.3, 3.0)
                if not long_outage_done and self.server.kills >= cfg.kills // 2:
                    down, long_outage_done = 12.0, True  # over 10 s: the room is paused for the outage
                await self.kill_server(down)
            elif kind in ("down", "drop", "squeeze"):
                side.append(asyncio.create_task(self.cut_link(kind)))
            elif kind == "app_kill":
                side.append(asyncio.create_task(self.kill_student_app()))
            elif kind == "actions":
                side.append(asyncio.create_task(self.room_actions()))
            elif kind == "second_device":
                side.append(asyncio.create_task(self.second_device()))
        for task in side:
            try:
                await asyncio.wait_for(task, timeout=max(10, deadline - time.monotonic()))
            except Exception as exc:
                self.summary.problems.append(f"a fault scenario failed: {type(exc).__name__}: {exc}")
        while self.groups_running() and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            self.server.sample_rss()
        if self.groups_running():
            self.summary.problems.append(f"students still running after {cfg.timeout_s:.0f} s")
        self.summary.kills = self.server.kills

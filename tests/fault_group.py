"""One group of simulated students, run as a process by the fault harness (`python -m
tests.fault_harness group ...`): each logs in and answers (keeping a journal if asked) and
writes what it saw acknowledged and every clock it was told to a JSON-lines log the checks read."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
from pathlib import Path
from typing import Any


from fault_lab import wall_ms


async def run_group(args: argparse.Namespace) -> int:
    from room_client import Acked, ServerError
    from room_client.journal import Journal
    import room_protocol as p
    from room_tools.sim import SimStudent, random_value, read_logins

    logins = read_logins(args.logins)[args.skip:args.skip + args.count]
    out = open(args.log, "a", encoding="utf-8", buffering=1)

    def write(**record: Any) -> None:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")

    class HarnessStudent(SimStudent):
        """A SimStudent whose every acknowledgement, clock and answer is written down as it
        happens, who sometimes changes an earlier answer, and (optionally) keeps a journal."""

        def __init__(self, login: str, password: str, rng: random.Random):
            super().__init__(args.server, login, password, think=args.think, rng=rng, take_break=True)
            if args.journal_dir:
                self.client.journal = Journal(Path(args.journal_dir) / f"journal-{login}.bin")
            client = self.client
            emit, answer = client._emit, client.answer

            def logged_emit(event: Any) -> None:
                if isinstance(event, Acked):
                    write(k="ack", login=login, seq=event.seq, item=event.item, value=event.value, counted=event.counted)
                elif isinstance(event, p.Clock):
                    write(k="clock", login=login, t=wall_ms(), remaining_ms=event.remaining_ms,
                          elapsed_ms=event.elapsed_ms, state=event.state, paused=event.paused)
                elif isinstance(event, ServerError):
                    write(k="refused", login=login, code=event.code, reason=event.reason)
                emit(event)

            def logged_answer(item: str, value: Any):
                state = answer(item, value)
                write(k="made", login=login, seq=state.seq, item=item, value=value, made_ms=state.made_ms)
                self._change_mind(item)
                return state

            client._emit = logged_emit
            client.answer = logged_answer
            self._answer = answer

        def _change_mind(self, item_id: str) -> None:
            """Now and then answer an earlier item of the same subject again: the latest wins."""
            test = self.client.test
            if test is None or self.rng.random() > 0.2:
                return
            for subject in test.subjects:
                ids = [item.id for item in subject.items]
                if item_id in ids:
                    earlier = [item for item in subject.items[:ids.index(item_id)]]
                    if earlier:
                        item = self.rng.choice(earlier)
                        value = random_value(item, self.rng)
                        state = self._answer(item.id, value)
                        write(k="made", login=self.login, seq=state.seq, item=item.id, value=value,
                              made_ms=state.made_ms)
                    return

    rng = random.Random(args.seed)
    students = [HarnessStudent(login, password, random.Random(rng.random())) for login, password in logins]

    async def one(student: HarnessStudent) -> None:
        await asyncio.sleep(rng.uniform(0, min(2.0, args.think)))  # not all at the same instant
        report = await student.run()
        write(k="done", login=student.login, finished=report.finished, error=report.error)

    await asyncio.gather(*(one(s) for s in students))
    out.close()
    return 0


# ---------------------------------------------------------------------------------------
# The harness

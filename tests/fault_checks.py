"""The harness's checks at the end, from the database on disk and the groups' logs (the list is in
tests/fault_harness.py's docstring). A part of `Harness`, which owns the room and the logs."""

from __future__ import annotations

import json
from typing import Any

import msgpack


from fault_lab import wall_ms

CLOCK_TOLERANCE_MS = 2_000
# After a link fault ends, messages the link held back still arrive for a while (TCP backs
# off its retransmissions while tbf drops); a clock
# message received then is judged only for not cutting the student's time.
LINK_SETTLE_MS = 30_000  # TCP retransmission backoff after tbf drops: seen 10 s late
EXTRA_COMMIT_MS = 1_000


class FinalChecks:

    async def final_checks(self) -> None:
        import room_protocol as p
        # The server's own view at the end, before it stops.
        room = await self.proctor.request(p.Watch())
        snapshot_ms = wall_ms()
        seats = {seat.login: seat for seat in room.seats}
        await self.proctor.close()
        self.proctor = None
        self.server.sample_rss()
        self.server.stop()  # what is on disk now is what the checks read

        s = self.summary
        records: list[dict] = []
        for group in self.groups:
            records.extend(self.read_lines(group["log"]))
        for path in self.extra_logs:
            records.extend(self.read_lines(path))
        ids = {r["login"]: r["id"] for r in self.db_rows("SELECT id, login FROM students")}
        done = [r for r in records if r["k"] == "done"]
        finished = {r["login"] for r in done if r["finished"]}
        s.finished = len(finished) + (1 if s.second_device else 0)
        for r in done:
            if not r["finished"] and r["login"] not in finished:
                s.problems.append(f"{r['login']} did not finish: {r['error']}")

        stored: dict[tuple[int, int], tuple[str, Any, int]] = {}
        for row in self.db_rows("SELECT student_id, seq, item, value, counted FROM answers"):
            stored[(row["student_id"], row["seq"])] = (row["item"], msgpack.unpackb(row["value"], raw=False), row["counted"])
        s.answers_stored = len(stored)
        latest_db: dict[tuple[int, str], int] = {}
        for (sid, seq), (item, _, counted) in stored.items():
            if counted and seq > latest_db.get((sid, item), 0):
                latest_db[(sid, item)] = seq

        lost = 0
        acked = {(r["login"], r["seq"]): r for r in records if r["k"] == "ack" and r["counted"]}
        s.answers_acked = len(acked)
        highest: dict[tuple[int, str], int] = {}
        for (login, seq), r in acked.items():
            sid = ids[login]
            row = stored.get((sid, seq))
            if row is None or row[0] != r["item"] or row[1] != r["value"] or not row[2]:
                lost += 1
                s.problems.append(f"acknowledged answer {login} #{seq} {r['item']}={r['value']!r} is stored as {row!r}")
            highest[(sid, r["item"])] = max(seq, highest.get((sid, r["item"]), 0))
        for key, seq in highest.items():
            db_seq = latest_db.get(key, 0)
            if db_seq < seq:
                lost += 1
                s.problems.append(f"student {key[0]} item {key[1]}: latest acknowledged #{seq}, stored latest #{db_seq}")
            elif db_seq > seq:
                s.newer_unacked += 1  # a newer answer was saved whose ack no client logged
        made = [r for r in records if r["k"] == "made"]
        s.answers_made = len(made)
        journal_logins = {row["login"] for row in self.logins[self.groups[0]["skip"]:self.groups[0]["skip"] + 1]}
        for r in made:
            if r["login"] in journal_logins:
                s.journal_answers += 1
                row = stored.get((ids[r["login"]], r["seq"]))
                if row is None or row[0] != r["item"] or row[1] != r["value"]:
                    lost += 1
                    s.problems.append(f"journaled answer {r['login']} #{r['seq']} {r['item']} is stored as {row!r}")
        s.answers_lost = lost

        # The audit log agrees with the answers: one `answer` row per stored answer.
        audit = {}
        for row in self.db_rows("SELECT student_id, data FROM audit WHERE kind = 'answer'"):
            data = json.loads(row["data"])
            key = (row["student_id"], data["seq"])
            audit[key] = audit.get(key, 0) + 1
            if key not in stored or stored[key][0] != data["item"] or bool(stored[key][2]) != bool(data["counted"]):
                s.audit_mismatch += 1
        s.audit_mismatch += sum(1 for key in stored if audit.get(key) != 1)
        if s.audit_mismatch:
            s.problems.append(f"{s.audit_mismatch} answers and audit rows do not match")

        self.check_clocks(records, seats, snapshot_ms, ids)
        self.check_actions()

    def check_clocks(self, records: list[dict], seats: dict, snapshot_ms: int, ids: dict) -> None:
        from content.loader import load_pack
        from room_server.sitting import Pause, paused_overlap_ms

        s = self.summary
        limits = {}
        for row in self.db_rows("SELECT language, folder FROM packs"):
            pack, _ = load_pack(self.data / row["folder"])
            limits[row["language"]] = pack.timing.total_minutes * 60_000
        language = {r["id"]: r["language"] for r in self.db_rows("SELECT id, language FROM students")}
        started = {r["student_id"]: r["started_ms"] for r in self.db_rows("SELECT student_id, started_ms FROM attempts")}
        pauses = [Pause(r["start_ms"], r["end_ms"]) for r in self.db_rows("SELECT start_ms, end_ms FROM pauses")]
        extras: dict[int, list[tuple[int, int]]] = {}
        for r in self.db_rows("SELECT student_id, minutes, at_ms FROM extra_time"):
            extras.setdefault(r["student_id"], []).append((r["at_ms"], r["minutes"] * 60_000))

        def expected(sid: int, at: int, commit_ms: int = 0) -> int:
            start = started[sid]
            limit = limits[language[sid]] + sum(ms for t, ms in extras.get(sid, []) if t + commit_ms <= at)
            elapsed = max(0, at - start - paused_overlap_ms(pauses, start, at))
            return max(0, limit - elapsed)

        def check(sid: int, at: int, told: int, what: str, delayed: bool = False) -> None:
            if started.get(sid) is None:
                return
            # Extra time applies once committed, a moment after the time it records: within
            # EXTRA_COMMIT_MS of it a clock with or without it is right.
            off = min((told - expected(sid, at, c) for c in (0, EXTRA_COMMIT_MS)), key=abs)
            if delayed:  # received late through a faulty link: it may only be older, never shorter
                s.clock_delayed += 1
                off = min(off, 0)
            s.clock_checks += 1
            s.clock_worst_ms = max(s.clock_worst_ms, abs(off))
            if abs(off) > CLOCK_TOLERANCE_MS:
                s.clock_bad += 1
                if s.clock_bad <= 10:
                    s.problems.append(f"student {sid}: {what} remaining {told} ms, the records give {told - off} ms")

        group_of = {}
        for group in self.groups:
            for row in self.logins[group["skip"]:group["skip"] + group["count"]]:
                group_of[row["login"]] = group["index"]
        for r in records:
            if r["k"] == "clock" and r["state"] in ("testing", "on_break") and not r["paused"]:
                spans = self.windows.get(group_of.get(r["login"], -1), [])
                delayed = any(a <= r["t"] <= b for a, b in spans)
                check(ids[r["login"]], r["t"], r["remaining_ms"], "a client was told", delayed)
        for login, seat in seats.items():
            sid = ids[login]
            if seat.state in ("testing", "on_break") or started.get(sid):
                check(sid, snapshot_ms, seat.remaining_ms, "the server's final view says")

    def check_actions(self) -> None:
        s = self.summary
        audit = self.db_rows("SELECT kind, student_id, data FROM audit WHERE actor = 'proctor'")
        kinds: dict[tuple[str, int | None], int] = {}
        for row in audit:
            kinds[(row["kind"], row["student_id"])] = kinds.get((row["kind"], row["student_id"]), 0) + 1
        needed: dict[tuple[str, int | None], int] = {}
        for action in self.actions:
            key = (action["kind"], action.get("student"))
            needed[key] = needed.get(key, 0) + 1
        for key, count in needed.items():
            if kinds.get(key, 0) < count:
                s.actions_missing += count - kinds.get(key, 0)
                s.problems.append(f"proctor action {key[0]} (student {key[1]}) recorded {kinds.get(key, 0)} times, made {count}")
        notes = {r["note"] for r in self.db_rows("SELECT note FROM pauses")}
        incidents = [json.loads(r["fields"]).get("description") for r in self.db_rows("SELECT fields FROM incidents")]
        extra = {(r["student_id"], r["reason"]) for r in self.db_rows("SELECT student_id, reason FROM extra_time")}
        for action in self.actions:
            if action["kind"] == "paused" and action["note"] not in notes:
                s.actions_missing += 1
                s.problems.append(f"the pause {action['note']!r} is not in the pauses table")
            if action["kind"] == "incident" and action["description"] not in incidents:
                s.actions_missing += 1
                s.problems.append(f"the incident {action['description']!r} is not in the incidents table")
            if action["kind"] == "extra_time" and (action["student"], action["reason"]) not in extra:
                s.actions_missing += 1
                s.problems.append(f"the extra time {action['reason']!r} is not in the extra_time table")
        s.actions = len(self.actions)

"""Logging in: passwords, devices, a second computer the proctor must approve, and what a
dropped connection leaves behind."""

from __future__ import annotations

import time
from typing import Any

import room_protocol as p
from room_protocol import ErrorCode, ProtocolError
from room_protocol.rules import NEW_COMPUTER_SEQ_GAP, State

from .. import views
from ..dispatch import Call, handles
from ..room import Peer, Room
from ..storage import audit, now_ms


LOGIN_BURST_ALERT_MS = 10 * 60_000  # how long the targets of a guessing burst show it on the console


@handles(p.Login, logged_in=False)
async def login(room: Room, call: Call, msg: p.Login) -> p.LoginOk | p.StaffOk:
    peer = call.conn
    if room.student_of(peer) is not None or room.staff.of(peer) is not None:
        raise ProtocolError(ErrorCode.WRONG_STATE, "already logged in on this connection")
    if msg.test_type != "MODO":
        raise ProtocolError(ErrorCode.BAD_FIELD, f"unknown test type {msg.test_type!r}; this room runs MODO")
    if not 1 <= len(msg.device) <= 64:
        raise ProtocolError(ErrorCode.BAD_FIELD, "login: 'device' must be 1 to 64 characters")
    name = msg.login.strip().casefold()[:64]
    # One check at a time per login and computer: concurrent guesses wait their turn and
    # meet the throttle, none slips past it.
    async with room.login_locks.hold((name, peer.address)):
        now_s = time.monotonic()
        wait = room.throttle.wait_s(name, peer.address, now_s)
        if wait > 0:
            raise ProtocolError(ErrorCode.SLOW_DOWN, f"too many wrong passwords; try again in {wait:.0f} s",
                                retry_after_s=round(wait, 1))
        student = room.by_login.get(msg.login.strip())
        member = None if student is not None else await room.staff.find(msg.login.strip())
        account = student or member
        other = room.day.stream_of(msg.login.strip()) if account is None and room.day is not None else None
        if other is not None:
            raise ProtocolError(ErrorCode.NOT_YOUR_STREAM, f"this slip is for stream {other}, which is not the one "
                                                           "running now; wait for the administrator's call")
        ok = account is not None and len(msg.password) <= 64 and await room.passwords.check(
            peer.address, msg.password.strip(), account.password_hash, trusted=peer.trusted,
            priority=room.throttle.recent_failures(peer.address, now_s))
        if not ok:
            await failed_login(room, peer.address, name, student)
    room.throttle.succeeded(name, peer.address)
    if member is not None:
        return await admit_staff(room, peer, member)
    return await admit(room, peer, student, msg.device)


async def admit_staff(room: Room, peer: Peer, member) -> p.StaffOk:
    """A teacher's or principal's slip: the questionnaire, whenever the room runs."""
    room.staff.bind(peer, member)
    await room.record(member.login, None, "staff_login", {"audience": member.audience, "address": peer.address})
    room.to_proctors(p.SittingChanged(views.sitting_view(room)))
    return p.StaffOk(member.login, member.audience, room.staff.languages(member.audience),
                     member.respondent in room.responded)


async def failed_login(room: Room, address: str, name: str, student) -> None:
    now_s = time.monotonic()
    burst = room.throttle.failed(name, address, now_s)
    wait = room.throttle.wait_s(name, address, now_s)
    # Shares commits with its neighbours: a flood of wrong passwords is not a flood of commits.
    await room.database.write_grouped([audit.entry(now_ms(), "server", student.id if student else None,
                                                   "login_failed", {"login": name[:40], "address": address})])
    if burst:  # everyone this computer tried shows it on the console, with the computer's address
        tried = room.throttle.tried_from(address)
        for target in room.students.values():
            if target.login.casefold() in tried:
                room.guessed[target.id] = now_ms() + LOGIN_BURST_ALERT_MS
                room.mark(target.id)
        await room.record("server", None, "login_burst", {"address": address, "logins": len(tried)})
    raise ProtocolError(ErrorCode.BAD_LOGIN, "wrong login or password", retry_after_s=round(wait, 1) if wait else None)


async def admit(room: Room, peer: Peer, student, device: str) -> p.LoginOk:
    """The right password: the student's connection, unless something keeps them out."""
    a = room.attempts[student.id]
    if room.attendance[student.id].present is False:
        raise ProtocolError(ErrorCode.ABSENT, "this student is marked absent; ask the administrator")
    if a.state == State.REMOVED:
        # Removed or not admitted (Annex 1 or 2): this slip never logs in again, and the
        # console shows that someone tried.
        room.removed_login_tries.add(student.id)
        room.mark(student.id)
        await room.record("server", student.id, "removed_login", {"address": peer.address})
        raise ProtocolError(ErrorCode.REMOVED, "the administrator has ended this student's test")
    current = room.online.get(student.id)
    other_device = a.device is not None and a.device != device and a.state != State.NOT_LOGGED_IN
    if (current is not None and a.device != device) or other_device:
        # A second computer: the proctor decides (an impostor, or a broken computer?).
        old = room.pending.get(student.id)
        if old and old[0] is not peer:
            old[0].close_soon(ErrorCode.REPLACED, "another login for this student is waiting instead")
        room.pending[student.id] = (peer, device)
        room.peer_student.pop(id(peer), None)
        await room.change_attempt(student.id, student.login, "second_login", {"address": peer.address})
        raise ProtocolError(ErrorCode.AWAITING_APPROVAL,
                            "this student is already logged in on another computer; the administrator must approve")
    return await bind(room, peer, student.id, device)


async def bind(room: Room, peer: Peer, student_id: int, device: str) -> p.LoginOk:
    """Makes `peer` the student's one live connection (closing an older one)."""
    student = room.students[student_id]
    a = room.attempts[student_id]
    old = room.online.get(student_id)
    if old is not None and old is not peer:
        room.peer_student.pop(id(old), None)
        old.close_soon(ErrorCode.REPLACED, "this student logged in again; this connection ends")
    room.online[student_id] = peer
    room.peer_student[id(peer)] = student_id
    a.offline_since_ms = None
    if a.device is not None and a.device != device:
        a.next_seq += NEW_COMPUTER_SEQ_GAP  # the computer left behind may still send its journal
    changes: dict[str, Any] = {"device": device, "last_seen_ms": now_ms()}
    if a.state == State.NOT_LOGGED_IN:
        changes["state"] = State.CONFIRMING
    await room.change_attempt(student_id, student.login, "login", {"address": peer.address}, **changes)
    return p.LoginOk(views.student_info(room, student_id), views.attempt_view(room, student_id))


@handles(p.ApproveLogin)
async def approve_login(room: Room, call: Call, msg: p.ApproveLogin) -> None:
    student = room.student_arg(msg.student)
    pending = room.pending.pop(student.id, None)
    if pending is None:
        raise ProtocolError(ErrorCode.NOT_FOUND, "no login is waiting for this student")
    peer, device = pending
    await room.change_attempt(student.id, "proctor", "second_login_approved" if msg.approve else "second_login_refused")
    if msg.approve:
        peer.send(p.Approval(True))
        peer.send(await bind(room, peer, student.id, device))
    else:
        peer.send(p.Approval(False))
        peer.close_soon(ErrorCode.REFUSED, "the administrator refused this login")


def disconnected(room: Room, peer: Peer) -> None:
    """A connection ended: a pending second login is forgotten, a student goes offline."""
    student_id = room.peer_student.pop(id(peer), None)
    for sid, (pending_peer, _) in list(room.pending.items()):
        if pending_peer is peer:
            del room.pending[sid]
            room.mark(sid)
    room.proctors.discard(peer)
    if room.staff.drop(peer):
        room.to_proctors(p.SittingChanged(views.sitting_view(room)))
    if student_id is not None and room.online.get(student_id) is peer:
        del room.online[student_id]
        a = room.attempts[student_id]
        a.offline_since_ms = a.last_seen_ms = now_ms()
        a.position_dirty = True
        room.mark(student_id)
        room.event(now_ms(), "server", student_id, "offline", {})


def seen(room: Room, peer: Peer) -> None:
    student_id = room.peer_student.get(id(peer))
    if student_id is not None:
        room.attempts[student_id].last_seen_ms = now_ms()

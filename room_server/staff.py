"""Teachers and principals at the room: questionnaire accounts with a slip each and no name.
They log in with the same app as the students and answer their questionnaire, sealed to the
analysis centre exactly like a student's; the room knows only whether each one answered."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import room_protocol as p
from content.model import Questionnaire
from content.questionnaire_loader import room_copy

from .model import StaffMember
from .storage import Database, questionnaire as questionnaire_rows, staff as staff_rows

if TYPE_CHECKING:
    from .room import Peer

class StaffAccounts:
    def __init__(self, database: Database, data_dir: Path):
        self.database = database
        self.data_dir = data_dir
        self.members: dict[int, StaffMember] = {}
        self.by_login: dict[str, StaffMember] = {}
        self.questionnaires: dict[tuple[str, str], Questionnaire] = {}  # (audience, language) -> questionnaire
        self.online: dict[int, "Peer"] = {}
        self._peer_member: dict[int, int] = {}  # id(peer) -> member id

    async def load(self) -> None:
        """The accounts and their questionnaires (read again when `room-server staff` added some)."""
        for audience, language, file in await questionnaire_rows.files(self.database):
            if audience != "student" and (audience, language) not in self.questionnaires:
                self.questionnaires[(audience, language)] = room_copy(self.data_dir / file)
        for member in await staff_rows.load(self.database):
            known = self.members.get(member.id)
            if known is None:
                self.members[member.id] = member
                self.by_login[member.login] = member

    async def find(self, login: str) -> StaffMember | None:
        """The account with this login; accounts added (`room-server staff`) while the room
        runs are read in on the first login that needs them."""
        member = self.by_login.get(login)
        if member is None and await staff_rows.newest(self.database) > max(self.members, default=0):
            await self.load()
            member = self.by_login.get(login)
        return member

    def of(self, peer: "Peer") -> StaffMember | None:
        member_id = self._peer_member.get(id(peer))
        return self.members.get(member_id) if member_id is not None else None

    def bind(self, peer: "Peer", member: StaffMember) -> None:
        old = self.online.get(member.id)
        if old is not None and old is not peer:
            self._peer_member.pop(id(old), None)
            old.close_soon(p.ErrorCode.REPLACED, "this slip logged in again on another computer; this connection ends")
        self.online[member.id] = peer
        self._peer_member[id(peer)] = member.id

    def drop(self, peer: "Peer") -> bool:
        """A connection ended; True if it was a staff member's."""
        member_id = self._peer_member.pop(id(peer), None)
        if member_id is None:
            return False
        if self.online.get(member_id) is peer:
            del self.online[member_id]
        return True

    def languages(self, audience: str) -> list[str]:
        return sorted(language for (aud, language) in self.questionnaires if aud == audience)

    def views(self, responded: set[str]) -> list[p.StaffView]:
        return [p.StaffView(m.login, m.audience, m.id in self.online, m.respondent in responded)
                for m in self.members.values()]

"""The proctor's session: the room watched live, and one method per action of the
administrator (docs/protocol.md, "The proctor")."""

from __future__ import annotations

import room_protocol as p

from .link import RoomLink


class ProctorClient(RoomLink):
    role = "proctor"

    def __init__(self, address: str, key: str, *, reconnect: bool = True, client_name: str = "synaq-proctor/1"):
        super().__init__(address, key=key, reconnect=reconnect, client_name=client_name)
        self._watching = False

    async def _reconnected(self) -> None:
        if self._watching:
            self._emit(await self.request(p.Watch()))  # a fresh snapshot, then live seats again

    async def watch(self) -> p.Room:
        """The room now; `seat`, `sitting_changed` and `event` pushes follow, also after a
        reconnect."""
        room = await self.request(p.Watch())
        self._watching = True
        return room

    async def open_sitting(self) -> None:
        await self.request(p.OpenSitting())

    async def close_sitting(self) -> None:
        await self.request(p.CloseSitting())

    async def switch_stream(self, stream: int) -> None:
        """Makes another stream of the day live: this connection closes with `stream_changed`
        and the session comes back watching the new stream (a `room` event)."""
        await self.request(p.SwitchStream(stream))

    async def add_stream(self, stream: int, roster: str, packs: list[str], questionnaires: list[str]) -> None:
        await self.request(p.AddStream(stream, roster, packs, questionnaires))

    async def attendance(self, student: int, present: bool, reason: str = "", document: str = "",
                         late: bool = False) -> None:
        await self.request(p.Attendance(student, present, reason, document, late))

    async def slips(self, student: int, *, handed: bool | None = None, collected: bool | None = None) -> None:
        await self.request(p.Slips(student, handed, collected))

    async def announce_break(self) -> None:
        await self.request(p.AnnounceBreak())

    async def end_room_break(self) -> None:
        await self.request(p.EndRoomBreak())

    async def pause(self, reason: str, note: str = "") -> None:
        await self.request(p.Pause(reason, note))

    async def resume(self) -> None:
        await self.request(p.Resume())

    async def extra_time(self, student: int, minutes: int, reason: str) -> None:
        await self.request(p.ExtraTime(student, minutes, reason))

    async def approve_login(self, student: int, approve: bool) -> None:
        await self.request(p.ApproveLogin(student, approve))

    async def incident(self, kind: str, student: int | None, fields: dict) -> p.IncidentView:
        return (await self.request(p.Incident(kind, student, fields))).incident

    async def incidents(self) -> list[p.IncidentView]:
        return (await self.request(p.ListIncidents())).incidents

    async def event_log(self, student: int | None = None, limit: int = 200) -> list[p.EventView]:
        return (await self.request(p.ListEvents(student, limit))).events

    async def protocol(self) -> p.ProtocolForm:
        return await self.request(p.GetProtocol())

    async def save_protocol(self, fields: dict) -> None:
        await self.request(p.SaveProtocol(fields))

    async def export(self, to: str) -> p.Exported:
        return await self.request(p.Export(to))

    async def print(self, what: str, to: str) -> p.Printed:
        return await self.request(p.Print(what, to))

    async def drives(self) -> list[p.DriveView]:
        return (await self.request(p.ListDrives())).drives

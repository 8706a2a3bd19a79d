"""The console's Export, Print and ListDrives, run off the event loop (students keep answering
while a bundle is written); each one goes into the audit log."""

from __future__ import annotations

import asyncio
from pathlib import Path

import room_protocol as p
from room_protocol import ErrorCode, ProtocolError

from .. import bundle as bn
from .. import drives
from ..dispatch import Call, handles
from ..paperwork import WHAT, PaperworkError, export_to, print_to
from ..room import Room
from ..signing import fingerprint_for_paper

_EXPORT_CODES = {"target": ErrorCode.BAD_FIELD, "read_only": ErrorCode.BAD_FIELD, "no_space": ErrorCode.BAD_FIELD,
                 "write": ErrorCode.INTERNAL, "check": ErrorCode.INTERNAL}


@handles(p.ListDrives)
async def list_drives(room: Room, call: Call, msg: p.ListDrives) -> p.Drives:
    return p.Drives([p.DriveView(**drive) for drive in await asyncio.to_thread(drives.list_drives)])


@handles(p.Print)
async def print_form(room: Room, call: Call, msg: p.Print) -> p.Printed:
    if msg.what not in WHAT:
        raise ProtocolError(ErrorCode.BAD_FIELD, f"print: 'what' must be one of {', '.join(WHAT)}")
    if not msg.to.strip():
        raise ProtocolError(ErrorCode.BAD_FIELD, "print: 'to' must name a PDF file or a folder")
    try:
        path = await asyncio.to_thread(print_to, room.data_dir, msg.what, Path(msg.to), room.browser_url)
    except PaperworkError as exc:
        code = ErrorCode.NOT_FOUND if "no acts" in str(exc) else ErrorCode.BAD_FIELD
        raise ProtocolError(code, str(exc)) from None
    await room.record("proctor", None, "printed", {"what": msg.what, "path": str(path)})
    return p.Printed(str(path.resolve()))


@handles(p.Export)
async def export(room: Room, call: Call, msg: p.Export) -> p.Exported:
    if not msg.to.strip():
        raise ProtocolError(ErrorCode.BAD_FIELD, "export: 'to' must name a folder (a USB stick)")
    try:
        result = await asyncio.to_thread(export_to, room.data_dir, Path(msg.to))
    except bn.ExportError as exc:
        raise ProtocolError(_EXPORT_CODES.get(exc.kind, ErrorCode.INTERNAL), str(exc)) from None
    except PaperworkError as exc:
        raise ProtocolError(ErrorCode.INTERNAL, str(exc)) from None
    # In the audit log after the bundle's snapshot, so in the next export.
    await room.record("proctor", None, "exported", {"bundle": str(result.path), "files": result.files,
                                                     "bytes": result.bytes})
    return p.Exported(str(result.path.resolve()), result.files, result.bytes, fingerprint_for_paper(result.fingerprint))

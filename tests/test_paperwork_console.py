"""The console's Print, Export and ListDrives over a real server connection."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pypdf import PdfReader

from paperwork_support import (copy_room, fat_tools, live_server, logins, make_fat_image, mount_fat, proctor,
                               run_sitting, unmount)
from room_client import StudentClient, ServerError
from room_server import drives
from room_server.bundle_verify import verify_bundle
import room_protocol as p


@pytest.fixture(scope="module")
def sat_room(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("sat") / "room"
    asyncio.run(run_sitting(data))
    return data


@pytest.fixture
def room(sat_room, tmp_path) -> Path:
    return copy_room(sat_room, tmp_path / "room")


async def test_print_every_form_from_the_console(room, tmp_path):
    async with live_server(room) as addr:
        boss = await proctor(addr, room)
        try:
            for what in ("slips", "staff", "seating", "acts", "protocol"):
                reply = await boss.request(p.Print(what, str(tmp_path / f"{what}.pdf")))
                assert isinstance(reply, p.Printed) and Path(reply.path) == (tmp_path / f"{what}.pdf").resolve()
                assert PdfReader(reply.path).pages
            folder = tmp_path / "out"
            folder.mkdir()
            reply = await boss.request(p.Print("protocol", str(folder)))
            assert Path(reply.path).parent == folder.resolve() and Path(reply.path).suffix == ".pdf"
            with pytest.raises(ServerError) as bad:
                await boss.request(p.Print("diploma", str(tmp_path / "x.pdf")))
            assert bad.value.code == p.ErrorCode.BAD_FIELD and "slips, staff, seating, acts, protocol" in bad.value.reason
            with pytest.raises(ServerError) as bad:
                await boss.request(p.Print("seating", str(tmp_path / "missing" / "x.pdf")))
            assert bad.value.code == p.ErrorCode.BAD_FIELD and "does not exist" in bad.value.reason
            # The room still works after a refusal.
            assert isinstance(await boss.request(p.Print("seating", str(tmp_path / "again.pdf"))), p.Printed)
        finally:
            await boss.close()


async def test_export_from_the_console_and_its_refusals(room, tmp_path, capsys):
    usb = tmp_path / "usb"
    usb.mkdir()
    async with live_server(room) as addr:
        boss = await proctor(addr, room)
        try:
            reply = await boss.request(p.Export(str(usb)))
            assert isinstance(reply, p.Exported)
            bundle = Path(reply.bundle)
            assert bundle.parent == usb.resolve()
            assert reply.files == sum(1 for q in bundle.rglob("*") if q.is_file())
            assert reply.bytes == sum(q.stat().st_size for q in bundle.rglob("*") if q.is_file())
            assert verify_bundle(bundle).ok
            from room_server.signing import fingerprint_for_paper, room_fingerprint
            assert reply.fingerprint == fingerprint_for_paper(room_fingerprint(room))  # what the paper shows
            second = await boss.request(p.Export(str(usb)))
            assert Path(second.bundle).name == bundle.name + "_2"
            with pytest.raises(ServerError) as bad:
                await boss.request(p.Export(str(tmp_path / "no-stick")))
            assert bad.value.code == p.ErrorCode.BAD_FIELD and "does not exist" in bad.value.reason
            with pytest.raises(ServerError) as bad:
                await boss.request(p.Export(""))
            assert bad.value.code == p.ErrorCode.BAD_FIELD
        finally:
            await boss.close()


async def test_a_student_cannot_print_or_export(room, tmp_path):
    person = logins(room)[10]
    async with live_server(room) as addr:
        student = StudentClient(addr, reconnect=False)
        await student.connect()
        try:
            await student.login(person["login"], person["password"], "pc-x")
            for msg in (p.Export(str(tmp_path)), p.Print("slips", str(tmp_path / "s.pdf")), p.ListDrives()):
                with pytest.raises(ServerError) as bad:
                    await student.request(msg)
                assert bad.value.code == p.ErrorCode.FORBIDDEN
        finally:
            await student.close()
    assert not list(tmp_path.glob("*.pdf")) and not list(tmp_path.glob("MODO_*"))


async def test_list_drives_shows_a_mounted_stick_and_export_to_it_read_only_is_refused(room, tmp_path, monkeypatch):
    reason = fat_tools()
    media = tmp_path / "media"
    media.mkdir()
    # The drives under this test's own media folder, as /media is on a laptop.
    monkeypatch.setattr(drives, "list_drives", lambda: drives.linux_drives(media_roots=(str(media) + "/",)))
    mounted = []
    try:
        if reason is None:
            for name, read_only in (("STICK", False), ("LOCKED", True)):
                make_fat_image(tmp_path / f"{name}.img", 4096)
                failure = mount_fat(tmp_path / f"{name}.img", media / name, read_only=read_only)
                if failure:
                    reason = failure
                    break
                mounted.append(media / name)
        async with live_server(room) as addr:
            boss = await proctor(addr, room)
            try:
                reply = await boss.request(p.ListDrives())
                assert isinstance(reply, p.Drives)
                for drive in reply.drives:
                    assert set(drive.to_wire()) == {"path", "label", "free_bytes", "removable"}
                if reason is not None:
                    print(f"SKIPPED the FAT part: {reason}")
                    pytest.skip(reason)
                by_label = {d.label: d for d in reply.drives}
                assert set(by_label) == {"STICK", "LOCKED"}
                assert by_label["STICK"].removable and by_label["STICK"].free_bytes > 3_000_000
                exported = await boss.request(p.Export(by_label["STICK"].path))
                assert verify_bundle(Path(exported.bundle)).ok
                with pytest.raises(ServerError) as bad:
                    await boss.request(p.Export(by_label["LOCKED"].path))
                assert bad.value.code == p.ErrorCode.BAD_FIELD and "read-only" in bad.value.reason
            finally:
                await boss.close()
    finally:
        for point in mounted:
            unmount(point)

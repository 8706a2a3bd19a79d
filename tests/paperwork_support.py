"""A real sitting for the paperwork tests: the demo room (grade 9, kk and ru, Kazakh names)
served on loopback, simulated students taking the whole test through the real client, and a
proctor doing what the procedure asks — an absence with its document, a prohibited-item act
(the student removed, results annulled), an impostor act, a power pause, extra time, the
protocol's own fields — while one student is still testing."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import random
import shutil
import socket
import subprocess
from pathlib import Path
from typing import AsyncIterator

from aiohttp.test_utils import TestServer

from room_client import ProctorClient, StudentClient
import room_protocol as p
from room_server.app import create_app
from room_server.demo import make_demo_room
from room_server.newroom import read_proctor_key
from room_tools.sim import SimStudent, random_value

FINISHERS = 5  # students who take the whole test and the questionnaire
ADMINISTRATOR = "Жақсылықова Әйгерім Нұрланқызы"
MINISTRY_REP = "Қасымова Гүлнар Маратқызы"
ITEM_FOUND = "Samsung ұялы телефоны, 1 дана"
IMPOSTOR = "Бөтенов Ғалымжан Серікұлы"
ABSENCE = "ауырып қалды / болеет"
ABSENCE_DOC = "дәрігер анықтамасы №47"
REMARKS = "Ескертулер жоқ. Замечаний нет."
PAUSE_NOTE = "жарық сөнді / отключили свет"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def live_server(data: Path) -> AsyncIterator[str]:
    """The real aiohttp app over a real socket; yields HOST:PORT."""
    port = free_port()
    server = TestServer(create_app(data, f"127.0.0.1:{port}"), host="127.0.0.1", port=port)
    await server.start_server()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.close()


def logins(data: Path) -> list[dict]:
    with open(data / "demo-logins.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


async def proctor(addr: str, data: Path) -> StudentClient:
    client = ProctorClient(addr, read_proctor_key(data), reconnect=False)
    await client.connect()
    return client


async def student_ids(client: StudentClient) -> dict[str, int]:
    room = await client.watch()
    return {seat.login: seat.student for seat in room.seats}


async def start_student(addr: str, login: str, password: str, answers: int) -> StudentClient:
    """A student who logs in, starts and answers a few items, then stays in the test."""
    client = StudentClient(addr, client_name="paperwork-test/1", reconnect=False)
    await client.connect()
    login_ok = await client.login(login, password, f"pc-{login}")
    if login_ok.attempt.state == "confirming":
        await client.confirm_data()
    test = await client.start()
    assert isinstance(test, p.Test), test
    rng = random.Random(login)
    items = [item for subject in test.subjects[:1] for item in subject.items][:answers]
    for item in items:
        client.answer(item.id, random_value(item, rng))
    for _ in range(400):
        if not client.waiting_count():
            break
        await asyncio.sleep(0.025)
    assert not client.waiting_count(), "answers were never acknowledged"
    return client


async def run_sitting(data: Path) -> dict:
    """Makes the room in `data` and runs the sitting described above; the server is stopped
    at the end, one student still testing. Returns facts the tests check against."""
    await make_demo_room(data, open_sitting=True)
    people = logins(data)
    async with live_server(data) as addr:
        boss = await proctor(addr, data)
        ids = await student_ids(boss)
        absent = people[-1]
        await boss.request(p.Attendance(student=ids[absent["login"]], present=False, reason=ABSENCE, document=ABSENCE_DOC))
        for person in people[:FINISHERS + 2]:
            await boss.request(p.Slips(student=ids[person["login"]], handed=True))
        sims = [SimStudent(addr, person["login"], person["password"], think=0, rng=random.Random(i), take_break=False)
                for i, person in enumerate(people[:FINISHERS])]
        reports = await asyncio.gather(*(s.run() for s in sims))
        assert all(r.finished for r in reports), [r.error for r in reports]

        removed = people[FINISHERS]
        removed_client = await start_student(addr, removed["login"], removed["password"], 3)
        await boss.request(p.Incident(kind="annex1", student=ids[removed["login"]],
                                  fields={"item_found": ITEM_FOUND, "ministry_rep": MINISTRY_REP,
                                          "drawn_up_by": ADMINISTRATOR, "org_code": "270001"}))
        impostor_for = people[FINISHERS + 2]
        await boss.request(p.Incident(kind="annex2", student=ids[impostor_for["login"]],
                                  fields={"impostor_name": IMPOSTOR, "ministry_rep": MINISTRY_REP,
                                          "decision": "not_admitted_only"}))
        await boss.request(p.Pause(reason="power", note=PAUSE_NOTE))
        await boss.request(p.Resume())
        still = people[FINISHERS + 1]
        still_client = await start_student(addr, still["login"], still["password"], 2)
        await boss.request(p.ExtraTime(student=ids[still["login"]], minutes=10, reason="компьютер ауыстырылды"))
        await boss.request(p.SaveProtocol(fields={"administrator": ADMINISTRATOR, "remarks": REMARKS,
                                              "org_code": "270001"}))
        for client in (removed_client, still_client, boss):
            await client.close()
    return {"absent": absent, "removed": removed, "impostor_for": impostor_for, "still": still,
            "finishers": people[:FINISHERS], "ids": ids}


def copy_room(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


# ------------------------------------------------------------------------- FAT images

def fat_tools() -> str | None:
    """None when FAT images can be made and mounted through FUSE here, else the reason."""
    missing = [tool for tool in ("mkfs.vfat", "fusefat") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not installed (apt-get install dosfstools fusefat fuse3)"
    if not Path("/dev/fuse").exists():
        return "/dev/fuse is missing: FUSE is not available on this machine"
    if shutil.which("fusermount") is None and shutil.which("fusermount3") is None:
        return "fusermount is not installed (apt-get install fuse3)"
    return None


def make_fat_image(path: Path, kilobytes: int) -> None:
    """A blank FAT image (no volume label: fusefat would list it as a file)."""
    with open(path, "wb") as f:
        f.truncate(kilobytes * 1024)
    subprocess.run(["mkfs.vfat", str(path)], check=True, capture_output=True)


def mount_fat(image: Path, mountpoint: Path, *, read_only: bool = False) -> str | None:
    """Mounts the image with fusefat; returns None on success or the reason it failed."""
    mountpoint.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["fusefat", "-o", "ro" if read_only else "rw+", str(image), str(mountpoint)],
                            capture_output=True, text=True, timeout=30)
    if result.returncode != 0 or not _is_mounted(mountpoint):
        return f"fusefat could not mount {image.name}: {(result.stderr or result.stdout).strip()[:300]}"
    return None


def _is_mounted(mountpoint: Path) -> bool:
    try:
        text = Path("/proc/self/mounts").read_text()
    except OSError:
        return False
    return any(line.split()[1] == str(mountpoint) for line in text.splitlines() if len(line.split()) > 1)


def unmount(mountpoint: Path) -> None:
    for tool in ("fusermount", "fusermount3"):
        if shutil.which(tool) and subprocess.run([tool, "-u", str(mountpoint)], capture_output=True).returncode == 0:
            return
    if _is_mounted(mountpoint):
        subprocess.run(["fusermount", "-uz", str(mountpoint)], capture_output=True)


def opened(data: Path, bundle: Path) -> Path:
    """A copy of the bundle with every sealed file opened, as the analysis centre opens it
    with its private key (the demo room's trial centre key, beside the room)."""
    import base64

    from room_protocol import seal
    from room_server.bundle import SEALED_SUFFIX, sealed_info
    private = base64.b64decode((data / "demo-centre" / "centre.key").read_text())
    target = bundle.parent / (bundle.name + "-opened")
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(bundle, target)
    for path in list(target.rglob("*" + SEALED_SUFFIX)):
        name = path.relative_to(target).as_posix().removesuffix(SEALED_SUFFIX)
        (target / name).write_bytes(seal.open_sealed(private, path.read_bytes(), sealed_info(name)))
        path.unlink()
    return target

"""The login slips name the browser seats' address while the room serves them: from the
console's Print on a running server, and from `room-server print slips --browser-address`.
The PDF's text is read back with pypdf."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

import room_protocol as p
from conftest import next_event
from room_server.cli import main as cli_main
from test_seats import seat_room


def slip_text(path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(path.read_bytes())).pages)


def urls(text: str) -> list[str]:
    return re.findall(r"Браузерде / В браузере:\s+(http://\S+)", text)


async def test_the_consoles_print_puts_the_browser_address_on_every_slip(tmp_path):
    room = await seat_room(tmp_path)
    room.room.server = room.server  # the console's client reaches this server
    try:
        proctor = await room.room.proctor()
        printed = await proctor.print("slips", str(tmp_path / "slips.pdf"))
        text = slip_text(tmp_path / "slips.pdf")
        assert printed.path.endswith("slips.pdf")
        assert urls(text) == [f"http://127.0.0.1:{room.server.port}/"] * len(room.room.logins)
        assert all(row["login"] in text for row in room.room.logins)
    finally:
        await room.room.close_clients()
        await room.close()


async def test_without_browser_seats_the_slips_name_no_address(live):
    proctor = await live.proctor()
    await proctor.print("slips", str(live.dir.parent / "slips.pdf"))
    text = slip_text(live.dir.parent / "slips.pdf")
    assert "http://" not in text and "браузер" not in text.casefold()
    assert all(row["password"] in text for row in live.logins)


async def test_print_slips_from_the_command_line_with_the_browser_address(tmp_path, capsys):
    from conftest import make_room
    room = await make_room(tmp_path)
    out = tmp_path / "slips.pdf"
    args = ["print", "slips", "--data", str(room.dir), "--out", str(out)]
    assert cli_main([*args, "--browser-address", "192.168.1.10:8765"]) == 0
    assert urls(slip_text(out)) == ["http://192.168.1.10:8765/"] * len(room.logins)
    out.unlink()
    assert cli_main([*args, "--browser-address", "192.168.1.10"]) == 1  # no port
    assert "--browser-address: '192.168.1.10' is not HOST:PORT" in capsys.readouterr().err
    assert not out.exists()


async def test_a_day_of_streams_keeps_its_seats_and_the_address_on_the_slips_across_a_switch(tmp_path):
    from aiohttp.test_utils import TestServer

    from conftest import LiveRoom, free_port
    from room_client import ProctorClient
    from room_server.app import create_app
    from room_server.newroom import read_proctor_key
    from room_server.seats.web import SEATS, SeatOptions
    from test_streams import make_day

    folder, nine, four = await make_day(tmp_path)  # stream 1: 4 students of grade 9; stream 2: 3 of grade 4
    port = free_port()
    server = TestServer(create_app(folder, f"127.0.0.1:{port}", seats=SeatOptions(room_address=f"127.0.0.1:{port}")),
                        host="127.0.0.1", port=port)
    await server.start_server()
    live = LiveRoom(folder, read_proctor_key(folder), nine + four, server=server)
    try:
        registry = server.app[SEATS]
        assert registry.folder == folder / "seats"  # the day's, not one stream's: a computer keeps its seat
        assert registry.limits.max_seats == len(nine) + 5  # the largest stream's roster plus the margin
        proctor = ProctorClient(live.address, live.key, reconnect=True)
        live.clients.append(proctor)
        await proctor.connect()
        await proctor.watch()
        await proctor.switch_stream(2)
        await next_event(proctor, lambda e: isinstance(e, p.Room) and e.sitting.grade == 4, timeout=15)
        await proctor.print("slips", str(tmp_path / "slips-4.pdf"))
        text = slip_text(tmp_path / "slips-4.pdf")
        assert urls(text) == [f"http://127.0.0.1:{port}/"] * len(four)
        assert all(row["login"] in text for row in four) and not any(row["login"] in text for row in nine)
    finally:
        await live.close_clients()
        await server.close()

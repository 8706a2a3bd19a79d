"""The login slips name the browser seats' address while the room serves them: from the
console's Print on a running server, and from `room-server print slips --browser-address`.
The PDF's text is read back with pypdf."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

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

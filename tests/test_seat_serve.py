"""The address `room-server serve` prints for browser seats, through the real command: the line
is read from its output as the administrator reads it, and every address on it is opened."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

from aiohttp import ClientSession

from conftest import free_port, make_room

BROWSER_LINE = "Browser seats open: "
LAST_LINE = "Proctor key: "  # printed after the addresses, once the server listens


async def serve_lines(data: Path, *args: str) -> tuple[asyncio.subprocess.Process, list[str]]:
    """Starts `room-server serve` and returns its output up to the proctor key's line."""
    server = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "room-server"), "serve", "--data", str(data), "--no-zeroconf", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    lines: list[str] = []
    try:
        while not (lines and lines[-1].startswith(LAST_LINE)):
            line = await asyncio.wait_for(server.stdout.readline(), 60)
            assert line, "room-server serve ended:\n" + "\n".join(lines)
            lines.append(line.decode().rstrip("\n"))
    except BaseException:
        await stop(server)
        raise
    return server, lines


async def stop(server: asyncio.subprocess.Process) -> None:
    if server.returncode is None:
        server.terminate()
        try:
            await asyncio.wait_for(server.wait(), 15)
        except asyncio.TimeoutError:
            server.kill()
            await server.wait()


def browser_urls(lines: list[str]) -> list[str]:
    found = [line[len(BROWSER_LINE):].split() for line in lines if line.startswith(BROWSER_LINE)]
    assert len(found) == 1, lines
    return found[0]


async def assert_a_seat_page(session: ClientSession, url: str) -> None:
    async with session.get(url) as reply:
        assert reply.status == 200, url
        page = await reply.text()
    assert "<title>Synaq</title>" in page and "/seat/static/textual.js" in page and "0.0.0.0" not in page
    async with session.get(url + "seat/static/textual.js") as reply:
        assert reply.status == 200 and "javascript" in reply.content_type


async def test_serve_prints_the_address_browsers_open_and_it_serves_the_seat_page(tmp_path):
    room = await make_room(tmp_path)
    port = free_port()
    server, lines = await serve_lines(room.dir, "--host", "127.0.0.1", "--port", str(port))
    try:
        assert f"Students connect to: 127.0.0.1:{port}" in lines
        assert browser_urls(lines) == [f"http://127.0.0.1:{port}/"]
        async with ClientSession() as session:
            await assert_a_seat_page(session, browser_urls(lines)[0])
    finally:
        await stop(server)


async def test_bound_to_every_interface_it_prints_addresses_a_browser_can_open_never_0_0_0_0(tmp_path):
    room = await make_room(tmp_path)
    port = free_port()
    server, lines = await serve_lines(room.dir, "--host", "0.0.0.0", "--port", str(port))
    try:
        urls = browser_urls(lines)
        assert urls and all(re.fullmatch(rf"http://\d+\.\d+\.\d+\.\d+:{port}/", url) for url in urls), urls
        assert not [url for url in urls if "0.0.0.0" in url]
        async with ClientSession() as session:
            for url in urls:  # this machine's own addresses: each one serves the page
                await assert_a_seat_page(session, url)
    finally:
        await stop(server)


async def test_without_browser_seats_serve_prints_no_browser_address_and_serves_no_seat_page(tmp_path):
    room = await make_room(tmp_path)
    port = free_port()
    server, lines = await serve_lines(room.dir, "--host", "127.0.0.1", "--port", str(port), "--no-browser")
    try:
        assert not [line for line in lines if line.startswith(BROWSER_LINE)], lines
        async with ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/") as reply:
                assert reply.content_type == "text/plain" and "student-tui" in await reply.text()
            async with session.get(f"http://127.0.0.1:{port}/seat/static/textual.js") as reply:
                assert reply.status == 404
    finally:
        await stop(server)

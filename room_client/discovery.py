"""Finding rooms on the LAN by zeroconf. Where multicast is blocked, nothing is found and
the app asks for the typed address instead."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from zeroconf import IPVersion, ServiceStateChange
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from room_protocol import SERVICE_TYPE


@dataclass(frozen=True)
class FoundRoom:
    name: str
    address: str  # HOST:PORT
    school: str
    room: str
    grade: str
    version: str


async def discover(timeout: float = 3.0, *, wait_for_first: bool = False) -> list[FoundRoom]:
    """Browses for `timeout` seconds and returns the rooms found (empty if none)."""
    found: dict[str, FoundRoom] = {}
    names: list[str] = []
    tasks: set[asyncio.Task] = set()
    first = asyncio.Event()
    azc = AsyncZeroconf(ip_version=IPVersion.V4Only)

    async def resolve(name: str) -> None:
        info = AsyncServiceInfo(SERVICE_TYPE, name)
        if await info.async_request(azc.zeroconf, 2000):
            addresses = info.parsed_addresses(IPVersion.V4Only)
            if addresses and info.port:
                props = {k.decode(): (v or b"").decode("utf-8", "replace") for k, v in info.properties.items()}
                found[name] = FoundRoom(name, f"{addresses[0]}:{info.port}", props.get("school", ""),
                                        props.get("room", ""), props.get("grade", ""), props.get("v", ""))
                first.set()

    def on_change(zeroconf, service_type: str, name: str, state_change: ServiceStateChange) -> None:
        if state_change in (ServiceStateChange.Added, ServiceStateChange.Updated) and name not in names:
            names.append(name)
            task = asyncio.ensure_future(resolve(name))
            tasks.add(task)  # keep a reference until it is done
            task.add_done_callback(tasks.discard)

    browser = AsyncServiceBrowser(azc.zeroconf, [SERVICE_TYPE], handlers=[on_change])
    try:
        if wait_for_first:
            try:
                await asyncio.wait_for(first.wait(), timeout)
            except asyncio.TimeoutError:
                pass
        else:
            await asyncio.sleep(timeout)
        if tasks:
            await asyncio.wait(tasks, timeout=2.0)
    finally:
        await browser.async_cancel()
        await azc.async_close()
    return sorted(found.values(), key=lambda r: (r.school, r.room, r.address))

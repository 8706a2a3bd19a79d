"""Advertising the room on the LAN with zeroconf (mDNS / DNS-SD).

School Wi-Fi often blocks multicast, so the typed address (`room_addresses`) is always
shown too. The service's TXT record says which room this is, so a student picks the right
one when several rooms advertise.
"""

from __future__ import annotations

import ipaddress
import socket

import ifaddr
from zeroconf import IPVersion, ServiceInfo
from zeroconf.asyncio import AsyncZeroconf

from room_protocol import PROTOCOL_VERSION, SERVICE_TYPE


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses a student's computer could reach (not loopback)."""
    found = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if isinstance(ip.ip, str):
                address = ipaddress.ip_address(ip.ip)
                if not address.is_loopback and not address.is_link_local:
                    found.append(ip.ip)
    return sorted(set(found))


def room_addresses(host: str, port: int) -> list[str]:
    """What to type on a student's computer where discovery fails."""
    if host in ("", "0.0.0.0", "::"):
        hosts = lan_addresses() or ["127.0.0.1"]
    else:
        hosts = [host]
    return [f"{h}:{port}" for h in hosts]


class Advertiser:
    """Registers the room's service; one AsyncZeroconf for the process."""

    def __init__(self, host: str, port: int, txt: dict[str, str]):
        self.host = host
        self.port = port
        self.txt = {**txt, "v": str(PROTOCOL_VERSION)}
        self.zeroconf: AsyncZeroconf | None = None
        self.info: ServiceInfo | None = None

    async def start(self) -> None:
        addresses = lan_addresses() if self.host in ("", "0.0.0.0", "::") else [self.host]
        if not addresses:
            return  # no LAN: nothing to advertise on; the typed address still works
        name = instance_name(self.txt.get("school", ""), self.txt.get("room", ""), socket.gethostname(), self.port)
        properties = {key: cut_utf8(value, TXT_VALUE_BYTES) for key, value in self.txt.items()}
        self.info = ServiceInfo(
            SERVICE_TYPE, f"{name}.{SERVICE_TYPE}", port=self.port, properties=properties,
            parsed_addresses=addresses, server=f"synaq-{self.port}-{socket.gethostname()[:20]}.local.",
        )
        interfaces = addresses if self.host not in ("", "0.0.0.0", "::") else None
        self.zeroconf = AsyncZeroconf(ip_version=IPVersion.V4Only, **({"interfaces": interfaces} if interfaces else {}))
        await (await self.zeroconf.async_register_service(self.info, allow_name_change=True))

    async def stop(self) -> None:
        if self.zeroconf is not None:
            if self.info is not None:
                await self.zeroconf.async_unregister_service(self.info)
            await self.zeroconf.async_close()
            self.zeroconf = None


# A DNS label holds 63 bytes (RFC 6763 §4.1.1); zeroconf appends "-2", "-3"... to a name that
# clashes on the LAN, so the name we choose leaves room for that.
INSTANCE_BYTES = 63 - len("-99")
TXT_VALUE_BYTES = 200  # a TXT string holds 255 bytes, "school=" included


def cut_utf8(text: str, limit: int) -> str:
    """At most `limit` bytes of UTF-8, cut on a character boundary (Kazakh letters take two)."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore").rstrip()


def instance_name(school: str, room: str, host: str, port: int) -> str:
    """The service's instance name as a student's computer lists it: the school (cut to fit),
    then what makes it unique — the room, the laptop and the port — never cut away."""
    tail = f", {cut_utf8(room.replace('.', ' ').strip(), 12) or '-'} ({_host_label(host)}:{port})"
    head = cut_utf8(" ".join(school.replace(".", " ").split()) or "Synaq", INSTANCE_BYTES - len(tail.encode("utf-8")))
    return head + tail


def _host_label(host: str) -> str:
    """The laptop's name without its domain, short and free of dots."""
    return cut_utf8(host.split(".")[0], 10) or "room"

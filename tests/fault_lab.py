"""The fault harness's laboratory: network namespaces joined by veth pairs (links set down, dropped
or squeezed) and the room server as a process that can be killed and started again."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


REPO = Path(__file__).resolve().parent.parent
PY = sys.executable


def wall_ms() -> int:
    return int(time.time() * 1000)


def log(msg: str) -> None:
    print(f"[harness {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---------------------------------------------------------------------------------------
# The network: student namespaces joined to the server's namespace by veth pairs


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=20)


def netns_unavailable() -> str | None:
    """Why namespaces cannot be used here, or None when they can."""
    if os.name != "posix" or os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "the `ip` command (iproute2) is missing"
    probe = f"sqprobe{os.getpid() % 100000}"
    try:
        _ip("netns", "add", probe)
    except (subprocess.SubprocessError, OSError) as exc:
        return f"`ip netns add` failed: {getattr(exc, 'stderr', '') or exc}".strip()
    _ip("netns", "del", probe, check=False)
    return None


@dataclass
class Link:
    index: int
    ns: str
    host_if: str  # the server's end
    ns_if: str  # the student's end
    server_ip: str
    student_ip: str
    dropping: bool = False
    squeezed: bool = False
    down: bool = False


class NetLab:
    """Namespaces, veth pairs, iptables rules and tc qdiscs made by this run; all removed
    by `cleanup()` (deleting a namespace removes its end of the pair, its rules and
    qdiscs, and the pair itself)."""

    def __init__(self) -> None:
        self.tag = os.getpid() % 10000
        self.octet = 100 + self.tag % 100  # addresses 169.254.<octet>.x: link-local, on these links only
        self.links: list[Link] = []
        self.iptables = shutil.which("iptables") is not None
        self.tc = shutil.which("tc") is not None

    def add(self) -> Link:
        index = len(self.links)
        if index >= 60:
            raise RuntimeError("at most 60 namespaces")
        link = Link(index, f"sqf{self.tag}n{index}", f"sqf{self.tag}h{index}", f"sqf{self.tag}s{index}",
                    f"169.254.{self.octet}.{4 * index + 1}", f"169.254.{self.octet}.{4 * index + 2}")
        self.links.append(link)  # listed first, so cleanup removes even a half-made one
        _ip("netns", "add", link.ns)
        _ip("link", "add", link.host_if, "type", "veth", "peer", "name", link.ns_if, "netns", link.ns)
        _ip("addr", "add", f"{link.server_ip}/30", "dev", link.host_if)
        _ip("link", "set", link.host_if, "up")
        _ip("-n", link.ns, "addr", "add", f"{link.student_ip}/30", "dev", link.ns_if)
        _ip("-n", link.ns, "link", "set", link.ns_if, "up")
        _ip("-n", link.ns, "link", "set", "lo", "up")
        return link

    def set_down(self, link: Link, down: bool) -> None:
        _ip("-n", link.ns, "link", "set", link.ns_if, "down" if down else "up")
        link.down = down

    def set_drop(self, link: Link, drop: bool) -> None:
        """Silently drop everything between the student and the server, inside the
        student's namespace: no RST, no error; the server sees a half-open connection."""
        action = "-A" if drop else "-D"
        for chain, flag in (("INPUT", "-s"), ("OUTPUT", "-d")):
            subprocess.run(["ip", "netns", "exec", link.ns, "iptables", action, chain, flag, link.server_ip, "-j", "DROP"],
                           capture_output=True, text=True, check=drop, timeout=20)
        link.dropping = drop

    def set_squeeze(self, link: Link, squeeze: bool) -> None:
        if squeeze:
            _ip("netns", "exec", link.ns, "tc", "qdisc", "add", "dev", link.ns_if, "root", "tbf",
                "rate", "64kbit", "burst", "4kb", "latency", "400ms")
            subprocess.run(["tc", "qdisc", "add", "dev", link.host_if, "root", "tbf", "rate", "64kbit", "burst", "4kb",
                            "latency", "400ms"], capture_output=True, check=True, timeout=20)
        else:
            _ip("netns", "exec", link.ns, "tc", "qdisc", "del", "dev", link.ns_if, "root", check=False)
            subprocess.run(["tc", "qdisc", "del", "dev", link.host_if, "root"], capture_output=True, timeout=20)
        link.squeezed = squeeze

    def cleanup(self) -> None:
        for link in self.links:
            with contextlib.suppress(Exception):
                _ip("netns", "del", link.ns, check=False)
            with contextlib.suppress(Exception):
                _ip("link", "del", link.host_if, check=False)
        self.links.clear()


# ---------------------------------------------------------------------------------------
# The server process


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """`room-server serve` as a subprocess: started, SIGKILLed, started again on the same
    port and data folder."""

    def __init__(self, data: Path, port: int, log_path: Path, host: str = "127.0.0.1"):
        self.data, self.port, self.log_path, self.host = data, port, log_path, host
        self.proc: subprocess.Popen | None = None
        self.kills = 0
        self.peak_rss_mb = 0.0

    def start(self, timeout: float = 30.0) -> None:
        logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [PY, "-m", "room_server.cli", "serve", "--data", str(self.data), "--host", self.host,
             "--port", str(self.port), "--no-zeroconf"],
            cwd=REPO, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        logf.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}; see {self.log_path}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return
            time.sleep(0.05)
        raise RuntimeError(f"the server did not listen within {timeout} s")

    def sample_rss(self) -> float:
        try:
            import psutil
            rss = psutil.Process(self.proc.pid).memory_info().rss / 2**20
        except Exception:
            return 0.0
        self.peak_rss_mb = max(self.peak_rss_mb, rss)
        return rss

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.sample_rss()
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
            self.kills += 1

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


# ---------------------------------------------------------------------------------------
# A group of simulated students (runs in its own process, maybe in a namespace)

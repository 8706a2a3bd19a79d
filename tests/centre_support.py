"""Helpers for the centre's tests: a real sitting exported to a stick, and a fingerprint of a
dataset's files for "nothing was written" checks."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
from pathlib import Path

from paperwork_support import run_sitting
from room_server.cli import main as room_server

IGNORED = {".lock", "quarantine.csv"}  # the writer's lock and the list of refused bundles


def export_real_sitting(folder: Path, region: str = "KZ-ALM") -> tuple[Path, Path, dict]:
    """A real room (the demo roster, simulated students over the real protocol, a proctor's
    absences and acts), exported by `room-server export` onto `folder/stick/<region>/`.
    Returns (room folder, bundle folder, facts)."""
    room = folder / "room"
    facts = asyncio.run(run_sitting(room))
    stick = folder / "stick" / region
    stick.mkdir(parents=True)
    assert room_server(["export", "--data", str(room), "--to", str(stick)]) == 0
    (bundle,) = list(stick.iterdir())
    return room, bundle, facts


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under `root` (but the lock and the quarantine list) and its SHA-256."""
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name not in IGNORED}


def copy_bundle(bundle: Path, to: Path) -> Path:
    target = to / bundle.name
    shutil.copytree(bundle, target)
    return target

"""What the student app keeps on this computer between starts: the room's address, the
interface language, a random device id, the journal of unsent answers and the log file."""

from __future__ import annotations

import json
import logging
import os
import secrets
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

log = logging.getLogger("synaq.student")

LANGUAGES = ("kk", "ru", "en")


def default_state_dir() -> Path:
    """A per-user folder: %APPDATA%\\Synaq\\student on Windows, the XDG state folder elsewhere."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
        return base / "Synaq" / "student"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "Synaq" / "student"
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "synaq-student"


@dataclass
class Settings:
    address: str = ""
    language: str = "kk"
    device: str = field(default_factory=lambda: secrets.token_hex(8))

    @classmethod
    def load(cls, folder: Path) -> "Settings":
        path = folder / "settings.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            data = {}
        except (OSError, ValueError) as exc:
            log.warning("settings file %s unreadable (%s); starting afresh", path, exc)
            data = {}
        settings = cls()
        if isinstance(data.get("address"), str):
            settings.address = data["address"][:200]
        if data.get("language") in LANGUAGES:
            settings.language = data["language"]
        device = data.get("device")
        if isinstance(device, str) and 1 <= len(device) <= 64:
            settings.device = device
        if device != settings.device:
            settings.save(folder)
        return settings

    def save(self, folder: Path) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / "settings.json.tmp"
            tmp.write_text(json.dumps(asdict(self), ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, folder / "settings.json")
        except OSError as exc:  # a read-only profile must not stop the test
            log.warning("cannot save settings in %s: %s", folder, exc)


def setup_logging(folder: Path) -> Path:
    """Every technical detail goes to student.log in the state folder, never to the screen."""
    path = folder / "student.log"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("synaq")
    for old in list(root.handlers):
        if getattr(old, "_synaq_student", False):
            root.removeHandler(old)
            old.close()
    handler._synaq_student = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path

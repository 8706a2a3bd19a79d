"""A day of streams in one folder (the seeds: the number of streams is agreed the day before;
grades 4 and 9 sit in separate rooms or separate streams).

    room12/
      day.json              {"live": 2}: the stream the server serves now
      proctor.key           the day's keys; each stream keeps a copy, so each stream folder
      signing.key           is a complete room and every tool works on it unchanged
      stream-1/             a room: its roster part, pack, clock, slips, protocol, bundle
      stream-2/

A folder with `room.sqlite` in it is a room of one sitting, as before: every command takes
either. Logins and ИКТ are unique across the day, so a student of another stream is told so.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .storage import DB_NAME
from .storage.readonly import ReadError, room_facts

DAY_FILE = "day.json"
STREAM_PREFIX = "stream-"


class DayError(Exception):
    """The folder is not what the command needs; the message says what it holds."""


def is_room(folder: Path) -> bool:
    return (Path(folder) / DB_NAME).exists()


def stream_folder(day: Path, number: int) -> Path:
    return Path(day) / f"{STREAM_PREFIX}{number}"


def streams(day: Path) -> list[int]:
    """The day's stream numbers, in order."""
    found = []
    for path in Path(day).glob(STREAM_PREFIX + "*"):
        number = path.name.removeprefix(STREAM_PREFIX)
        if number.isdecimal() and is_room(path):
            found.append(int(number))
    return sorted(found)


def live_stream(day: Path) -> int | None:
    numbers = streams(day)
    try:
        live = json.loads((Path(day) / DAY_FILE).read_text(encoding="utf-8")).get("live")
    except (OSError, ValueError, AttributeError):
        live = None
    return live if live in numbers else (numbers[0] if numbers else None)


def set_live(day: Path, number: int) -> None:
    if number not in streams(day):
        raise DayError(f"no stream {number} in {day}")
    tmp = Path(day) / (DAY_FILE + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"live": number}, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, Path(day) / DAY_FILE)


def room_folder(folder: str | Path, stream: int | None = None) -> Path:
    """The room a command works on: the folder itself if it is a room, else the day's live
    stream, or `stream` when given."""
    folder = Path(folder)
    if is_room(folder):
        if stream is not None:
            raise DayError(f"{folder} holds one sitting, not a day of streams: leave out --stream")
        return folder
    numbers = streams(folder)
    if not numbers:
        raise DayError(f"no room in {folder} (create one with 'room-server init')")
    number = live_stream(folder) if stream is None else stream
    if number not in numbers:
        raise DayError(f"no stream {number} in {folder} (it has {', '.join(map(str, numbers))})")
    return stream_folder(folder, number)


def other_streams(day: Path, number: int) -> dict[str, int]:
    """login -> stream, for every other stream of the day (a student who came at the wrong
    time is told which stream is theirs)."""
    logins: dict[str, int] = {}
    for other in streams(day):
        if other != number:
            for login in room_facts(stream_folder(day, other))["logins"]:
                logins[login] = other
    return logins


def taken(day: Path) -> tuple[set[str], set[str], dict[str, int]]:
    """Every login and ИКТ the day's streams already use, and each student's stream by IIN."""
    logins: set[str] = set()
    ikts: set[str] = set()
    iins: dict[str, int] = {}
    for number in streams(day):
        try:
            facts = room_facts(stream_folder(day, number))
        except ReadError as exc:
            raise DayError(str(exc)) from None
        logins.update(facts["logins"])
        ikts.update(facts["ikts"])
        iins.update({iin: number for iin in facts["iins"]})
    return logins, ikts, iins

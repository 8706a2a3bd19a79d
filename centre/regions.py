"""Regions as the dataset's text codes (the partition `region=KZ-ALM`). The codes and names
are the room's (`room_server.school_codes`: a room is made with its region), so the room and
the centre know the same regions."""

from __future__ import annotations

from room_server.school_codes import REGIONS, is_region

__all__ = ["REGIONS", "is_region", "region_name", "region_in_path"]


def region_name(code: str, language: str) -> str:
    names = REGIONS.get(code)
    if names is None:
        return code
    return names[0] if language == "kk" else names[1]


def region_in_path(parts: tuple[str, ...]) -> str | None:
    """The nearest folder named like a region code: sticks sorted into `KZ-ALM/` folders."""
    for part in reversed(parts):
        if is_region(part.upper()):
            return part.upper()
    return None

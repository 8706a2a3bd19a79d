"""Driving the console in tests: a ProctorApp for a live room, waiting for its table,
selecting a student, confirming a dialog."""

from __future__ import annotations

import io
import re

from conftest import wait_until
from pypdf import PdfReader

from proctor_tui.app import ProctorApp
from proctor_tui.screens.dialogs import ConfirmDialog
from proctor_tui.screens.room import RoomScreen

SIZE = (100, 30)


def console(live, language: str = "en") -> ProctorApp:
    return ProctorApp(live.address, live.key, language=language)


async def loaded(app: ProctorApp, pilot) -> RoomScreen:
    await wait_until(lambda: app.model.loaded and isinstance(app.screen, RoomScreen)
                     and app.screen.table.row_count == len(app.model.seats), what="the room table")
    return app.screen


async def select(app: ProctorApp, pilot, student: int) -> None:
    """Puts the table's cursor on the student (as arrow keys or a click would)."""
    screen = app.screen
    await wait_until(lambda: screen.table.row_index(student) is not None, what=f"student {student} in the table")
    screen.table.move_cursor(row=screen.table.row_index(student), animate=False)
    await pilot.pause()
    assert screen.selected().student == student


async def confirm(app: ProctorApp, pilot) -> None:
    await wait_until(lambda: isinstance(app.screen, ConfirmDialog), what="the confirmation")
    await pilot.click("#confirm")


def pdf_text(data: bytes) -> str:
    """All the text of a PDF, whitespace collapsed."""
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


RAW_KEY = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")  # school_code, item_name, ministry_rep...


def raw_keys(text: str) -> list[str]:
    return RAW_KEY.findall(text)

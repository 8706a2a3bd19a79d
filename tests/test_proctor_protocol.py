"""The testing protocol tells the records' truth: saved mid-sitting, then the sitting closed,
the console and the printed protocol count again (finished, slips collected, the end time);
what the administrator typed is kept; a figure typed over a count stands beside the true one
as a correction."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import wait_until
from proctor_support import SIZE, console, loaded, pdf_text, raw_keys
from textual.widgets import Input, Static, TextArea

import room_protocol as p


def shown(app, name: str) -> str:
    return str(app.screen.query_one(f"#true-{name}", Static).render())


async def open_protocol(app, pilot) -> None:
    await pilot.press("3")
    await wait_until(lambda: app.screen.query("#true-registered") and shown(app, "registered") == "4",
                     what="the protocol form")


async def test_a_protocol_saved_mid_sitting_counts_again_after_the_close(live_open, tmp_path):
    live = live_open
    first, _ = await live.testing(0)
    await live.testing(1)
    proctor = await live.proctor()
    for index in (0, 1, 2):
        await proctor.slips(live.student_id(index), handed=True)
    # What an earlier console saved: every count as it stood mid-sitting.
    old_save = {"finished": "6", "slips_collected": "0", "end_time": "", "present": "7", "administrator": "Ескі Сақтау"}
    await proctor.save_protocol(old_save)
    app = console(live, "ru")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await open_protocol(app, pilot)
        screen = app.screen
        assert shown(app, "finished") == "0" and shown(app, "present") == "2"  # not the saved 6 and 7
        assert shown(app, "end_time") == "—"
        assert screen.query_one("#administrator", Input).value == "Ескі Сақтау"  # typed: kept
        screen.query_one("#administrator", Input).value = "Сейітова Айгүл"
        screen.query_one("#coordinator", Input).value = "Омаров Бауыржан"
        screen.query_one("#org_code", Input).value = "270001"
        screen.query_one("#remarks", TextArea).text = "Бәрі тыныш өтті."
        screen.query_one("#present_corrected", Input).value = "3"  # one came without logging in
        await wait_until(lambda: "3" in str(screen.query_one("#note-present", Static).render()), what="the note")
        assert screen.query_one("#present_corrected", Input).has_class("-differs")
        await pilot.press("ctrl+s")
        saved = await wait_until(lambda: _saved(proctor, "coordinator"), what="the save")
        assert saved == {"org_code": "270001", "administrator": "Сейітова Айгүл", "coordinator": "Омаров Бауыржан",
                         "faults": "", "remarks": "Бәрі тыныш өтті.", "present_corrected": "3"}
        # Later: the sitting closes (both testing students finish) and slips come back.
        await proctor.close_sitting()
        for index in (0, 1, 2):
            await proctor.slips(live.student_id(index), collected=True)
        await pilot.press("ctrl+r")
        await wait_until(lambda: shown(app, "finished") == "2" and shown(app, "slips_collected") == "3"
                         and shown(app, "end_time") != "—", what="the figures counted again")
        assert shown(app, "present") == "2"
        assert screen.query_one("#present_corrected", Input).value == "3"
        note = str(screen.query_one("#note-present", Static).render())
        assert "2" in note and "3" in note
        assert screen.query_one("#coordinator", Input).value == "Омаров Бауыржан"
    # The printed protocol says the same.
    printed = await proctor.print("protocol", str(tmp_path / "protocol.pdf"))
    text = pdf_text(Path(printed.path).read_bytes())
    assert "Тестті аяқтады / Завершили тест: 2" in text
    assert "жиналды / собрано: 3" in text
    assert "Келді / Явились: 2 (3*)" in text and "Келді / Явились: 2 → 3" in text
    assert re.search(r"Аяқталуы / Окончание: \d{1,2}:\d{2}", text), text
    assert "270001" in text and "Омаров Бауыржан" in text and "Сейітова Айгүл" in text
    assert not raw_keys(text), raw_keys(text)
    # Saved again the earlier way, with counts: the printed figures stay the records'.
    await proctor.save_protocol(old_save)
    printed = await proctor.print("protocol", str(tmp_path / "again.pdf"))
    text = pdf_text(Path(printed.path).read_bytes())
    assert "Тестті аяқтады / Завершили тест: 2" in text and "Келді / Явились: 2 " in text
    assert re.search(r"Аяқталуы / Окончание: \d{1,2}:\d{2}", text), text
    await first.close()


async def _saved(proctor, key: str):
    form = await proctor.request(p.GetProtocol())
    return form.fields if key in form.fields else None

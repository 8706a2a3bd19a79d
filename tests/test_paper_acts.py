"""The acts and the protocol as printed, read back: acts recorded in the console print every
value in its blank or under a label in the form's languages, never a field's key, and
incidents.csv fills item_found and ministry_rep from the same fields the act prints."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from conftest import centre_private_key, wait_until
from proctor_support import SIZE, confirm, console, loaded, pdf_text, raw_keys, select
from textual.widgets import Input, TextArea

from room_protocol import seal
from room_server.bundle import SEALED_SUFFIX, sealed_info


ITEM, MAKE, REPRESENTATIVE = "ұялы телефон", "Samsung", "Ахметова Гүлнар Серікқызы"


async def record_acts_in_the_console(live) -> None:
    app = console(live, "kk")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        # Annex 1 for the first student
        await select(app, pilot, live.student_id(0))
        await pilot.press("i")
        await wait_until(lambda: app.screen.query("#annex1"), what="the incident kinds")
        await pilot.click("#annex1")
        await wait_until(lambda: app.screen.query("#item_name"), what="the Annex 1 form")
        form = app.screen
        for field, value in (("school_code", "270001"), ("representative", REPRESENTATIVE), ("item_name", ITEM),
                             ("item_make", MAKE), ("item_quantity", "2"), ("drawn_up_by", "Сейітова А., Омаров Б.")):
            form.query_one(f"#{field}", Input).value = value
        await pilot.press("ctrl+s")
        await confirm(app, pilot)
        await wait_until(lambda: app.model.seats[live.student_id(0)].status == "removed", what="removed")
        # Annex 2 for the second
        await select(app, pilot, live.student_id(1))
        await pilot.press("i")
        await wait_until(lambda: app.screen.query("#annex2"), what="the incident kinds")
        await pilot.click("#annex2")
        await wait_until(lambda: app.screen.query("#impostor_name"), what="the Annex 2 form")
        app.screen.query_one("#impostor_name", Input).value = "Белгісіз Адам"
        app.screen.query_one("#representative", Input).value = REPRESENTATIVE
        await pilot.press("ctrl+s")
        await confirm(app, pilot)
        await wait_until(lambda: app.model.seats[live.student_id(1)].status == "removed", what="removed")
        # A free incident
        await pilot.press("i")
        await wait_until(lambda: app.screen.query("#other"), what="the incident kinds")
        await pilot.click("#other")
        await wait_until(lambda: app.screen.query("#description"), what="the form")
        app.screen.query_one("#description", TextArea).text = "Проектор құлады"
        await pilot.press("ctrl+s")
        await wait_until(lambda: app.screen.query("#room"), what="back to the room")


async def test_acts_and_incidents_csv_read_like_the_annexes(live_open, tmp_path):
    live = live_open
    await live.testing(0)
    await live.testing(1)
    await record_acts_in_the_console(live)
    proctor = await live.proctor()
    # Another client's act with a field no blank has: printed under a label, not its key.
    await proctor.incident("other", None, {"description": "Жарық өшті", "witnesses": "Қасымов Н.",
                                           "bag_colour": "жасыл"})
    incidents = await proctor.incidents()
    assert [i.kind for i in incidents] == ["annex1", "annex2", "other", "other"]
    printed = await proctor.print("acts", str(tmp_path / "acts.pdf"))
    text = pdf_text(Path(printed.path).read_bytes())
    assert not raw_keys(text), raw_keys(text)
    for key in {k for i in incidents for k in i.fields}:
        assert f"{key}:" not in text, key
    assert f"{ITEM}, {MAKE}, 2" in text
    assert text.count(REPRESENTATIVE) >= 4  # in the blank and under the signature, in both acts
    assert "270001" in text
    assert "Куәгерлер / Свидетели: Қасымов Н." in text
    assert "Басқа мәлімет / Иные сведения: жасыл" in text

    usb = tmp_path / "usb"
    usb.mkdir()
    exported = await proctor.export(str(usb))
    bundle = Path(exported.bundle)
    incidents_csv = opened(live, bundle, "incidents.csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(incidents_csv), delimiter=";"))
    annex1, annex2 = rows[0], rows[1]
    assert (annex1["item_found"], annex1["ministry_rep"]) == (f"{ITEM}, {MAKE}, 2", REPRESENTATIVE)
    assert annex2["ministry_rep"] == REPRESENTATIVE and annex2["impostor_name"] == "Белгісіз Адам"
    acts = sorted((bundle / "acts").glob("*.pdf" + SEALED_SUFFIX))
    assert len(acts) == 4
    for act in acts:
        name = act.relative_to(bundle).as_posix().removesuffix(SEALED_SUFFIX)
        assert not raw_keys(pdf_text(opened(live, bundle, name))), name


def opened(live, bundle: Path, name: str) -> bytes:
    """A sealed file of the bundle as the analysis centre opens it (the trial centre's key)."""
    sealed = (bundle / (name + SEALED_SUFFIX)).read_bytes()
    return seal.open_sealed(centre_private_key(live.centre), sealed, sealed_info(name))

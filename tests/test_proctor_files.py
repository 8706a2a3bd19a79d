"""The console's Export and Print screens through Pilot, against a real room server: the file
is where the administrator typed, and the server's event log says so."""

from __future__ import annotations

from textual.widgets import Input, Static

from conftest import wait_until
from test_proctor_actions import events_of
from proctor_support import SIZE, console, loaded


async def test_export_writes_the_bundle_where_asked(live_open, tmp_path):
    live = live_open
    await live.testing(0)
    usb = tmp_path / "usb"
    usb.mkdir()
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("5")
        await wait_until(lambda: app.screen.query("#drives"), what="the export screen")
        app.screen.query_one("#to", Input).value = str(usb)
        app.screen.query_one("#to", Input).focus()
        await pilot.press("enter")
        result = await wait_until(lambda: "Exported:" in str(app.screen.query_one("#result", Static).render())
                                  and str(app.screen.query_one("#result", Static).render()), timeout=30,
                                  what="the export")
        assert str(usb) in result
        assert any(usb.iterdir())
        proctor = await live.proctor()
        assert await events_of(proctor, "exported")


async def test_print_writes_the_pdf(live, tmp_path):
    pdf = tmp_path / "slips.pdf"
    app = console(live)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(app, pilot)
        await pilot.press("6")
        await wait_until(lambda: app.screen.query("#what"), what="the print screen")
        app.screen.query_one("#to", Input).value = str(pdf)
        app.screen.query_one("#to", Input).focus()
        await pilot.press("enter")
        await wait_until(lambda: "Printed:" in str(app.screen.query_one("#result", Static).render()), timeout=30,
                         what="the PDF")
        assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")

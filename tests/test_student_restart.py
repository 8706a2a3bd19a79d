"""The student keeps working through a server restart: answers made while the server is down
wait (never green), then go on reconnect and turn green once the server has them."""

from __future__ import annotations

from student_tui.widgets.palette import PaletteCell
from test_student_support import ServerThread, make_app, to_test, wait_for


def cells(app) -> list[PaletteCell]:
    return list(app.screen.query(PaletteCell))


async def test_answers_made_while_the_server_is_down_are_sent_after(tmp_path):
    server = ServerThread(tmp_path / "room", students=5).start()
    try:
        row = server.login_for_seat(1)
        app = make_app(server, tmp_path / "state")
        async with app.run_test(size=(100, 32)) as pilot:
            await to_test(pilot, app, row)
            screen = app.screen
            first = screen.item.id
            await pilot.press("a")
            await wait_for(lambda: cells(app)[0].has_class("-acked"), pilot=pilot, what="the first item green")

            server.stop()
            await wait_for(lambda: not app.client.online, pilot=pilot, what="the app noticing the server is gone")
            await pilot.press("right")
            second = screen.item.id
            await pilot.press("b")
            await pilot.pause()
            # Kept, waiting, and not green: the server does not have it.
            assert app.client.item_state(second) == "pending"
            assert cells(app)[1].has_class("-pending") and not cells(app)[1].has_class("-acked")
            save = screen.query_one("SaveState")
            assert save.has_class("-offline")
            assert app.t("Offline: {n} waiting", n=1) in str(save.render())
            assert not server.sql("SELECT 1 FROM answers WHERE item = ?", (second,))

            server.start()  # the same room, the same port
            await wait_for(lambda: cells(app)[1].has_class("-acked"), timeout=20, pilot=pilot,
                           what="the answer sent after the restart")
            assert save.has_class("-saved")
        rows = {r["item"]: r["value"] for r in server.sql("SELECT item, value FROM answers")}
        assert first in rows and second in rows
    finally:
        server.stop()

"""The student keeps working through a server restart: answers made while the server is down
wait (never green), then go on reconnect and turn green once the server has them."""

from __future__ import annotations

from student_tui.widgets.palette import Palette
from test_student_support import ServerThread, make_app, screen_text, to_test, wait_for


def palette(app) -> Palette:
    return app.screen.query_one(Palette)


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
            await wait_for(lambda: palette(app).states[0] == "acked", pilot=pilot, what="the first item green")

            server.stop()
            await wait_for(lambda: not app.client.online, pilot=pilot, what="the app noticing the server is gone")
            await pilot.press("right")
            second = screen.item.id
            await pilot.press("c", "b")  # changed once: two answers of one item wait
            await pilot.pause()
            # Kept, waiting, and not green: the server does not have it.
            assert app.client.item_state(second) == "pending"
            assert palette(app).states[1] == "pending"
            assert "2…" in palette(app).cell(1) and "2…" in screen_text(app)  # in a symbol, not only a colour
            save = screen.query_one("SaveState")
            assert save.has_class("-offline")
            assert app.client.waiting_count() == 2
            # "waiting" counts the student's items, not the changes made to them
            assert app.t.plural("Offline: {n} answer waiting", "Offline: {n} answers waiting", 1) in str(save.render())
            assert not server.sql("SELECT 1 FROM answers WHERE item = ?", (second,))
            await pilot.press("right", "right")  # moved on while offline: the server learns it later
            third = screen.item.id

            server.start()  # the same room, the same port
            await wait_for(lambda: palette(app).states[1] == "acked", timeout=20, pilot=pilot,
                           what="the answer sent after the restart")
            assert save.has_class("-saved")
            await pilot.pause()
            assert "2✓" in screen_text(app)
            await wait_for(lambda: server.sql("SELECT current_item FROM attempts WHERE current_item IS NOT NULL")
                           [0][0] == third, pilot=pilot, what="the server told where the student is")
        rows = {r["item"]: r["value"] for r in server.sql("SELECT item, value FROM answers")}
        assert first in rows and second in rows
    finally:
        server.stop()

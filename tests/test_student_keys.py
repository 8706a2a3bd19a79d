"""Every key lands where the student sees it: keys at machine speed across item switches and
subject changes, short answers that do not trap ←/→, number answers checked before they
are sent, a single choice cleared, the break offer and the pause never taking keys, and
typed text sent in the last seconds. Pilot at 80×24 against a real room server."""

from __future__ import annotations

import pytest

import room_protocol as p
from room_client import ServerError
from student_tui.clock import FrozenClock
from student_tui.widgets.answers import ShortAnswer
from student_tui.widgets.keybar import KeyBar
from test_student_support import (burst, make_app, proctor, room, screen_name, screen_text, seats, shows,  # noqa: F401
                                  to_test, typed, wait_for, wait_screen)

SIZE = (80, 24)


def keys_for(item: p.TestItem, index: int) -> tuple[list[str], object]:
    """The keys that answer `item`, and the value the server should then hold."""
    if item.kind == "single":
        mark = "ABCD"[index % len(item.options)]
        return [mark.lower()], mark
    if item.kind == "multiple":
        return ["a", "c"], ["A", "C"]
    if item.kind == "matching":
        pairs = {str(n + 1): chr(65 + (n + index) % len(item.right)) for n in range(len(item.left))}
        keys = []
        for left, right in pairs.items():
            keys += [left, right.lower()]
        return keys, pairs
    text = ("20" + str(10 + index) + (" " + item.units[0] if item.units else "")) if item.answer_type == "number" \
        else f"Алматы {index}"
    return typed(text), text


def stored(room, login: str) -> dict:
    import msgpack
    rows = room.sql("SELECT a.item, a.value FROM answers a JOIN students s ON s.id = a.student_id "
                    "WHERE s.login = ? AND a.counted = 1 ORDER BY a.seq", (login,))
    return {r["item"]: msgpack.unpackb(r["value"], raw=False) if r["value"] is not None else None for r in rows}


def short_box(app) -> ShortAnswer:
    return app.screen.view.short


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_a_whole_subject_typed_at_machine_speed_is_saved_as_typed(room, seats, tmp_path, language):
    row = seats.take(language)
    app = make_app(room, tmp_path, language=language)
    async with app.run_test(size=SIZE) as pilot:
        await to_test(pilot, app, row)
        screen = app.screen
        expected, keys = {}, []
        for index, item in enumerate(screen.items):
            item_keys, value = keys_for(item, index)
            keys += item_keys + ["pagedown" if index % 2 else "right"]
            expected[item.id] = value
        # Back to the first item and change it: ← across short items and matching alike.
        keys += ["pageup"] * (len(screen.items) - 1) + ["d"]
        expected[screen.items[0].id] = "D"
        burst(app, *keys)  # every key at once, no waiting for the app between them
        await wait_for(lambda: all(app.client.item_state(i) == "acked" for i in expected)
                       and app.client.latest_by_item[screen.items[0].id].value == "D", timeout=20, pilot=pilot,
                       what="every answer saved")
        assert screen.index == 0
        assert {item_id: app.client.latest_by_item[item_id].value for item_id in expected} == expected
    assert {k: v for k, v in stored(room, row["login"]).items() if k in expected} == expected


async def test_keys_typed_while_the_next_subject_opens_go_to_its_first_item(room, seats, tmp_path):
    row = seats.take("kk")
    app = make_app(room, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await to_test(pilot, app, row)
        screen = app.screen
        last_of_first = screen.items[-1].id
        await pilot.press("f5")
        await wait_screen(pilot, app, "ConfirmDialog")
        await pilot.click("#yes")
        burst(app, "2", "pagedown")  # typed at once, while the server is still asked for the next subject
        await wait_for(lambda: screen.subject_index == 1 and app.client.latest_by_item.get(screen.items[0].id),
                       pilot=pilot, what="the answer on the next subject's first item")
        assert screen.items[0].answer_type == "number" and screen.index == 1
        assert app.client.latest_by_item[screen.items[0].id].value == "2"
        assert last_of_first not in app.client.latest_by_item


async def test_a_short_answer_does_not_trap_the_arrows(room, seats, tmp_path):
    row = seats.take("kk")
    app = make_app(room, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await to_test(pilot, app, row)
        screen = app.screen
        short = next(i for i, item in enumerate(screen.items) if item.answer_type == "text")
        screen.show_item(short - 1)
        await pilot.press("right")  # onto the short item: its box is empty
        assert screen.index == short
        assert "PgUp PgDn" in app.screen.query_one(KeyBar).text  # the way out is on screen
        await pilot.press("right")  # empty: → goes on at once
        assert screen.index == short + 1
        await pilot.press("left")  # back: the next item's box is empty too
        assert screen.index == short
        await pilot.press(*typed("ала"), "left", "left", "left")  # ← moves in the text
        assert screen.index == short and short_box(app).box.cursor == 0
        await pilot.press("right", "right", "right")  # and → back to its end
        assert screen.index == short and short_box(app).box.cursor == 3
        await pilot.press("left", "left", "left", "left")  # ← at the start: the previous item
        assert screen.index == short - 1
        await pilot.press("right", "right")  # back with the cursor at the end: → moves on, the text is sent
        assert screen.index == short + 1
        await wait_for(lambda: app.client.item_state(screen.items[short].id) == "acked", pilot=pilot, what="the ack")
        assert app.client.latest_by_item[screen.items[short].id].value == "ала"


@pytest.mark.parametrize("language", ["kk", "ru"])
async def test_number_answers_take_digits_and_the_items_units_only(room, seats, tmp_path, language):
    row = seats.take(language)
    app = make_app(room, tmp_path, language=language)
    async with app.run_test(size=SIZE) as pilot:
        await to_test(pilot, app, row)
        screen = app.screen
        year = next(i for i, item in enumerate(screen.items) if item.answer_type == "number" and item.units)
        item = screen.items[year]
        assert item.units  # they came from the pack through the server's test message
        screen.show_item(year)
        await pilot.pause()
        assert shows(app, app.t("You may write after the number: {units}.", units=", ".join(item.units)))
        await pilot.press(*typed("abc"), "enter")
        note = app.t("This is not a number. Use digits, a minus sign, a comma or a point.")
        assert shows(app, note)
        await pilot.press("pagedown")  # moving away sends nothing either
        await pilot.pause(0.2)
        assert app.client.item_state(item.id) is None
        assert item.id not in stored(room, row["login"])
        await pilot.press("pageup", "ctrl+u", *typed("2015 " + item.units[0]), "enter")
        await wait_for(lambda: app.client.item_state(item.id) == "acked", pilot=pilot, what="the ack")
        assert not shows(app, note)
        assert stored(room, row["login"])[item.id] == "2015 " + item.units[0]  # as typed; the scorer strips it
        burst(app, "ctrl+u", *typed("−3,5"), "enter")  # the minus sign of a keyboard layout
        await wait_for(lambda: stored(room, row["login"]).get(item.id) == "−3,5", pilot=pilot,
                       what=f"a negative ({short_box(app).box.value!r}, {stored(room, row['login']).get(item.id)!r})")


async def test_a_single_choice_can_be_cleared(room, seats, tmp_path):
    row = seats.take("kk")
    app = make_app(room, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await to_test(pilot, app, row)
        item = app.screen.item
        assert item.kind == "single"
        await pilot.press("b")
        await wait_for(lambda: app.client.item_state(item.id) == "acked", pilot=pilot, what="the ack")
        assert "(•) B." in screen_text(app)
        await pilot.press("delete")
        await wait_for(lambda: app.client.item_state(item.id) == "acked"
                       and app.client.latest_by_item[item.id].value is None, pilot=pilot, what="the clearing")
        assert "(•)" not in screen_text(app)
        assert app.screen.palette_state(item) is None
        assert stored(room, row["login"])[item.id] is None


async def test_the_break_offer_never_takes_a_key(room, seats, tmp_path):
    row = seats.take("kk")
    app = make_app(room, tmp_path)
    admin = await proctor(room)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await to_test(pilot, app, row)
            screen = app.screen
            short = next(i for i, item in enumerate(screen.items) if item.answer_type == "text")
            screen.show_item(short)
            burst(app, *typed("бір"))
            await admin.request(p.AnnounceBreak())
            burst(app, *typed(" екі"), "enter")  # typing on while the offer arrives
            await wait_for(lambda: screen.break_due and screen.query_one("#banner").display, pilot=pilot,
                           what="the break offer")
            await pilot.pause()
            assert screen_name(app) == "TestScreen"  # a line on the screen, no window over the typing
            await wait_for(lambda: app.client.item_state(screen.item.id) == "acked", pilot=pilot, what="the ack")
            assert app.client.latest_by_item[screen.item.id].value == "бір екі"
            assert shows(app, app.t("Press F8 to take it.")) and "F8" in screen.query_one(KeyBar).text
            await pilot.press("f8")
            await wait_screen(pilot, app, "BreakOfferDialog")
            await pilot.press("enter")  # asked for: "Take a break" has the focus
            await wait_screen(pilot, app, "BreakScreen")
            await pilot.click("#return")
            await wait_screen(pilot, app, "TestScreen")
    finally:
        await admin.request(p.EndRoomBreak())
        await admin.close()


async def test_a_paused_room_covers_the_items_and_keeps_what_was_typed(room, seats, tmp_path):
    row = seats.take("kk")
    app = make_app(room, tmp_path)
    admin = await proctor(room)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await to_test(pilot, app, row)
            screen = app.screen
            short = next(i for i, item in enumerate(screen.items) if item.answer_type == "text")
            screen.show_item(short)
            await pilot.press(*typed("жауап"))
            await admin.request(p.Pause("power"))
            await wait_for(lambda: screen.paused, pilot=pilot, what="the pause")
            await pilot.pause()
            assert shows(app, app.t("The administrator has paused the test. The clock is stopped. Please wait."))
            assert not screen.query_one("#items-area").display
            burst(app, "x", "pagedown", "enter")  # nothing moves, nothing is typed, nothing sent
            await pilot.pause(0.3)
            assert screen.index == short and short_box(app).box.value == "жауап"
            assert app.client.item_state(screen.item.id) is None
            await admin.request(p.Resume())
            await wait_for(lambda: not screen.paused, pilot=pilot, what="the room running again")
            await pilot.pause()
            assert screen.query_one("#items-area").display and "жауап" in screen_text(app)
            await pilot.press("enter")
            await wait_for(lambda: app.client.item_state(screen.item.id) == "acked", pilot=pilot, what="the ack")
    finally:
        try:
            await admin.request(p.Resume())  # the room runs again for the other tests
        except ServerError:
            pass  # it already runs
        await admin.close()


async def test_text_typed_in_the_last_seconds_is_sent_without_enter(room, seats, tmp_path):
    row = seats.take("kk")
    app = make_app(room, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await to_test(pilot, app, row)
        screen = app.screen
        shorts = [i for i, item in enumerate(screen.items) if item.answer_type == "text"]
        screen.show_item(shorts[0])
        await pilot.press(*typed("ерте"))  # typed with time to spare: not sent yet
        await pilot.pause(0.6)
        assert app.client.item_state(screen.item.id) is None
        app.clock = FrozenClock(4_000)  # the clock now says four seconds are left
        await wait_for(lambda: app.client.item_state(screen.item.id) == "acked", pilot=pilot,
                       what="the typed text sent as time runs out")
        await pilot.press("у")  # each key in the last seconds goes out at once
        await wait_for(lambda: app.client.latest_by_item[screen.item.id].value == "ертеу"
                       and app.client.item_state(screen.item.id) == "acked", pilot=pilot, what="the next key")
    assert stored(room, row["login"])[screen.item.id] == "ертеу"

"""The student app on the administrator's whole day, through Pilot against a real room server:
a teacher's or principal's slip goes straight to their questionnaire (the language chosen
when the centre sent it in two), sealed on this computer; a slip of a stream that is not
live is told to wait, and the administrator switching streams is said in words, in kk, ru
and en."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Input, Static

from conftest import LiveRoom, centre_private_key, db_rows, make_room, next_event
from room_client import ProctorClient
from room_client.i18n import Translator
from room_protocol.responses import open_response
from room_server.newroom import add_staff, read_proctor_key
from student_tui.failures import REFUSALS
from test_staff import staff_questionnaire
from test_streams import make_day
from test_student_support import screen_name, wait_for, wait_screen

SIZE = (80, 24)


def new_app(address: str, state, language: str = "kk"):
    from student_tui.app import StudentApp
    return StudentApp(server=address, language=language, state_dir=state, safe=False)


def error_text(app, selector: str = "#login-error") -> str:
    rendered = app.screen.query_one(selector, Static).render()
    return getattr(rendered, "plain", None) or str(rendered)


async def type_slip(pilot, app, login: str, password: str) -> None:
    await wait_for(lambda: screen_name(app) == "LoginScreen" and app.hello is not None, pilot=pilot,
                   what="the login screen, connected")
    app.screen.query_one("#login", Input).value = login
    app.screen.query_one("#password", Input).value = password
    await pilot.click("#login-button")


async def answer_every_question(pilot, app, typed: str) -> dict:
    """Answers each question (B for a choice, `typed` for a text) and returns the answers as
    the sealed response must hold them."""
    q = app.screen.q
    expected = {}
    for index, question in enumerate(q.questions):
        if question.kind in ("choice", "multi"):
            await pilot.press("b")
            expected[question.id] = [1] if question.kind == "multi" else 1
        else:
            app.screen.query_one(Input).value = typed
            await pilot.press("enter")
            expected[question.id] = typed
        if index < len(q.questions) - 1:
            await pilot.click("#next")
    return expected


@pytest.fixture
async def staffed(tmp_path):
    """A room made with the centre's teachers' and principals' questionnaires in kk and ru,
    with one teacher's slip; served on loopback."""
    room = await make_room(tmp_path)
    room.slips = await add_staff(room.dir, teachers=1)
    await room.start()
    try:
        yield room
    finally:
        await room.close_clients()
        await room.stop()


async def test_a_teacher_chooses_russian_answers_and_the_room_holds_only_the_sealed_response(staffed, tmp_path):
    slip = staffed.slips[0]
    app = new_app(staffed.address, tmp_path / "state")
    typed = "В кабинете нет проектора"
    async with app.run_test(size=SIZE) as pilot:
        await type_slip(pilot, app, slip["login"], slip["password"])
        await wait_screen(pilot, app, "QuestionnaireLanguageScreen")
        choices = {button.name: str(button.label) for button in app.screen.query(".q-language").results(Button)}
        assert choices == {"kk": "Қазақ тілі", "ru": "Орыс тілі"}  # named in the interface language
        assert error_text(app, ".title") == "Мұғалімге арналған сауалнама"
        await pilot.click(next(b for b in app.screen.query(".q-language").results(Button) if b.name == "ru"))
        await wait_screen(pilot, app, "QuestionnaireIntroScreen")
        assert app.screen.questionnaire.audience == "teacher"
        await pilot.click("#begin")
        await wait_screen(pilot, app, "QuestionnaireScreen")
        expected = await answer_every_question(pilot, app, typed)
        await pilot.click("#done")
        await wait_screen(pilot, app, "ThanksScreen")
        await pilot.click("#continue")
        await wait_screen(pilot, app, "LeaveScreen")
    # No personal data, no rules, no test on the way.
    assert not {"DataScreen", "RulesScreen", "TestScreen", "ResultScreen"} & set(app.shown)
    rows = [tuple(row) for row in db_rows(staffed.dir, "SELECT audience, sealed FROM questionnaire_responses")]
    assert len(rows) == 1 and rows[0][0] == "teacher"
    raw = b"".join(path.read_bytes() for path in staffed.dir.glob("room.sqlite*"))
    assert typed.encode() not in raw  # sealed on this computer: the room never held it in clear
    opened = open_response(centre_private_key(staffed.centre), rows[0][1])
    assert (opened["audience"], opened["questionnaire"], opened["ikt"]) == ("teacher", "teacher-ru", "")
    assert opened["answers"] == expected

    # The same slip again, on another computer: answered already, said so.
    again = new_app(staffed.address, tmp_path / "state-2", language="ru")
    async with again.run_test(size=SIZE) as pilot:
        await type_slip(pilot, again, slip["login"], slip["password"])
        await wait_screen(pilot, again, "MessageScreen")
        assert error_text(again, "#message-text") == "Анкета по этому листку уже заполнена."


async def test_finishing_with_questions_unanswered_says_how_many_first(staffed, tmp_path):
    slip = staffed.slips[0]
    app = new_app(staffed.address, tmp_path / "state", language="ru")
    async with app.run_test(size=SIZE) as pilot:
        await type_slip(pilot, app, slip["login"], slip["password"])
        await wait_screen(pilot, app, "QuestionnaireLanguageScreen")
        await pilot.click(next(b for b in app.screen.query(".q-language").results(Button) if b.name == "ru"))
        await wait_screen(pilot, app, "QuestionnaireIntroScreen")
        await pilot.click("#begin")
        await wait_screen(pilot, app, "QuestionnaireScreen")
        questions = app.screen.q.questions
        first = questions[0]
        assert first.kind == "choice"
        await pilot.press("b", "f10")
        await wait_screen(pilot, app, "ConfirmDialog")
        missing = len(questions) - 1
        assert app.screen.text.startswith(f"{missing} вопросов без ответа.")  # ru plural: 14 вопросов
        await pilot.press("escape")  # back to the questions: nothing sent
        await wait_screen(pilot, app, "QuestionnaireScreen")
        assert not db_rows(staffed.dir, "SELECT 1 FROM questionnaire_responses")
        await pilot.press("f10")
        await wait_screen(pilot, app, "ConfirmDialog")
        await pilot.click("#yes")
        await wait_screen(pilot, app, "ThanksScreen")
    sealed = db_rows(staffed.dir, "SELECT sealed FROM questionnaire_responses")[0]["sealed"]
    assert open_response(centre_private_key(staffed.centre), sealed)["answers"] == {first.id: 1}


async def test_at_time_over_what_was_answered_is_sent_typed_text_included(staffed, tmp_path):
    from student_tui.app import StudentApp
    from student_tui.clock import LiveClock
    now = [1000.0]
    slip = staffed.slips[0]
    app = StudentApp(server=staffed.address, language="kk", state_dir=tmp_path / "state", safe=False,
                     clock=LiveClock(lambda: now[0]))  # the screens' one time source, moved by hand
    async with app.run_test(size=SIZE) as pilot:
        await type_slip(pilot, app, slip["login"], slip["password"])
        await wait_screen(pilot, app, "QuestionnaireLanguageScreen")
        await pilot.click(next(b for b in app.screen.query(".q-language").results(Button) if b.name == "kk"))
        await wait_screen(pilot, app, "QuestionnaireIntroScreen")
        await pilot.click("#begin")
        await wait_screen(pilot, app, "QuestionnaireScreen")
        q = app.screen.q
        text_question = next(i for i, question in enumerate(q.questions) if question.kind == "text")
        await app.screen.show(text_question)
        await pilot.pause()
        app.screen.query_one(Input).value = "Уақыт бітті"  # typed, Enter never pressed
        now[0] += q.remaining_ms / 1000 + 1  # the questionnaire's time runs out
        await wait_screen(pilot, app, "ThanksScreen")
    sealed = db_rows(staffed.dir, "SELECT sealed FROM questionnaire_responses")[0]["sealed"]
    assert open_response(centre_private_key(staffed.centre), sealed)["answers"] == {
        q.questions[text_question].id: "Уақыт бітті"}


async def test_a_teachers_link_comes_back_logged_in_after_the_room_restarts(staffed):
    from room_client import Connection, StudentClient
    slip = staffed.slips[0]
    teacher = StudentClient(staffed.address)  # reconnects, as the app's client does
    staffed.clients.append(teacher)
    await teacher.connect()
    await teacher.login(slip["login"], slip["password"], "staffroom-pc")
    await staffed.restart()
    await next_event(teacher, lambda e: isinstance(e, Connection) and e.online, timeout=15)  # logged in again
    questionnaire = await teacher.questionnaire_start("kk")
    assert questionnaire.audience == "teacher"


async def test_a_principal_with_one_language_goes_straight_to_the_questionnaire(tmp_path):
    room = await make_room(tmp_path, staff_questionnaires=False)
    await room.start()
    try:
        slips = await add_staff(room.dir, principals=1,
                                questionnaire_paths=[staff_questionnaire(room, "principal", "kk")])
        app = new_app(room.address, tmp_path / "state", language="en")
        async with app.run_test(size=SIZE) as pilot:
            await type_slip(pilot, app, slips[0]["login"], slips[0]["password"])
            await wait_screen(pilot, app, "QuestionnaireIntroScreen")
            assert app.screen.questionnaire.audience == "principal"
            await pilot.click("#begin")
            await wait_screen(pilot, app, "QuestionnaireScreen")
            expected = await answer_every_question(pilot, app, "Мектепке жаңа компьютерлер керек")
            await pilot.click("#done")
            await wait_screen(pilot, app, "ThanksScreen")
        assert "QuestionnaireLanguageScreen" not in app.shown
        sealed = db_rows(room.dir, "SELECT sealed FROM questionnaire_responses WHERE audience = 'principal'")
        opened = open_response(centre_private_key(room.centre), sealed[0]["sealed"])
        assert opened["questionnaire"] == "principal-kk" and opened["answers"] == expected
    finally:
        await room.close_clients()
        await room.stop()


# ------------------------------------------------------------------------------ a day of streams

@pytest.fixture
async def day(tmp_path):
    """Stream 1 (grade 9) live, stream 2 (grade 4) next; no sitting open yet."""
    folder, nine, four = await make_day(tmp_path)
    live = LiveRoom(folder, read_proctor_key(folder), nine + four)
    await live.start()
    try:
        yield live, nine, four
    finally:
        await live.close_clients()
        await live.stop()


def sentence(language: str, code: str) -> str:
    text = Translator("student_tui", language)(REFUSALS[code])
    assert language == "en" or text != REFUSALS[code]  # translated, not the English fallback
    return text


async def make_live(live, number: int) -> None:
    """The administrator makes stream `number` live: every connection closes and comes back."""
    proctor = ProctorClient(live.address, live.key, reconnect=False)
    live.clients.append(proctor)
    await proctor.connect()
    await proctor.switch_stream(number)


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
async def test_a_slip_of_the_next_stream_is_told_to_wait_and_let_in_when_it_goes_live(day, tmp_path, language):
    live, nine, four = day
    app = new_app(live.address, tmp_path / "state", language)
    async with app.run_test(size=SIZE) as pilot:
        await type_slip(pilot, app, four[0]["login"], four[0]["password"])
        await wait_for(lambda: error_text(app) == sentence(language, "not_your_stream"), pilot=pilot,
                       what="the other stream's sentence")
        assert screen_name(app) == "LoginScreen" and not app.logged_in
        await make_live(live, 2)
        await wait_screen(pilot, app, "DataScreen", timeout=20)  # waited at the door: in, by itself
        assert app.student.grade == 4


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
async def test_a_switch_of_streams_is_said_on_the_login_form_which_then_names_the_new_stream(day, tmp_path,
                                                                                             language):
    live, nine, four = day
    app = new_app(live.address, tmp_path / "state", language)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(lambda: screen_name(app) == "LoginScreen" and app.hello is not None, pilot=pilot,
                       what="the login screen, connected")
        await make_live(live, 2)
        await wait_for(lambda: error_text(app) == sentence(language, "stream_changed"), pilot=pilot,
                       what="the switch said in words")
        grade_4 = app.t("School {school}, room {room}, grade {grade}", school="Школа №7", room="12", grade=4)
        await wait_for(lambda: error_text(app, "#room-line") == grade_4, timeout=15, pilot=pilot,
                       what="the login screen naming the new stream's room")
        await type_slip(pilot, app, four[1]["login"], four[1]["password"])
        await wait_screen(pilot, app, "DataScreen")


async def test_a_wrong_password_is_not_sent_again_when_the_link_comes_back(day):
    from room_client import Connection, ServerError, StudentClient
    live, nine, four = day
    client = StudentClient(live.address)  # reconnects, as the app's client does
    live.clients.append(client)
    await client.connect()
    with pytest.raises(ServerError) as wrong:
        await client.login(four[0]["login"], "not-the-password", "pc-1")  # stream 2's slip: checked after
    assert wrong.value.code == "not_your_stream"
    with pytest.raises(ServerError) as wrong:
        await client.login(nine[0]["login"], "not-the-password", "pc-1")
    assert wrong.value.code == "bad_login"
    await live.restart()
    await next_event(client, lambda e: isinstance(e, Connection) and e.online, timeout=15)
    failed = db_rows(live.dir / "stream-1", "SELECT COUNT(*) AS n FROM audit WHERE kind = 'login_failed'")
    assert failed[0]["n"] == 1  # the one the student made, no other behind their back


async def test_a_student_waiting_when_the_administrator_switches_streams_is_told_why_on_the_login(day, tmp_path):
    live, nine, four = day
    app = new_app(live.address, tmp_path / "state", "ru")
    async with app.run_test(size=SIZE) as pilot:
        await type_slip(pilot, app, nine[0]["login"], nine[0]["password"])
        await wait_screen(pilot, app, "DataScreen")
        await pilot.click("#correct")
        await wait_screen(pilot, app, "RulesScreen")
        await make_live(live, 2)  # stream 1 had not opened: the administrator may switch
        await wait_for(lambda: screen_name(app) == "LoginScreen" and
                       error_text(app) == sentence("ru", "not_your_stream"), timeout=15, pilot=pilot,
                       what="back on the login with the sentence")
        assert not app.logged_in and app.student == {}


def test_the_stream_sentences_name_the_stream_in_each_language():
    kk, ru = Translator("student_tui", "kk"), Translator("student_tui", "ru")
    for code in ("not_your_stream", "stream_changed"):
        assert "ағын" in kk(REFUSALS[code]) and "поток" in ru(REFUSALS[code])

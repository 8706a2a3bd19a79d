"""The .po reader: plain entries, plural entries chosen by the catalog's Plural-Forms, and the
fallbacks (English text, English plural rule) when something is missing."""

from __future__ import annotations

from room_client.i18n import Translator, parse_po

RU = r'''
msgid ""
msgstr ""
"Language: ru\n"
"Plural-Forms: nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);\n"

msgid "Log in"
msgstr "Войти"

msgid "{n} minute"
msgid_plural "{n} minutes"
msgstr[0] "{n} минута"
msgstr[1] "{n} минуты"
msgstr[2] ""
"{n} минут"

msgid "{n} point"
msgid_plural "{n} points"
msgstr[0] "{n} балл"
msgstr[1] ""
msgstr[2] "{n} баллов"
'''


def test_plural_entries_follow_the_russian_rule():
    catalog = parse_po(RU)
    assert catalog["Log in"] == "Войти"
    assert catalog["{n} minute"] == ["{n} минута", "{n} минуты", "{n} минут"]  # a multi-line form too
    assert "{n} point" not in catalog  # a form left empty: the entry is not used at all
    assert [catalog.plural(n) for n in (1, 2, 4, 5, 11, 12, 21, 22, 25, 105, 111, 170)] == \
        [0, 1, 1, 2, 2, 2, 0, 1, 2, 2, 2, 2]


def test_a_catalog_without_plural_forms_uses_the_english_rule():
    catalog = parse_po('msgid "a"\nmsgstr "b"\n')
    assert (catalog.plural(1), catalog.plural(2), catalog.plural(0)) == (0, 1, 1)


def test_the_shipped_catalogs_say_every_count_right():
    ru, kk, en = (Translator("student_tui", lang) for lang in ("ru", "kk", "en"))
    assert [ru.plural("{n} point", "{n} points", n) for n in (1, 2, 5, 21)] == \
        ["1 балл", "2 балла", "5 баллов", "21 балл"]
    assert ru.plural("You may take a break of {n} minute now.", "You may take a break of {n} minutes now.", 2) == \
        "Сейчас можно взять перерыв на 2 минуты."  # not "на 2 минут"
    assert [en.plural("{n} point", "{n} points", n) for n in (1, 2)] == ["1 point", "2 points"]  # not "1 points"
    assert kk.plural("{n} point", "{n} points", 2) == "2 балл"  # Kazakh: the noun stays singular after a number
    assert kk("Test time left: {time}", time="1:00") == "Тесттің қалған уақыты: 1:00"
    assert ru("ББЖМ (monitoring)") == "МОДО (мониторинг)" and kk("ББЖМ (monitoring)") == "ББЖМ (мониторинг)"

"""What a roster's header and cells mean, in the words schools use in kk, ru and en.

Headers are compared as normalised words: case, spaces, punctuation, "ё/е" and the Latin "i"
typed for the Kazakh "і" do not matter, so "Язык обучения", "язык  обучения." and
"ЯЗЫК-ОБУЧЕНИЯ" are one header. A single full-name column ("ФИО", "Аты-жөні") is split into
surname, name and patronymic; a class cell such as "9А" or "9 «Ә» сынып" gives the grade and
the letter. Every digit check is ASCII only: "²", full-width and Arabic-Indic digits are not
digits here (str.isdigit() says they are).
"""

from __future__ import annotations

import re
import unicodedata

# The roster's fields, in the order they are taken when the file has no header.
COLUMNS = ("iin", "surname", "name", "patronymic", "grade", "class", "language", "seat")
FULL_NAME = "full_name"
LABELS = {"iin": "IIN", "surname": "surname", "name": "name", "patronymic": "patronymic", "grade": "grade",
          "class": "class letter", "language": "test language", "seat": "seat", FULL_NAME: "full name"}

_ALIASES = {
    "iin": ["iin", "иин", "жсн", "ИИН учащегося", "ИИН обучающегося", "ИИН ученика", "оқушының ЖСН",
            "ЖСН оқушы", "student iin", "индивидуальный идентификационный номер", "жеке сәйкестендіру нөмірі"],
    FULL_NAME: ["ФИО", "Ф.И.О.", "ФИО учащегося", "ФИО обучающегося", "ФИО ученика", "Фамилия Имя Отчество",
                "Фамилия, имя, отчество", "Аты-жөні", "Аты жөні", "Оқушының аты-жөні", "Т.А.Ә.", "Тегі, аты, әкесінің аты",
                "full name", "student name", "student", "name surname", "учащийся", "оқушы"],
    "surname": ["surname", "last name", "family name", "фамилия", "тегі"],
    "name": ["name", "first name", "given name", "имя", "аты"],
    "patronymic": ["patronymic", "middle name", "отчество", "әкесінің аты", "әкесінің есімі"],
    "grade": ["grade", "класс", "сынып", "параллель", "класс параллель", "grade level", "year"],
    "class": ["class", "letter", "class letter", "section", "литер", "литера", "буква", "буква класса",
              "литера класса", "литер класса", "класс литер", "класс литера", "сынып литері", "сынып литерi",
              "сынып әрпі", "литері", "әрпі"],
    "language": ["language", "test language", "language of instruction", "language of testing", "язык",
                 "язык обучения", "язык тестирования", "язык теста", "язык сдачи", "тест тілі", "оқу тілі",
                 "оқыту тілі", "тестілеу тілі", "тілі", "тіл"],
    "seat": ["seat", "seat number", "место", "номер места", "место в аудитории", "орын", "орын нөмірі"],
}

_LETTERS_WITHOUT = str.maketrans({"ё": "е", "i": "і"})  # Cyrillic keys: "i" (Latin) typed for "і"


def normalise(text: str) -> str:
    """Lower case, NFC, 'ё' as 'е', punctuation as spaces, single spaces."""
    text = unicodedata.normalize("NFC", str(text)).casefold().replace("ё", "е")
    text = re.sub(r"[\W_]+", " ", text)
    return " ".join(text.split())


def _key(text: str) -> str:
    """The header key: normalised, and with a Latin 'i' read as the Kazakh 'і' in Cyrillic words."""
    words = []
    for word in normalise(text).split():
        cyrillic = any("\u0400" <= ch <= "\u04ff" for ch in word)
        words.append(word.translate(_LETTERS_WITHOUT) if cyrillic else word)
    return " ".join(words)


HEADER_KEYS = {_key(alias): column for column, aliases in _ALIASES.items() for alias in aliases}
# "ФИО" and "Ф.И.О." and "Т.А.Ә." normalise to spaced single letters; compare them without spaces too.
HEADER_KEYS.update({key.replace(" ", ""): column for key, column in list(HEADER_KEYS.items())
                    if all(len(w) == 1 for w in key.split())})


def header_column(text: str) -> str | None:
    """The roster field a header cell names, or None."""
    key = _key(text)
    return HEADER_KEYS.get(key) or HEADER_KEYS.get(key.replace(" ", "")) if key else None


def header_mapping(cells: list[str]) -> dict[str, int]:
    """Field -> column index for the cells of a header row (the first column wins a repeat)."""
    mapping: dict[str, int] = {}
    for index, text in enumerate(cells):
        column = header_column(text)
        if column is not None and column not in mapping:
            mapping[column] = index
    return mapping


def is_header(mapping: dict[str, int]) -> bool:
    return len(mapping) >= 3 or (len(mapping) >= 2 and "iin" in mapping)


# ------------------------------------------------------------------------- cell values

_LANGUAGE_FILLER = {"язык", "языке", "языка", "тілі", "тіл", "тілінде", "на", "language", "обучения", "оқу",
                    "тест", "тестирования"}
_LANGUAGE_WORDS = {
    "kk": {"kk", "kz", "kaz", "kazakh", "qazaq", "каз", "қаз", "казах", "казахский", "казахском", "қазақ", "қазақша",
           "казакша", "казак"},
    "ru": {"ru", "rus", "russian", "рус", "русский", "русском", "орыс", "орысша"},
}
LANGUAGE_VALUES = {word: language for language, words in _LANGUAGE_WORDS.items() for word in words}


def language_value(text: str) -> str | None:
    """'kk' or 'ru' for any usual spelling ('Казахский язык', 'қазақ тілі', 'KZ', 'рус.'), else None."""
    words = [w for w in _key(text).split() if w not in _LANGUAGE_FILLER]
    if len(words) != 1:
        return None
    return LANGUAGE_VALUES.get(words[0])


def ascii_digits(text: str) -> bool:
    """True for a non-empty string of 0-9 only."""
    return bool(text) and all("0" <= ch <= "9" for ch in text)


_CLASS_WORDS = re.compile(r"(?i)\b(класс|кл|сынып|сыныбы|grade|class)\b\.?")
_GRADE_LETTER = re.compile(r"([0-9]{1,2})?([^\W\d_])?")


def grade_and_letter(text: str) -> tuple[int | None, str | None] | None:
    """(grade, letter) of a class cell: '9' -> (9, None), '9А', '9 «Ә» сынып', '9-Б' -> (9, 'А')...,
    'А' -> (None, 'А'); None when the cell is neither."""
    cleaned = _CLASS_WORDS.sub(" ", unicodedata.normalize("NFC", text))
    cleaned = re.sub(r"[\s\"'«»“”„()\-–—.]+", "", cleaned)
    match = _GRADE_LETTER.fullmatch(cleaned)
    if not cleaned or match is None or not (match.group(1) or match.group(2)):
        return None
    grade, letter = match.groups()
    if letter is not None and not letter.isalpha():  # "²" is a word character, not a letter
        return None
    return (int(grade) if grade else None), (letter.upper() if letter else None)


def split_full_name(text: str) -> tuple[str, str, str] | None:
    """'Surname Name Patronymic...' -> the three parts (the patronymic may be empty or two words,
    as 'Нұрлан қызы'); None when there is no name after the surname."""
    words = text.split()
    if len(words) < 2:
        return None
    return words[0], words[1], " ".join(words[2:])


_PLACEHOLDERS = ("?", "\ufffd")


def lost_letters(text: str) -> bool:
    """A name with '?' or U+FFFD where a letter should be: it was saved in an encoding that
    lacked the letter (Kazakh letters through Windows-1251)."""
    return any(p in text for p in _PLACEHOLDERS)

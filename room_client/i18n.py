"""Interface text in Kazakh, Russian and English from gettext `.po` catalogs.

Translators work in the `.po` files (the format every translation tool knows); the apps read
them directly, so nothing needs compiling. A missing translation falls back to English (the
msgid), never to an error. Counts use gettext plural forms: an entry with `msgid_plural` and
`msgstr[0]`, `msgstr[1]`... chosen by the catalog's `Plural-Forms` header (Russian has three
forms: 1 минута, 2 минуты, 5 минут).
"""

from __future__ import annotations

import ast
import gettext
import re
from importlib.resources import files
from pathlib import Path
from typing import Callable

LANGUAGES = ("kk", "ru", "en")
ENGLISH_PLURAL = "nplurals=2; plural=(n != 1);"


class Catalog(dict):
    """msgid -> translation; a plural entry maps its msgid to the list of its forms.
    `plural(n)` is the index of the form for the count n."""

    def __init__(self, entries: dict, plural_forms: str = ENGLISH_PLURAL):
        super().__init__(entries)
        self.plural_forms = plural_forms
        self.plural = plural_rule(plural_forms)


def plural_rule(header: str) -> Callable[[int], int]:
    """The `plural=...;` expression of a Plural-Forms header as a function (the standard
    library's checked translation of gettext's C expression; English's rule if unreadable)."""
    found = re.search(r"plural\s*=\s*([^;]+)", header)
    try:
        return gettext.c2py(found.group(1).strip()) if found else gettext.c2py("n != 1")
    except (ValueError, SyntaxError):
        return gettext.c2py("n != 1")


def parse_po(text: str) -> Catalog:
    """The entries of a .po file: single and multi-line strings, and plural entries."""
    entries: dict = {}
    header = ""
    msgid: list[str] | None = None
    forms: dict[int, list[str]] = {}
    current: list[str] | None = None

    def flush() -> None:
        nonlocal header
        if msgid is None or not forms:
            return
        key = "".join(msgid)
        values = ["".join(forms[i]) for i in sorted(forms)]
        if not key:
            header = values[0]
        elif len(values) == 1 and -1 in forms:
            if values[0]:
                entries[key] = values[0]
        elif all(values):
            entries[key] = values

    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("msgid "):
            flush()
            msgid, forms = [ast.literal_eval(line[6:])], {}
            current = msgid
        elif line.startswith("msgid_plural "):
            current = []  # the English plural is the code's own text
        elif line.startswith("msgstr["):
            index = int(line[7:line.index("]")])
            forms[index] = [ast.literal_eval(line[line.index("]") + 1:].strip())]
            current = forms[index]
        elif line.startswith("msgstr "):
            forms = {-1: [ast.literal_eval(line[7:])]}
            current = forms[-1]
        elif line.startswith('"') and current is not None:
            current.append(ast.literal_eval(line))
    flush()
    found = re.search(r"Plural-Forms:\s*([^\n]+)", header)
    return Catalog(entries, found.group(1) if found else ENGLISH_PLURAL)


class Translator:
    """`t("Log in")` -> the text in the chosen language; `t("{n} left", n=3)` formats;
    `t.plural("{n} minute", "{n} minutes", 5)` picks the language's form for the count."""

    def __init__(self, package: str, language: str = "kk"):
        self.package = package
        self._catalogs: dict[str, Catalog] = {}
        self.language = language if language in LANGUAGES else "kk"

    def catalog(self, language: str) -> Catalog:
        if language not in self._catalogs:
            path = Path(str(files(self.package))) / "locale" / f"{language}.po"
            self._catalogs[language] = parse_po(path.read_text(encoding="utf-8")) if path.exists() else Catalog({})
        return self._catalogs[language]

    def __call__(self, message: str, **values) -> str:
        text = self.catalog(self.language).get(message, message) if self.language != "en" else message
        if not isinstance(text, str):  # a plural entry asked for without a count
            text = text[0]
        return text.format(**values) if values else text

    def plural(self, singular: str, plural: str, n: int, **values) -> str:
        """The form for the count `n` ({n} in the text is the count)."""
        values["n"] = n
        forms = self.catalog(self.language).get(singular) if self.language != "en" else None
        if isinstance(forms, list) and forms:
            index = self.catalog(self.language).plural(abs(int(n)))
            text = forms[min(index, len(forms) - 1)]
        else:
            text = singular if abs(int(n)) == 1 else plural
        return text.format(**values)

    def missing(self, messages: list[str], language: str) -> list[str]:
        """The messages a catalog does not translate (for the tests)."""
        catalog = self.catalog(language)
        return [m for m in messages if m not in catalog]

    def missing_plurals(self, messages: list[str], language: str) -> list[str]:
        """Plural messages without a form for each of the language's plural categories."""
        catalog = self.catalog(language)
        wanted = int(re.search(r"nplurals\s*=\s*(\d+)", catalog.plural_forms).group(1)) \
            if re.search(r"nplurals\s*=\s*(\d+)", catalog.plural_forms) else 2
        return [m for m in messages if not isinstance(catalog.get(m), list) or len(catalog[m]) != wanted]

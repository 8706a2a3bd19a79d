"""Interface text in Kazakh, Russian and English from gettext `.po` catalogs.

Translators work in the `.po` files (the format every translation tool knows); the apps read
them directly, so nothing needs compiling. A missing translation falls back to English (the
msgid), never to an error.
"""

from __future__ import annotations

import ast
from importlib.resources import files
from pathlib import Path

LANGUAGES = ("kk", "ru", "en")


def parse_po(text: str) -> dict[str, str]:
    """msgid -> msgstr from a .po file (single and multi-line strings; no plurals needed)."""
    catalog: dict[str, str] = {}
    msgid: list[str] | None = None
    msgstr: list[str] | None = None
    current: list[str] | None = None

    def flush() -> None:
        if msgid is not None and msgstr is not None:
            key, value = "".join(msgid), "".join(msgstr)
            if key and value:
                catalog[key] = value

    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("msgid "):
            flush()
            msgid, msgstr = [ast.literal_eval(line[6:])], None
            current = msgid
        elif line.startswith("msgstr "):
            msgstr = [ast.literal_eval(line[7:])]
            current = msgstr
        elif line.startswith('"') and current is not None:
            current.append(ast.literal_eval(line))
    flush()
    return catalog


class Translator:
    """`t("Log in")` -> the text in the chosen language; `t("{n} left", n=3)` formats."""

    def __init__(self, package: str, language: str = "kk"):
        self.package = package
        self._catalogs: dict[str, dict[str, str]] = {}
        self.language = language if language in LANGUAGES else "kk"

    def catalog(self, language: str) -> dict[str, str]:
        if language not in self._catalogs:
            path = Path(str(files(self.package))) / "locale" / f"{language}.po"
            self._catalogs[language] = parse_po(path.read_text(encoding="utf-8")) if path.exists() else {}
        return self._catalogs[language]

    def __call__(self, message: str, **values) -> str:
        text = self.catalog(self.language).get(message, message) if self.language != "en" else message
        return text.format(**values) if values else text

    def missing(self, messages: list[str], language: str) -> list[str]:
        """The messages a catalog does not translate (for the tests)."""
        catalog = self.catalog(language)
        return [m for m in messages if m not in catalog]

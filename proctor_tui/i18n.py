"""The console's interface text: every visible string goes through `t()`.

Strings chosen at run time (statuses, alerts, incident kinds) are marked with `N_()` where
they are written, so the catalog test finds every message the console can show.
"""

from __future__ import annotations

from room_client.i18n import LANGUAGES, Translator

_translator = Translator("proctor_tui", "kk")


def set_language(language: str) -> str:
    _translator.language = language if language in LANGUAGES else "kk"
    return _translator.language


def language() -> str:
    return _translator.language


def t(message: str, **values) -> str:
    """The message in the console's language (English is the msgid itself)."""
    return _translator(message, **values)


def N_(message: str) -> str:  # noqa: N802 (the gettext name every translator knows)
    """Marks a message for the catalog; translated later with `t()`."""
    return message


def translator() -> Translator:
    return _translator


def translate_bindings(node) -> None:
    """Footer descriptions in the console's language (BINDINGS hold the English msgids; they
    are kept on the node, so a later switch of language translates from them again)."""
    import dataclasses

    msgids = getattr(node, "_binding_msgids", None)
    if msgids is None:
        msgids = node._binding_msgids = {(key, index): (b.description, b.tooltip)
                                         for key, bindings in node._bindings.key_to_bindings.items()
                                         for index, b in enumerate(bindings)}
    for key, bindings in node._bindings.key_to_bindings.items():
        translated = []
        for index, b in enumerate(bindings):
            description, tooltip = msgids.get((key, index), (b.description, b.tooltip))
            translated.append(dataclasses.replace(b, description=t(description) if description else "",
                                                  tooltip=t(tooltip) if tooltip else ""))
        node._bindings.key_to_bindings[key] = translated

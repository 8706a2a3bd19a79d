"""The interface text. `N_("...")` marks a text translated later (binding descriptions);
every other visible string goes through `app.t("...")`."""

from __future__ import annotations

import dataclasses

from textual.dom import DOMNode


def N_(message: str) -> str:
    return message


def translate_bindings(node: DOMNode, t) -> None:
    """Puts the footer's key descriptions of `node` into the interface language."""
    bindings = node._bindings.key_to_bindings
    for key, items in list(bindings.items()):
        bindings[key] = [dataclasses.replace(b, description=t(b.description)) if b.description else b
                         for b in items]

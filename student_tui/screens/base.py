"""What every student screen shares: translated key descriptions and a typed app."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.screen import ModalScreen, Screen

from ..i18n import translate_bindings

if TYPE_CHECKING:
    from ..app import StudentApp


class StudentText:
    """The typed app and its translator, for screens and dialogs alike."""

    def _translate_keys(self) -> None:
        translate_bindings(self, self.sapp.t)

    @property
    def sapp(self) -> "StudentApp":
        return cast("StudentApp", self.app)  # the one app these screens run in

    def t(self, message: str, **values) -> str:
        return self.sapp.t(message, **values)

    def tn(self, singular: str, plural: str, n: int, **values) -> str:
        """The text for the count `n` in the language's plural form ({n} is the count)."""
        return self.sapp.t.plural(singular, plural, n, **values)


class StudentScreen(StudentText, Screen):
    """A full screen of the student app."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._translate_keys()

    def on_screen_resume(self) -> None:
        self.sapp.screen_shown(self)


class StudentDialog(StudentText, ModalScreen):
    """A question over the current screen, answered with `dismiss(value)`."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._translate_keys()

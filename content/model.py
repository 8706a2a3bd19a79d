"""The content model: what a test pack, a questionnaire and a reference table are.

Plain frozen dataclasses, built by `content.loader` from the TOML files authors write
(see docs/content-format.md). The server keeps the whole pack; what a student's computer
receives is made by `student_view()` methods, which leave every key out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

ItemKind = Literal["single", "multiple", "matching", "short"]
ITEM_KINDS: tuple[str, ...] = ("single", "multiple", "matching", "short")
LANGUAGES: tuple[str, ...] = ("kk", "ru")
AIDS: tuple[str, ...] = ("periodic", "solubility")  # reference tables a pack may grant its students
AUDIENCES: tuple[str, ...] = ("student", "teacher", "principal")  # who answers a questionnaire


def option_letter(index: int) -> str:
    """Options are named A, B, C... by their position in the author's list."""
    return chr(ord("A") + index)


@dataclass(frozen=True)
class Timing:
    """The timing rules of a test (minutes). Breaks are part of the total:
    grade 9 is 35+10+35+10+35+10+35 = 170."""

    total_minutes: int
    work_block_minutes: int
    break_minutes: int
    breaks: int  # how many breaks the schedule has (3 for grade 9, 2 for grade 4)
    breaks_optional: bool = True
    reopen_finished_subjects: bool = False

    def break_due_at_minutes(self) -> list[int]:
        """Minutes after the start at which each break is offered: 35, 80, 125 for grade 9."""
        step = self.work_block_minutes + self.break_minutes
        return [self.work_block_minutes + k * step for k in range(self.breaks)]


@dataclass(frozen=True)
class Subject:
    id: str
    title: str
    needs_kinds: tuple[str, ...] = ()  # item kinds every variant must have in this subject


@dataclass(frozen=True)
class Stimulus:
    """A passage or a table that several items refer to (Markdown)."""

    id: str
    text: str
    title: str = ""


@dataclass(frozen=True)
class Item:
    id: str
    kind: str  # one of ITEM_KINDS
    text: str  # Markdown
    points: int
    stimulus: str | None = None
    # single / multiple: option texts, named A, B, C... by position
    options: tuple[str, ...] = ()
    # matching: numbered left column (1, 2, ...) and lettered right column (A, B, ...)
    left: tuple[str, ...] = ()
    right: tuple[str, ...] = ()
    # short: "number" or "text"
    answer_type: str | None = None
    # short numbers: units the student may write after the number ("ж.", "₸"); the scorer
    # strips them
    units: tuple[str, ...] = ()
    # The key, server-side only:
    #   single   -> "B"
    #   multiple -> ("A", "C")
    #   matching -> {"1": "B", "2": "A", ...}
    #   short    -> float (number) or tuple of accepted text forms
    key: object = None
    tolerance: float = 0.0

    def student_view(self) -> dict:
        """What a student's computer may see: everything but the key."""
        view: dict = {"id": self.id, "kind": self.kind, "text": self.text, "points": self.points}
        if self.stimulus:
            view["stimulus"] = self.stimulus
        if self.kind in ("single", "multiple"):
            view["options"] = list(self.options)
        if self.kind == "matching":
            view["left"] = list(self.left)
            view["right"] = list(self.right)
        if self.kind == "short":
            view["answer_type"] = self.answer_type
            if self.units:
                view["units"] = list(self.units)
        return view


@dataclass(frozen=True)
class SubjectItems:
    """One subject's stimuli and items within one variant, in order."""

    subject: str
    stimuli: tuple[Stimulus, ...]
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Variant:
    id: str  # "A", "B", ...
    subjects: tuple[SubjectItems, ...]  # in the pack's subject order

    def items(self) -> list[Item]:
        return [item for s in self.subjects for item in s.items]

    @cached_property
    def _index(self) -> dict[str, tuple[Item, str]]:
        """item id -> (item, subject id): looked up for every answer the server receives."""
        return {item.id: (item, s.subject) for s in self.subjects for item in s.items}

    def item(self, item_id: str) -> Item | None:
        found = self._index.get(item_id)
        return found[0] if found else None

    def subject_of(self, item_id: str) -> str | None:
        found = self._index.get(item_id)
        return found[1] if found else None


@dataclass(frozen=True)
class TestPack:
    id: str
    title: str
    grade: int
    language: str  # "kk" or "ru"
    timing: Timing
    subjects: tuple[Subject, ...]
    variants: tuple[Variant, ...]
    rules: str = ""  # Markdown shown on the rules page
    path: str = ""
    aids: tuple[str, ...] = ()  # the reference tables the students get (AIDS)

    def variant(self, variant_id: str) -> Variant:
        for v in self.variants:
            if v.id == variant_id:
                return v
        raise KeyError(variant_id)

    def subject(self, subject_id: str) -> Subject:
        for s in self.subjects:
            if s.id == subject_id:
                return s
        raise KeyError(subject_id)


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    kind: str  # "choice" (one option), "multi" (several), or "text" (a short free answer)
    options: tuple[str, ...] = ()

    def student_view(self) -> dict:
        return {"id": self.id, "text": self.text, "kind": self.kind, "options": list(self.options)}


@dataclass(frozen=True)
class Questionnaire:
    id: str
    title: str
    language: str
    minutes: int
    intro: str  # first screen: no right or wrong answers, confidential
    questions: tuple[Question, ...]
    path: str = ""
    version: int = 1
    audience: str = "student"  # AUDIENCES: who answers it
    # The analysis centre's public key (raw X25519): answers are sealed to it on the
    # answering computer and never exist in clear at school. None in a file being written.
    centre_key: bytes | None = None


@dataclass(frozen=True)
class Element:
    number: int
    symbol: str
    names: dict  # {"kk": ..., "ru": ..., "en": ...}
    mass: float
    group: int | None  # None for lanthanides and actinides
    period: int


@dataclass(frozen=True)
class PeriodicTable:
    id: str
    title: dict  # {"kk": ..., "ru": ..., "en": ...}
    elements: tuple[Element, ...]
    path: str = ""


# Solubility codes, as on the school table.
SOLUBLE, SLIGHTLY, INSOLUBLE, NONE = "R", "M", "N", "-"


@dataclass(frozen=True)
class SolubilityTable:
    id: str
    title: dict
    cations: tuple[str, ...]
    anions: tuple[str, ...]
    cells: dict  # {(cation, anion): "R" | "M" | "N" | "-"}
    legend: dict = field(default_factory=dict)  # {"R": {"kk": ..., "ru": ..., "en": ...}, ...}
    path: str = ""

    def solubility(self, cation: str, anion: str) -> str:
        return self.cells[(cation, anion)]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a content file: file, item id (or another place), field, what."""

    path: str
    where: str  # item id, question id, "pack", "timing", an element number...
    field: str
    message: str

    def __str__(self) -> str:
        place = f"{self.where}" + (f".{self.field}" if self.field else "")
        return f"{self.path}: {place}: {self.message}"

    def as_dict(self) -> dict:
        return {"path": self.path, "where": self.where, "field": self.field, "message": self.message}

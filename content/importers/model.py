"""What an importer hands to the pack writer: items in the pack's own terms, the stimuli they
share, and every item it could not carry with the reason."""

from __future__ import annotations

from dataclasses import dataclass, field


class ImportError_(Exception):
    """The whole file cannot be read (not XML, not a package, not GIFT); the message says why."""


@dataclass
class ImportedItem:
    id: str
    kind: str  # single | multiple | matching | short
    text: str  # Markdown
    points: int
    source: str  # the file (and the item's place in it) it came from
    options: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    right: list[str] = field(default_factory=list)
    key: object = None  # "B" | ["A", "C"] | {"1": "C"} | 25.0 | ["Алматы"]
    tolerance: float = 0.0
    stimulus: str | None = None
    notes: list[str] = field(default_factory=list)  # what was left behind on purpose (feedback...)


@dataclass
class ImportedStimulus:
    id: str
    text: str
    title: str = ""


@dataclass
class Refusal:
    source: str  # file, and the item's identifier or title
    what: str  # the interaction or feature: "hotspotInteraction", "essay", "template"
    why: str

    def line(self) -> str:
        return f"refused: {self.source}: {self.what}: {self.why}"


@dataclass
class ImportResult:
    items: list[ImportedItem] = field(default_factory=list)
    stimuli: list[ImportedStimulus] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def extend(self, other: "ImportResult") -> None:
        self.items += other.items
        self.refused += other.refused
        self.notes += other.notes
        known = {s.id for s in self.stimuli}
        self.stimuli += [s for s in other.stimuli if s.id not in known]


class Unsupported(Exception):
    """Raised while converting one item: it is refused, the others go on."""

    def __init__(self, what: str, why: str):
        super().__init__(f"{what}: {why}")
        self.what = what
        self.why = why

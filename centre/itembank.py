"""The centre's item bank: the test packs it wrote, with their keys.

The room never sends keys; the centre holds the packs and scores every answer again with
content.scoring, so a score in the dataset never depends on what a room computed. A bundle
is matched to its pack by grade and language.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from content.loader import load_pack, shipped_packs
from content.model import Item, TestPack
from content.scoring import is_answered, score_item


class ItemBankError(Exception):
    """A pack cannot be loaded or two packs claim the same grade and language."""


@dataclass(frozen=True)
class ItemInfo:
    item: Item
    subject: str
    position: int  # 1-based within the variant
    topic: str


def key_text(item: Item) -> str:
    key = item.key
    if isinstance(key, tuple):
        key = list(key)
    return json.dumps(key, ensure_ascii=False, sort_keys=True)


class ItemBank:
    def __init__(self, packs: list[TestPack]):
        self.packs: dict[tuple[int, str], TestPack] = {}
        for pack in packs:
            slot = (pack.grade, pack.language)
            if slot in self.packs:
                raise ItemBankError(f"two packs for grade {pack.grade} in {pack.language}: "
                                    f"{self.packs[slot].path} and {pack.path}; give the centre one per grade and language")
            self.packs[slot] = pack
        self._info: dict[tuple[int, str, str], dict[str, ItemInfo]] = {}
        self._scores: dict[tuple[int, str], tuple[int, bool]] = {}

    def score(self, item: Item, value, text: str) -> tuple[int, bool]:
        """(points, answered) of an answer (`text` is its JSON), remembered: a national year
        repeats the same few answers to an item hundreds of thousands of times. Keyed by the
        item object, which this bank keeps alive."""
        key = (id(item), text)
        found = self._scores.get(key)
        if found is None:
            if len(self._scores) > 500_000:
                self._scores.clear()
            found = self._scores[key] = (score_item(item, value), is_answered(item, value))
        return found

    @classmethod
    def load(cls, folders: list[str | Path] | None = None) -> "ItemBank":
        """The packs in `folders` (each a pack folder), or the packs shipped with Synaq."""
        paths = [Path(f) for f in folders] if folders else shipped_packs()
        packs = []
        for path in paths:
            pack, problems = load_pack(path)
            if pack is None:
                first = str(problems[0]) if problems else "not a test pack"
                raise ItemBankError(f"the pack {path} cannot be loaded: {first}")
            packs.append(pack)
        if not packs:
            raise ItemBankError("the item bank is empty: give --packs FOLDER for each test pack")
        return cls(packs)

    def pack(self, grade: int, language: str) -> TestPack | None:
        return self.packs.get((grade, language))

    def form(self, grade: int, language: str, variant: str) -> dict[str, ItemInfo] | None:
        """item id -> ItemInfo for one test form, in order; None when the bank has no such form."""
        slot = (grade, language, variant)
        if slot not in self._info:
            pack = self.pack(grade, language)
            if pack is None:
                return None
            try:
                v = pack.variant(variant)
            except KeyError:
                return None
            info: dict[str, ItemInfo] = {}
            position = 0
            for part in v.subjects:
                titles = {s.id: s.title for s in part.stimuli}
                subject_title = pack.subject(part.subject).title
                for item in part.items:
                    position += 1
                    info[item.id] = ItemInfo(item, part.subject, position, topic_of(item, titles, subject_title))
            self._info[slot] = info
        return self._info[slot]

    def item_rows(self, grade: int, language: str) -> list[dict]:
        """Rows of the `items` table for every form of one pack."""
        pack = self.pack(grade, language)
        if pack is None:
            return []
        rows = []
        for v in pack.variants:
            for item_id, info in (self.form(grade, language, v.id) or {}).items():
                item = info.item
                rows.append({
                    "language": language, "variant": v.id, "item": item_id, "pack_id": pack.id,
                    "subject": info.subject, "subject_title": pack.subject(info.subject).title,
                    "position": info.position, "kind": item.kind, "key": key_text(item),
                    "max_score": item.points, "options": len(item.options) or None, "topic": info.topic,
                    "text": item.text.strip()[:400],
                })
        return rows


def topic_of(item: Item, stimulus_titles: dict[str, str], subject_title: str) -> str:
    """What the item is about, for "strengths and gaps by topic": the item's own topic when the
    content gives one, else the title of the passage or table it is built on, else the subject."""
    own = getattr(item, "topic", None)
    if own:
        return str(own)
    if item.stimulus and stimulus_titles.get(item.stimulus):
        return stimulus_titles[item.stimulus]
    return subject_title

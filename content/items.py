"""Reading the items files of a pack: stimuli, items of every kind and their keys."""

from __future__ import annotations

import re
from dataclasses import dataclass

from content.model import ITEM_KINDS, Item, Problem, Stimulus, option_letter
from content.toml_fields import FILE, MAX_OPTIONS, Fields, describe, is_number

_ITEMS_FILE_FIELDS = frozenset({"kind", "variant", "subject", "stimulus", "item"})
_STIMULUS_FIELDS = frozenset({"id", "title", "text"})
_ITEM_COMMON = frozenset({"id", "kind", "stimulus", "points", "text", "key"})
_ITEM_FIELDS = {
    "single": _ITEM_COMMON | {"options"},
    "multiple": _ITEM_COMMON | {"options"},
    "matching": _ITEM_COMMON | {"left", "right"},
    "short": _ITEM_COMMON | {"tolerance", "units"},
}
_ANY_ITEM_FIELDS = frozenset().union(*_ITEM_FIELDS.values())


def _letter_index(letter: str) -> int:
    return ord(letter) - ord("A")


def _letters_named(count: int) -> str:
    if count <= 0:
        return "there are none"
    return f"they are A–{option_letter(count - 1)}" if count > 1 else "there is only A"


def _read_single_key(fields: Fields, options: list[str] | None) -> str | None:
    key = fields.table.get("key")
    if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z]", key.strip()):
        fields.problem("key", f'must be a single letter like "B", not {describe(key)}')
        return None
    letter = key.strip().upper()
    if options is not None and _letter_index(letter) >= len(options):
        fields.problem("key", f"'{letter}' names no option: {_letters_named(len(options))}")
        return None
    return letter


def _read_multiple_key(fields: Fields, options: list[str] | None) -> tuple[str, ...] | None:
    key = fields.table.get("key")
    if not isinstance(key, list):
        fields.problem("key", f'must be a list of two or more letters like ["A", "C"], not {describe(key)}')
        return None
    letters: list[str] = []
    sound = True
    for entry in key:
        if not isinstance(entry, str) or not re.fullmatch(r"[A-Za-z]", entry.strip()):
            fields.problem("key", f"{describe(entry)} is not a single letter")
            sound = False
            continue
        letter = entry.strip().upper()
        if letter in letters:
            fields.problem("key", f"repeats the letter '{letter}'")
            sound = False
            continue
        if options is not None and _letter_index(letter) >= len(options):
            fields.problem("key", f"'{letter}' names no option: {_letters_named(len(options))}")
            sound = False
        letters.append(letter)
    if len(key) < 2:
        fields.problem("key", 'a multiple item needs two or more key letters (use kind = "single" for one)')
        sound = False
    return tuple(letters) if sound else None


def _read_matching_key(fields: Fields, left: list[str] | None,
                       right: list[str] | None) -> dict[str, str] | None:
    key = fields.table.get("key")
    if not isinstance(key, dict):
        fields.problem("key", f'must be a table like {{ 1 = "C", 2 = "A" }}, not {describe(key)}')
        return None
    pairs: dict[str, str] = {}
    sound = True
    for number_text, letter in key.items():
        number = int(number_text) if number_text.strip().isdigit() else None
        if number is None:
            fields.problem("key", f"'{number_text}' is not a left number (1, 2, 3...)")
            sound = False
            continue
        if left is not None and not 1 <= number <= len(left):
            fields.problem("key", f"there is no left {number}: left has {len(left)} entries")
            sound = False
            continue
        if str(number) in pairs:
            fields.problem("key", f"pairs left {number} more than once")
            sound = False
            continue
        if not isinstance(letter, str) or not re.fullmatch(r"[A-Za-z]", letter.strip()):
            fields.problem("key", f"left {number} must be paired with one letter, not {describe(letter)}")
            sound = False
            continue
        letter = letter.strip().upper()
        if right is not None and _letter_index(letter) >= len(right):
            fields.problem("key", f"left {number} is paired with '{letter}', which names no right "
                                  f"option: {_letters_named(len(right))}")
            sound = False
            continue
        pairs[str(number)] = letter
    if left is not None:
        unpaired = [str(n) for n in range(1, len(left) + 1) if str(n) not in pairs
                    and not any(k.strip().isdigit() and int(k) == n for k in key)]
        if unpaired:
            fields.problem("key", f"does not pair left {', '.join(unpaired)}: every left entry "
                                  "needs exactly one letter")
            sound = False
    # Keys in left order, whatever order the author wrote them in.
    return dict(sorted(pairs.items(), key=lambda pair: int(pair[0]))) if sound else None


def _read_short_key(fields: Fields) -> tuple[str | None, object, float]:
    """(answer_type, key, tolerance) of a short item; answer_type None when unusable."""
    key = fields.table.get("key")
    answer_type: str | None = None
    value: object = None
    if is_number(key):
        answer_type, value = "number", float(key)
    elif (isinstance(key, list) and key
          and all(isinstance(form, str) and form.strip() for form in key)):
        answer_type, value = "text", tuple(key)
    elif isinstance(key, list) and key and all(isinstance(form, str) for form in key):
        fields.problem("key", "an accepted answer is empty")
    else:
        fields.problem("key", 'must be a number (key = 25) or a non-empty list of accepted '
                              f'answers (key = ["Алматы"]), not {describe(key)}')
    tolerance = 0.0
    if fields.has("tolerance"):
        raw = fields.table["tolerance"]
        if not is_number(raw):
            fields.problem("tolerance", f"must be a number, not {describe(raw)}")
            answer_type = None
        elif raw < 0:
            fields.problem("tolerance", f"must not be negative, not {raw}")
            answer_type = None
        elif answer_type == "text":
            fields.problem("tolerance", "applies only to a number key, not to a text key")
            answer_type = None
        else:
            tolerance = float(raw)
    return answer_type, value, tolerance


MAX_UNITS = 10
MAX_UNIT_LENGTH = 20


def _read_units(fields: Fields, answer_type: str | None) -> tuple[str, ...]:
    """The units a number answer may carry ("ж.", "₸"): short text without digits."""
    if not fields.has("units"):
        return ()
    raw = fields.table["units"]
    if not isinstance(raw, list) or not raw:
        fields.problem("units", f'must be a list of units like ["ж.", "жылы"], not {describe(raw)}')
        return ()
    units: list[str] = []
    for entry in raw:
        if not isinstance(entry, str) or not entry.strip():
            fields.problem("units", f"{describe(entry)} is not a unit: each is non-empty text")
        elif len(entry.strip()) > MAX_UNIT_LENGTH:
            fields.problem("units", f'"{entry}" is longer than {MAX_UNIT_LENGTH} characters')
        elif any(ch.isdigit() for ch in entry):
            fields.problem("units", f'"{entry}" has a digit: a unit is what follows the number')
        else:
            units.append(entry.strip())
    if len(raw) > MAX_UNITS:
        fields.problem("units", f"at most {MAX_UNITS} units, not {len(raw)}")
    if answer_type == "text":
        fields.problem("units", "apply only to a number key, not to a text key")
    return tuple(units)


def _read_item(table: dict, index: int, path: str, problems: list[Problem]) -> Item | None:
    raw_id = table.get("id")
    where = raw_id if isinstance(raw_id, str) and raw_id.strip() else f"item {index + 1}"
    kind = table.get("kind")
    fields = Fields(table, path, where, problems, _ITEM_FIELDS.get(kind, _ANY_ITEM_FIELDS))
    before = len(problems)
    item_id = fields.text("id")
    if item_id is not None and re.search(r"\s", item_id):
        fields.problem("id", f'"{item_id}" must not contain spaces')
    fields.text("kind")
    if isinstance(kind, str) and kind.strip() and kind not in ITEM_KINDS:
        fields.problem("kind", f"unknown item kind '{kind}' (kinds: {', '.join(ITEM_KINDS)})")
    points = fields.integer("points", minimum=1)
    text = fields.text("text")
    stimulus = fields.text("stimulus", required=False)
    options = left = right = None
    if kind in ("single", "multiple"):
        options = fields.text_list("options", what="option", label=option_letter)
        if options is not None and len(options) < 2:
            fields.problem("options", f"a {kind} item needs at least 2 options, not {len(options)}")
        if options is not None and len(options) > MAX_OPTIONS:
            fields.problem("options", f"at most {MAX_OPTIONS} options (A–Z), not {len(options)}")
    elif kind == "matching":
        left = fields.text_list("left", what="left", label=lambda i: i + 1)
        right = fields.text_list("right", what="right", label=option_letter)
        for name, column in (("left", left), ("right", right)):
            if column is not None and not column:
                fields.problem(name, "is empty: a matching item needs entries on both sides")
            elif column is not None and len(column) > MAX_OPTIONS:
                fields.problem(name, f"at most {MAX_OPTIONS} entries, not {len(column)}")
    answer_type, key, tolerance, units = None, None, 0.0, ()
    if kind in ITEM_KINDS and fields.has("key"):
        if kind == "single":
            key = _read_single_key(fields, options)
        elif kind == "multiple":
            key = _read_multiple_key(fields, options)
        elif kind == "matching":
            key = _read_matching_key(fields, left or None, right or None)
        else:
            answer_type, key, tolerance = _read_short_key(fields)
            units = _read_units(fields, answer_type)
    elif kind in ITEM_KINDS:
        fields.problem("key", "is missing (required)")
    if kind in ITEM_KINDS:
        # A field of another kind (options on a short item) is a slip worth naming as such.
        for name in table:
            if name in _ANY_ITEM_FIELDS and name not in fields.allowed:
                owners = [k for k in ITEM_KINDS if name in _ITEM_FIELDS[k]]
                fields.problem(name, f"a {kind} item has no '{name}' (only {' and '.join(owners)} "
                                     "items do)")
        fields.allowed = _ANY_ITEM_FIELDS
    fields.finish()
    if len(problems) > before:
        return None
    return Item(
        id=item_id, kind=kind, text=text, points=points, stimulus=stimulus,
        options=tuple(options or ()), left=tuple(left or ()), right=tuple(right or ()),
        answer_type=answer_type, key=key, tolerance=tolerance, units=units,
    )


def _read_stimulus(table: dict, index: int, path: str, problems: list[Problem]) -> Stimulus | None:
    raw_id = table.get("id")
    where = raw_id if isinstance(raw_id, str) and raw_id.strip() else f"stimulus {index + 1}"
    fields = Fields(table, path, where, problems, _STIMULUS_FIELDS)
    before = len(problems)
    stimulus_id = fields.text("id")
    title = fields.text("title", required=False, nonempty=False, default="")
    text = fields.text("text")
    fields.finish()
    if len(problems) > before:
        return None
    return Stimulus(stimulus_id, text, title)


def _raw_text(table: dict, name: str) -> str | None:
    """A field's value when it is usable text: cross-checks between files rely on these even
    when the item itself is broken, so one flaw is not reported again as a missing item."""
    value = table.get(name)
    return value if isinstance(value, str) and value.strip() else None


@dataclass
class Placed:
    """An item or stimulus as written, with what could be built from it (None if broken)."""

    path: str
    id: str | None
    kind: str | None  # items only
    stimulus: str | None  # items only
    built: Item | Stimulus | None


def read_items_file(doc: dict, path: str, problems: list[Problem]):
    """(variant, subject, stimuli, items) of one items file; variant/subject None if unusable."""
    fields = Fields(doc, path, FILE, problems, _ITEMS_FILE_FIELDS)
    variant = fields.text("variant")
    subject = fields.text("subject")
    stimuli = [
        Placed(path, _raw_text(t, "id"), None, None, _read_stimulus(t, i, path, problems))
        for i, t in enumerate(fields.tables("stimulus", required=False))
    ]
    items = [
        Placed(path, _raw_text(t, "id"), _raw_text(t, "kind"), _raw_text(t, "stimulus"),
                _read_item(t, i, path, problems))
        for i, t in enumerate(fields.tables("item"))
    ]
    fields.finish()
    return variant, subject, stimuli, items


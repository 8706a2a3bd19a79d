"""An act's fields as the paper annexes name them, in one place.

The console sends `representative`, `school_code` and the item apart (`item_name`,
`item_make`, `item_quantity`); acts recorded before it, and other clients, send
`ministry_rep`, `org_code` and `item_found`. The printed acts (pdf.py) and `incidents.csv`
(bundle.py) both read an incident's fields through `act_values`, so the column and the blank
always say the same. Whatever is left over is printed under its label in the form's languages
(`extra_lines`), never under its key.
"""

from __future__ import annotations

# The act's own name for a blank <- the other names it arrives under.
ALIASES = {"org_code": ("school_code",), "ministry_rep": ("representative",), "org_name": ()}
ITEM_PARTS = ("item_name", "item_make", "item_quantity")  # the console's parts of "item_found"

# The blanks the acts print in place (the server adds student_name, ikt, seat, variant, room, school).
PRINTED = {"org_code", "org_name", "school", "room", "seat", "variant", "student_name", "ikt", "ministry_rep",
           "item_found", "impostor_name", "decision", "drawn_up_by", "description", "date", "time"}

# Labels, Kazakh / Russian as the forms print them, for fields an act has no blank for.
LABELS = {
    "witnesses": "Куәгерлер / Свидетели",
    "student": "Тестіленуші / Тестируемый",
    "login": "Логин",
    "note": "Ескерту / Примечание",
    "place": "Орны / Место",
    "subject": "Пән / Предмет",
}
OTHER_LABEL = "Басқа мәлімет / Иные сведения"


def act_values(fields: dict) -> dict:
    """The fields under the act's names; a name the act itself uses wins over its alias."""
    values = dict(fields)
    for name, aliases in ALIASES.items():
        for alias in aliases:
            if not values.get(name) and values.get(alias):
                values[name] = values[alias]
    if not values.get("item_found"):
        values["item_found"] = ", ".join(str(values[k]) for k in ITEM_PARTS if values.get(k))
    return values


def _consumed() -> set[str]:
    names = set(PRINTED) | set(ITEM_PARTS)
    for aliases in ALIASES.values():
        names.update(aliases)
    return names


CONSUMED = _consumed()


def extra_lines(fields: dict) -> list[tuple[str, str]]:
    """(label, value) for each field with a value that no blank of the act shows."""
    lines = []
    for key, value in fields.items():
        if key in CONSUMED or value in (None, ""):
            continue
        lines.append((LABELS.get(key, OTHER_LABEL), str(value)))
    return lines

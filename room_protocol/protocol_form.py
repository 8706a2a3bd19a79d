"""The testing protocol's fields (Annex 3): what the records say and what the administrator
types, read alike by the console and the printed protocol.

The records' facts (counts, times, the room) are recomputed from the records every time and
never taken from a save: a protocol saved mid-sitting used to freeze "finished 6" after the
close made it 9. What the administrator types is kept. A figure typed over a count is a
correction, saved under `<name>_corrected` and shown beside the true figure, never instead
of it.
"""

from __future__ import annotations

# Counted from the records; each may carry a typed correction.
CORRECTABLE = ("registered", "present", "absent", "late", "finished", "removed", "slips_handed", "slips_collected",
               "start_time", "end_time")

# Everything the records give (`protocol.prefilled`, and the texts made from it): never read from
# a save. Earlier consoles saved all of these with the typed fields.
RECORDED = frozenset(CORRECTABLE) | {"school", "room", "sitting", "grade", "date", "start", "end", "start_ms",
                                     "end_ms", "incidents", "pauses", "not_admitted", "late_grace_minutes"}

# What the administrator types, in the form's order.
TYPED = ("org_code", "administrator", "coordinator", "faults", "remarks")

SUFFIX = "_corrected"


def correction_key(name: str) -> str:
    return name + SUFFIX


def typed_fields(saved: dict) -> dict:
    """The saved fields the administrator typed (records and corrections left out)."""
    return {key: value for key, value in saved.items()
            if key not in RECORDED and not str(key).endswith(SUFFIX) and value not in (None, "")}


def corrections(saved: dict, true_texts: dict[str, str]) -> dict[str, str]:
    """name -> the typed figure, for each record the administrator deliberately corrected
    (a typed value that differs from the true one)."""
    found = {}
    for name in CORRECTABLE:
        typed = str(saved.get(correction_key(name)) or "").strip()
        if typed and typed != str(true_texts.get(name, "")).strip():
            found[name] = typed
    return found

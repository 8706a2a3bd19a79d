"""Small sound content written into a test's folder: a pack and a questionnaire that pass the
checker, for tests to break one flaw at a time."""

from __future__ import annotations

from pathlib import Path

PACK_TOML = '''\
kind = "test"
id = "g9-sample"
title = "Sample pack"
grade = 9
language = "kk"
variants = ["A", "B"]
rules = "Read every question carefully."

[timing]
total_minutes = 170
work_block_minutes = 35
break_minutes = 10
breaks = 3
breaks_optional = true
reopen_finished_subjects = false

[[subjects]]
id = "reading"
title = "Reading"
needs_kinds = ["single"]

[[subjects]]
id = "math"
title = "Mathematics"

[[subjects]]
id = "science"
title = "Science"
'''

# Variant A has the pack's one stimulus; B is the same without it.
STIMULUS = '''
[[stimulus]]
id = "s-bus"
title = "Bus timetable"
text = """
| Stop | Time |
|---|---|
| School | 08:10 |
"""
'''

READING = '''\
kind = "items"
variant = "{v}"
subject = "reading"
{stimulus}
[[item]]
id = "{v}-r1"
kind = "single"
{uses}points = 1
text = "When does the bus leave the school?"
options = ["07:50", "08:10", "08:30", "08:45"]
key = "B"

[[item]]
id = "{v}-r2"
kind = "multiple"
points = 2
text = "Which statements are true?"
options = ["one", "two", "three", "four"]
key = ["A", "C"]
'''

MATH = '''\
kind = "items"
variant = "{v}"
subject = "math"

[[item]]
id = "{v}-m1"
kind = "matching"
points = 3
text = "Match each metal to its symbol."
left = ["Iron", "Copper", "Sodium"]
right = ["Cu", "Na", "Fe", "K"]
key = {{ 1 = "C", 2 = "A", 3 = "B" }}

[[item]]
id = "{v}-m2"
kind = "short"
points = 1
text = "How many minutes does the trip take?"
key = 25
tolerance = 0
'''

SCIENCE = '''\
kind = "items"
variant = "{v}"
subject = "science"

[[item]]
id = "{v}-s1"
kind = "short"
points = 1
text = "Name the city."
key = ["Алматы", "Алма-Ата"]

[[item]]
id = "{v}-s2"
kind = "single"
points = 1
text = "Is water wet?"
options = ["yes", "no"]
key = "A"
'''


def write_sound_pack(folder: Path) -> Path:
    """A minimal sound pack: 2 variants, 3 subjects, every item kind, one stimulus."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pack.toml").write_text(PACK_TOML, encoding="utf-8")
    for v in ("A", "B"):
        (folder / v).mkdir(exist_ok=True)
        with_stimulus = v == "A"
        (folder / v / "reading.toml").write_text(READING.format(
            v=v, stimulus=STIMULUS if with_stimulus else "",
            uses='stimulus = "s-bus"\n' if with_stimulus else ""), encoding="utf-8")
        (folder / v / "math.toml").write_text(MATH.format(v=v), encoding="utf-8")
        (folder / v / "science.toml").write_text(SCIENCE.format(v=v), encoding="utf-8")
    return folder


def questionnaire_text(questions: int = 12) -> str:
    head = '''\
kind = "questionnaire"
id = "questionnaire-kk"
language = "kk"
title = "Сауалнама"
minutes = 15
intro = "Дұрыс немесе бұрыс жауап жоқ. Жауаптарың құпия."
'''
    parts = [head]
    for n in range(1, questions + 1):
        if n == 3:
            parts.append(f'\n[[question]]\nid = "q{n}"\nkind = "text"\ntext = "Сұрақ {n}?"\n')
        elif n == 2:
            parts.append(f'\n[[question]]\nid = "q{n}"\nkind = "multi"\ntext = "Сұрақ {n}?"\n'
                         'options = ["Иә", "Жоқ", "Білмеймін"]\n')
        else:
            parts.append(f'\n[[question]]\nid = "q{n}"\nkind = "choice"\ntext = "Сұрақ {n}?"\n'
                         'options = ["Күн сайын", "Сирек"]\n')
    return "".join(parts)


def write_sound_questionnaire(folder: Path, questions: int = 12) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "questionnaire-kk.toml"
    path.write_text(questionnaire_text(questions), encoding="utf-8")
    return path

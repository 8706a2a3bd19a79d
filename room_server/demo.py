"""The demo room: the sample grade 9 packs, 30 students with real Kazakh names, open at once."""

from __future__ import annotations

import base64
import csv
import random
from pathlib import Path

from content.loader import shipped_packs
from content.questionnaire_loader import shipped_questionnaires, with_centre_key
from room_protocol import seal

from .storage import Database, audit, now_ms
from .storage import meta as meta_rows
from .roster import iin_check_digit

SURNAMES = [
    ("Әбілқасымов", "Әбілқасымова"), ("Жұмабаев", "Жұмабаева"), ("Сейітқали", "Сейітқали"),
    ("Нұрланов", "Нұрланова"), ("Қайратов", "Қайратова"), ("Өмірзақов", "Өмірзақова"),
    ("Серікбаев", "Серікбаева"), ("Тоқтаров", "Тоқтарова"), ("Ұзақбаев", "Ұзақбаева"),
    ("Есенғали", "Есенғали"), ("Бекмұхамедов", "Бекмұхамедова"), ("Құрманғалиев", "Құрманғалиева"),
    ("Мұратов", "Мұратова"), ("Дәулетов", "Дәулетова"), ("Ғабдуллин", "Ғабдуллина"),
]
BOYS = ["Әлихан", "Нұрсұлтан", "Ерасыл", "Дәулет", "Арман", "Бауыржан", "Ернұр", "Мұхаммед", "Асқар",
        "Санжар", "Іңкәр", "Темірлан", "Ақжол", "Жандос", "Рүстем"]
GIRLS = ["Аружан", "Айгерім", "Әсем", "Мөлдір", "Жансая", "Інжу", "Томирис", "Аяулым", "Ұлпан", "Дариға",
         "Гүлнұр", "Сәуле", "Нұрай", "Әйгерім", "Ақерке"]
FATHERS = ["Серікұлы", "Болатұлы", "Қанатұлы", "Ерланұлы", "Мұратұлы", ""]
FATHERS_F = ["Серікқызы", "Болатқызы", "Қанатқызы", "Ерланқызы", "Мұратқызы", ""]


DEMO_CENTRE = "demo-centre"


def demo_centre(folder: Path) -> list[str]:
    """A trial analysis centre: its key pair (the private key owner-only, for trying
    `synaq-centre` on the demo room's bundle) and the sample questionnaires naming its public
    key. Returns the questionnaire files."""
    from .newroom import write_private
    folder.mkdir(parents=True, exist_ok=True)
    private, public = seal.new_key_pair()
    write_private(folder / "centre.key", base64.b64encode(private) + b"\n")
    (folder / "centre.pub").write_bytes(base64.b64encode(public) + b"\n")
    paths = []
    for path in shipped_questionnaires():
        target = folder / path.name
        target.write_text(with_centre_key(path, public), encoding="utf-8")
        paths.append(str(target))
    return paths


def demo_iin(rng: random.Random, girl: bool, born: int = 2011) -> str:
    while True:
        year = rng.choice([born - 1, born]) % 100
        first11 = f"{year:02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{6 if girl else 5}{rng.randint(0, 9999):04d}"
        check = iin_check_digit(first11)
        if check is not None:
            return first11 + str(check)


def demo_roster(path: Path, count: int = 30, seed: int = 2026, grade: int = 9) -> None:
    rng = random.Random(seed)
    rows = [["ИИН", "Фамилия", "Имя", "Отчество", "Класс", "Литер", "Язык тестирования"]]
    for index in range(count):
        girl = index % 2 == 1
        surname = SURNAMES[index % len(SURNAMES)][1 if girl else 0]
        name = (GIRLS if girl else BOYS)[index // 2 % 15]
        father = rng.choice(FATHERS_F if girl else FATHERS)
        language = "ru" if index % 5 == 4 else "kk"  # a room seats both languages
        rows.append([demo_iin(rng, girl, born=2026 - grade - 6), surname, name, father, str(grade), "ӘБ"[index % 2],
                     language])
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f, delimiter=";").writerows(rows)


async def make_demo_room(data: Path, *, open_sitting: bool = True, students: int = 30, streams: int = 1) -> None:
    """Creates the demo room once; a second run serves the same room. With `streams=2`, a day
    of two streams: grade 9 first, then grade 4 (room_server.day)."""
    from .day import is_room, stream_folder, streams as day_streams
    from .newroom import add_staff, init_room

    if is_room(data) or day_streams(data):
        return
    data.mkdir(parents=True, exist_ok=True)
    questionnaires = demo_centre(data / DEMO_CENTRE)
    grades = [(9, students, 2026), (4, 20, 2027)][:max(1, min(streams, 2))]
    rows = []
    for number, (grade, count, seed) in enumerate(grades, start=1):
        roster = data / f"demo-roster-{grade}.csv"
        demo_roster(roster, count, seed=seed, grade=grade)
        packs = [str(p) for p in shipped_packs() if p.name in (f"g{grade}-kk", f"g{grade}-ru")]
        room = await init_room(data, roster, packs, questionnaire_paths=questionnaires, school="Demo school No. 1",
                               room="12", sitting="1", stream=number if streams > 1 else None)
        rows += [[row["login"], row["password"], row["surname"], row["name"], row["seat"], number]
                 for row in room.logins]
    first = stream_folder(data, 1) if streams > 1 else data
    await add_staff(first, teachers=2, principals=1)  # their slips: staff-slips.csv in the room
    with open(data / "demo-logins.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["login", "password", "surname", "name", "seat", "stream"])
        writer.writerows(rows)
    if open_sitting:
        database = await Database.open(first)
        try:
            now = now_ms()
            await database.write([meta_rows.set_meta("sitting_state", "open"), meta_rows.set_meta("opened_ms", str(now)),
                                  audit.entry(now, "server", None, "sitting_opened", {"demo": True})])
        finally:
            await database.close()

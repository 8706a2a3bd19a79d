"""Creating a room: `room-server init` and the demo room.

One SQLite file, a copy of each pack (so the room cannot change under a sitting), the roster
with logins, ИКТ, seats, variants and scrypt-hashed passwords, the proctor key and the room's
Ed25519 signing key. The clear passwords go only to `login-slips.csv` (owner-readable) for
printing the slips.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import hashlib
import hmac
import os
import secrets
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from content.loader import load_pack
from content.questionnaire_loader import load_questionnaire
from content.toml_fields import problem_lines
from content.model import Questionnaire, TestPack

from . import day as day_rules
from .excel_text import excel_text, plain_text
from .model import Student
from .roster import Roster, RosterRow, read_roster_file
from .school_codes import bin_problem, region_problem
from .storage import DB_NAME, Database, now_ms
from .storage import audit, meta as meta_rows
from .storage import questionnaire as questionnaire_rows
from .storage import roster as roster_rows
from .storage import staff as staff_rows
from .sitting import assign_variants

PROCTOR_KEY_FILE = "proctor.key"
QUESTIONNAIRES_DIR = "questionnaires"
SIGNING_KEY_FILE = "signing.key"
SLIPS_FILE = "login-slips.csv"
STAFF_SLIPS_FILE = "staff-slips.csv"
STAFF_PREFIX = {"teacher": "t", "principal": "p"}  # t-01, p-01: never a student's m9-001
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off a slip by a child
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**11, 8, 1  # ~4 ms a check (2 MiB): 500 logins at once fit in ~1 s of 2 cores


class SetupError(Exception):
    """A room cannot be made; the message says why, in full."""


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


def new_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(6))


def write_private(path: Path, data: bytes) -> None:
    """A file only its owner can read (the proctor key, the signing key, the slips)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)


@dataclass
class NewRoom:
    data_dir: Path
    students: int
    proctor_key: str
    logins: list[dict]  # login, password, surname, name, seat, class


def load_packs(pack_paths: list[str]) -> dict[str, TestPack]:
    packs: dict[str, TestPack] = {}
    for path in pack_paths:
        pack, problems = load_pack(path)
        if pack is None:
            raise SetupError(f"the test pack {path} has problems:\n{problem_lines(problems, limit=50) or '  (not a test pack)'}")
        if pack.language in packs:
            raise SetupError(f"two packs for the language {pack.language}: {packs[pack.language].path} and {path}")
        packs[pack.language] = pack
    grades = {p.grade for p in packs.values()}
    if len(grades) > 1:
        raise SetupError("grade 4 and grade 9 sit in separate rooms: the packs given have grades " + ", ".join(map(str, sorted(grades))))
    variant_sets = {tuple(v.id for v in p.variants) for p in packs.values()}
    if len(variant_sets) > 1:
        raise SetupError("the packs of one room must have the same variants")
    return packs


def load_questionnaires(paths: list[str], languages: set[str]) -> list[Questionnaire]:
    """The questionnaires a room gives, each naming the analysis centre's key: answers are
    sealed to it on the answering computer, so a questionnaire without one is refused."""
    found: dict[tuple[str, str], Questionnaire] = {}
    for path in paths:
        questionnaire, problems = load_questionnaire(path)
        if questionnaire is None:
            raise SetupError(f"the questionnaire {path} has problems:\n"
                             f"{problem_lines(problems, limit=50) or '  (not a questionnaire)'}")
        if questionnaire.centre_key is None:
            raise SetupError(f"the questionnaire {path} names no analysis centre key (centre_key): the answers "
                             "could not be sealed for the centre. Use the questionnaire file the centre sent.")
        key = (questionnaire.audience, questionnaire.language)
        if key in found:
            raise SetupError(f"two {questionnaire.audience} questionnaires in {questionnaire.language}: "
                             f"{found[key].path} and {path}")
        found[key] = questionnaire
    missing = sorted(language for language in languages if ("student", language) not in found)
    if missing:
        raise SetupError("no student questionnaire for the test language(s) " + ", ".join(missing)
                         + " (give one --questionnaire per language)")
    keys = {q.centre_key for q in found.values()}
    if len(keys) > 1:
        raise SetupError("the questionnaires name different analysis centre keys; they must all name the same one")
    return list(found.values())


async def init_room(data_dir: str | Path, roster_path: str | Path, pack_paths: list[str], *,
                    questionnaire_paths: list[str], school: str = "", room: str = "1", sitting: str = "1",
                    stream: int | None = None, region: str = "", school_bin: str = "",
                    on_roster: Callable[[Roster], None] | None = None) -> NewRoom:
    """Makes the room; `on_roster` is shown the roster as understood before anything is written.
    With `stream`, the room is that stream of the day in `data_dir` (room_server.day): it
    shares the day's keys, and its logins and ИКТ are new to the day. `region` and
    `school_bin` (optional) place the school for the analysis centre."""
    data_dir = Path(data_dir)
    if (data_dir / DB_NAME).exists():
        raise SetupError(f"{data_dir} already holds a room of one sitting; choose an empty folder"
                         + (" (a day of streams starts in an empty folder)" if stream is not None else ""))
    codes = school_codes(region, school_bin)
    day, taken_logins, taken_ikts, iins_elsewhere = None, set(), set(), {}
    if stream is not None:
        if not 1 <= stream <= 20:
            raise SetupError(f"a stream is numbered 1 to 20, not {stream}")
        if stream in day_rules.streams(data_dir):
            raise SetupError(f"{data_dir} already has stream {stream}")
        day = data_dir
        try:
            taken_logins, taken_ikts, iins_elsewhere = day_rules.taken(day)
        except day_rules.DayError as exc:
            raise SetupError(str(exc)) from None
        data_dir, sitting = day_rules.stream_folder(day, stream), str(stream)
    packs = load_packs(pack_paths)
    questionnaires = load_questionnaires(questionnaire_paths, set(packs))
    grade = next(iter(packs.values())).grade
    roster = read_roster_file(roster_path, grade=grade, languages=set(packs))
    if on_roster is not None:
        on_roster(roster)
    rows = roster.rows
    twice = [f"line {row.line}: IIN {row.iin} sits in stream {iins_elsewhere[row.iin]}" for row in rows
             if row.iin in iins_elsewhere]
    if twice:
        raise SetupError("a student sits in one stream of the day; nothing was imported:\n  " + "\n  ".join(twice))
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    keys_from = day if day is not None and (day / PROCTOR_KEY_FILE).exists() else None
    made = await _create(data_dir, rows, packs, questionnaires, school=school, room=room, sitting=sitting,
                         keys_from=keys_from, taken_logins=taken_logins, taken_ikts=taken_ikts, codes=codes)
    if day is not None:
        for name in (PROCTOR_KEY_FILE, SIGNING_KEY_FILE):
            if not (day / name).exists():
                write_private(day / name, (data_dir / name).read_bytes())
        if day_rules.live_stream(day) == stream or not (day / day_rules.DAY_FILE).exists():
            day_rules.set_live(day, stream)
        make_private(day)
    return made


def school_codes(region: str, school_bin: str) -> dict[str, str]:
    """The meta rows of the given codes (region upper-cased), or SetupError naming the bad one."""
    codes = {}
    if region.strip():
        codes["region"] = region.strip().upper()
        problem = region_problem(codes["region"])
        if problem:
            raise SetupError(f"--region: {problem}")
    if school_bin.strip():
        codes["school_bin"] = school_bin.strip()
        problem = bin_problem(codes["school_bin"])
        if problem:
            raise SetupError(f"--school-bin: {problem}")
    return codes


def _seats(rows: list[RosterRow]) -> list[int]:
    """The roster's seats where given; the others fill the free numbers in roster order."""
    taken = {r.seat for r in rows if r.seat is not None}
    free = (n for n in range(1, 10_000) if n not in taken)
    return [r.seat if r.seat is not None else next(free) for r in rows]


async def _create(data_dir: Path, rows: list[RosterRow], packs: dict[str, TestPack],
                  questionnaires: list[Questionnaire], *, school: str, room: str, sitting: str,
                  keys_from: Path | None = None, taken_logins: set[str] = frozenset(),
                  taken_ikts: set[str] = frozenset(), codes: dict[str, str] | None = None) -> NewRoom:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    grade = next(iter(packs.values())).grade
    variants = [v.id for v in next(iter(packs.values())).variants]
    seats = _seats(rows)
    variant_of = assign_variants(seats, variants)
    passwords = [new_password() for _ in rows]
    loop = asyncio.get_running_loop()
    hashes = await asyncio.gather(*(loop.run_in_executor(None, hash_password, p) for p in passwords))

    for language, pack in packs.items():
        target = data_dir / "packs" / pack.id
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(Path(pack.path).parent if Path(pack.path).is_file() else pack.path, target)

    if keys_from is not None:  # a stream of a day: the day's keys
        proctor_key = read_proctor_key(keys_from)
        for name in (PROCTOR_KEY_FILE, SIGNING_KEY_FILE):
            write_private(data_dir / name, (keys_from / name).read_bytes())
    else:
        proctor_key = secrets.token_urlsafe(24)
        write_private(data_dir / PROCTOR_KEY_FILE, (proctor_key + "\n").encode())
        signing_key = Ed25519PrivateKey.generate()
        write_private(data_dir / SIGNING_KEY_FILE, signing_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

    database = await Database.open(data_dir, create=True)
    logins = []
    try:
        now = now_ms()
        meta = {
            "school": school, "room": str(room), "sitting": str(sitting), "grade": str(grade),
            "created_ms": str(now), "sitting_state": "not_open",
            "proctor_key_sha256": hashlib.sha256(proctor_key.encode()).hexdigest(),
            "room_id": secrets.token_hex(8),
            **(codes or {}),
        }
        used_ikt: set[str] = set(taken_ikts)
        numbers = (n for n in range(1, 100_000) if f"m{grade}-{n:03d}" not in taken_logins)
        students = []
        for index, (row, seat, password_hash) in enumerate(zip(rows, seats, hashes), start=1):
            login = f"m{grade}-{next(numbers):03d}"
            ikt = _new_ikt(used_ikt)
            students.append(Student(0, row.iin, row.surname, row.name, row.patronymic, row.grade, row.class_name,
                                    row.language, seat, variant_of[seat], login, ikt, password_hash))
            logins.append({"login": login, "password": passwords[index - 1], "surname": row.surname,
                           "name": row.name, "patronymic": row.patronymic, "seat": seat,
                           "class": f"{row.grade}{row.class_name}", "ikt": ikt})
        copies = []
        (data_dir / QUESTIONNAIRES_DIR).mkdir(exist_ok=True)
        for q in questionnaires:
            name = f"{QUESTIONNAIRES_DIR}/{q.audience}-{q.language}.toml"
            write_private(data_dir / name, Path(q.path).read_bytes())
            copies.append((q.audience, q.language, name))
        meta["centre_key"] = base64.b64encode(questionnaires[0].centre_key).decode()
        async with database.transaction() as tx:
            await roster_rows.create(tx, meta, [(language, pack.id, f"packs/{pack.id}") for language, pack in packs.items()],
                                     students, now, {"students": len(rows), "packs": sorted(p.id for p in packs.values())})
            await questionnaire_rows.add_files(tx, copies)
    finally:
        await database.close()
    write_slips_file(data_dir / SLIPS_FILE, logins)
    make_private(data_dir)
    return NewRoom(data_dir, len(rows), proctor_key, logins)


async def add_staff(data_dir: str | Path, *, teachers: int = 0, principals: int = 0,
                    questionnaire_paths: list[str] = ()) -> list[dict]:
    """Adds teachers' and principals' questionnaire slips to a room (and, with
    `questionnaire_paths`, their questionnaires, naming the room's centre key). Returns the
    new slips {login, password, audience}; the clear passwords go to `staff-slips.csv`."""
    data_dir = Path(data_dir)
    if not (data_dir / DB_NAME).exists():
        raise SetupError(f"no room in {data_dir} (create one with 'room-server init')")
    if teachers < 0 or principals < 0 or teachers + principals > 200:
        raise SetupError("give 0 to 200 slips in all (--teachers N, --principals N)")
    wanted = {"teacher": teachers, "principal": principals}
    database = await Database.open(data_dir)
    try:
        meta = await meta_rows.load_meta(database)
        have = {(audience, language) for audience, language, _ in await questionnaire_rows.files(database)}
        added: list[tuple[str, str, str]] = []
        for path in questionnaire_paths:
            questionnaire, problems = load_questionnaire(path)
            if questionnaire is None:
                raise SetupError(f"the questionnaire {path} has problems:\n"
                                 f"{problem_lines(problems, limit=50) or '  (not a questionnaire)'}")
            if questionnaire.audience not in STAFF_PREFIX:
                raise SetupError(f"the questionnaire {path} is for {questionnaire.audience}s; give a teacher's or a "
                                 "principal's here (students' questionnaires are given at init)")
            if questionnaire.centre_key is None or base64.b64encode(questionnaire.centre_key).decode() != meta.get(
                    "centre_key"):
                raise SetupError(f"the questionnaire {path} does not name this room's analysis centre key; use the "
                                 "file the centre sent with the students' questionnaires")
            key = (questionnaire.audience, questionnaire.language)
            if key in have:
                raise SetupError(f"the room already has a {key[0]} questionnaire in {key[1]}")
            have.add(key)
            added.append((questionnaire.audience, questionnaire.language,
                          f"{QUESTIONNAIRES_DIR}/{questionnaire.audience}-{questionnaire.language}.toml"))
            write_private(data_dir / added[-1][2], Path(path).read_bytes())
        for audience, count in wanted.items():
            if count and not any(aud == audience for aud, _ in have):
                raise SetupError(f"the room has no {audience} questionnaire: add the centre's file with "
                                 f"--questionnaire {audience}-kk.toml (and -ru)")
        taken = await staff_rows.logins(database)
        if data_dir.name.startswith(day_rules.STREAM_PREFIX) and not day_rules.is_room(data_dir.parent):
            taken |= day_rules.taken(data_dir.parent)[0]  # a stream of a day: slips unique in the day
        slips, statements, now = [], [], now_ms()
        for audience, count in wanted.items():
            numbers = [int(login.split("-")[1]) for login in taken if login.startswith(STAFF_PREFIX[audience] + "-")]
            for n in range(max(numbers, default=0) + 1, max(numbers, default=0) + 1 + count):
                slips.append({"login": f"{STAFF_PREFIX[audience]}-{n:02d}", "password": new_password(),
                              "audience": audience})
        loop = asyncio.get_running_loop()
        hashes = await asyncio.gather(*(loop.run_in_executor(None, hash_password, s["password"]) for s in slips))
        statements = [staff_rows.add(s["login"], s["audience"], h, now) for s, h in zip(slips, hashes)]
        statements.append(audit.entry(now, "server", None, "staff_added", {"teachers": teachers,
                                                                           "principals": principals}))
        async with database.transaction() as tx:
            if added:
                await questionnaire_rows.add_files(tx, added)
            for sql, params in statements:
                await tx.execute(sql, params)
    finally:
        await database.close()
    slips_file = data_dir / STAFF_SLIPS_FILE
    earlier = read_slips_file(slips_file) if slips_file.exists() else []
    _write_csv_private(slips_file, ["login", "password", "audience"], earlier + slips)
    return slips


def make_private(folder: Path) -> None:
    """The room's folder and everything in it readable by its owner only: a class's names,
    IINs, password hashes, answers, the packs' keys and the slips' clear passwords. (On
    Windows the user's profile folder protects them; see README.)"""
    if os.name != "posix":
        return
    os.chmod(folder, 0o700)
    for path in Path(folder).rglob("*"):
        if path.is_symlink():
            continue
        os.chmod(path, 0o700 if path.is_dir() else 0o600)


def _new_ikt(used: set[str]) -> str:
    while True:
        ikt = f"{secrets.randbelow(10**7):07d}"
        if ikt not in used:
            used.add(ikt)
            return ikt


def write_slips_file(path: Path, logins: list[dict]) -> None:
    _write_csv_private(path, ["login", "password", "surname", "name", "patronymic", "class", "seat", "ikt"], logins)


def _write_csv_private(path: Path, fields: list[str], rows: list[dict]) -> None:
    lines = [",".join(fields)]
    for row in rows:
        lines.append(",".join(_csv_cell(excel_text(str(row[f])) if f == "ikt" else row[f]) for f in fields))
    write_private(path, ("\n".join(lines) + "\n").encode("utf-8"))


def _csv_cell(value) -> str:
    text = str(value)
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text


def read_slips_file(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return [{k: plain_text(v) if isinstance(v, str) else v for k, v in row.items()} for row in csv.DictReader(f)]


def read_proctor_key(data_dir: Path) -> str:
    return (Path(data_dir) / PROCTOR_KEY_FILE).read_text().strip()

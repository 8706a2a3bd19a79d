"""`synaq-centre simulate`: signed bundles of simulated schools, as rooms would bring them.

Each simulated room becomes a `room_server.snapshot.Snapshot` (the object the room reads from
its SQLite file), and is written by the room's own `export_bundle` with a signing key of its
own, so the centre ingests exactly what a real room would write (bundle format 2): the files
that name people sealed to the centre's key, the questionnaire responses sealed as a student's
computer seals them (`room_protocol.responses.seal_response`, with the student's ИКТ), the
answers, QTI, the manifest with the school's region and BIN (one school in ten has none, as a
room made without `--region`), and its signature.

The students answer by a Rasch model: ability θ (a school effect plus the student's own),
each item a difficulty b shared by its Kazakh and Russian forms; a student earns an item's
full points with probability 1 / (1 + exp(b − θ)), otherwise a wrong or partly right answer,
or none. Some students are absent, a few are removed with an act (results annulled), a few run
out of time with one answer arriving late (counted) and one made too late (refused). One
planted item is harder in Russian than in Kazakh (DIF). `simulation.json` beside the bundles
keeps the generating difficulties for checking the analysis.
"""

from __future__ import annotations

import base64
import json
import math
import random
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from content.questionnaire_loader import shipped_questionnaire
from content.model import Item, TestPack
from content.scoring import score_attempt, score_item
import room_protocol as p
from room_protocol.responses import seal_response
from room_server.bundle import export_bundle
from room_server.demo import BOYS, FATHERS, FATHERS_F, GIRLS, SURNAMES, demo_iin
from room_server.newroom import SIGNING_KEY_FILE, write_private
from room_server.roster import iin_check_digit
from room_server.snapshot import Snapshot, StudentRecord

from .itembank import ItemBank
from .regions import REGIONS

ALMATY = timezone(timedelta(hours=5))
TRUTH_FILE = "simulation.json"
KEY_DIR = "centre-key"  # the centre key pair simulate makes when it is given none
ABSENT, REMOVED, TIME_OVER = 0.05, 0.004, 0.01  # shares of students
OMIT = 0.12  # of answers that are not fully right, the share left blank


@dataclass
class Made:
    bundles: int = 0
    students: int = 0
    truth: dict = field(default_factory=dict)


def difficulties(bank: ItemBank, seed: int) -> dict[str, float]:
    """One generating difficulty per grade and item id ("9/A-m2"), shared by kk and ru."""
    rng = random.Random(f"difficulty-{seed}")
    out: dict[str, float] = {}
    for (grade, _language), pack in sorted(bank.packs.items()):
        for variant in pack.variants:
            for item in variant.items():
                out.setdefault(f"{grade}/{item.id}", round(rng.gauss(0.0, 1.0), 3))
    return out


def correct_value(item: Item):
    if item.kind == "single":
        return item.key
    if item.kind == "multiple":
        return sorted(item.key)
    if item.kind == "matching":
        return dict(item.key)
    if item.answer_type == "number":
        return f"{float(item.key):g}".replace(".", ",")
    return item.key[0]


def wrong_value(item: Item, rng: random.Random):
    """A response that does not earn the full points (it may earn some)."""
    for _ in range(20):
        if item.kind == "single":
            others = [chr(65 + i) for i in range(len(item.options)) if chr(65 + i) != item.key]
            # The first wrong option is the tempting one: it draws half of the wrong answers.
            value = others[0] if rng.random() < 0.5 else rng.choice(others)
        elif item.kind == "multiple":
            letters = [chr(65 + i) for i in range(len(item.options))]
            value = sorted(rng.sample(letters, rng.randint(1, min(3, len(letters)))))
        elif item.kind == "matching":
            right = [chr(65 + i) for i in range(len(item.right))]
            value = {str(i + 1): rng.choice(right) for i in range(len(item.left))}
        elif item.answer_type == "number":
            value = str(int(float(item.key)) + rng.choice([-10, -2, -1, 1, 3, 100]))
        else:
            value = rng.choice(["білмеймін", "не знаю", "жоқ"])
        if score_item(item, value) < item.points:
            return value
    return None


class Simulator:
    def __init__(self, bank: ItemBank, centre_key: bytes, *, seed: int = 1, year: int = 2027,
                 dif_item: str | None = "A-m2", dif_shift: float = 1.2, grades: tuple[int, ...] = (4, 9)):
        self.bank, self.seed, self.year, self.centre_key = bank, seed, year, centre_key
        self.rng = random.Random(seed)
        self.b = difficulties(bank, seed)
        self.dif_item, self.dif_shift = dif_item, dif_shift
        self.grades = tuple(g for g in grades if any(k[0] == g for k in bank.packs))
        self.questionnaires = {lang: _as_sent(shipped_questionnaire(lang), centre_key) for lang in ("kk", "ru")}
        self.used_rooms: set[str] = set()

    def truth(self) -> dict:
        return {"difficulties": self.b, "dif": {"item": self.dif_item, "focal": "ru", "shift": self.dif_shift},
                "seed": self.seed, "year": self.year}

    def p_full(self, grade: int, language: str, item: Item, theta: float) -> float:
        b = self.b[f"{grade}/{item.id}"]
        if language == "ru" and item.id == self.dif_item:
            b += self.dif_shift
        return 1.0 / (1.0 + math.exp(b - theta))

    def schools(self, count: int):
        """(region, school name, BIN or "", languages, school effect) for each simulated school."""
        regions = sorted(REGIONS)
        used = {""}
        for n in range(count):
            region = regions[n % len(regions)]
            number = 1 + n // len(regions)
            roll = self.rng.random()
            languages = ("kk",) if roll < 0.6 else ("ru",) if roll < 0.9 else ("kk", "ru")
            name = (f"№ {number} мектеп-гимназия" if languages == ("kk",) else f"Школа-лицей № {number}"
                    if languages == ("ru",) else f"№ {number} аралас мектеп")
            school_bin = ""
            while n % 10 != 9 and school_bin in used:  # one school in ten was made without its codes
                school_bin = a_bin(self.rng)
            used.add(school_bin)
            yield region, name, school_bin, languages, self.rng.gauss(0.0, 0.5)

    def room(self, grade: int, school: str, languages: tuple[str, ...], effect: float, room_no: int,
             codes: dict[str, str] | None = None) -> Snapshot:
        rng = self.rng
        packs = {lang: self.bank.pack(grade, lang) for lang in languages}
        first = next(iter(packs.values()))
        variants = [v.id for v in first.variants]
        day = datetime(self.year, 4, 8 + rng.randrange(15), 10, 0, tzinfo=ALMATY)
        opened = int(day.timestamp() * 1000)
        limit_ms = first.timing.total_minutes * 60_000
        room_id = f"{rng.getrandbits(64):016x}"
        students, incidents, questionnaire = [], [], []
        used_ikt: set[str] = set()
        classes = ["А", "Б", "В"][: rng.choice([1, 2, 2, 3])]
        for index in range(rng.randint(18, 30)):
            girl = index % 2 == 1
            language = languages[index % len(languages)]
            ikt = f"{rng.randrange(10**7):07d}"
            while ikt in used_ikt:
                ikt = f"{rng.randrange(10**7):07d}"
            used_ikt.add(ikt)
            surname = SURNAMES[rng.randrange(len(SURNAMES))][1 if girl else 0]
            s = StudentRecord(index + 1, demo_iin(rng, girl), surname, rng.choice(GIRLS if girl else BOYS),
                              rng.choice(FATHERS_F if girl else FATHERS), grade, rng.choice(classes), language,
                              index + 1, variants[index % len(variants)], f"m{grade}-{index + 1:03d}", ikt,
                              {"present": True, "slip_handed": True, "slip_collected": True}, {})
            students.append(s)
            roll = rng.random()
            if roll < ABSENT:
                s.attendance = {"present": False, "reason": "ауырып қалды / болеет", "document": "анықтама"}
                continue
            theta = effect + rng.gauss(0.0, 1.0)
            started = opened + rng.randrange(180_000)
            removed, late = roll < ABSENT + REMOVED, ABSENT + REMOVED <= roll < ABSENT + REMOVED + TIME_OVER
            self._answer(s, packs[language], theta, started, limit_ms, removed=removed, late=late)
            s.score = score_attempt(packs[language], s.variant, s.latest)
            if removed:
                incidents.append({"id": len(incidents) + 1, "kind": "annex1", "student_id": s.id,
                                  "at_ms": s.attempt["finished_ms"],
                                  "fields": {"ikt": ikt, "item_found": "ұялы телефон / мобильный телефон",
                                             "ministry_rep": "Қасымова Г. М.", "decision": "annulled"}})
            else:
                questionnaire.append(self._questionnaire(language, theta, ikt))
        closed = max([s.attempt.get("finished_ms") or opened for s in students]) + 60_000
        meta = {"school": school, "room": str(room_no), "sitting": "1", "grade": str(grade), "room_id": room_id,
                "sitting_state": "closed", "opened_ms": str(opened), "closed_ms": str(closed),
                "created_ms": str(opened - 86_400_000), "centre_key": base64.b64encode(self.centre_key).decode(),
                **(codes or {})}
        rng.shuffle(questionnaire)  # as a room's bundle: in no order that names anyone
        return Snapshot(Path("."), closed + 120_000, meta, packs, students, incidents, [], [], questionnaire,
                        {"administrator": "Жақсылықова Әйгерім"}, None, [])

    def _answer(self, s: StudentRecord, pack: TestPack, theta: float, started: int, limit_ms: int, *,
                removed: bool, late: bool) -> None:
        rng = self.rng
        items = pack.variant(s.variant).items()
        stop = rng.randrange(3, len(items)) if removed else len(items)
        pace = limit_ms * rng.uniform(0.45, 0.9) / len(items)
        made = 0
        seq = 0
        for item in items[:stop]:
            made += int(pace * rng.uniform(0.5, 1.5))
            if rng.random() < self.p_full(s.grade, s.language, item, theta):
                value = correct_value(item)
            elif rng.random() < (OMIT * 2 if item.kind == "short" else OMIT):
                continue
            else:
                value = wrong_value(item, rng)
            if rng.random() < 0.05:  # changed their mind: an earlier answer, then this one
                seq += 1
                s.answers.append({"seq": seq, "item": item.id, "value": wrong_value(item, rng), "made_ms": made - 5000,
                                  "received_ms": started + made - 4900, "counted": True, "late": False})
            seq += 1
            s.answers.append({"seq": seq, "item": item.id, "value": value, "made_ms": made,
                              "received_ms": started + made + rng.randrange(30, 400), "counted": True, "late": False})
        finished = started + min(made + rng.randrange(20_000, 120_000), limit_ms)
        reason = "removed" if removed else "finished"
        if late and s.answers:
            # Offline at the deadline: the last answer made in time arrives after it and counts;
            # one made after the deadline arrives too and is refused.
            finished = started + limit_ms
            reason = "time_over"
            last = s.answers[-1]
            last["received_ms"] = finished + rng.randrange(5_000, 60_000)
            last["late"] = True
            seq += 1
            s.answers.append({"seq": seq, "item": last["item"], "value": wrong_value(items[0], rng),
                              "made_ms": limit_ms + 2_000, "received_ms": last["received_ms"] + 1_000, "counted": False,
                              "late": False})
        for a in s.answers:
            if a["counted"]:
                s.latest[a["item"]] = a["value"]
                s.latest_seq[a["item"]] = a["seq"]
        s.attempt = {"state": "removed" if removed else "done", "started_ms": started, "finished_ms": finished,
                     "finish_reason": reason, "annulled": 1 if removed else 0}

    def _questionnaire(self, language: str, theta: float, ikt: str) -> dict:
        """The student's response, sealed as their computer seals it."""
        rng = self.rng
        q = self.questionnaires[language]
        answers = {}
        for n, question in enumerate(q.questions):
            options = len(question.options)
            if question.kind == "choice":
                # Answers that go with results: the further down the list, the weaker (books at home, ...).
                lean = -0.6 * theta if n % 2 == 0 else 0.0
                answers[question.id] = min(options - 1, max(0, round((options - 1) / 2 + lean + rng.gauss(0, 0.8))))
            elif question.kind == "multi":
                answers[question.id] = sorted(rng.sample(range(options), rng.randint(1, min(2, options))))
            elif rng.random() < 0.3:
                answers[question.id] = "—"
        return {"audience": q.audience, "questionnaire": q.questionnaire,
                "sealed": seal_response(q, answers, ikt)}


def _as_sent(questionnaire, centre_key: bytes) -> p.QuestionnaireOut:
    """The questionnaire as the room sends it to a student's computer."""
    q = questionnaire
    return p.QuestionnaireOut(q.id, q.version, q.audience, q.title, q.intro, q.minutes, q.minutes * 60_000,
                              [p.QuestionView(**x.student_view()) for x in q.questions], centre_key)


def a_bin(rng: random.Random) -> str:
    """A valid BIN: a registration month, a resident legal entity (4), a serial, the check digit."""
    while True:
        first11 = f"{rng.randrange(90, 100):02d}{rng.randrange(1, 13):02d}40{rng.randrange(10**5):05d}"
        check = iin_check_digit(first11)
        if check is not None:
            return first11 + str(check)


def simulate_bundles(out: Path, *, centre_key: bytes, schools: int = 10, seed: int = 1, year: int = 2027,
                     dif_item: str | None = "A-m2", grades: tuple[int, ...] = (4, 9), bank: ItemBank | None = None) -> Made:
    """Writes one bundle per simulated room, sealed to `centre_key` (the centre's raw public
    key), into `out/<region>/`, and `out/simulation.json`."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    sim = Simulator(bank or ItemBank.load(), centre_key, seed=seed, year=year, dif_item=dif_item, grades=grades)
    made = Made(truth=sim.truth())
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="synaq-sim-") as laptops:
        for number, (region, name, school_bin, languages, effect) in enumerate(sim.schools(schools)):
            codes = {"region": region, "school_bin": school_bin} if school_bin else {}
            for grade in sim.grades:
                snapshot = sim.room(grade, name, languages, effect, room_no=10 + grade, codes=codes)
                laptop = Path(laptops) / f"room-{number}-{grade}"
                laptop.mkdir()
                write_private(laptop / SIGNING_KEY_FILE, Ed25519PrivateKey.generate().private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
                target = out / region
                target.mkdir(exist_ok=True)
                export_bundle(laptop, target, snapshot=snapshot)
                made.bundles += 1
                made.students += len(snapshot.students)
    (out / TRUTH_FILE).write_text(json.dumps(made.truth, ensure_ascii=False, indent=1), encoding="utf-8")
    return made

"""Reading one USB bundle into the dataset's rows: the ONLY module that knows the bundle's
files. Everything else in the centre sees `BundleRecords`.

The room's own checker (`room_server.bundle_verify.verify_bundle`) says whether the folder is the
signed, complete bundle it claims to be; this module then decides whether it belongs here
(bundle format 2, sealed to this centre's key, signed by a registered room key when the
centre keeps a list, its region, its test forms in the centre's item bank, its scores agreeing
with the centre's keys) and turns its files into rows.

Format 2 (`synaq-bundle/2`): the files that name people are stored as `NAME.sealed`, sealed
with HPKE to the centre's key (`room_protocol.seal`, bound to their names); `_open_sealed()`
opens every one of them and a bundle with one that does not open is refused. The
questionnaire responses were sealed on the students' computers (`room_protocol.responses`):
each carries its student's ИКТ, which links it to that student's results here and nowhere
else. A response is a student's doing, not the room's, so one that does not open or does not
fit is set aside (counted, and named in the ingest's note), never a reason to refuse a
school's results.
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from room_protocol.responses import RESPONSE_VERSION, open_response
from room_protocol.seal import SealError, fingerprint_for_paper, open_sealed
from room_server.bundle import SEALED_SUFFIX, is_personal, sealed_info
from room_server.bundle_verify import CENTRE_KEY, FORMAT, MANIFEST, SIGNATURE, verify_bundle
from room_server.excel_text import plain_text
from room_server.school_codes import bin_problem

from .itembank import ItemBank
from .keys import CentreKey
from .levels import level_of
from .regions import is_region

# Why a bundle is refused; the ingest report and the quarantine list use these words.
NOT_A_BUNDLE, INCOMPLETE, TAMPERED, FOREIGN, UNREADABLE = "not_a_bundle", "incomplete", "tampered", "foreign", "unreadable"
UNOPENED = "unopened"  # signed and whole, but a sealed file does not open with this centre's key


class BundleRefused(Exception):
    def __init__(self, kind: str, reason: str):
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


@dataclass
class BundleRecords:
    path: Path
    bundle_id: str  # SHA-256 of manifest.json: the same bundle copied twice has the same id
    manifest: dict
    year: int
    grade: int
    region: str
    sitting_id: str
    school_id: str
    room_key: str
    sealed_to: str
    rows: dict[str, list[dict]] = field(default_factory=dict)  # table -> rows (no partition columns)
    notes: list[str] = field(default_factory=list)  # what was set aside, for the ingest's report
    questionnaires: int = 0  # questionnaire responses kept
    set_aside: int = 0  # and set aside

    @property
    def students(self) -> int:
        return len(self.rows.get("students", []))

    @property
    def partition(self) -> dict:
        return {"year": self.year, "grade": self.grade, "region": self.region}


# ------------------------------------------------------------------------- verification

def _check(path: Path) -> tuple[dict, bytes, str]:
    """(manifest, its bytes, the room key's fingerprint) of a bundle that verifies; refused otherwise."""
    if not (path / MANIFEST).is_file():
        if path.is_dir() and any(path.iterdir()) and (path.name.startswith("MODO_") or (path / SIGNATURE).exists()
                                                      or (path / "results.csv").exists()):
            raise BundleRefused(INCOMPLETE, f"missing: {MANIFEST} (the bundle was not copied whole?)")
        raise BundleRefused(NOT_A_BUNDLE, f"{path} holds no {MANIFEST}: not a Synaq bundle")
    report = verify_bundle(path)
    made_as = report.manifest.get("format") if report.manifest else None
    if made_as is not None and made_as != FORMAT:
        raise BundleRefused(FOREIGN, f"bundle format {made_as!r}; this centre reads {FORMAT} (the room's results "
                                     "sealed to the centre): export the room again with the current room-server")
    if report.ok:
        return report.manifest, (path / MANIFEST).read_bytes(), report.fingerprint
    reason = "; ".join(report.problems[:4]) + (f" (and {len(report.problems) - 4} more)" if len(report.problems) > 4 else "")
    raise BundleRefused(INCOMPLETE if _cut_short(path, report.manifest) else TAMPERED, reason)


def _cut_short(path: Path, manifest: dict) -> bool:
    """A half-copied bundle: the signature or the manifest or a listed file is missing, or a
    file is shorter than the manifest says, and nothing present differs otherwise."""
    if not (path / MANIFEST).is_file() or not (path / SIGNATURE).is_file() or not manifest:
        return True
    for entry in manifest.get("files", []):
        try:
            target = path / str(entry["path"])
            if not target.is_file() or target.stat().st_size < int(entry["size"]):
                return True
        except (KeyError, TypeError, ValueError, OSError):
            return False
    return False


# ------------------------------------------------------------------------- files

def _listed(manifest: dict) -> set[str]:
    return {str(e.get("path")) for e in manifest.get("files", []) if isinstance(e, dict)}


def _open_sealed(path: Path, manifest: dict, key: CentreKey) -> dict[str, bytes]:
    """Every sealed file opened with the centre's private key, by its name without `.sealed`.
    A file that names people must be sealed, and every sealed file must open."""
    listed = _listed(manifest)
    sealed = sorted(p for p in listed if p.endswith(SEALED_SUFFIX))
    if sorted(map(str, manifest.get("sealed") or [])) != sealed:
        raise BundleRefused(TAMPERED, f"{MANIFEST}: its list of sealed files does not match the files it lists")
    clear = sorted(p for p in listed if is_personal(p) and not p.endswith(SEALED_SUFFIX))
    if clear:
        raise BundleRefused(FOREIGN, f"{clear[0]} names people but is not sealed: a {FORMAT} bundle seals it "
                                     "to the centre's key (a bundle not written by room-server?)")
    opened = {}
    for name in sealed:
        logical = name.removesuffix(SEALED_SUFFIX)
        try:
            opened[logical] = open_sealed(key.private, (path / name).read_bytes(), sealed_info(logical))
        except SealError:
            raise BundleRefused(UNOPENED, f"{name} does not open with this centre's key {key.for_paper}: it was "
                                          "sealed to another key or for another file, or altered and signed "
                                          "again; nothing of the bundle was taken") from None
    return opened


def _file(path: Path, manifest: dict, name: str, opened: dict[str, bytes]) -> bytes | None:
    """A logical file of the bundle (results.csv, ...), opened if it was sealed, or None when
    the bundle has none."""
    if name in opened:
        return opened[name]
    if name in _listed(manifest):
        return (path / name).read_bytes()
    return None


_ESCAPED = re.compile(r"^'[=+\-@\t\r]")


def _csv_rows(data: bytes | None, name: str) -> list[dict]:
    if data is None:
        return []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BundleRefused(UNREADABLE, f"{name} is not UTF-8 text") from None
    rows = []
    for row in csv.DictReader(io.StringIO(text), delimiter=";"):
        # The room put a ' before cells that a spreadsheet would run as a formula, and wrote
        # IIN and ИКТ as ="0123456" so that Excel keeps them as text.
        rows.append({k: plain_text(v[1:] if v and _ESCAPED.match(v) else v or "") for k, v in row.items()
                     if k is not None})
    return rows


def _jsonl(data: bytes | None, name: str) -> list[dict]:
    rows = []
    for number, line in enumerate((data or b"").decode("utf-8", "replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            raise BundleRefused(UNREADABLE, f"{name} line {number} is not JSON") from None
        if isinstance(row, dict):
            rows.append(row)
    return rows


def _int(text: object) -> int | None:
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return None


def _bool(text: object) -> bool:
    return str(text).strip() in ("1", "true", "True")


def _local_ms(text: str, offset: timezone) -> int | None:
    """A room-local 'YYYY-MM-DD HH:MM:SS' as epoch ms, with the room's UTC offset."""
    if not text:
        return None
    try:
        return int(datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=offset).timestamp() * 1000)
    except ValueError:
        return None


def school_key(region: str, school: str) -> str:
    """A school's id when the room gives none: its region and its name as written, normalised."""
    name = " ".join(unicodedata.normalize("NFC", school).casefold().replace("n°", "№").split())
    return "S-" + hashlib.sha256(f"{region}|{name}".encode()).hexdigest()[:12]


# ------------------------------------------------------------------------- reading

def read_bundle(path: str | Path, bank: ItemBank, *, key: CentreKey, region: str | None = None,
                source: str | None = None, room_keys: set[str] | None = None) -> BundleRecords:
    """Verifies the bundle at `path` and reads it into rows; raises BundleRefused with the reason.
    `region` is where the bundle came from (--region, or its stick's folder) when it names none;
    `room_keys` (fingerprints), when given, are the only room keys accepted."""
    path = Path(path)
    manifest, manifest_bytes, room_key = _check(path)
    if room_keys is not None and room_key not in room_keys:
        raise BundleRefused(FOREIGN, f"signed by the room key {fingerprint_for_paper(room_key)}, which is not among "
                                     f"the {len(room_keys)} registered room keys (--keys): a room the centre does "
                                     "not know, or a bundle edited and signed again")
    sealed_to = _sealed_to(path, manifest, key)
    opened = _open_sealed(path, manifest, key)
    region = _region(manifest, region)
    try:
        grade = int(manifest.get("grade"))
        taken = datetime.fromisoformat(str(manifest.get("snapshot_at")))
        offset = taken.tzinfo or timezone(timedelta(hours=5))
    except (TypeError, ValueError):
        raise BundleRefused(UNREADABLE, f"{MANIFEST} has no valid grade or snapshot time") from None
    room_id = str(manifest.get("room_id") or room_key.removeprefix("SHA256:")[:16])
    sitting_id = f"{room_id}/{manifest.get('sitting') or '1'}"
    school = str(manifest.get("school") or "")
    school_bin = str(manifest.get("school_bin") or "")
    if school_bin and bin_problem(school_bin):
        raise BundleRefused(FOREIGN, f"the bundle names an invalid school BIN: {bin_problem(school_bin)}")
    school_id = school_bin or school_key(region, school)
    records = BundleRecords(path, hashlib.sha256(manifest_bytes).hexdigest(), manifest, taken.year, grade, region,
                            sitting_id, school_id, room_key, sealed_to)
    common = {"sitting_id": sitting_id, "school_id": school_id}

    results = _csv_rows(_file(path, manifest, "results.csv", opened), "results.csv")
    answers = _jsonl(_file(path, manifest, "answers.jsonl", opened), "answers.jsonl")
    if not results:
        raise BundleRefused(UNREADABLE, "results.csv lists no students")
    _students(records, results, answers, bank, offset, common, school)
    _questionnaire(records, _jsonl(_file(path, manifest, "questionnaire.jsonl", opened), "questionnaire.jsonl"),
                   key, common)
    records.rows["incidents"] = [
        {**common, "incident": _int(r.get("id")), "kind": r.get("kind"), "at_local": r.get("at"),
         "ikt": r.get("ikt") or None, "decision": r.get("decision") or None, "act_file": r.get("act_file") or None}
        for r in _csv_rows(_file(path, manifest, "incidents.csv", opened), "incidents.csv")]
    records.rows["bundles"] = [{
        "bundle_id": records.bundle_id, "bundle_name": manifest.get("bundle"), "sitting_id": sitting_id,
        "room_id": room_id, "school_id": school_id, "school": school, "school_bin": manifest.get("school_bin") or None,
        "region_from": "bundle" if manifest.get("region") else "given", "room": manifest.get("room"),
        "sitting": manifest.get("sitting"), "sitting_state": manifest.get("sitting_state"),
        "snapshot_at": int(taken.timestamp() * 1000), "room_key": room_key, "sealed_to": sealed_to,
        "students": records.students, "responses": len(records.rows["responses"]),
        "questionnaires": records.questionnaires, "questionnaires_set_aside": records.set_aside,
        "source": source or str(path), "ingested_at": None, "ingested_by": None}]
    return records


def _sealed_to(path: Path, manifest: dict, key: CentreKey) -> str:
    """The centre key the bundle was sealed to, which must be this centre's."""
    block = manifest.get("centre_key")
    named = block.get("fingerprint") if isinstance(block, dict) else None
    if named != key.fingerprint:
        theirs = fingerprint_for_paper(str(named)) if named else "no key"
        raise BundleRefused(FOREIGN, f"sealed to another centre's key ({theirs}); this centre's key is "
                                     f"{key.for_paper}: a room made with another centre's questionnaires")
    try:
        written = base64.b64decode((path / CENTRE_KEY).read_bytes().strip(), validate=True)
    except (OSError, binascii.Error, ValueError):
        written = b""
    if written != key.public:
        raise BundleRefused(TAMPERED, f"{CENTRE_KEY} is not the key the manifest names")
    return named


def _region(manifest: dict, given: str | None) -> str:
    """The region the bundle names (signed), else the one given; a given one that contradicts
    the bundle's is refused, so that a stick sorted into the wrong folder is looked at."""
    named = str(manifest.get("region") or "").upper()
    given = str(given or "").upper()
    if named and not is_region(named):
        raise BundleRefused(FOREIGN, f"the bundle names an unknown region code {named!r}")
    if named and given and given != named:
        raise BundleRefused(FOREIGN, f"the bundle names the region {named}, but it was given as {given} "
                                     "(--region or its stick's folder): which is right?")
    region = named or given
    if not region:
        raise BundleRefused(FOREIGN, "the bundle names no region: give --region KZ-XXX, or put the region's "
                                     "sticks in a folder named by its code (e.g. KZ-ALM/)")
    if not is_region(region):
        raise BundleRefused(FOREIGN, f"unknown region code {region!r}")
    return region


def _students(records: BundleRecords, results: list[dict], answers: list[dict], bank: ItemBank,
              offset: timezone, common: dict, school: str) -> None:
    grade = records.grade
    scored: dict[str, dict[str, dict]] = {}
    refused: dict[str, int] = {}
    for a in answers:
        ikt = str(a.get("ikt", ""))
        if a.get("scored"):
            scored.setdefault(ikt, {})[str(a.get("item"))] = a
        elif not a.get("counted"):
            refused[ikt] = refused.get(ikt, 0) + 1
    students, subject_scores, responses, identities = [], [], [], []
    disagree: list[str] = []
    seen: set[str] = set()
    for r in results:
        ikt = (r.get("ikt") or "").strip()
        if not ikt or ikt in seen:
            raise BundleRefused(UNREADABLE, f"results.csv has a missing or repeated ИКТ {ikt!r}")
        seen.add(ikt)
        language, variant = r.get("language", ""), r.get("variant", "")
        form = bank.form(grade, language, variant)
        if form is None:
            raise BundleRefused(FOREIGN, f"the centre's item bank has no grade {grade} {language or '?'} test with "
                                         f"variant {variant or '?'} (ИКТ {ikt}): a bundle of another test?")
        started = _local_ms(r.get("started", ""), offset)
        finished = _local_ms(r.get("finished", ""), offset)
        sat = started is not None
        annulled = _bool(r.get("annulled"))
        mine = scored.get(ikt, {})
        unknown = sorted(set(mine) - set(form))
        if unknown:
            raise BundleRefused(FOREIGN, f"answers to items the centre's {language} variant {variant} does not have: "
                                         f"{', '.join(unknown[:5])} (ИКТ {ikt})")
        per_subject: dict[str, list[int]] = {}
        answered = 0
        for item_id, info in form.items():
            a = mine.get(item_id)
            value = a.get("value") if a else None
            text = json.dumps(value, ensure_ascii=False, sort_keys=True)
            score, given = bank.score(info.item, value, text)
            answered += given
            totals = per_subject.setdefault(info.subject, [0, 0])
            totals[0] += score
            totals[1] += info.item.points
            if not sat:
                continue
            received = _int(a.get("received_ms")) if a else None
            responses.append({
                **common, "ikt": ikt, "language": language, "variant": variant, "subject": info.subject,
                "item": item_id, "position": info.position, "answered": given,
                "value": text if given else None,
                "choice": str(value).strip().upper() if given and info.item.kind == "single" else None,
                "score": score, "max_score": info.item.points, "correct": score == info.item.points,
                "made_s": (_int(a.get("made_ms")) or 0) // 1000 if a else None, "received_at": received,
                # The room marks an answer counted after the deadline; older bundles do not, and
                # then it is one that arrived after the attempt ended.
                "late": bool(a.get("late")) if a and "late" in a else bool(
                    received and finished and received // 1000 * 1000 > finished),
            })
        total = sum(s for s, _ in per_subject.values())
        max_total = sum(m for _, m in per_subject.values())
        if sat:
            for subject, (score, max_score) in per_subject.items():
                room = _int(r.get(f"{subject}_score"))
                if room is not None and room != score:
                    disagree.append(f"ИКТ {ikt} {subject}: room {room}, centre {score}")
                percent = round(100.0 * score / max_score, 1) if max_score else None
                subject_scores.append({**common, "ikt": ikt, "class": r.get("class"), "language": language,
                                       "variant": variant, "subject": subject, "score": score, "max_score": max_score,
                                       "percent": percent, "level": level_of(percent), "annulled": annulled})
        students.append({
            **common, "ikt": ikt, "school": school, "class": r.get("class"), "language": language, "variant": variant,
            "seat": _int(r.get("seat")), "attendance": r.get("attendance"), "state": r.get("state"),
            "finish_reason": r.get("finish_reason") or None, "sat": sat, "annulled": annulled,
            "started_at": started, "finished_at": finished, "answered": answered if sat else None,
            "items": len(form) if sat else None, "total_score": total if sat else None,
            "max_total": max_total if sat else None,
            "percent": round(100.0 * total / max_total, 1) if sat and max_total else None,
            "late_refused": refused.get(ikt, 0), "bundle_id": records.bundle_id,
        })
        identities.append({**common, "ikt": ikt, "iin": (r.get("iin") or "").strip() or None,
                           "surname": r.get("surname"), "name": r.get("name"), "patronymic": r.get("patronymic") or None,
                           "class": r.get("class"), "login": r.get("login")})
    if disagree:
        raise BundleRefused(FOREIGN, f"the room's scores differ from the centre's keys ({len(disagree)} subject scores; "
                                     f"first: {disagree[0]}): the room's test is not the pack the centre holds")
    records.rows.update(students=students, subject_scores=subject_scores, responses=responses, identities=identities)


# ------------------------------------------------------------------------- questionnaire

def _questionnaire(records: BundleRecords, lines: list[dict], key: CentreKey, common: dict) -> None:
    """One row per answered question of each response that opens, fits, and names a student
    of this sitting once. The rest are set aside and counted in `records.notes`."""
    students = {s["ikt"] for s in records.rows["students"]}
    kept: dict[str, list[dict]] = {}
    why: dict[str, int] = {}
    for line in lines:
        response, problem = _open_response(line, key)
        ikt = str(response.get("ikt") or "") if response else ""
        if response is not None and response["audience"] == "student" and ikt not in students:
            problem = "name an ИКТ not in this sitting"
        if problem:
            why[problem] = why.get(problem, 0) + 1
            continue
        kept.setdefault(ikt if response["audience"] == "student" else f"#{len(kept)}", []).append(response)
    rows = []
    for responses in kept.values():
        if len(responses) > 1:  # only a changed client sends two: neither can be told to be the student's own
            twice = "are one of several naming the same ИКТ"
            why[twice] = why.get(twice, 0) + len(responses)
            continue
        r = responses[0]
        records.questionnaires += 1
        for question, value in r["answers"].items():
            rows.append({**common, "ikt": r["ikt"] or None, "audience": r["audience"],
                         "questionnaire_id": r["questionnaire"], "version": r["version"], "question": question,
                         "value": json.dumps(value, ensure_ascii=False),
                         "option": value if isinstance(value, int) else None,
                         "options": value if isinstance(value, list) else None,
                         "text": value if isinstance(value, str) else None})
    records.rows["questionnaire"] = rows
    records.set_aside = sum(why.values())
    if why:
        records.notes.append(f"{sum(why.values())} questionnaire responses set aside: "
                             + ", ".join(f"{n} {reason}" for reason, n in sorted(why.items())))


def _open_response(line: dict, key: CentreKey) -> tuple[dict | None, str | None]:
    """(the response, None), or (None, why it is set aside)."""
    try:
        blob = base64.b64decode(str(line.get("sealed", "")), validate=True)
    except (binascii.Error, ValueError):
        return None, "are not base64"
    try:
        response = open_response(key.private, blob)
    except SealError:
        return None, "do not open with this centre's key"
    except Exception:  # msgpack's own errors: a plaintext that is not a response
        return None, "are not a response"
    if not isinstance(response, dict) or response.get("v") != RESPONSE_VERSION:
        return None, "are not a response of a known version"
    answers = response.get("answers")
    fits = (isinstance(answers, dict) and isinstance(response.get("ikt"), str)
            and isinstance(response.get("version"), int) and not isinstance(response.get("version"), bool)
            and all(isinstance(q, str) and _is_answer(v) for q, v in answers.items()))
    if not fits:
        return None, "are not a response of a known version"
    if response.get("audience") != line.get("audience") or response.get("questionnaire") != line.get("questionnaire"):
        return None, "say another questionnaire inside than outside"
    return response, None


def _is_answer(value) -> bool:
    def index(v) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 1000
    return index(value) or isinstance(value, str) or (isinstance(value, list) and all(map(index, value)))

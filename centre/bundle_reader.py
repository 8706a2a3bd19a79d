"""Reading one USB bundle into the dataset's rows: the ONLY module that knows the bundle's
files. Everything else in the centre sees `BundleRecords`.

The room's own checker (`room_server.bundle.verify_bundle`) says whether the folder is the
signed, complete bundle it claims to be; this module then decides whether it belongs here
(its region, its test forms in the centre's item bank, its scores agreeing with the centre's
keys, the centre key it was sealed to) and turns its files into rows.

Sealed bundles: the room will seal the questionnaire and the files naming people to the
centre's X25519 key. `_file()` is the one place that reads a logical file; when the sealed
files land, it opens them with the centre's private key and nothing else here changes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from room_server.bundle import FORMAT, MANIFEST, SIGNATURE, verify_bundle
from room_server.excel_text import plain_text

from .itembank import ItemBank
from .keys import CentreKey
from .levels import level_of
from .regions import is_region

# Why a bundle is refused; the ingest report and the quarantine list use these words.
NOT_A_BUNDLE, INCOMPLETE, TAMPERED, FOREIGN, UNREADABLE = "not_a_bundle", "incomplete", "tampered", "foreign", "unreadable"


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
    sealed_to: str | None
    rows: dict[str, list[dict]] = field(default_factory=dict)  # table -> rows (no partition columns)

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


def _file(path: Path, manifest: dict, name: str, key: CentreKey | None) -> bytes | None:
    """A logical file of the bundle (results.csv, ...), or None when the bundle has none."""
    listed = _listed(manifest)
    if name in listed:
        return (path / name).read_bytes()
    sealed = [p for p in listed if p.startswith(name + ".")]
    if sealed:
        raise BundleRefused(UNREADABLE, f"{sealed[0]} is sealed; this version of the centre reads clear bundles only")
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

def read_bundle(path: str | Path, bank: ItemBank, *, key: CentreKey | None = None,
                region: str | None = None, source: str | None = None) -> BundleRecords:
    """Verifies the bundle at `path` and reads it into rows; raises BundleRefused with the reason."""
    path = Path(path)
    manifest, manifest_bytes, room_key = _check(path)
    if manifest.get("format") != FORMAT:
        raise BundleRefused(FOREIGN, f"format {manifest.get('format')!r}, this centre reads {FORMAT}")
    sealed_to = manifest.get("sealed_to") or None
    if sealed_to and (key is None or sealed_to != key.fingerprint):
        ours = key.for_paper if key else "none given (--key)"
        raise BundleRefused(FOREIGN, f"sealed to another centre's key {sealed_to}; this centre's key is {ours}")
    region = str(manifest.get("region") or region or "").upper()
    if not region:
        raise BundleRefused(FOREIGN, "the bundle names no region: give --region KZ-XXX, or put the region's "
                                     "sticks in a folder named by its code (e.g. KZ-ALM/)")
    if not is_region(region):
        raise BundleRefused(FOREIGN, f"unknown region code {region!r}")
    try:
        grade = int(manifest.get("grade"))
        taken = datetime.fromisoformat(str(manifest.get("snapshot_at")))
        offset = taken.tzinfo or timezone(timedelta(hours=5))
    except (TypeError, ValueError):
        raise BundleRefused(UNREADABLE, f"{MANIFEST} has no valid grade or snapshot time") from None
    room_id = str(manifest.get("room_id") or room_key.removeprefix("SHA256:")[:16])
    sitting_id = f"{room_id}/{manifest.get('sitting') or '1'}"
    school = str(manifest.get("school") or "")
    school_id = str(manifest.get("school_id") or school_key(region, school))
    records = BundleRecords(path, hashlib.sha256(manifest_bytes).hexdigest(), manifest, taken.year, grade, region,
                            sitting_id, school_id, room_key, sealed_to)
    common = {"sitting_id": sitting_id, "school_id": school_id}

    results = _csv_rows(_file(path, manifest, "results.csv", key), "results.csv")
    answers = _jsonl(_file(path, manifest, "answers.jsonl", key), "answers.jsonl")
    if not results:
        raise BundleRefused(UNREADABLE, "results.csv lists no students")
    _students(records, results, answers, bank, offset, common, school)
    records.rows["questionnaire"] = [
        {**common, "pseudonym": r.get("pseudonym") or None, "ikt": None, "questionnaire_id": None,
         "question": r.get("question", ""), "value": r.get("value"), "option": _int(r.get("value"))}
        for r in _csv_rows(_file(path, manifest, "questionnaire.csv", key), "questionnaire.csv")]
    records.rows["incidents"] = [
        {**common, "incident": _int(r.get("id")), "kind": r.get("kind"), "at_local": r.get("at"),
         "ikt": r.get("ikt") or None, "decision": r.get("decision") or None, "act_file": r.get("act_file") or None}
        for r in _csv_rows(_file(path, manifest, "incidents.csv", key), "incidents.csv")]
    records.rows["bundles"] = [{
        "bundle_id": records.bundle_id, "bundle_name": manifest.get("bundle"), "sitting_id": sitting_id,
        "room_id": room_id, "school_id": school_id, "school": school, "room": manifest.get("room"),
        "sitting": manifest.get("sitting"), "sitting_state": manifest.get("sitting_state"),
        "snapshot_at": int(taken.timestamp() * 1000), "room_key": room_key, "sealed_to": sealed_to,
        "students": records.students, "responses": len(records.rows["responses"]),
        "source": source or str(path), "ingested_at": None, "ingested_by": None}]
    return records


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

"""The results bundle: what goes in it, how it is written to a USB stick, how it is checked.

A bundle is one folder (docs/architecture.md, "Paper and the USB bundle") whose
`manifest.json` lists every other file with its size and SHA-256, signed with the room's
Ed25519 key (`signature.json`); the public key is beside them (`public-key.pem`) and its
fingerprint is printed on the paper protocol.

Writing is made for cheap sticks that may be full, read-only or pulled out: the whole bundle
is built in memory from one snapshot, the space is estimated before anything is written, every
file goes to a temporary name, is flushed, fsynced and renamed; the manifest and its signature
come last, and "done" is said only after the whole bundle was read back from the stick and
checked against the manifest. A failure removes the new folder; an earlier bundle is never
touched (a second export gets a new name with a suffix).
"""

from __future__ import annotations

import base64
import csv
import errno
import hashlib
import io
import json
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from room_protocol import seal

from . import drives, pdf
from .act_fields import act_values
from .bundle_verify import CENTRE_KEY, FORMAT, MANIFEST, PUBLIC_KEY, SIGNATURE, verify_bundle
from .excel_text import Code, excel_text
from .protocol_pdf import protocol_form
from .qti_results import qti_xml
from .signing import fingerprint, fingerprint_for_paper, load_signing_key, public_pem
from .snapshot import Snapshot, answered_count, iso_time, local_time, read_snapshot




class ExportError(Exception):
    """The bundle was not written; the message says why and what to do. `kind` is one of
    target, read_only, no_space, write, check."""

    def __init__(self, message: str, kind: str = "write"):
        super().__init__(message)
        self.kind = kind


@dataclass
class ExportResult:
    path: Path
    files: int  # every file in the bundle, manifest and signature included
    bytes: int
    fingerprint: str


# ------------------------------------------------------------------------- names

_TRANSLIT = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh",
    "з": "z", "и": "i", "й": "i", "к": "k", "қ": "q", "л": "l", "м": "m", "н": "n", "ң": "n", "о": "o",
    "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "u", "ү": "u", "ф": "f", "х": "kh",
    "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "і": "i", "ь": "", "э": "e",
    "ю": "yu", "я": "ya", "№": "N",
}
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


def safe_name(text: str, *, max_len: int = 40, fallback: str = "x") -> str:
    """A name part valid on FAT32, exFAT, NTFS and every OS: ASCII letters, digits, '-' and '_'.
    Kazakh and Russian are transliterated, everything else becomes '-'."""
    out = []
    for ch in unicodedata.normalize("NFC", str(text)):
        low = ch.lower()
        if low in _TRANSLIT:
            t = _TRANSLIT[low]
            out.append(t.capitalize() if ch != low and t else t)
            continue
        ch = unicodedata.normalize("NFKD", ch)
        ch = "".join(c for c in ch if not unicodedata.combining(c))
        out.append(ch if re.fullmatch(r"[A-Za-z0-9_-]*", ch) else "-")
    name = re.sub(r"-{2,}", "-", "".join(out)).strip("-_.")
    if len(name) > max_len:  # cut between words, not inside one ("Nazarbaev-Intellektua")
        cut = name[:max_len + 1]
        at = max(cut.rfind("-"), cut.rfind("_"))
        name = cut[:at] if at >= max_len // 2 else name[:max_len]
    name = name.strip("-_.")
    if not name or name.lower() in _WINDOWS_RESERVED:
        name = (name + "_" if name else "") + fallback
    return name


def bundle_base_name(snap: Snapshot) -> str:
    """MODO_<school>_room-<room>_<date>_sitting-<n>."""
    date = local_time(snap.date_ms, "%Y-%m-%d") or "undated"
    return "_".join(["MODO", safe_name(snap.school or "school", max_len=40, fallback="school"),
                     "room-" + safe_name(snap.room or "1", max_len=10, fallback="1"), date,
                     "sitting-" + safe_name(snap.sitting or "1", max_len=10, fallback="1")])


def _free_name(target: Path, base: str) -> str:
    """The base name, or base_2, base_3...: never a folder (or a leftover) that exists.
    FAT is case-insensitive, so names are compared without case."""
    try:
        taken = {p.name.casefold() for p in target.iterdir()}
    except OSError:
        taken = set()
    for n in range(1, 1000):
        name = base if n == 1 else f"{base}_{n}"
        if name.casefold() not in taken:
            return name
    raise ExportError(f"{target} already holds 999 bundles named {base}; choose another folder", "target")


# ------------------------------------------------------------------------- the contents

def _csv(rows: list[list[Any]]) -> bytes:
    """CSV for Excel in a Kazakh or Russian locale: UTF-8 with BOM, ';' between cells, CRLF."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


_NUMBER = re.compile(r"^-?\d+([.,]\d+)?$")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Code):
        return excel_text(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")  # Excel in ru/kk reads a decimal comma
    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False)
    text = str(value)
    # A typed cell beginning with = + - @ would run as a formula in a spreadsheet.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.match(text):
        text = "'" + text
    return text


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=False) + "\n" for r in rows).encode("utf-8")


def results_csv(snap: Snapshot) -> bytes:
    subjects = snap.subject_ids()
    head = ["ikt", "login", "iin", "surname", "name", "patronymic", "class", "language", "seat", "variant",
            "attendance", "state", "finish_reason", "annulled", "started", "finished", "answered", "items"]
    for sid, _ in subjects:
        head += [f"{sid}_score", f"{sid}_max"]
    head += ["total", "max_total", "percent"]
    rows: list[list[Any]] = [head]
    for s in snap.students:
        pack = snap.packs.get(s.language)
        answered, total = answered_count(s, pack) if pack is not None and s.sat else (None, None)
        row = [Code(s.ikt), s.login, Code(s.iin), s.surname, s.name, s.patronymic, s.class_label, s.language, s.seat, s.variant,
               s.attendance_status, s.state, s.attempt.get("finish_reason") or "", s.annulled,
               local_time(s.attempt.get("started_ms"), "%Y-%m-%d %H:%M:%S"),
               local_time(s.attempt.get("finished_ms"), "%Y-%m-%d %H:%M:%S"), answered, total]
        # An annulled result has no scores here, so a SUM or AVERAGE over a column leaves it out.
        score = None if s.annulled else s.score
        by_subject = {x.subject: x for x in score.subjects} if score else {}
        for sid, _ in subjects:
            x = by_subject.get(sid)
            row += [x.score if x else None, x.max_score if x else None]
        row += [score.total if score else None, score.max_total if score else None,
                float(score.percent) if score else None]
        rows.append(row)
    return _csv(rows)


def answers_jsonl(snap: Snapshot) -> bytes:
    rows = []
    for s in snap.students:
        pack = snap.packs.get(s.language)
        variant = None
        if pack is not None:
            try:
                variant = pack.variant(s.variant)
            except KeyError:
                variant = None
        for a in s.answers:
            rows.append({
                "ikt": s.ikt, "login": s.login, "seq": a["seq"], "item": a["item"],
                "subject": variant.subject_of(a["item"]) if variant else None,
                "value": a["value"], "counted": a["counted"], "late": a["late"],
                "scored": a["counted"] and s.latest_seq.get(a["item"]) == a["seq"],
                "made_ms": a["made_ms"], "received_ms": a["received_ms"], "received_at": iso_time(a["received_ms"]),
            })
    return _jsonl(rows)


def attendance_csv(snap: Snapshot) -> bytes:
    rows: list[list[Any]] = [["ikt", "login", "surname", "name", "patronymic", "class", "seat", "attendance",
                              "marked_present", "reason", "document", "slip_handed", "slip_collected", "state",
                              "annulled"]]
    for s in snap.students:
        a = s.attendance
        rows.append([Code(s.ikt), s.login, s.surname, s.name, s.patronymic, s.class_label, s.seat, s.attendance_status,
                     a.get("present"), a.get("reason", ""), a.get("document", ""), bool(a.get("slip_handed")),
                     bool(a.get("slip_collected")), s.state, s.annulled])
    return _csv(rows)


def act_file_name(incident: dict) -> str:
    return f"acts/act-{int(incident['id']):03d}-{safe_name(incident.get('kind', 'other'), max_len=10)}.pdf"


def incidents_csv(snap: Snapshot) -> bytes:
    rows: list[list[Any]] = [["id", "kind", "at", "ikt", "login", "student_name", "seat", "variant", "room",
                              "decision", "item_found", "impostor_name", "ministry_rep", "description", "fields",
                              "act_file"]]
    for i in snap.incidents:
        s = snap.student(i["student_id"])
        f = act_values(i["fields"])  # the same fields the printed act shows
        rows.append([i["id"], i["kind"], local_time(i["at_ms"], "%Y-%m-%d %H:%M:%S"),
                     Code(f.get("ikt") or (s.ikt if s else "")),
                     s.login if s else "", f.get("student_name", ""), f.get("seat", ""), f.get("variant", ""),
                     f.get("room", ""), f.get("decision", ""), f.get("item_found", ""), f.get("impostor_name", ""),
                     f.get("ministry_rep", ""), f.get("description", ""), i["fields"],
                     act_file_name(i)])
    return _csv(rows)


def audit_jsonl(snap: Snapshot) -> bytes:
    logins = {s.id: s.login for s in snap.students}
    return _jsonl([{"id": a["id"], "at_ms": a["at_ms"], "at": iso_time(a["at_ms"]), "actor": a["actor"],
                    "student": logins.get(a["student_id"]) if a["student_id"] is not None else None,
                    "kind": a["kind"], "data": a["data"]} for a in snap.audit])


def questionnaire_jsonl(snap: Snapshot) -> bytes:
    """The sealed questionnaire responses in random order, with nothing that names or orders
    their respondents: only the analysis centre can open them (and the ИКТ inside)."""
    responses = list(snap.questionnaire)
    secrets.SystemRandom().shuffle(responses)
    return _jsonl([{"audience": r["audience"], "questionnaire": r["questionnaire"],
                    "sealed": base64.b64encode(r["sealed"]).decode("ascii")} for r in responses])


# Files that name a person (IIN, names, the administrator's notes): sealed to the analysis
# centre's key, so a lost stick shows none of them. Files keyed only by ИКТ stay readable.
SEALED_INFO = b"synaq bundle file v1:"
SEALED_SUFFIX = ".sealed"


def is_personal(path: str) -> bool:
    return path in ("results.csv", "attendance.csv", "incidents.csv", "audit.jsonl", "seating.pdf",
                    "protocol.pdf") or path.startswith("acts/")


def sealed_info(path: str) -> bytes:
    """What a sealed file's blob is bound to: its own name (no file passes for another)."""
    return SEALED_INFO + path.encode("utf-8")


# ------------------------------------------------------------------------- building

README = """Synaq results bundle ({format})
School: {school}
Room: {room}   Sitting: {sitting}   Grade: {grade}   Date: {date}
Snapshot taken: {taken}   Sitting state then: {state}

Readable here (they name no person; students by ИКТ only):
answers.jsonl      every answer the server committed, one JSON object a line, with times
qti/<login>.xml    IMS QTI 2.1 assessmentResult per student
questionnaire.jsonl  the questionnaire responses, each sealed on the student's computer, in random order

Sealed to the analysis centre's key (*.sealed; they name people, so a lost stick shows none):
results.csv        results per student and subject (UTF-8 with BOM, ';' separated, decimal comma);
                   IIN and ИКТ written ="…" so Excel keeps them as text; annulled results have no scores
attendance.csv     attendance, absence reasons, login slips handed and collected
incidents.csv      incidents; acts/ holds each act as a PDF (Annexes 1 and 2)
seating.pdf        seating sheet (Annex 4)       protocol.pdf   testing protocol (Annex 3)
audit.jsonl        the room's audit log
The centre's key (centre-key.txt) has the fingerprint printed on the paper protocol:
                   {centre_fingerprint}
The school reads its results on the laptop: room-server results --data DIR --out FILE.xlsx

manifest.json      every file's size and SHA-256 as written; signature.json signs it (Ed25519),
                   public-key.pem is the room's key. Its fingerprint is printed on the paper protocol:
                   {fingerprint}
Check the bundle:  room-server verify <this folder> (no private key needed)
"""


def build_files(snap: Snapshot, key) -> dict[str, bytes]:
    """Every file of the bundle but the manifest and its signature, by relative path."""
    fp = fingerprint(key.public_key())
    centre_key = snap.centre_key
    files: dict[str, bytes] = {}
    files["README.txt"] = README.format(
        format=FORMAT, school=snap.school, room=snap.room, sitting=snap.sitting, grade=snap.grade,
        date=local_time(snap.date_ms, "%Y-%m-%d"), taken=iso_time(snap.taken_ms), state=snap.sitting_state,
        fingerprint=fingerprint_for_paper(fp),
        centre_fingerprint=seal.fingerprint_for_paper(seal.fingerprint(centre_key))).replace("\n", "\r\n").encode("utf-8")
    files[CENTRE_KEY] = (base64.b64encode(centre_key).decode() + "\n").encode("ascii")
    files["results.csv"] = results_csv(snap)
    files["answers.jsonl"] = answers_jsonl(snap)
    files["attendance.csv"] = attendance_csv(snap)
    files["incidents.csv"] = incidents_csv(snap)
    for incident in snap.incidents:
        files[act_file_name(incident)] = pdf.act_pdf(snap, incident)
    files["seating.pdf"] = pdf.seating_pdf(snap)
    files["protocol.pdf"] = protocol_form(snap, fp)
    files["audit.jsonl"] = audit_jsonl(snap)
    files["questionnaire.jsonl"] = questionnaire_jsonl(snap)
    for s in snap.students:
        files[f"qti/{safe_name(s.login, max_len=40, fallback=s.ikt)}.xml"] = qti_xml(snap, s)
    files[PUBLIC_KEY] = public_pem(key.public_key())
    return {(path + SEALED_SUFFIX if is_personal(path) else path):
            (seal.seal(centre_key, data, sealed_info(path)) if is_personal(path) else data)
            for path, data in files.items()}


def make_manifest(snap: Snapshot, files: dict[str, bytes], key, bundle_name: str) -> tuple[bytes, bytes]:
    fp = fingerprint(key.public_key())
    manifest = {
        "format": FORMAT,
        "bundle": bundle_name,
        "school": snap.school, "room": snap.room, "sitting": snap.sitting, "grade": snap.grade,
        "room_id": snap.meta.get("room_id", ""),
        # Where the school is, for the analysis centre (room-server init --region --school-bin):
        "region": snap.meta.get("region") or None, "school_bin": snap.meta.get("school_bin") or None,
        "sitting_state": snap.sitting_state,
        "snapshot_ms": snap.taken_ms, "snapshot_at": iso_time(snap.taken_ms),
        "students": len(snap.students),
        "key": {"algorithm": "Ed25519", "fingerprint": fp, "public_key": PUBLIC_KEY},
        "centre_key": {"algorithm": "X25519 HPKE (RFC 9180) with HKDF-SHA256 and AES-256-GCM",
                       "fingerprint": seal.fingerprint(snap.centre_key), "public_key": CENTRE_KEY},
        "sealed": sorted(path for path in files if path.endswith(SEALED_SUFFIX)),
        "files": [{"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                  for path, data in sorted(files.items())],
    }
    manifest_bytes = (json.dumps(manifest, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    signature = {
        "algorithm": "Ed25519",
        "signed_file": MANIFEST,
        "manifest_sha256": hashlib.sha256(manifest_bytes).hexdigest(),
        "key_fingerprint": fp,
        "signature": base64.b64encode(key.sign(manifest_bytes)).decode("ascii"),
    }
    return manifest_bytes, (json.dumps(signature, indent=1) + "\n").encode("utf-8")


# ------------------------------------------------------------------------- writing

def export_bundle(data_dir: Path, target: Path, *, snapshot: Snapshot | None = None) -> ExportResult:
    """Writes a new, checked bundle into the folder `target` (a stick's mount point)."""
    target = Path(target)
    if not target.exists():
        raise ExportError(f"{target} does not exist (is the USB stick plugged in and mounted?)", "target")
    if not target.is_dir():
        raise ExportError(f"{target} is not a folder", "target")
    if drives.is_read_only(target):
        raise ExportError(f"{target} is read-only: nothing was written (is the stick's lock switch on?)", "read_only")
    snap = snapshot or read_snapshot(data_dir)
    key = load_signing_key(data_dir)
    name = _free_name(target, bundle_base_name(snap))
    files = build_files(snap, key)
    manifest, signature = make_manifest(snap, files, key, name)
    everything = dict(files)
    everything[MANIFEST] = manifest
    everything[SIGNATURE] = signature
    total = sum(len(b) for b in everything.values())
    needed = drives.estimate_bytes(everything, drives.cluster_bytes(target))
    free = drives.free_bytes(target)
    if needed > free:
        raise ExportError(f"not enough space on {target}: the bundle needs about {drives.human_size(needed)}, "
                          f"only {drives.human_size(free)} is free; nothing was written", "no_space")

    # The folder gets its final name at once: renaming a full folder is where some FAT drivers
    # lose its contents. The manifest and then the signature are written last, so a folder
    # cut short (a pulled stick, a dead battery) has no signature and `verify` says so.
    final = target / name
    try:
        final.mkdir(mode=0o700)
    except FileExistsError:
        raise ExportError(f"{final} appeared while exporting; try again", "write") from None
    except OSError as exc:
        raise _classify(exc, target, total) from None
    written = 0
    order = sorted(files) + [MANIFEST, SIGNATURE]
    try:
        for rel in order:
            path = final / rel
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            drives.write_file_safely(path, everything[rel])
            written += len(everything[rel])
        drives.fsync_dir(target)
        for rel in order:
            drives.drop_cache(final / rel)
        report = verify_bundle(final, expect_name=name)
        if not report.ok:
            raise ExportError(f"the bundle read back from {target} does not match what was written "
                              f"({'; '.join(report.problems[:3])}); it was removed. The stick may be failing: "
                              "try another", "check")
    except OSError as exc:
        error = _classify(exc, target, total - written)  # before the cleanup frees the space again
        drives.remove_tree(final)
        raise error from None
    except BaseException:
        drives.remove_tree(final)
        raise
    return ExportResult(final, len(everything), total, fingerprint(key.public_key()))


def _classify(exc: OSError, target: Path, remaining: int) -> ExportError:
    """A write failure in words; ENOSPC is not the only way a full stick says so (FUSE's FAT
    driver answers EPERM), so the free space decides."""
    try:
        free = drives.free_bytes(target)
    except OSError:
        free = None
    full = exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1), errno.EFBIG) or (
        free is not None and free < max(remaining, 64 * 1024))
    if full:
        return ExportError(f"the drive {target} became full while writing; the unfinished bundle was removed. "
                           "Free some space or use a larger stick.", "no_space")
    if exc.errno in (errno.EROFS, errno.EACCES):
        return ExportError(f"{target} is read-only or not writable ({exc.strerror}); the unfinished bundle was removed",
                           "read_only")
    return ExportError(f"writing to {target} failed: {exc.strerror or exc}; the unfinished bundle was removed. "
                       "Was the stick pulled out?", "write")

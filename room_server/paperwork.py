"""Print and export, from the command line and from the console.

`room-server print slips|seating|acts|protocol --data DIR --out FILE`, `room-server export
--data DIR --to PATH` and `room-server verify BUNDLE` land in the cli_* functions; the
console's Print, Export and ListDrives messages land in handlers/paperwork.py. Both read the room through
one read-only snapshot (snapshot.py), so they work with the server running or stopped; the
forms are in pdf.py and the bundle in bundle.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import bundle as bn
from . import drives, pdf
from .bundle_verify import verify_bundle
from .newroom import SLIPS_FILE, STAFF_SLIPS_FILE, read_slips_file
from .protocol_pdf import protocol_form
from .slips_pdf import slips_pdf, staff_slips_pdf
from .signing import SigningKeyError, fingerprint_for_paper, room_fingerprint
from .snapshot import SnapshotError, read_snapshot

WHAT = ("slips", "staff", "seating", "acts", "protocol")
DEFAULT_NAMES = {"slips": "login-slips.pdf", "staff": "staff-slips.pdf", "seating": "seating-annex4.pdf",
                 "acts": "acts-annex1-2.pdf", "protocol": "protocol-annex3.pdf"}


class PaperworkError(Exception):
    """A form or bundle cannot be made; the message says why, for the administrator."""


def make_pdf(data_dir: Path, what: str, browser_url: str = "") -> bytes:
    """The PDF for one of WHAT (blocking); `browser_url`: where browser seats open, for the
    students' slips."""
    if what not in WHAT:
        raise PaperworkError(f"cannot print {what!r}: choose one of {', '.join(WHAT)}")
    try:
        snap = read_snapshot(data_dir)
        if what == "slips":
            return slips_pdf(snap, _slips(Path(data_dir) / SLIPS_FILE), browser_url)
        if what == "staff":
            return staff_slips_pdf(snap, _slips(Path(data_dir) / STAFF_SLIPS_FILE))
        if what == "seating":
            return pdf.seating_pdf(snap)
        if what == "acts":
            return pdf.acts_pdf(snap)
        return protocol_form(snap, room_fingerprint(data_dir))
    except (SnapshotError, SigningKeyError, pdf.FormError) as exc:
        raise PaperworkError(str(exc)) from None


def _slips(path: Path) -> list[dict]:
    try:
        return read_slips_file(path)
    except FileNotFoundError:
        raise PaperworkError(f"the slips file {path} is missing: the clear passwords exist only there, so the "
                             "slips cannot be printed") from None
    except (OSError, UnicodeError, ValueError) as exc:
        raise PaperworkError(f"the slips file {path} cannot be read: {exc}") from None


def print_to(data_dir: Path, what: str, out: Path, browser_url: str = "") -> Path:
    """Writes the PDF to `out` (a file, or a folder to put it in under its usual name)."""
    out = Path(out)
    if out.is_dir():
        out = out / DEFAULT_NAMES.get(what, f"{what}.pdf")
    if out.suffix.lower() != ".pdf":
        raise PaperworkError(f"{out}: the output must be a .pdf file")
    if not out.parent.is_dir():
        raise PaperworkError(f"the folder {out.parent} does not exist")
    data = make_pdf(data_dir, what, browser_url)
    try:
        drives.write_file_safely(out, data)
    except OSError as exc:
        raise PaperworkError(f"cannot write {out}: {exc.strerror or exc}") from None
    return out


def export_to(data_dir: Path, to: Path) -> bn.ExportResult:
    try:
        return bn.export_bundle(data_dir, to)
    except (SnapshotError, SigningKeyError, pdf.FormError) as exc:
        raise PaperworkError(str(exc)) from None


# ------------------------------------------------------------------------- command line

def cli_print(data_dir: Path, what: str, out: Path, browser_url: str = "") -> int:
    try:
        path = print_to(data_dir, what, out, browser_url)
    except PaperworkError as exc:
        print(f"room-server: {exc}", file=sys.stderr)
        return 1
    print(f"Wrote {path}")
    return 0


def cli_results(data_dir: Path, out: Path, language: str | None) -> int:
    from .results_sheet import results_workbook

    if out.suffix.lower() != ".xlsx":
        print(f"room-server: {out}: the output must be an .xlsx file", file=sys.stderr)
        return 1
    if not out.parent.is_dir():
        print(f"room-server: the folder {out.parent} does not exist", file=sys.stderr)
        return 1
    try:
        data = results_workbook(read_snapshot(data_dir), language)
        drives.write_file_safely(out, data)
    except SnapshotError as exc:
        print(f"room-server: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"room-server: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"Wrote {out}")
    return 0


def cli_export(data_dir: Path, to: Path) -> int:
    try:
        result = export_to(data_dir, to)
    except (PaperworkError, bn.ExportError) as exc:
        print(f"room-server: export refused: {exc}", file=sys.stderr)
        return 1
    print(f"Bundle written and checked: {result.path}")
    print(f"  {result.files} files, {result.bytes} bytes; signed by the room's key {fingerprint_for_paper(result.fingerprint)}")
    print("  It is safe to remove the stick once the system says so (eject it first).")
    return 0


def cli_verify(bundle: Path, fingerprints: list[str] | None = None, keys_file: str | None = None) -> int:
    """Exit 0 only for a whole, untouched bundle signed by an expected key (when given)."""
    from .bundle_verify import KeysFileError, normalise_fingerprint, read_keys_file

    expected: set[str] | None = None
    if fingerprints or keys_file:
        expected = set()
        for text in fingerprints or []:
            fp = normalise_fingerprint(text)
            if fp is None:
                print(f"room-server: --fingerprint {text!r} is not a key fingerprint (SHA256: and 64 hex digits)",
                      file=sys.stderr)
                return 2
            expected.add(fp)
        if keys_file:
            try:
                expected |= read_keys_file(Path(keys_file))
            except KeysFileError as exc:
                print(f"room-server: {exc}", file=sys.stderr)
                return 2
    report = verify_bundle(bundle, expected_keys=expected)
    for note in report.notes:
        print(f"  note: {note}")
    if report.ok:
        m = report.manifest
        print(f"OK: {bundle}: {report.files} files, {report.bytes} bytes match the manifest; the signature is valid.")
        print(f"  School {m.get('school', '')}, room {m.get('room', '')}, sitting {m.get('sitting', '')}, "
              f"grade {m.get('grade', '')}, {m.get('students', '?')} students, snapshot {m.get('snapshot_at', '')}.")
        print(f"  Key {fingerprint_for_paper(report.fingerprint)}")
        if expected is None:
            print("  Compare this fingerprint with the one on the signed paper protocol (Annex 3), or give it "
                  "with --fingerprint.")
        else:
            print("  It is the expected room key.")
        return 0
    print(f"NOT OK: {bundle}: {len(report.problems)} problem(s):", file=sys.stderr)
    for problem in report.problems:
        print(f"  {problem}", file=sys.stderr)
    return 1

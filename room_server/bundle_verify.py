"""Checking a results bundle: every file against the manifest, the manifest against its
signature, every field of signature.json and of the manifest's key, and, when the caller knows
it, the room key the bundle must be signed with (`room-server verify BUNDLE --fingerprint FP`
or `--keys FILE`): a bundle edited and re-signed with a new key is refused, not just printed
with a fingerprint a person would have to compare.

Files an operating system leaves on a stick (.DS_Store, ._*, Thumbs.db, System Volume
Information...) are not part of the bundle: they are ignored and named in a note. Each problem
is listed once.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .signing import FINGERPRINT_PREFIX, fingerprint, fingerprint_for_paper, load_public_pem, verify_signature

CENTRE_KEY = "centre-key.txt"  # the analysis centre's public key (base64 of the raw X25519 key)
FORMAT = "synaq-bundle/2"  # 2: personal files and questionnaire responses sealed to the centre
MANIFEST = "manifest.json"
SIGNATURE = "signature.json"
PUBLIC_KEY = "public-key.pem"
ALGORITHM = "Ed25519"
SIGNATURE_FIELDS = ("algorithm", "signed_file", "manifest_sha256", "key_fingerprint", "signature")

OS_FILES = {".ds_store", "thumbs.db", "ehthumbs.db", "desktop.ini", ".localized"}
OS_FOLDERS = {"system volume information", ".spotlight-v100", ".fseventsd", ".trashes", ".temporaryitems",
              "$recycle.bin", ".trash-1000"}


class KeysFileError(Exception):
    """The file of expected room keys cannot be used; the message says which line."""


@dataclass
class VerifyReport:
    bundle: Path
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # not problems: files the OS left, ignored
    files: int = 0
    bytes: int = 0
    fingerprint: str = ""
    manifest: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, text: str) -> None:
        if text not in self.problems:
            self.problems.append(text)


def normalise_fingerprint(text: str) -> str | None:
    """'SHA256:<64 hex>' from any printed form ('SHA256: 1a2b 3c4d ...', bare hex, any case)."""
    hexpart = re.sub(r"[\s:]", "", str(text).strip().removeprefix(FINGERPRINT_PREFIX).removeprefix("sha256:"))
    hexpart = hexpart.removeprefix("SHA256").removeprefix("sha256").lower()
    return FINGERPRINT_PREFIX + hexpart if re.fullmatch(r"[0-9a-f]{64}", hexpart) else None


def read_keys_file(path: Path) -> set[str]:
    """Expected room keys, one fingerprint a line in any printed form; '#' starts a comment."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeysFileError(f"the keys file {path} cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    keys = set()
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fp = normalise_fingerprint(line)
        if fp is None:
            raise KeysFileError(f"{path}, line {number}: {line!r} is not a key fingerprint (SHA256: and 64 hex digits)")
        keys.add(fp)
    if not keys:
        raise KeysFileError(f"the keys file {path} lists no key")
    return keys


def is_os_leftover(rel: str) -> bool:
    parts = rel.split("/")
    name = parts[-1].casefold()
    return (name in OS_FILES or name.startswith("._")
            or any(p.casefold() in OS_FOLDERS for p in parts[:-1]))


def _relative_files(root: Path) -> set[str]:
    found = set()
    for dirpath, _dirs, names in os.walk(root):
        for n in names:
            found.add((Path(dirpath) / n).relative_to(root).as_posix())
    return found


def verify_bundle(bundle: Path, *, expect_name: str | None = None, expected_keys: set[str] | None = None) -> VerifyReport:
    """Checks the bundle; `expected_keys` (fingerprints) are the only room keys accepted."""
    bundle = Path(bundle)
    report = VerifyReport(bundle)
    if not bundle.is_dir():
        report.problem(f"{bundle} is not a folder")
        return report
    try:
        manifest_bytes = (bundle / MANIFEST).read_bytes()
    except FileNotFoundError:
        report.problem(f"missing: {MANIFEST} (without it nothing can be checked)")
        return report
    except OSError as exc:
        report.problem(f"unreadable: {MANIFEST} ({exc.strerror or exc})")
        return report
    try:
        manifest = json.loads(manifest_bytes.decode("utf-8"))
        entries = manifest["files"]
        if not isinstance(entries, list):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        report.problem(f"altered: {MANIFEST} is not a valid manifest (it was edited or damaged)")
        return report
    report.manifest = manifest
    if manifest.get("format") != FORMAT:
        report.problem(f"{MANIFEST}: unknown format {manifest.get('format')!r} (expected {FORMAT})")
    key = _check_key(bundle, manifest, report)
    _check_signature(bundle, manifest_bytes, key, report)
    if key is not None and expected_keys is not None and report.fingerprint not in expected_keys:
        expected = ", ".join(fingerprint_for_paper(k) for k in sorted(expected_keys))
        report.problem(f"wrong key: the bundle is signed by {fingerprint_for_paper(report.fingerprint)}, "
                       f"not by the room's key ({expected}); it may have been edited and signed again")
    _check_files(bundle, entries, report)
    if expect_name is not None and manifest.get("bundle") != expect_name:
        report.problem(f"{MANIFEST}: names bundle {manifest.get('bundle')!r}, expected {expect_name!r}")
    for name in (MANIFEST, SIGNATURE):
        if (bundle / name).is_file():
            report.files += 1
            report.bytes += (bundle / name).stat().st_size
    return report


def _check_key(bundle: Path, manifest: dict, report: VerifyReport):
    block = manifest.get("key")
    if not isinstance(block, dict):
        report.problem(f"altered: {MANIFEST} has no key block (algorithm, fingerprint, public_key)")
        block = {}
    else:
        if block.get("algorithm") != ALGORITHM:
            report.problem(f"altered: {MANIFEST} names the key algorithm {block.get('algorithm')!r}, not {ALGORITHM}")
        if block.get("public_key") != PUBLIC_KEY:
            report.problem(f"altered: {MANIFEST} names the public key file {block.get('public_key')!r}, not {PUBLIC_KEY}")
    key = None
    try:
        key = load_public_pem((bundle / PUBLIC_KEY).read_bytes())
        report.fingerprint = fingerprint(key)
    except FileNotFoundError:
        report.problem(f"missing: {PUBLIC_KEY} (the room's public key; the signature cannot be checked)")
    except OSError as exc:
        report.problem(f"unreadable: {PUBLIC_KEY} ({exc.strerror or exc})")
    except ValueError as exc:
        report.problem(f"altered: {PUBLIC_KEY} is {exc}")
    declared = block.get("fingerprint")
    if key is not None and declared != report.fingerprint:
        report.problem(f"altered: {PUBLIC_KEY} is not the key the manifest names "
                       f"({fingerprint_for_paper(report.fingerprint)} instead of {fingerprint_for_paper(str(declared))})")
    return key


def _check_signature(bundle: Path, manifest_bytes: bytes, key, report: VerifyReport) -> None:
    try:
        sig = json.loads((bundle / SIGNATURE).read_bytes().decode("utf-8"))
        if not isinstance(sig, dict):
            raise TypeError
    except FileNotFoundError:
        report.problem(f"missing: {SIGNATURE} (the manifest is not signed)")
        return
    except (OSError, ValueError, TypeError):
        report.problem(f"altered: {SIGNATURE} is damaged (not a valid signature file)")
        return
    absent = [f for f in SIGNATURE_FIELDS if not isinstance(sig.get(f), str) or not sig.get(f)]
    if absent:
        report.problem(f"altered: {SIGNATURE} lacks {', '.join(absent)}")
    unknown = sorted(set(sig) - set(SIGNATURE_FIELDS))
    if unknown:
        report.problem(f"altered: {SIGNATURE} has fields a bundle never has: {', '.join(map(str, unknown))}")
    if sig.get("algorithm", ALGORITHM) != ALGORITHM:
        report.problem(f"altered: {SIGNATURE} names the algorithm {sig.get('algorithm')!r}, not {ALGORITHM}")
    if sig.get("signed_file", MANIFEST) != MANIFEST:
        report.problem(f"altered: {SIGNATURE} says it signs {sig.get('signed_file')!r}, not {MANIFEST}")
    try:
        signature = base64.b64decode(str(sig.get("signature", "")), validate=True)
    except ValueError:
        report.problem(f"altered: {SIGNATURE} is damaged (the signature is not base64)")
        return
    if key is None or "signature" in absent:
        return
    sig_hash, sig_fp = sig.get("manifest_sha256"), sig.get("key_fingerprint")
    if sig_hash and sig_hash != hashlib.sha256(manifest_bytes).hexdigest():
        report.problem(f"altered: {MANIFEST} was changed after it was signed (the signature does not match it)")
    elif sig_fp and sig_fp != report.fingerprint:
        report.problem(f"altered: {SIGNATURE} was made with another key ({fingerprint_for_paper(str(sig_fp))}), "
                       f"not the room's key {fingerprint_for_paper(report.fingerprint)}")
    elif len(signature) != 64 or not verify_signature(key, signature, manifest_bytes):
        report.problem(f"altered: {SIGNATURE} is not a valid signature of {MANIFEST} (the signature was "
                       "replaced or the manifest edited)")


def _check_files(bundle: Path, entries: list, report: VerifyReport) -> None:
    listed: set[str] = set()
    for entry in entries:
        try:
            rel, size, digest = str(entry["path"]), int(entry["size"]), str(entry["sha256"])
        except (KeyError, TypeError, ValueError):
            report.problem(f"altered: {MANIFEST} has a damaged entry {entry!r}")
            continue
        if rel.startswith("/") or ".." in Path(rel).parts or "\\" in rel or rel in (MANIFEST, SIGNATURE):
            report.problem(f"altered: {MANIFEST} names a path outside the bundle: {rel}")
            continue
        listed.add(rel)
        try:
            data = (bundle / rel).read_bytes()
        except FileNotFoundError:
            if not any(p.startswith(f"missing: {rel} ") for p in report.problems):  # said once
                report.problem(f"missing: {rel}")
            continue
        except OSError as exc:
            report.problem(f"unreadable: {rel} ({exc.strerror or exc})")
            continue
        report.files += 1
        report.bytes += len(data)
        if len(data) != size:
            report.problem(f"altered: {rel} (size {len(data)} bytes, the manifest says {size})")
        elif hashlib.sha256(data).hexdigest() != digest:
            report.problem(f"altered: {rel} (its content differs from the manifest's SHA-256)")
    for rel in sorted(_relative_files(bundle) - listed - {MANIFEST, SIGNATURE}):
        if is_os_leftover(rel):
            report.notes.append(f"ignored: {rel} (left by the operating system, not part of the bundle)")
        else:
            report.problem(f"extra: {rel} (not in the manifest)")

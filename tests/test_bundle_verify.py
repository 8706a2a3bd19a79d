"""`room-server verify` for the machines of the analysis centre: the expected room key pinned
with --fingerprint or a keys file (a bundle edited and re-signed with a new key is refused),
every field of signature.json checked, files an operating system leaves on a stick ignored
with a note, each problem listed once."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conftest import centre_questionnaires, pack_path, roster_text
from room_server.cli import main as cli_main
from room_server.newroom import init_room
from room_server.signing import fingerprint, fingerprint_for_paper, public_pem, room_fingerprint


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("verify")
    (folder / "roster.csv").write_text(roster_text(5), encoding="utf-8")
    asyncio.run(init_room(folder / "room", folder / "roster.csv", [pack_path("g9-kk")],
                          questionnaire_paths=centre_questionnaires(folder / "centre"), school="Мектеп №3", room="4"))
    usb = folder / "usb"
    usb.mkdir()
    assert cli_main(["export", "--data", str(folder / "room"), "--to", str(usb)]) == 0
    (bundle,) = usb.iterdir()
    return bundle, room_fingerprint(folder / "room")


@pytest.fixture
def bundle(exported, tmp_path) -> Path:
    return Path(shutil.copytree(exported[0], tmp_path / exported[0].name))


def verify(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli_main(["verify", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def resign_with_a_new_key(bundle: Path) -> None:
    """What a forger does: edit a file, fix the manifest, sign it with a key of their own."""
    results = bundle / "answers.jsonl"
    results.write_bytes(results.read_bytes() + b'{"forged": true}\n')
    manifest_path = bundle / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    new = Ed25519PrivateKey.generate()
    (bundle / "public-key.pem").write_bytes(public_pem(new.public_key()))
    for entry in manifest["files"]:
        path = bundle / entry["path"]
        entry["size"], entry["sha256"] = path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest()
    manifest["key"]["fingerprint"] = fingerprint(new.public_key())
    raw = (json.dumps(manifest, ensure_ascii=False, indent=1) + "\n").encode()
    manifest_path.write_bytes(raw)
    (bundle / "signature.json").write_text(json.dumps({
        "algorithm": "Ed25519", "signed_file": "manifest.json", "manifest_sha256": hashlib.sha256(raw).hexdigest(),
        "key_fingerprint": fingerprint(new.public_key()), "signature": base64.b64encode(new.sign(raw)).decode()}))


def test_the_room_key_in_any_printed_form_is_accepted(bundle, exported, capsys):
    fp = exported[1]
    for form in (fp, fingerprint_for_paper(fp), fp.removeprefix("SHA256:").upper(), fingerprint_for_paper(fp).lower()):
        code, out, err = verify(capsys, bundle, "--fingerprint", form)
        assert code == 0, err
        assert "It is the expected room key." in out


def test_a_bundle_resigned_with_a_new_key_is_refused_when_the_key_is_pinned(bundle, exported, capsys):
    resign_with_a_new_key(bundle)
    code, out, _ = verify(capsys, bundle)
    assert code == 0 and "Compare this fingerprint" in out  # the finding: only a person would notice
    code, _, err = verify(capsys, bundle, "--fingerprint", fingerprint_for_paper(exported[1]))
    assert code == 1
    assert "wrong key: the bundle is signed by" in err and fingerprint_for_paper(exported[1]) in err


def test_a_keys_file_lists_the_expected_rooms(bundle, exported, tmp_path, capsys):
    other = fingerprint(Ed25519PrivateKey.generate().public_key())
    keys = tmp_path / "keys.txt"
    keys.write_text(f"# room keys of the district\n{fingerprint_for_paper(other)}  # school 12\n"
                    f"{exported[1]}\n\n", encoding="utf-8")
    assert verify(capsys, bundle, "--keys", keys)[0] == 0
    keys.write_text(f"{other}\n", encoding="utf-8")
    code, _, err = verify(capsys, bundle, "--keys", keys)
    assert code == 1 and "wrong key" in err
    keys.write_text("SHA256: not a key\n", encoding="utf-8")
    code, _, err = verify(capsys, bundle, "--keys", keys)
    assert code == 2 and "line 1: 'SHA256: not a key' is not a key fingerprint" in err
    code, _, err = verify(capsys, bundle, "--fingerprint", "1234")
    assert code == 2 and "is not a key fingerprint" in err
    code, _, err = verify(capsys, bundle, "--keys", tmp_path / "none.txt")
    assert code == 2 and "cannot be read" in err


@pytest.mark.parametrize("change, expected", [
    ({"algorithm": "RSA"}, "signature.json names the algorithm 'RSA', not Ed25519"),
    ({"signed_file": "results.csv"}, "signature.json says it signs 'results.csv', not manifest.json"),
    ({"manifest_sha256": None}, "signature.json lacks manifest_sha256"),
    ({"key_fingerprint": None}, "signature.json lacks key_fingerprint"),
    ({"signature": "!!"}, "the signature is not base64"),
    ({"note": "x"}, "signature.json has fields a bundle never has: note"),
])
def test_every_field_of_the_signature_file_is_checked(bundle, capsys, change, expected):
    path = bundle / "signature.json"
    sig = json.loads(path.read_text())
    for key, value in change.items():
        if value is None:
            del sig[key]
        else:
            sig[key] = value
    path.write_text(json.dumps(sig))
    code, _, err = verify(capsys, bundle)
    assert code == 1 and expected in err, err


@pytest.mark.parametrize("field, value, expected", [
    ("algorithm", "RSA", "manifest.json names the key algorithm 'RSA'"),
    ("public_key", "key.pem", "manifest.json names the public key file 'key.pem'"),
])
def test_the_manifests_key_block_is_checked(bundle, capsys, field, value, expected):
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    manifest["key"][field] = value
    (bundle / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    code, _, err = verify(capsys, bundle)
    assert code == 1 and expected in err, err


def test_files_the_operating_system_leaves_are_ignored_with_a_note(bundle, exported, capsys):
    (bundle / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (bundle / "._results.csv").write_bytes(b"\x00\x05\x16\x07")
    (bundle / "qti" / "Thumbs.db").write_bytes(b"\xd0\xcf")
    (bundle / "System Volume Information").mkdir()
    (bundle / "System Volume Information" / "IndexerVolumeGuid").write_text("{guid}")
    code, out, err = verify(capsys, bundle, "--fingerprint", exported[1])
    assert code == 0, err
    for name in (".DS_Store", "._results.csv", "qti/Thumbs.db", "System Volume Information/IndexerVolumeGuid"):
        assert f"note: ignored: {name} (left by the operating system" in out
    (bundle / "notes.txt").write_text("not an OS file")
    code, _, err = verify(capsys, bundle)
    assert code == 1 and "extra: notes.txt" in err


def test_each_problem_is_listed_once(bundle, capsys):
    (bundle / "public-key.pem").unlink()
    code, _, err = verify(capsys, bundle)
    assert code == 1
    assert err.count("missing: public-key.pem") == 1, err
    assert "1 problem(s)" in err

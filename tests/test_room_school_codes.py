"""`room-server init --region KZ-XXX --school-bin 123456789012`: the codes that place a room's
school for the analysis centre are checked before anything is made, kept in the room, named in
the bundle's manifest and printed on the protocol."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import pack_path, questionnaire_args, roster_text
from room_server.cli import main as room_server
from room_server.roster import iin_check_digit


def a_bin(serial: int = 1234) -> str:
    """A valid BIN: registered in April 2004, a resident legal entity, a check digit."""
    for n in range(serial, serial + 100):
        first11 = f"0404400{n:04d}"
        check = iin_check_digit(first11)
        if check is not None:
            return first11 + str(check)
    raise AssertionError


def init(tmp_path: Path, capsys, *codes: str) -> tuple[int, str, Path]:
    roster = tmp_path / "roster.csv"
    roster.write_text(roster_text(3), encoding="utf-8")
    data = tmp_path / "room"
    capsys.readouterr()
    code = room_server(["init", "--data", str(data), "--roster", str(roster), "--pack", pack_path("g9-kk"),
                        *questionnaire_args(tmp_path / "centre"), "--school", "Школа №7", *codes])
    out = capsys.readouterr()
    return code, out.out + out.err, data


def export(data: Path, to: Path) -> dict:
    to.mkdir()
    assert room_server(["export", "--data", str(data), "--to", str(to)]) == 0
    (bundle,) = to.iterdir()
    return json.loads((bundle / "manifest.json").read_text("utf-8"))


def test_the_codes_go_into_the_manifest_and_onto_the_protocol(tmp_path, capsys):
    school_bin = a_bin()
    code, out, data = init(tmp_path, capsys, "--region", "kz-alm", "--school-bin", school_bin)
    assert code == 0, out
    manifest = export(data, tmp_path / "stick")
    assert manifest["region"] == "KZ-ALM" and manifest["school_bin"] == school_bin
    assert room_server(["print", "protocol", "--data", str(data), "--out", str(tmp_path / "protocol.pdf")]) == 0
    text = " ".join(PdfReader(tmp_path / "protocol.pdf").pages[0].extract_text().split())
    assert "Регион: KZ-ALM" in text and f"БИН: {school_bin}" in text


def test_without_the_codes_the_manifest_names_none(tmp_path, capsys):
    code, out, data = init(tmp_path, capsys)
    assert code == 0, out
    manifest = export(data, tmp_path / "stick")
    assert manifest["region"] is None and manifest["school_bin"] is None
    assert room_server(["print", "protocol", "--data", str(data), "--out", str(tmp_path / "protocol.pdf")]) == 0
    assert "Регион:" not in PdfReader(tmp_path / "protocol.pdf").pages[0].extract_text()


@pytest.mark.parametrize("codes, message", [
    (("--region", "KZ-XXX"), "--region: 'KZ-XXX' is not a region code; use one of KZ-ABY"),
    (("--region", "Алматы"), "--region: 'АЛМАТЫ' is not a region code"),
    (("--school-bin", "12345"), "--school-bin: BIN '12345' must be 12 digits"),
    (("--school-bin", "０４０４４００１２３４５"), "must be 12 digits"),  # full-width digits are not digits here
    (("--school-bin", a_bin()[:11] + str((int(a_bin()[11]) + 1) % 10)), "the check digit is wrong"),
    (("--school-bin", "041340012345"), "the month it was registered (01-12), not 13"),
    (("--school-bin", "101010500123"), "the 5th digit must be 4, 5 or 6"),  # an IIN's shape
    (("--region", "KZ-ALM", "--school-bin", "x"), "--school-bin: BIN 'x' must be 12 digits"),
])
def test_a_bad_code_is_refused_with_its_name_and_nothing_is_made(tmp_path, capsys, codes, message):
    code, out, data = init(tmp_path, capsys, *codes)
    assert code == 1
    assert message in out and "Traceback" not in out
    assert not data.exists()

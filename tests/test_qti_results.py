"""QTI results that a validator accepts: every qti/*.xml of a full sitting (simulated students
who finish, one removed with an act and annulled, one still testing, one absent) validates
against the official IMS QTI 2.1 results schema (tests/data, unchanged, licence inside),
with the duration in seconds, the ИКТ as an identifier, and the annulled attempt marked."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lxml import etree

from paperwork_support import run_sitting
from room_server.cli import main as cli_main
from room_server.qti_results import ikt_from_identifier, ikt_identifier
from room_server.snapshot import read_snapshot

SCHEMA = Path(__file__).parent / "data" / "imsqti_result_v2p1.xsd"
NS = {"q": "http://www.imsglobal.org/xsd/imsqti_result_v2p1"}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> tuple[Path, dict, Path]:
    folder = tmp_path_factory.mktemp("qti")
    data = folder / "room"
    facts = asyncio.run(run_sitting(data))
    usb = folder / "usb"
    usb.mkdir()
    assert cli_main(["export", "--data", str(data), "--to", str(usb)]) == 0
    (made,) = usb.iterdir()
    return made, facts, data


def test_the_schema_is_the_official_one_with_its_licence():
    text = SCHEMA.read_text(encoding="utf-8")
    assert 'targetNamespace="http://www.imsglobal.org/xsd/imsqti_result_v2p1"' in text
    assert "IPR, License and Distribution Notices" in text


def test_every_qti_file_of_a_full_sitting_validates_against_the_official_schema(bundle):
    made, _, data = bundle
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    files = sorted((made / "qti").glob("*.xml"))
    assert len(files) == len(read_snapshot(data).students) == 30
    for path in files:
        doc = etree.parse(str(path))
        assert schema.validate(doc), f"{path.name}: {schema.error_log.last_error}"


def outcome(test, identifier: str) -> str | None:
    found = test.xpath(f"q:outcomeVariable[@identifier='{identifier}']/q:value/text()", namespaces=NS)
    return found[0] if found else None


def test_ikt_duration_and_annulment_as_qti_says(bundle):
    made, facts, data = bundle
    snap = read_snapshot(data)
    by_login = {s.login: s for s in snap.students}
    for path in sorted((made / "qti").glob("*.xml")):
        root = etree.parse(str(path)).getroot()
        s = by_login[path.stem]
        source = root.find("q:context", NS).get("sourcedId")
        assert source == f"IKT-{s.ikt}" and ikt_from_identifier(source) == s.ikt
        ids = {e.get("sourceID"): e.get("identifier") for e in root.findall("q:context/q:sessionIdentifier", NS)}
        assert ids["urn:kz:modo:ikt"] == s.ikt
        test = root.find("q:testResult", NS)
        duration = test.xpath("q:responseVariable[@identifier='duration']/q:candidateResponse/q:value/text()",
                              namespaces=NS)
        if s.sat:
            seconds = float(duration[0])  # a number of seconds, not "PT498S"
            assert 0 <= seconds < 4 * 3600
        else:
            assert duration == []
        status = outcome(test, "completionStatus")
        if s.annulled:
            assert status == "incomplete" and outcome(test, "ANNULLED") == "true" and outcome(test, "RESULT") == "annulled"
        elif s.state == "done":
            assert status == "completed" and outcome(test, "RESULT") == "counted"
        elif not s.sat:
            assert status == "not_attempted" and outcome(test, "RESULT") == "none"
    removed = by_login[facts["removed"]["login"]]
    assert removed.annulled


@pytest.mark.parametrize("ikt", ["0123456", "9999999", "0000001"])
def test_ikt_mapping_is_an_ncname_both_ways(ikt):
    identifier = ikt_identifier(ikt)
    assert identifier[0].isalpha() and ikt_from_identifier(identifier) == ikt

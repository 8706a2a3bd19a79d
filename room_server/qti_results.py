"""Each student's results as an IMS QTI 2.1 assessmentResult, valid against the official
results schema (imsqti_result_v2p1.xsd; the tests validate every file of a full sitting).

How Synaq's records map onto QTI:
- context/@sourcedId must be an identifier (an NCName: no leading digit), so the ИКТ is
  written "IKT-" + its digits ("IKT-0123456"); the bare ИКТ and the room's login are kept as
  sessionIdentifiers (their type allows any string).
- duration is QTI 2.1's duration base type: a number of seconds ("498.0"), not ISO 8601.
- completionStatus is "completed" only for a result that counts; an annulled attempt (removed
  under Annex 1 or 2) is "incomplete" and carries ANNULLED=true and RESULT=annulled, so a
  reader that knows only completionStatus does not count it either.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from .snapshot import Snapshot, StudentRecord, iso_time

QTI_NS = "http://www.imsglobal.org/xsd/imsqti_result_v2p1"
QTI_SCHEMA = "http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_result_v2p1.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
IKT_PREFIX = "IKT-"


def ikt_identifier(ikt: str) -> str:
    """The ИКТ as a QTI identifier: 'IKT-0123456'."""
    return IKT_PREFIX + re.sub(r"[^A-Za-z0-9_.-]", "_", str(ikt))


def ikt_from_identifier(identifier: str) -> str:
    return identifier.removeprefix(IKT_PREFIX)


def _qti_id(text: str) -> str:
    """A QTI identifier (an NCName): letters, digits, '-', '_', '.', starting with a letter or '_'."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "_", str(text))
    return cleaned if re.match(r"[A-Za-z_]", cleaned) else "_" + cleaned


def _variable(parent: ET.Element, tag: str, identifier: str, base_type: str, values: list[str],
              cardinality: str = "single") -> ET.Element:
    var = ET.SubElement(parent, tag, {"identifier": identifier, "cardinality": cardinality, "baseType": base_type})
    holder = ET.SubElement(var, "candidateResponse") if tag == "responseVariable" else var
    for v in values:
        ET.SubElement(holder, "value").text = v
    return var


def _response(item, value: Any) -> tuple[str, str, list[str]]:
    """(cardinality, baseType, values) of a stored answer."""
    if item.kind == "single":
        return "single", "identifier", [str(value)] if isinstance(value, str) and value else []
    if item.kind == "multiple":
        return "multiple", "identifier", [str(v) for v in value] if isinstance(value, list) else []
    if item.kind == "matching":
        pairs = [f"L{k} {v}" for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))] if isinstance(value, dict) else []
        return "multiple", "directedPair", pairs
    return "single", "string", [str(value)] if value not in (None, "") else []


def qti_xml(snap: Snapshot, s: StudentRecord) -> bytes:
    """An IMS QTI 2.1 assessmentResult for one student: context, testResult, one itemResult per item."""
    from content.scoring import score_item

    ET.register_namespace("", QTI_NS)
    ET.register_namespace("xsi", XSI_NS)
    root = ET.Element("assessmentResult", {f"{{{XSI_NS}}}schemaLocation": f"{QTI_NS} {QTI_SCHEMA}"})
    context = ET.SubElement(root, "context", {"sourcedId": ikt_identifier(s.ikt)})
    ET.SubElement(context, "sessionIdentifier", {"sourceID": "urn:kz:modo:ikt", "identifier": s.ikt})
    ET.SubElement(context, "sessionIdentifier",
                  {"sourceID": f"urn:synaq:room:{snap.meta.get('room_id', '')}:login", "identifier": s.login})
    pack = snap.packs.get(s.language)
    stamp = iso_time(s.attempt.get("finished_ms") or s.attempt.get("started_ms") or snap.taken_ms)
    test_id = _qti_id(f"{pack.id if pack else s.language}-{s.variant}")
    test = ET.SubElement(root, "testResult", {"identifier": test_id, "datestamp": stamp})
    started, finished = s.attempt.get("started_ms"), s.attempt.get("finished_ms")
    if started:
        seconds = max(0, (finished or snap.taken_ms) - started) / 1000
        _variable(test, "responseVariable", "duration", "duration", [f"{seconds:.1f}"])
    if s.annulled:
        status = "incomplete"
    elif s.state in ("finished", "questionnaire", "done"):
        status = "completed"
    else:
        status = "incomplete" if s.sat else "not_attempted"
    _variable(test, "outcomeVariable", "completionStatus", "identifier", [status])
    _variable(test, "outcomeVariable", "STATE", "identifier", [_qti_id(s.state)])
    _variable(test, "outcomeVariable", "ATTENDANCE", "identifier", [s.attendance_status])
    _variable(test, "outcomeVariable", "ANNULLED", "boolean", ["true" if s.annulled else "false"])
    _variable(test, "outcomeVariable", "RESULT", "identifier", ["annulled" if s.annulled else (
        "counted" if s.score is not None else "none")])
    if s.attempt.get("finish_reason"):
        _variable(test, "outcomeVariable", "FINISH_REASON", "identifier", [_qti_id(s.attempt["finish_reason"])])
    if s.score is not None:
        _variable(test, "outcomeVariable", "SCORE", "float", [str(s.score.total)])
        _variable(test, "outcomeVariable", "MAXSCORE", "float", [str(s.score.max_total)])
        _variable(test, "outcomeVariable", "PERCENT", "float", [str(s.score.percent)])
        for x in s.score.subjects:
            _variable(test, "outcomeVariable", _qti_id(f"SCORE_{x.subject}"), "float", [str(x.score)])
            _variable(test, "outcomeVariable", _qti_id(f"MAXSCORE_{x.subject}"), "float", [str(x.max_score)])
    if pack is not None and s.sat:
        try:
            items = pack.variant(s.variant).items()
        except KeyError:
            items = []
        received = {}
        for a in s.answers:
            if a["counted"] and s.latest_seq.get(a["item"]) == a["seq"]:
                received[a["item"]] = a["received_ms"]
        for index, item in enumerate(items, start=1):
            value = s.latest.get(item.id)
            answered = item.id in s.latest
            result = ET.SubElement(root, "itemResult", {
                "identifier": _qti_id(item.id), "sequenceIndex": str(index),
                "datestamp": iso_time(received.get(item.id)) or stamp,
                "sessionStatus": "final" if s.state not in ("testing", "on_break") else (
                    "pendingResponseProcessing" if answered else "initial"),
            })
            cardinality, base_type, values = _response(item, value)
            _variable(result, "responseVariable", "RESPONSE", base_type, values, cardinality)
            _variable(result, "outcomeVariable", "SCORE", "float", [str(score_item(item, value))])
            _variable(result, "outcomeVariable", "MAXSCORE", "float", [str(item.points)])
    # ElementTree names the default namespace on every tag; put it on the root only.
    for el in root.iter():
        if not el.tag.startswith("{"):
            el.tag = f"{{{QTI_NS}}}{el.tag}"
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"



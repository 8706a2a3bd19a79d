"""The codec: every message round-trips; every malformed frame raises ProtocolError with its code."""

from __future__ import annotations

import dataclasses
import typing

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import sample_message as build
from conftest import sample_value as sample
import room_protocol as p
from room_protocol import ErrorCode, ProtocolError


ALL = sorted(p.MESSAGES)


@pytest.mark.parametrize("type_name", ALL)
def test_every_message_round_trips(type_name):
    cls = p.MESSAGES[type_name]
    msg = build(cls)
    if type_name in p.CLIENT_MESSAGES:
        decoded, request_id = p.decode(p.encode_request(msg, 41), allowed=p.CLIENT_MESSAGES)
        assert request_id == 41
    else:
        decoded, re = p.decode_server_frame(p.encode(msg, re=9))
        assert re == 9
    assert decoded == msg
    assert type(decoded) is cls


@pytest.mark.parametrize("type_name", ALL)
def test_optional_fields_may_be_left_out(type_name):
    cls = p.MESSAGES[type_name]
    required = {f.name: sample(typing.get_type_hints(cls)[f.name]) for f in dataclasses.fields(cls)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    wire = {"t": type_name, **{k: v for k, v in cls(**required).to_wire().items() if k in required}}
    assert p.from_wire(cls, wire) == cls(**required)


def test_the_registry_knows_who_sends_what():
    assert {"hello", "login", "answer", "finish", "questionnaire_submit"} <= p.CLIENT_MESSAGES
    assert {"open_sitting", "pause", "extra_time", "incident", "approve_login", "watch"} <= p.PROCTOR_MESSAGES
    assert not ({"login", "answer", "start"} & p.PROCTOR_MESSAGES)
    assert not ({"ack", "test", "result", "room", "seat"} & p.CLIENT_MESSAGES)
    assert p.PROCTOR_MESSAGES <= p.CLIENT_MESSAGES


def test_a_server_message_is_not_accepted_from_a_client():
    frame = p.encode(p.Ack(1, "A-r1"))
    with pytest.raises(ProtocolError) as err:
        p.decode(frame, allowed=p.CLIENT_MESSAGES)
    assert err.value.code == ErrorCode.UNKNOWN_TYPE


def packb(obj) -> bytes:
    return msgpack.packb(obj, use_bin_type=True)


ANSWER = {"t": "answer", "seq": 1, "item": "A-r1", "value": "B", "made_ms": 10}

BAD = [
    ("not msgpack", b"\xc1\xc1\xc1", ErrorCode.BAD_FRAME),
    ("empty", b"", ErrorCode.BAD_FRAME),
    ("two objects", packb({"t": "ok"}) + packb({"t": "ok"}), ErrorCode.BAD_FRAME),
    ("an array", packb(["answer", 1]), ErrorCode.BAD_FRAME),
    ("a number", packb(5), ErrorCode.BAD_FRAME),
    ("no t", packb({"seq": 1}), ErrorCode.BAD_FRAME),
    ("t not text", packb({"t": 5}), ErrorCode.BAD_FRAME),
    ("unknown t", packb({"t": "fly"}), ErrorCode.UNKNOWN_TYPE),
    ("missing field", packb({k: v for k, v in ANSWER.items() if k != "seq"}), ErrorCode.MISSING_FIELD),
    ("unknown field", packb({**ANSWER, "score": 10}), ErrorCode.UNKNOWN_FIELD),
    ("int for str", packb({**ANSWER, "item": 5}), ErrorCode.BAD_FIELD),
    ("bool for int", packb({**ANSWER, "seq": True}), ErrorCode.BAD_FIELD),
    ("str for int", packb({**ANSWER, "seq": "1"}), ErrorCode.BAD_FIELD),
    ("str for dict", packb({"t": "incident", "kind": "other", "student": None, "fields": "x"}), ErrorCode.BAD_FIELD),
    ("bool id", packb({**ANSWER, "id": True}), ErrorCode.BAD_FIELD),
    ("int map key", packb({1: 2, "t": "ok"}), ErrorCode.BAD_FRAME),
    ("too long array", packb({**ANSWER, "value": list(range(p.MAX_ARRAY_LEN + 1))}), ErrorCode.BAD_FRAME),
    ("too big map", packb({**ANSWER, "value": {str(i): i for i in range(p.MAX_MAP_LEN + 1)}}), ErrorCode.BAD_FRAME),
    ("too long bytes", packb({**ANSWER, "value": b"x" * (p.MAX_BIN_LEN + 1)}), ErrorCode.BAD_FRAME),
    ("too deep", b"\x81\xa1t\xa6answer" + b"\x91" * 5000 + b"\xc0", ErrorCode.BAD_FRAME),
    ("ext type", packb({**ANSWER, "value": msgpack.ExtType(1, b"x")}), ErrorCode.BAD_FRAME),
    ("bad utf-8", b"\x81\xa1t\xa3\xff\xfe\xfd", ErrorCode.BAD_FRAME),
    ("too large", packb({**ANSWER, "item": "x" * 15000, "value": ["y" * 15000] * 5}), ErrorCode.TOO_LARGE),
]


@pytest.mark.parametrize("frame, code", [(f, c) for _, f, c in BAD], ids=[name for name, _, _ in BAD])
def test_bad_frames_raise_protocol_errors(frame, code):
    with pytest.raises(ProtocolError) as err:
        p.decode(frame, allowed=p.CLIENT_MESSAGES)
    assert err.value.code == code
    assert err.value.reason


def test_a_refused_frame_keeps_its_request_id():
    with pytest.raises(ProtocolError) as err:
        p.decode(packb({**ANSWER, "id": 12, "extra": 1}), allowed=p.CLIENT_MESSAGES)
    assert (err.value.code, err.value.request_id) == (ErrorCode.UNKNOWN_FIELD, 12)
    with pytest.raises(ProtocolError) as err:
        p.decode(packb({"t": "fly", "id": 13}), allowed=p.CLIENT_MESSAGES)
    assert err.value.request_id == 13


def test_too_large_closes_the_connection():
    with pytest.raises(ProtocolError) as err:
        p.unpack_frame(b"\x00" * (p.MAX_FRAME_BYTES + 1))
    assert err.value.close


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_garbage_never_raises_anything_else(data):
    try:
        p.decode(data, allowed=p.CLIENT_MESSAGES)
    except ProtocolError:
        pass


json_like = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**64 - 1) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(p.CLIENT_MESSAGES)), st.dictionaries(st.sampled_from(
    ["seq", "item", "value", "made_ms", "login", "password", "student", "minutes", "reason", "fields", "key", "version",
     "role", "kind", "check", "zzz"]), json_like, max_size=6))
def test_any_map_decodes_or_is_refused_cleanly(type_name, fields):
    try:
        msg, _ = p.decode(packb({"t": type_name, **fields}), allowed=p.CLIENT_MESSAGES)
    except ProtocolError as exc:
        assert exc.code in (ErrorCode.MISSING_FIELD, ErrorCode.UNKNOWN_FIELD, ErrorCode.BAD_FIELD)
    else:
        assert msg.TYPE == type_name


def test_docs_name_every_message_field_and_error_code():
    from conftest import REPO
    doc = (REPO / "docs" / "protocol.md").read_text(encoding="utf-8")
    codes = [v for k, v in vars(ErrorCode).items() if not k.startswith("_")]
    assert [c for c in codes if f"`{c}`" not in doc and c not in doc] == []
    assert [t for t in p.MESSAGES if t not in doc] == []
    fields = {(t, f.name) for t, cls in p.MESSAGES.items() for f in dataclasses.fields(cls)}
    assert sorted((t, f) for t, f in fields if f not in doc) == []

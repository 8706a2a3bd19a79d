"""Records, and msgpack frames made of them.

A record is a dataclass whose fields are checked on the way in: a message (a frame's top
level, with its type in "t") or a view nested in one (an attempt, a seat, a test item).
Decoding checks everything — size, msgpack limits, the type, every field's presence and
type, unknown fields, nested views — and raises ProtocolError with a code and a readable
reason; nothing here touches state.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from typing import Any, Callable, ClassVar

import msgpack

from .errors import ErrorCode, ProtocolError

MAX_FRAME_BYTES = 64 * 1024  # a frame from a client; the server's replies may be larger
MAX_ARRAY_LEN = 1024
MAX_MAP_LEN = 256
MAX_STR_LEN = 16 * 1024
MAX_BIN_LEN = 16 * 1024  # a sealed questionnaire response is 15 KiB
# What a client accepts from the server: a proctor's room snapshot of 500 seats is ~300 KB.
SERVER_LIMITS = (4 * 1024 * 1024, 100_000, 4_096, 1024 * 1024, 64 * 1024)  # bytes, array, map, str, bin


class Record:
    """A dataclass with checked fields; `to_wire()` gives the msgpack-ready map."""

    def to_wire(self) -> dict:
        wire = {}
        for f in _spec(type(self)).fields:
            value = getattr(self, f.name)
            if value is None and f.omit_none:
                continue  # optional and absent
            wire[f.name] = _plain(value)
        return wire

    @classmethod
    def from_wire(cls, data: Any):
        """A checked record from a decoded map; raises ProtocolError(bad_field...)."""
        if not isinstance(data, dict):
            raise ProtocolError(ErrorCode.BAD_FIELD, f"{_label(cls)} must be a map")
        return _build(cls, data)


@dataclass
class Message(Record):
    """A frame's top level. TYPE is its "t"."""

    TYPE: ClassVar[str] = ""

    def to_wire(self) -> dict:
        return {"t": self.TYPE, **super().to_wire()}


# The registry of message classes by their "t".
MESSAGES: dict[str, type[Message]] = {}
CLIENT_MESSAGES: set[str] = set()  # what a client may send
PROCTOR_MESSAGES: set[str] = set()  # what only a proctor connection may send
STUDENT_MESSAGES: set[str] = set()  # what only a student connection may send


def message(type_name: str, *, sender: str = "server"):
    """Registers a message class. sender: "server", "client" (either role), "student",
    "proctor"."""

    def register(cls):
        cls = dataclass(cls)
        cls.TYPE = type_name
        MESSAGES[type_name] = cls
        if sender in ("client", "student", "proctor"):
            CLIENT_MESSAGES.add(type_name)
        if sender == "proctor":
            PROCTOR_MESSAGES.add(type_name)
        if sender == "student":
            STUDENT_MESSAGES.add(type_name)
        return cls

    return register


def view(cls):
    """Declares a view: a record nested in messages (no "t" of its own)."""
    return dataclass(cls)


def _plain(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_wire()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _label(cls: type) -> str:
    return getattr(cls, "TYPE", "") or cls.__name__


# ---------------------------------------------------------------------------------------
# Field checks, worked out once per class: frames are decoded on the hot path of every answer.

class _Mismatch(Exception):
    pass


@dataclass(frozen=True)
class _Field:
    name: str
    required: bool
    omit_none: bool  # an optional field left out of the frame while it is None
    convert: Callable[[Any], Any]  # the checked (and for views, built) value, or _Mismatch
    hint: Any


@dataclass(frozen=True)
class _Spec:
    fields: tuple[_Field, ...]
    allowed: frozenset[str]  # every key a map of this record may carry


_SPECS: dict[type, _Spec] = {}


def _spec(cls: type) -> _Spec:
    spec = _SPECS.get(cls)
    if spec is None:
        hints = typing.get_type_hints(cls)
        fields = tuple(
            _Field(f.name, f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
                   f.default is None, _converter(hints[f.name]), hints[f.name])
            for f in dataclasses.fields(cls))
        extra = {"t", "id", "re"} if issubclass(cls, Message) else set()
        spec = _SPECS[cls] = _Spec(fields, frozenset(f.name for f in fields) | extra)
    return spec


def _check(test: Callable[[Any], bool]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if not test(value):
            raise _Mismatch
        return value
    return convert


def _converter(hint: Any) -> Callable[[Any], Any]:
    if hint is Any:
        return lambda value: value
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [_converter(arg) for arg in typing.get_args(hint)]

        def either(value: Any) -> Any:
            for option in options:
                try:
                    return option(value)
                except _Mismatch:
                    continue
            raise _Mismatch
        return either
    if hint is type(None):
        return _check(lambda value: value is None)
    if hint is bool:
        return _check(lambda value: isinstance(value, bool))
    if hint is int:
        return _check(lambda value: isinstance(value, int) and not isinstance(value, bool))
    if hint is float:
        return _check(lambda value: isinstance(value, (int, float)) and not isinstance(value, bool))
    if hint in (str, bytes, list, dict):
        return _check(lambda value: isinstance(value, hint))
    if isinstance(hint, type) and issubclass(hint, Record):
        def record(value: Any) -> Any:
            if not isinstance(value, dict):
                raise _Mismatch
            return _build(hint, value)
        return record
    if origin is list:
        (inner,) = typing.get_args(hint) or (Any,)
        each = _converter(inner)

        def items(value: Any) -> Any:
            if not isinstance(value, list):
                raise _Mismatch
            return [each(v) for v in value]
        return items
    if origin is dict:
        key_hint, value_hint = typing.get_args(hint) or (Any, Any)
        key_of, value_of = _converter(key_hint), _converter(value_hint)

        def mapping(value: Any) -> Any:
            if not isinstance(value, dict):
                raise _Mismatch
            return {key_of(k): value_of(v) for k, v in value.items()}
        return mapping
    raise TypeError(f"no wire form for the type {hint!r}")


def _type_name(hint: Any) -> str:
    names = {str: "text", int: "an integer", float: "a number", bool: "true/false",
             bytes: "bytes", list: "a list", dict: "a map", type(None): "nil"}
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(hint))
    if origin is list:
        return "a list"
    if origin is dict:
        return "a map"
    if isinstance(hint, type) and issubclass(hint, Record):
        return f"a {hint.__name__} map"
    return names.get(hint, str(hint))


def _build(cls: type, data: dict) -> Any:
    spec = _spec(cls)
    unknown = [k for k in data if k not in spec.allowed]
    if unknown:
        raise ProtocolError(ErrorCode.UNKNOWN_FIELD, f"{_label(cls)}: unknown field {sorted(map(str, unknown))[0]!r}")
    kwargs = {}
    for f in spec.fields:
        if f.name not in data:
            if f.required:
                raise ProtocolError(ErrorCode.MISSING_FIELD, f"{_label(cls)}: field {f.name!r} is missing")
            continue
        try:
            kwargs[f.name] = f.convert(data[f.name])
        except _Mismatch:
            raise ProtocolError(ErrorCode.BAD_FIELD,
                                f"{_label(cls)}: field {f.name!r} must be {_type_name(f.hint)}") from None
    return cls(**kwargs)


# ---------------------------------------------------------------------------------------
# Frames

def encode(msg: Message, re: int | None = None) -> bytes:
    wire = msg.to_wire()
    if re is not None:
        wire["re"] = re
    return msgpack.packb(wire, use_bin_type=True)


def encode_request(msg: Message, request_id: int) -> bytes:
    wire = msg.to_wire()
    wire["id"] = request_id
    return msgpack.packb(wire, use_bin_type=True)


def unpack_frame(frame: bytes, *, from_server: bool = False) -> dict:
    """Bytes to a map, with every limit applied. Raises ProtocolError.

    A client's frames get the tight limits; the server's (the room snapshot of every seat,
    a test with its texts) the larger SERVER_LIMITS."""
    limit, arrays, maps, strings, blobs = SERVER_LIMITS if from_server else (
        MAX_FRAME_BYTES, MAX_ARRAY_LEN, MAX_MAP_LEN, MAX_STR_LEN, MAX_BIN_LEN)
    if len(frame) > limit:
        raise ProtocolError(ErrorCode.TOO_LARGE, f"frame of {len(frame)} bytes; the limit is {limit}", close=True)
    try:
        data = msgpack.unpackb(frame, raw=False, strict_map_key=True, max_array_len=arrays, max_map_len=maps,
                               max_str_len=strings, max_bin_len=blobs, max_ext_len=0)
    except msgpack.ExtraData:
        raise ProtocolError(ErrorCode.BAD_FRAME, "more than one msgpack object in the frame") from None
    except ValueError as exc:  # includes limits exceeded and bad UTF-8
        raise ProtocolError(ErrorCode.BAD_FRAME, f"not valid msgpack within the limits ({exc})") from None
    except Exception as exc:  # msgpack raises several kinds for garbage
        raise ProtocolError(ErrorCode.BAD_FRAME, f"not msgpack ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.BAD_FRAME, "a frame must be a msgpack map with a 't' field")
    return data


def decode(frame: bytes, *, allowed: set[str] | None = None) -> tuple[Message, int | None]:
    """A client's frame to (message, request id). `allowed` limits the message types accepted."""
    data = unpack_frame(frame)
    type_name = data.get("t")
    if not isinstance(type_name, str):
        raise ProtocolError(ErrorCode.BAD_FRAME, "the 't' field (message type) is missing or not text")
    request_id = data.get("id")
    if request_id is not None and (not isinstance(request_id, int) or isinstance(request_id, bool)):
        raise ProtocolError(ErrorCode.BAD_FIELD, "'id' must be an integer")
    try:
        cls = MESSAGES.get(type_name)
        if cls is None or (allowed is not None and type_name not in allowed):
            raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {type_name!r}")
        return _build(cls, data), request_id
    except ProtocolError as exc:
        exc.request_id = request_id  # the error reply names the request, so the client stops waiting
        raise


def decode_server_frame(frame: bytes) -> tuple[Message, int | None]:
    """What a client uses: any server message, with the same checks (larger limits)."""
    data = unpack_frame(frame, from_server=True)
    type_name = data.get("t")
    cls = MESSAGES.get(type_name) if isinstance(type_name, str) else None
    if cls is None:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {type_name!r}")
    re = data.get("re")
    return _build(cls, data), re if isinstance(re, int) else None


def from_wire(cls: type[Record], data: dict) -> Record:
    """A record from a map (a message's fields, or a view)."""
    return _build(cls, data)

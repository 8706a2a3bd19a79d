"""The room protocol: the bottom of Synaq, shared by the server, the client library, both
apps and the tools. It depends on the standard library and msgpack only (`seal` alone adds
cryptography), and holds:

- `messages`: one class per message; `codec`: frames, limits, checked records;
- `views`: the typed payloads (attempt, seat, test, sitting...);
- `errors`: the error codes; `rules`: the rules every side must read alike (attempt states,
  what a message is allowed in, the answer shapes and the one "is answered" rule, "present",
  what an incident does).

`import room_protocol as p` gives all of it: `p.Answer`, `p.ErrorCode`, `p.encode`...
"""

# The package's one name for everything the protocol defines (`p.Answer`, `p.encode`...).
from .codec import (CLIENT_MESSAGES, MAX_ARRAY_LEN, MAX_BIN_LEN, MAX_FRAME_BYTES, MAX_MAP_LEN,  # noqa: F401
                    MAX_STR_LEN, MESSAGES, PROCTOR_MESSAGES, SERVER_LIMITS, STUDENT_MESSAGES, Message, Record,
                    decode, decode_server_frame, encode, encode_request, from_wire, unpack_frame)
from .errors import BAD_FRAME_CODES, RETRY_CODES, ErrorCode, ProtocolError  # noqa: F401
from .messages import *  # noqa: F401,F403 — every message class
from .views import *  # noqa: F401,F403 — every view

PROTOCOL_VERSION = 2
WS_PATH = "/ws"
SERVICE_TYPE = "_synaq._tcp.local."
HEARTBEAT_S = 10.0  # WebSocket ping interval; a peer silent for ~2 heartbeats is gone
SEND_QUEUE_LIMIT = 256  # frames waiting for one client before it is dropped

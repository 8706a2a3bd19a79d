"""The one client library of the room: both apps, the simulated students, the tools and the
tests reach the server through it.

`StudentClient` and `ProctorClient` are the two sessions (one method per action), over
`RoomLink` (the WebSocket kept alive). Pushes and link changes come out of `events`.
"""

from .link import Connection, Offline, RoomLink, ServerError, parse_address
from .proctor import ProctorClient
from .student import ACKED, PENDING, SENT, Acked, AnswerState, AttemptClock, Credentials, StudentClient

__all__ = ["ACKED", "PENDING", "SENT", "Acked", "AnswerState", "AttemptClock", "Connection", "Credentials", "Offline",
           "ProctorClient", "RoomLink", "ServerError", "StudentClient", "parse_address"]

"""Every failure as a sentence a child understands, in the interface language (the detail
goes to the log, never to the screen)."""

from __future__ import annotations

import asyncio

from room_client import Offline, ServerError
from room_protocol import ErrorCode

from .i18n import N_

# The server's refusals a student can meet, by error code (room_protocol.errors).
REFUSALS = {
    ErrorCode.NOT_OPEN: N_("The test has not started yet. Please wait."),
    ErrorCode.CLOSED: N_("The test in this room is closed. Raise your hand."),
    ErrorCode.PAUSED: N_("The administrator has paused the test. Please wait."),
    ErrorCode.TIME_OVER: N_("The time is over."),
    ErrorCode.REMOVED: N_("The administrator has ended your test."),
    ErrorCode.ABSENT: N_("You are marked absent. Raise your hand."),
    ErrorCode.SUBJECT_CLOSED: N_("This subject is finished and cannot be opened again."),
    ErrorCode.REFUSED: N_("The administrator did not allow this login. Raise your hand."),
    ErrorCode.NOT_YOUR_STREAM: N_("Another stream is taking the test now, not yours. Please wait: the administrator "
                                  "will call your stream."),
    ErrorCode.STREAM_CHANGED: N_("The administrator has started another stream. If your slip is for it, log in "
                                 "now; if not, please wait for the administrator."),
    ErrorCode.ALREADY_DONE: N_("The questionnaire of this slip has already been answered."),
}
OFFLINE = N_("The room's computer does not answer. Your answers are kept on this computer. Wait a moment and try "
             "again, or raise your hand.")
OTHER_REFUSAL = N_("The room's computer could not do this. Raise your hand.")
OTHER_FAILURE = N_("Something went wrong on this computer. Raise your hand; your saved answers are safe.")


def explain(t, failure: BaseException | str) -> str:
    """The sentence for an exception, or for an error code the server pushed."""
    if isinstance(failure, str):
        return t(REFUSALS.get(failure, OTHER_REFUSAL))
    if isinstance(failure, (Offline, asyncio.TimeoutError, ConnectionError)):
        return t(OFFLINE)
    if isinstance(failure, ServerError):
        return t(REFUSALS.get(failure.code, OTHER_REFUSAL))
    return t(OTHER_FAILURE)

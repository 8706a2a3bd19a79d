"""The server's refusals in the console's language.

The server says why it refused in English (`Error.reason`, room_protocol/errors.py); the
console shows every reason an administrator can meet in Kazakh, Russian or English. Each
pattern below matches one reason the room server sends to a proctor; its named parts (a path,
a number, a state) are put into the translated sentence. A reason no pattern knows is shown
after the error code's own sentence, so nothing is ever hidden.
"""

from __future__ import annotations

import re

from .i18n import N_, t

# The error code's sentence, for every code a server may send (room_protocol.ErrorCode).
CODE_TEXT = {
    "bad_frame": N_("The server could not read the request"),
    "too_large": N_("The request is too large"),
    "unknown_type": N_("The server does not know this request"),
    "missing_field": N_("Check the form"),
    "unknown_field": N_("Check the form"),
    "bad_field": N_("Check the form"),
    "version": N_("The console and the server are different versions"),
    "not_hello": N_("The server could not read the request"),
    "wrong_state": N_("Not possible now"),
    "forbidden": N_("The proctor key was refused"),
    "bad_login": N_("Wrong login or password"),
    "slow_down": N_("Too many attempts; wait a little"),
    "awaiting_approval": N_("Waiting for approval"),
    "refused": N_("Refused by the administrator"),
    "replaced": N_("Logged in on another computer"),
    "not_open": N_("The sitting is not open yet"),
    "closed": N_("The sitting is closed"),
    "paused": N_("The room is paused"),
    "on_break": N_("On a break"),
    "time_over": N_("The time is over"),
    "sealed": N_("The result is already shown"),
    "removed": N_("The student was removed"),
    "not_found": N_("Not found"),
    "subject_closed": N_("The subject is closed"),
    "bad_check": N_("The check is wrong"),
    "absent": N_("Marked absent"),
    "already_done": N_("Already done"),
    "too_fast": N_("Too many requests; slow down"),
    "busy": N_("The room server is busy; try again"),
    "not_your_stream": N_("This login is for another stream"),
    "stream_changed": N_("Another stream was made live"),
    "internal": N_("The server could not do it; nothing was changed"),
}

STATE_WORDS = {"open": N_("open"), "closed": N_("closed"), "not_open": N_("not open yet")}

# (the server's reason as a pattern, the sentence shown). Named groups become placeholders.
REASONS: list[tuple[str, str]] = [
    (r"the sitting is already (?P<state>\w+)", N_("The sitting is already {state}.")),
    # A day of streams: switching (handlers/streams.py) and adding a stream (newroom.init_room).
    (r"this room is one sitting, not a day of streams \(.*\)",
     N_("This room is one sitting, not a day of streams: a day is made in an empty folder with room-server init "
        "--stream N.")),
    (r"no stream (?P<stream>\d+) \(the day has (?P<streams>[\d, ]+)\)",
     N_("There is no stream {stream}; the day has {streams}.")),
    (r"stream (?P<stream>\d+) is already live", N_("Stream {stream} is live already.")),
    (r"the sitting of stream (?P<stream>\d+) is open: close it first",
     N_("The sitting of stream {stream} is open: close it first (C on the room screen).")),
    (r"stream (?P<stream>\d+) is live now", N_("Stream {stream} is live now.")),
    (r"another stream is opening", N_("Another stream is being opened; wait a moment.")),
    (r"a stream is numbered 1 to 20, not (?P<stream>-?\d+)", N_("A stream is numbered 1 to 20, not {stream}.")),
    (r"(?P<path>.+) already has stream (?P<stream>\d+)", N_("The day ({path}) already has stream {stream}.")),
    (r"the roster (?P<path>.+?) is refused: cannot read the file \((?P<error>[^)]*)\)",
     N_("The roster {path} cannot be read ({error}).")),
    (r"the roster (?P<path>.+?) is refused: (?P<problems>.*)", N_("The roster {path} is refused: {problems}")),
    (r"the test pack (?P<path>.+?) has problems:\s*(?P<problems>.*)",
     N_("The test pack {path} has problems: {problems}")),
    (r"the questionnaire (?P<path>.+?) has problems:\s*(?P<problems>.*)",
     N_("The questionnaire {path} has problems: {problems}")),
    (r"the questionnaire (?P<path>.+?) names no analysis centre key \(centre_key\): .*",
     N_("The questionnaire {path} names no analysis centre key: use the file the centre sent.")),
    (r"two packs for the language (?P<language>\w+): (?P<first>.+) and (?P<second>.+)",
     N_("Two test packs for the language {language}: {first} and {second}.")),
    (r"grade 4 and grade 9 sit in separate rooms: the packs given have grades (?P<grades>.+)",
     N_("Grades 4 and 9 sit apart: the packs given are for grades {grades}.")),
    (r"the packs of one room must have the same variants", N_("The packs of one stream must have the same variants.")),
    (r"two (?P<audience>\w+) questionnaires in (?P<language>\w+): (?P<first>.+) and (?P<second>.+)",
     N_("Two questionnaires of one kind in {language}: {first} and {second}.")),
    (r"no student questionnaire for the test language\(s\) (?P<languages>.+) \(give one --questionnaire per "
     r"language\)", N_("No student questionnaire for the test language(s) {languages}: give one per language.")),
    (r"the questionnaires name different analysis centre keys; .*",
     N_("The questionnaires name different analysis centre keys: they must all name the centre's one key.")),
    (r"a student sits in one stream of the day; nothing was imported:\s*(?P<lines>.*)",
     N_("A student sits in one stream of the day; nothing was added: {lines}")),
    (r"an absence needs a reason", N_("An absence needs a reason.")),
    (r"this student has logged in; they cannot be absent", N_("This student has logged in: they cannot be absent.")),
    (r"extra time must be 1 to 120 minutes", N_("Extra time must be 1 to 120 minutes.")),
    (r"extra time needs a reason", N_("Extra time needs a reason.")),
    (r"extra time is for a student who is testing", N_("Extra time is only for a student who is testing.")),
    (r"kind must be annex1, annex2 or other", N_("Choose Annex 1, Annex 2 or another incident.")),
    (r"an (?P<kind>\w+) act names a student", N_("An act of this kind names a student.")),
    (r"describe the incident \(description\)", N_("Describe the incident.")),
    (r"the sitting is not open", N_("The sitting is not open.")),
    (r"a break is already announced", N_("A break is already announced.")),
    (r"no break is announced", N_("No break is announced.")),
    (r"the reason must be power, network or other", N_("The reason must be power, network or other.")),
    (r"say what happened \(note\) when the reason is other", N_("Say what happened when the reason is other.")),
    (r"the room is already paused", N_("The room is already paused.")),
    (r"the room is not paused", N_("The room is not paused.")),
    (r"no login is waiting for this student", N_("No second login is waiting for this student.")),
    (r"no student (?P<student>\S+)", N_("There is no student {student} in this room.")),
    (r"(?P<kind>\w+) is for the administrator only", N_("Only the administrator may do this.")),
    (r"wrong proctor key", N_("Wrong proctor key.")),
    (r"this server speaks protocol (?P<server>\d+), not (?P<console>\d+)",
     N_("The server speaks protocol {server}, this console {console}: install the same version.")),
    (r"too many messages; slow down", N_("Too many requests at once; slow down.")),
    (r"print: 'what' must be one of (?P<forms>.+)", N_("Choose what to print: {forms}.")),
    (r"print: 'to' must name a PDF file or a folder", N_("Give a PDF file or a folder to print to.")),
    (r"export: 'to' must name a folder \(a USB stick\)", N_("Give the folder of the USB stick.")),
    (r"cannot print '(?P<what>\w+)': choose one of (?P<forms>.+)", N_("Choose what to print: {forms}.")),
    (r"no acts to print: no incidents are recorded in this room",
     N_("There are no acts to print: no incident is recorded in this room.")),
    (r"no login slips to print: the slips file lists none of this room's students",
     N_("There are no login slips to print: the slips file lists none of this room's students.")),
    (r"no teachers' or principals' slips to print: add them with 'room-server staff'",
     N_("There are no teachers' or principals' slips to print: add them with room-server staff.")),
    (r"the slips file (?P<path>.+) is missing: .*",
     N_("The slips file {path} is missing: the passwords exist only there, so the slips cannot be printed.")),
    (r"the slips file (?P<path>.+) cannot be read: (?P<error>.*)", N_("The slips file {path} cannot be read: {error}")),
    (r"the login slips file (?P<path>.+) is missing: .*",
     N_("The login slips file {path} is missing: the passwords exist only there, so the slips cannot be printed.")),
    (r"the login slips file (?P<path>.+) cannot be read: (?P<error>.*)",
     N_("The login slips file {path} cannot be read: {error}")),
    (r"(?P<path>.+): the output must be a \.pdf file", N_("{path}: the file name must end in .pdf.")),
    (r"the folder (?P<path>.+) does not exist", N_("The folder {path} does not exist.")),
    (r"cannot write (?P<path>.+?): (?P<error>.*)", N_("Cannot write {path}: {error}")),
    (r"(?P<path>.+) already holds 999 bundles named (?P<name>.+); choose another folder",
     N_("{path} already holds 999 bundles named {name}; choose another folder.")),
    (r"(?P<path>.+) does not exist \(is the USB stick plugged in and mounted\?\)",
     N_("{path} does not exist: is the USB stick plugged in and mounted?")),
    (r"(?P<path>.+) is not a folder", N_("{path} is not a folder.")),
    (r"(?P<path>.+) is read-only: nothing was written .*",
     N_("{path} is read-only: nothing was written. Is the stick's lock switch on?")),
    (r"not enough space on (?P<path>.+): the bundle needs about (?P<needed>.+), only (?P<free>.+) is free; .*",
     N_("Not enough space on {path}: the bundle needs about {needed}, only {free} is free. Nothing was written.")),
    (r"(?P<path>.+) appeared while exporting; try again", N_("{path} appeared while exporting; try again.")),
    (r"the bundle read back from (?P<path>.+) does not match what was written \((?P<problems>.*)\); .*",
     N_("The bundle read back from {path} does not match what was written ({problems}); it was removed. "
        "The stick may be failing: try another.")),
    (r"the drive (?P<path>.+) became full while writing; .*",
     N_("The drive {path} became full while writing; the unfinished bundle was removed. Free some space or "
        "use a larger stick.")),
    (r"(?P<path>.+) is read-only or not writable \((?P<error>.*)\); .*",
     N_("{path} is read-only or not writable ({error}); the unfinished bundle was removed.")),
    (r"writing to (?P<path>.+) failed: (?P<error>.*?); the unfinished bundle was removed.*",
     N_("Writing to {path} failed: {error}. The unfinished bundle was removed. Was the stick pulled out?")),
    (r"the room's copy of the (?P<language>\w+) pack \((?P<path>.+)\) is damaged: (?P<problem>.*)",
     N_("The room's copy of the {language} pack ({path}) is damaged: {problem}")),
]
_COMPILED = [(re.compile(pattern + r"\Z", re.DOTALL), message) for pattern, message in REASONS]


def reason_text(reason: str) -> str | None:
    """The reason in the console's language, or None when no pattern knows it."""
    for pattern, message in _COMPILED:
        match = pattern.match(reason.strip())
        if match:
            values = match.groupdict()
            if "state" in values:
                values["state"] = t(STATE_WORDS.get(values["state"], values["state"]))
            return t(message, **values)
    return None


def refusal_text(code: str, reason: str) -> str:
    """What the console says when the server refused: the code's sentence and why."""
    head = t(CODE_TEXT.get(code, N_("The server refused")))
    why = reason_text(reason) if reason else None
    if why is None:
        return f"{head}: {reason}" if reason else head
    return f"{head}: {why}"

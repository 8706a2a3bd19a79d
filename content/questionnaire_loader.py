"""Read questionnaire files (docs/content-format.md, "The questionnaire"): the questions, who
answers them (`audience`), and the analysis centre's public key every response is sealed to.
Like every reader here, it returns what it built (or None) with a list of `Problem`s."""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from content import content_root
from content.model import AUDIENCES, LANGUAGES, Problem, Question, Questionnaire, option_letter
from content.toml_fields import (QUESTION_KINDS, QUESTIONNAIRE_MINUTES_MAX, QUESTIONNAIRE_MINUTES_MIN, QUESTIONS_MAX,
                                 QUESTIONS_MIN, Fields, check_kind, load_file, problem_lines)

_QUESTIONNAIRE_FIELDS = frozenset({"kind", "id", "language", "title", "minutes", "intro", "question", "version",
                                   "audience", "centre_key"})
_QUESTION_FIELDS = frozenset({"id", "kind", "text", "options"})


def questionnaire_from_doc(doc: dict, path: str) -> tuple[Questionnaire | None, list[Problem]]:
    problems: list[Problem] = []
    where = "questionnaire"
    check_kind(doc, path, where, "questionnaire", problems)
    fields = Fields(doc, path, where, problems, _QUESTIONNAIRE_FIELDS)
    questionnaire_id = fields.ident()
    language = fields.text("language")
    if language is not None and language not in LANGUAGES:
        fields.problem("language", f'must be "kk" or "ru", not "{language}"')
    title = fields.text("title")
    minutes = fields.integer("minutes")
    if minutes is not None and not QUESTIONNAIRE_MINUTES_MIN <= minutes <= QUESTIONNAIRE_MINUTES_MAX:
        fields.problem("minutes", f"must be {QUESTIONNAIRE_MINUTES_MIN} to "
                                  f"{QUESTIONNAIRE_MINUTES_MAX}, not {minutes}")
    intro = fields.text("intro")
    version = fields.integer("version", required=False, default=1)
    if version is not None and version < 1:
        fields.problem("version", f"must be 1 or more, not {version}")
    audience = fields.text("audience", required=False, default="student")
    if audience is not None and audience not in AUDIENCES:
        fields.problem("audience", f'must be one of {", ".join(AUDIENCES)}, not "{audience}"')
    centre_key = None
    if fields.has("centre_key"):
        centre_key = _centre_key(fields)
    tables = fields.tables("question")
    if tables and not QUESTIONS_MIN <= len(tables) <= QUESTIONS_MAX:
        fields.problem("question", f"a questionnaire has {QUESTIONS_MIN} to {QUESTIONS_MAX} "
                                   f"questions, not {len(tables)}")
    fields.finish()
    questions: list[Question] = []
    seen: set[str] = set()
    for index, table in enumerate(tables):
        raw_id = table.get("id")
        q_where = raw_id if isinstance(raw_id, str) and raw_id.strip() else f"question {index + 1}"
        q = Fields(table, path, q_where, problems, _QUESTION_FIELDS)
        question_id = q.text("id")
        if question_id is not None:
            if question_id in seen:
                q.problem("id", f"duplicate question id '{question_id}'")
            seen.add(question_id)
        kind = q.text("kind")
        if kind is not None and kind not in QUESTION_KINDS:
            q.problem("kind", f"unknown question kind '{kind}' (kinds: {', '.join(QUESTION_KINDS)})")
        text = q.text("text")
        options: list[str] | None = []
        if kind == "text":
            if q.has("options"):
                q.problem("options", "a text question has no options (the student types an answer)")
        elif kind in ("choice", "multi"):
            options = q.text_list("options", what="option", label=option_letter)
            if options is not None and len(options) < 2:
                q.problem("options", f"a {kind} question needs at least 2 options, not {len(options)}")
        q.finish()
        if None not in (question_id, kind, text, options):
            questions.append(Question(question_id, text, kind, tuple(options)))
    if problems:
        return None, problems
    return Questionnaire(questionnaire_id, title, language, minutes, intro, tuple(questions), path, version or 1,
                         audience or "student", centre_key), []


def _centre_key(fields: Fields) -> bytes | None:
    """The centre's public key: its 32 raw bytes in base64, as `synaq-centre keys new` prints."""
    text = fields.text("centre_key")
    if text is None:
        return None
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        fields.problem("centre_key", "is not base64 (copy it exactly as the analysis centre gave it)")
        return None
    if len(key) != 32:
        fields.problem("centre_key", f"is {len(key)} bytes; the centre's key is 32 bytes (X25519)")
        return None
    return key


def load_questionnaire(path: str | os.PathLike) -> tuple[Questionnaire | None, list[Problem]]:
    """Read a questionnaire file (kind = "questionnaire")."""
    doc, problems = load_file(path)
    if doc is None:
        return None, problems
    return questionnaire_from_doc(doc, str(path))


def room_copy(path: str | os.PathLike) -> Questionnaire:
    """A room's own copy of a questionnaire, checked when the room was made: a problem now
    means the file was damaged (ValueError naming it)."""
    questionnaire, problems = load_questionnaire(path)
    if questionnaire is None:
        raise ValueError(f"the room's copy of a questionnaire is damaged: {problems[0] if problems else path}")
    return questionnaire


def questionnaires_folder() -> Path:
    return content_root() / "questionnaires"


def shipped_questionnaires() -> list[Path]:
    folder = questionnaires_folder()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.toml") if p.is_file() and not p.name.startswith("."))


def shipped_questionnaire(language: str, audience: str = "student") -> Questionnaire:
    """The shipped questionnaire for an audience in a language; ValueError if missing or broken."""
    for file in shipped_questionnaires():
        doc, _ = load_file(file)
        if doc is None or doc.get("language") != language or doc.get("audience", "student") != audience:
            continue
        questionnaire, problems = load_questionnaire(file)
        if questionnaire is None:
            raise ValueError(f"the '{language}' questionnaire ({file.name}) is broken; "
                             f"run 'room-server content check':\n{problem_lines(problems)}")
        return questionnaire
    raise ValueError(f"no {audience} questionnaire in '{language}' under content/questionnaires")


def with_centre_key(path: str | os.PathLike, centre_key: bytes) -> str:
    """The questionnaire file's text naming `centre_key` (any key it named before is
    replaced): what the analysis centre does before sending its questionnaires out, and what
    the demo does with its own trial key."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    lines = [line for line in lines if not line.startswith("centre_key")]
    at = next(i for i, line in enumerate(lines) if line.startswith("language")) + 1
    lines.insert(at, f'centre_key = "{base64.b64encode(centre_key).decode()}"')
    return "\n".join(lines) + "\n"

"""Moodle GIFT questions as Synaq items, read by a grammar written here from Moodle's format
description.

A file is questions separated by blank lines; '//' starts a comment line; '$CATEGORY:' lines
name Moodle categories. A question is an optional '::title::', an optional '[html]',
'[moodle]', '[markdown]' or '[plain]', its text, and one answer block '{...}' (the text may go
on after it: the block's place becomes a blank '____'). Inside a block, '=' marks a right
answer, '~' a wrong one, '%50%' a weight, '#' feedback, '->' a matching pair; '\\' escapes
'~ = # { } :' and writes '\\n' as a line break.

Carried over: multiple choice (one '=' -> single; several right answers, by '=' or positive
weights -> multiple), true/false (-> single, with the pack language's words), short answer
(the full-credit forms), numeric ('#3.14:0.01', '#1..5', -> short with a number and a
tolerance), matching ('=left -> right'). Refused, question by question: essay ('{}'),
descriptions (no answer block), several answer blocks in one question, numeric answers with
only partial credit, matching with fewer than two pairs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .markup import html_to_markdown
from .model import ImportedItem, ImportError_, ImportResult, Refusal, Unsupported

TRUE_FALSE = {"kk": ("Дұрыс", "Бұрыс"), "ru": ("Верно", "Неверно"), "en": ("True", "False")}
MAX_OPTIONS = 26
_ESC = {"~": "\x01", "=": "\x02", "#": "\x03", "{": "\x04", "}": "\x05", ":": "\x06", "\\": "\x07"}
_UNESC = {v: k for k, v in _ESC.items()}


def _protect(text: str) -> str:
    """Escaped specials as private characters, so the grammar below never sees them."""
    text = text.replace("\\n", "\n")
    return re.sub(r"\\([~=#{}:\\])", lambda m: _ESC[m.group(1)], text)


def _restore(text: str) -> str:
    return "".join(_UNESC.get(ch, ch) for ch in text)


@dataclass
class Answer:
    text: str
    right: bool  # '=' (or a positive weight)
    weight: float | None  # %50% -> 50.0


def split_questions(text: str) -> list[tuple[int, str]]:
    """(line number, question text) for each question: blank lines separate them, except
    inside an answer block; comment lines and $CATEGORY lines are left out."""
    questions, current, start, depth = [], [], 0, 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if depth == 0 and (stripped.startswith("//") or stripped.startswith("$CATEGORY")):
            continue
        if not stripped and depth == 0:
            if current:
                questions.append((start, "\n".join(current)))
                current = []
            continue
        if current and depth == 0 and stripped.startswith("::") and "}" in "\n".join(current):
            questions.append((start, "\n".join(current)))  # a forgotten blank line between questions
            current = []
        if not current:
            start = number
        current.append(line)
        depth += line.count("{") - line.count("}")
        depth = max(depth, 0)
    if current:
        questions.append((start, "\n".join(current)))
    return questions


def parse_question(raw: str) -> tuple[str, str, str, str | None, str]:
    """(title, format, text with '____' for a block inside it, the block or None, text before the block)."""
    text = raw.strip()
    title = ""
    match = re.match(r"::(.*?)::", text, re.S)
    if match:
        title, text = match.group(1).strip(), text[match.end():].strip()
    fmt = "moodle"
    match = re.match(r"\[(html|moodle|markdown|plain)\]", text)
    if match:
        fmt, text = match.group(1), text[match.end():].strip()
    blocks = list(re.finditer(r"\{(.*?)\}", text, re.S))
    if len(blocks) > 1:
        raise Unsupported("cloze", f"{len(blocks)} answer blocks in one question (an embedded-answers question)")
    if not blocks:
        return title, fmt, text, None, text
    block = blocks[0]
    before, after = text[:block.start()].strip(), text[block.end():].strip()
    joint = "" if after[:1] in ".,;:!?)»" else " "
    stem = f"{before} ____{joint}{after}".strip() if after else before
    return title, fmt, stem, block.group(1), before


def _answers(block: str) -> list[Answer]:
    answers = []
    for match in re.finditer(r"([=~])((?:(?![=~]).)*)", block, re.S):
        body = match.group(2)
        body = body.split("#", 1)[0]  # feedback is not carried
        weight = None
        w = re.match(r"\s*%(-?\d+(?:\.\d+)?)%", body)
        if w:
            weight, body = float(w.group(1)), body[w.end():]
        right = match.group(1) == "=" or (weight is not None and weight > 0)
        answers.append(Answer(body.strip(), right, weight))
    return answers


def _number(text: str) -> float:
    return float(text.strip().replace(",", "."))


def convert(raw: str, *, language: str, number: int, source: str, prefix: str) -> ImportedItem:
    title, fmt, stem, block, _ = parse_question(_protect(raw))
    label_id = prefix + f"q{number}"
    if block is None:
        raise Unsupported("description", "no answer block: a description has nothing to answer")
    block = block.strip()
    notes = []
    if "#" in block and not block.startswith("#"):
        notes.append("feedback is not carried")
    text = _restore(stem)
    text = html_to_markdown(text) if fmt == "html" or (fmt == "moodle" and re.search(r"<[a-zA-Z/]", text)) else text
    if not text.strip():
        raise Unsupported("question", "the question has no text")
    item = ImportedItem(id=label_id, kind="", text=text, points=1, source=source, notes=notes)

    general = block.split("####", 1)[0].strip()  # general feedback
    if general == "":
        raise Unsupported("essay", "an essay is marked by a person; Synaq items are scored by key")
    tf = re.fullmatch(r"(T|TRUE|F|FALSE)\s*(#.*)?", general, re.S | re.I)
    if tf:
        words = TRUE_FALSE.get(language, TRUE_FALSE["en"])
        item.kind, item.options = "single", list(words)
        item.key = "A" if tf.group(1).upper().startswith("T") else "B"
        return item
    if general.startswith("#"):
        return _numeric(general[1:], item)
    answers = _answers(general)
    if not answers:
        raise Unsupported("answers", "the answer block has no '=' or '~' answer")
    restore = [Answer(_restore(a.text), a.right, a.weight) for a in answers]
    if any("->" in a.text for a in restore):
        return _matching(restore, item)
    if all(a.right for a in restore) and not any(a.text.startswith("~") for a in restore) and "~" not in general:
        forms = [a.text for a in restore if a.weight in (None, 100.0) and a.text]
        if len(forms) < len(restore):
            item.notes.append("answers with partial credit are not carried")
        if not forms:
            raise Unsupported("short answer", "no answer has full credit")
        item.kind, item.key = "short", forms
        return item
    options = [a.text for a in restore]
    if len(options) < 2 or len(options) > MAX_OPTIONS or any(not o for o in options):
        raise Unsupported("multiple choice", f"{len(options)} answers (Synaq needs 2 to {MAX_OPTIONS}, none empty)")
    right = [chr(ord("A") + i) for i, a in enumerate(restore) if a.right]
    if not right:
        raise Unsupported("multiple choice", "no answer is marked right")
    item.options = options
    if len(right) == 1:
        item.kind, item.key = "single", right[0]
    else:
        item.kind, item.key, item.points = "multiple", right, len(right)
    return item


def _numeric(body: str, item: ImportedItem) -> ImportedItem:
    body = _restore(body).strip()
    if body.startswith("="):  # several numeric answers: the full-credit one is the key
        full = [a for a in _answers(body) if a.weight in (None, 100.0)]
        if not full:
            raise Unsupported("numeric", "no answer has full credit")
        if len(full) < len(_answers(body)):
            item.notes.append("answers with partial credit are not carried")
        body = full[0].text.lstrip("#")
    body = body.split("#", 1)[0].strip()
    try:
        if ".." in body:
            low, high = (_number(x) for x in body.split("..", 1))
            key, tolerance = (low + high) / 2, abs(high - low) / 2
        elif ":" in body:
            value, tol = body.split(":", 1)
            key, tolerance = _number(value), abs(_number(tol))
        else:
            key, tolerance = _number(body), 0.0
    except ValueError:
        raise Unsupported("numeric", f"{body!r} is not a number") from None
    item.kind, item.key, item.tolerance = "short", key, tolerance
    return item


def _matching(answers: list[Answer], item: ImportedItem) -> ImportedItem:
    left, right, key = [], [], {}
    for a in answers:
        if "->" not in a.text:
            raise Unsupported("matching", f"'{a.text}' is not a 'left -> right' pair")
        l, r = (x.strip() for x in a.text.split("->", 1))
        if not r:
            raise Unsupported("matching", "a pair has nothing on its right")
        if r not in right:
            right.append(r)
        if l:  # '= -> extra' adds a right-hand distractor
            left.append(l)
            key[str(len(left))] = chr(ord("A") + right.index(r))
    if len(left) < 2 or len(right) > MAX_OPTIONS:
        raise Unsupported("matching", f"{len(left)} pairs (Synaq needs 2 or more)")
    item.kind, item.left, item.right, item.key, item.points = "matching", left, right, key, len(left)
    return item


def import_gift(path: str | Path, *, language: str = "kk", id_prefix: str = "") -> ImportResult:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportError_(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportError_(f"{path}: not UTF-8 text (Moodle writes GIFT in UTF-8; save it as UTF-8)") from None
    questions = split_questions(text)
    if not questions:
        raise ImportError_(f"{path}: no questions in this file")
    result = ImportResult()
    for number, (line, question) in enumerate(questions, start=1):
        title = re.match(r"\s*::(.*?)::", question, re.S)
        label = f"{path}:{line}" + (f" ({title.group(1).strip()})" if title else "")
        try:
            item = convert(question, language=language, number=number, source=label, prefix=id_prefix)
        except Unsupported as exc:
            result.refused.append(Refusal(label, exc.what, exc.why))
            continue
        result.items.append(item)
        result.notes += [f"{label}: {note}" for note in item.notes]
    return result

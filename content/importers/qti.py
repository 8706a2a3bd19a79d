"""IMS QTI 2.1 and 3.0 items as Synaq items.

Reads an assessmentItem file, a folder, or a content package (a zip or folder with
imsmanifest.xml). QTI 3.0's names (qti-choice-interaction, response-identifier) are read as
QTI 2.1's (choiceInteraction, responseIdentifier), so one converter serves both.

Carried over: choiceInteraction (one correct choice -> single; several -> multiple),
matchInteraction and associateInteraction (one-to-one pairs -> matching), textEntryInteraction
(-> short: the correct strings and positively mapped keys as accepted forms, or a number), the
prompt and the item body as Markdown, a shared stimulus (assessmentStimulusRef), points from
SCORE's normalMaximum. Refused, item by item with the name: every other interaction (hotspot,
drawing, extendedText, order, gapMatch, inlineChoice, slider, upload, media, custom...), items
with several interactions, adaptive items, templates, images and MathML in the text.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from typing import Callable

from lxml import etree

from .markup import local, to_markdown
from .model import ImportedItem, ImportedStimulus, ImportError_, ImportResult, Refusal, Unsupported

SUPPORTED = {"choiceInteraction", "matchInteraction", "associateInteraction", "textEntryInteraction"}
OTHER_INTERACTIONS = {"hottextInteraction", "hotspotInteraction", "graphicOrderInteraction", "selectPointInteraction",
                      "positionObjectInteraction", "positionObjectStage", "graphicAssociateInteraction",
                      "graphicGapMatchInteraction", "drawingInteraction", "extendedTextInteraction",
                      "orderInteraction", "gapMatchInteraction", "inlineChoiceInteraction", "sliderInteraction",
                      "uploadInteraction", "mediaInteraction", "customInteraction", "endAttemptInteraction",
                      "portableCustomInteraction"}
MAX_OPTIONS = 26
MAX_BYTES = 20_000_000  # one XML file; a bigger one is not an item
_PARSER = dict(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True,
               remove_pis=True)


def canonical(name: str) -> str:
    """QTI 3.0's 'qti-choice-interaction' / 'max-choices' as QTI 2.1's 'choiceInteraction' / 'maxChoices'."""
    name = name.removeprefix("qti-")
    head, *rest = name.split("-")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def parse(data: bytes, source: str):
    """The XML as a tree with namespaces dropped and QTI 3.0 names made QTI 2.1 names."""
    if len(data) > MAX_BYTES:
        raise ImportError_(f"{source}: {len(data)} bytes is too big for an item file")
    try:
        root = etree.fromstring(data, etree.XMLParser(**_PARSER))
    except etree.XMLSyntaxError as exc:
        raise ImportError_(f"{source}: not well-formed XML ({exc.msg}, line {exc.lineno})") from None
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        element.tag = canonical(local(element.tag))
        for key in list(element.attrib):
            if key.startswith("{"):
                continue
            value = element.attrib.pop(key)
            element.attrib[canonical(key)] = value
    return root


def safe_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "item"


# ------------------------------------------------------------------------- one item

def convert_item(root, source: str, load: Callable[[str], object] | None, prefix: str = "") -> tuple[
        ImportedItem, ImportedStimulus | None]:
    if root.tag != "assessmentItem":
        raise Unsupported(root.tag, "not an assessmentItem")
    if root.get("adaptive") == "true":
        raise Unsupported("adaptive", "an adaptive item changes as the student answers; Synaq items do not")
    for tag in ("templateDeclaration", "templateProcessing"):
        if root.find(f".//{tag}") is not None:
            raise Unsupported("template", f"a template item ({tag}) makes its values at random")
    body = root.find("itemBody")
    if body is None:
        raise Unsupported("itemBody", "the item has no body")
    found = [el for el in body.iter() if isinstance(el.tag, str)
             and (el.tag.endswith("Interaction") or el.tag in OTHER_INTERACTIONS)]
    names = [el.tag for el in found]
    for name in names:
        if name not in SUPPORTED:
            raise Unsupported(name, "this interaction has no Synaq item kind")
    if not found:
        raise Unsupported("itemBody", "no interaction: nothing to answer")
    if len(found) > 1:
        raise Unsupported("composite", f"{len(found)} interactions in one item ({', '.join(names)})")
    interaction = found[0]
    declaration = next((d for d in root.findall("responseDeclaration")
                        if d.get("identifier") == interaction.get("responseIdentifier")), None)
    if declaration is None:
        raise Unsupported(interaction.tag, "no responseDeclaration for its response")
    correct = [(v.text or "").strip() for v in declaration.findall("correctResponse/value")]
    mapped = [(e.get("mapKey", ""), float(e.get("mappedValue", "0") or 0))
              for e in declaration.findall("mapping/mapEntry")]
    if not correct:
        correct = [key for key, value in mapped if value > 0]
    if not correct:
        raise Unsupported(interaction.tag, "no correct response is declared")

    identifier = root.get("identifier") or Path(source).stem
    item = ImportedItem(id=prefix + safe_id(identifier), kind="", text="", points=0, source=source)
    prompt_el = interaction.find("prompt")
    prompt = to_markdown(prompt_el) if prompt_el is not None else ""
    if interaction.tag == "textEntryInteraction":
        _gap(interaction)
        text = to_markdown(body)
    else:
        text = to_markdown(body, skip={interaction.tag})
    item.text = "\n\n".join(t for t in (text, prompt) if t) or root.get("title", "")
    if not item.text.strip():
        raise Unsupported(interaction.tag, "the item has no text to show")

    {"choiceInteraction": _choice, "matchInteraction": _match, "associateInteraction": _associate,
     "textEntryInteraction": _text_entry}[interaction.tag](interaction, declaration, correct, mapped, item)
    maximum = _normal_maximum(root)
    if maximum is not None:
        item.points = maximum
    if root.find("modalFeedback") is not None or body.find(".//feedbackInline") is not None:
        item.notes.append("feedback is not carried")
    stimulus = _stimulus(root, source, load)
    if stimulus is not None:
        item.stimulus = stimulus.id
    return item, stimulus


def _gap(interaction) -> None:
    """The text entry's place in the sentence becomes a blank to fill: '____'."""
    parent = interaction.getparent()
    blank = "____" + (interaction.tail or "")
    previous = interaction.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + blank
    else:
        parent.text = (parent.text or "") + blank
    parent.remove(interaction)


def _option_text(choice) -> str:
    return " ".join(to_markdown(choice, skip={"feedbackInline"}).split())


def _letters(choices, wanted: list[str], what: str) -> list[str]:
    ids = [c.get("identifier") for c in choices]
    letters = []
    for value in wanted:
        if value not in ids:
            raise Unsupported(what, f"the correct response names {value!r}, which is not a choice")
        letters.append(chr(ord("A") + ids.index(value)))
    return letters


def _choice(interaction, declaration, correct, mapped, item: ImportedItem) -> None:
    choices = interaction.findall("simpleChoice")
    if len(choices) < 2 or len(choices) > MAX_OPTIONS:
        raise Unsupported("choiceInteraction", f"{len(choices)} choices (Synaq needs 2 to {MAX_OPTIONS})")
    item.options = [_option_text(c) for c in choices]
    if any(not o for o in item.options):
        raise Unsupported("choiceInteraction", "a choice has no text")
    keys = sorted(set(_letters(choices, correct, "choiceInteraction")))
    single_only = interaction.get("maxChoices", "1") == "1"
    if single_only and len(keys) > 1:
        raise Unsupported("choiceInteraction", "several correct choices but only one may be chosen")
    if len(keys) == 1:
        item.kind, item.key, item.points = "single", keys[0], 1
        if not single_only:
            item.notes.append("several choices were allowed with one correct: imported as a single choice")
    else:
        item.kind, item.key, item.points = "multiple", keys, len(keys)


def _pairs(correct: list[str], what: str) -> list[tuple[str, str]]:
    pairs = []
    for value in correct:
        parts = value.split()
        if len(parts) != 2:
            raise Unsupported(what, f"the correct response {value!r} is not a pair")
        pairs.append((parts[0], parts[1]))
    return pairs


def _match(interaction, declaration, correct, mapped, item: ImportedItem) -> None:
    sets = interaction.findall("simpleMatchSet")
    if len(sets) != 2:
        raise Unsupported("matchInteraction", f"{len(sets)} match sets (two are needed)")
    left, right = (s.findall("simpleAssociableChoice") for s in sets)
    _matching(left, right, _pairs(correct, "matchInteraction"), "matchInteraction", item)


def _associate(interaction, declaration, correct, mapped, item: ImportedItem) -> None:
    choices = interaction.findall("simpleAssociableChoice")
    ids = [c.get("identifier") for c in choices]
    pairs = []
    for a, b in _pairs(correct, "associateInteraction"):
        if a not in ids or b not in ids:
            raise Unsupported("associateInteraction", f"the pair '{a} {b}' names an unknown choice")
        pairs.append((a, b) if ids.index(a) < ids.index(b) else (b, a))  # left: the earlier choice
    firsts = {a for a, _ in pairs}
    left = [c for c in choices if c.get("identifier") in firsts]
    right = [c for c in choices if c.get("identifier") not in firsts]
    _matching(left, right, pairs, "associateInteraction", item)


def _matching(left, right, pairs, what: str, item: ImportedItem) -> None:
    left_ids = [c.get("identifier") for c in left]
    right_ids = [c.get("identifier") for c in right]
    if not left or not right or len(left) > MAX_OPTIONS or len(right) > MAX_OPTIONS:
        raise Unsupported(what, f"{len(left)} and {len(right)} entries (Synaq needs 1 to {MAX_OPTIONS} a side)")
    key: dict[str, str] = {}
    for a, b in pairs:
        if a not in left_ids or b not in right_ids:
            raise Unsupported(what, f"the pair '{a} {b}' names an unknown entry")
        number = str(left_ids.index(a) + 1)
        if number in key:
            raise Unsupported(what, f"'{a}' has more than one partner (Synaq pairs each left entry once)")
        key[number] = chr(ord("A") + right_ids.index(b))
    if len(key) != len(left):
        raise Unsupported(what, "an entry of the first set has no partner (Synaq pairs every left entry)")
    item.kind, item.key, item.points = "matching", key, len(key)
    item.left = [_option_text(c) for c in left]
    item.right = [_option_text(c) for c in right]


def _text_entry(interaction, declaration, correct, mapped, item: ImportedItem) -> None:
    base = declaration.get("baseType", "string")
    item.kind, item.points = "short", 1
    if base in ("integer", "float"):
        try:
            item.key = float(correct[0])
        except ValueError:
            raise Unsupported("textEntryInteraction", f"the correct response {correct[0]!r} is not a number") from None
        return
    if base != "string":
        raise Unsupported("textEntryInteraction", f"a {base} response has no Synaq short-answer form")
    best = max((v for _, v in mapped), default=0)
    forms = []  # the correct response and the mapped keys worth full credit (partial credit is not carried)
    for form in correct + [k for k, v in mapped if v > 0 and v == best]:
        if form.strip() and form.strip() not in forms:
            forms.append(form.strip())
    item.key = forms


def _normal_maximum(root) -> int | None:
    for outcome in root.findall("outcomeDeclaration"):
        if outcome.get("identifier") in ("SCORE", "MAXSCORE") and outcome.get("normalMaximum"):
            try:
                value = float(outcome.get("normalMaximum"))
            except ValueError:
                return None
            return int(value) if value >= 1 and value.is_integer() else None
    return None


def _stimulus(root, source: str, load) -> ImportedStimulus | None:
    refs = root.findall("assessmentStimulusRef")
    if not refs:
        return None
    if len(refs) > 1:
        raise Unsupported("assessmentStimulusRef", f"{len(refs)} stimuli for one item (Synaq shows one)")
    ref = refs[0]
    href = ref.get("href", "")
    stimulus_root = load(href) if load is not None else None
    if stimulus_root is None:
        raise Unsupported("assessmentStimulusRef", f"the stimulus {href!r} is not in the package")
    body = stimulus_root.find("stimulusBody")
    if stimulus_root.tag != "assessmentStimulus" or body is None:
        raise Unsupported("assessmentStimulusRef", f"{href!r} is not an assessmentStimulus")
    identifier = ref.get("identifier") or stimulus_root.get("identifier") or Path(href).stem
    return ImportedStimulus("s-" + safe_id(identifier), to_markdown(body),
                            stimulus_root.get("title") or ref.get("title") or "")


# ------------------------------------------------------------------------- files and packages

class _Source:
    """Files by relative path, from a folder or a zip."""

    def __init__(self, path: Path):
        self.path = path
        self.zip = None
        if path.is_file():
            try:
                self.zip = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError) as exc:
                raise ImportError_(f"{path}: not a readable zip package ({exc})") from None
            self.names = [n for n in self.zip.namelist() if not n.endswith("/")]
        else:
            self.names = [p.relative_to(path).as_posix() for p in sorted(path.rglob("*")) if p.is_file()]

    def read(self, name: str) -> bytes | None:
        name = posixpath.normpath(name).lstrip("/")
        if name.startswith(".."):
            return None
        try:
            if self.zip is not None:
                info = self.zip.getinfo(name)
                if info.file_size > MAX_BYTES:
                    raise ImportError_(f"{self.path}: {name} is too big for an item file")
                return self.zip.read(info)
            return (self.path / name).read_bytes()
        except (KeyError, OSError, zipfile.BadZipFile):
            return None


def import_qti(path: str | Path, *, id_prefix: str = "") -> ImportResult:
    """Everything importable from a QTI file, folder or package."""
    path = Path(path)
    if path.is_dir() or zipfile.is_zipfile(path):
        return _import_package(_Source(path), id_prefix)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportError_(f"{path}: cannot be read ({exc.strerror or exc})") from None
    root = parse(data, str(path))
    if root.tag == "manifest":
        return _import_package(_Source(path.parent), id_prefix)
    result = ImportResult()
    if root.tag == "assessmentTest":
        raise ImportError_(f"{path}: an assessmentTest only refers to items; import the content package "
                           "(the zip or folder with imsmanifest.xml) that holds them")

    def load(href: str):
        target = (path.parent / href)
        try:
            return parse(target.read_bytes(), str(target))
        except (OSError, ImportError_):
            return None
    _one(root, str(path), load, id_prefix, result)
    return result


def _one(root, source: str, load, prefix: str, result: ImportResult) -> None:
    label = f"{source} (item {root.get('identifier') or '?'})"
    try:
        item, stimulus = convert_item(root, source, load, prefix)
    except Unsupported as exc:
        result.refused.append(Refusal(label, exc.what, exc.why))
        return
    taken = {i.id for i in result.items}
    base, n = item.id, 2
    while item.id in taken:
        item.id, n = f"{base}-{n}", n + 1
    result.items.append(item)
    if stimulus is not None and stimulus.id not in {s.id for s in result.stimuli}:
        result.stimuli.append(stimulus)
    result.notes += [f"{label}: {note}" for note in item.notes]


def _import_package(source: _Source, prefix: str) -> ImportResult:
    result = ImportResult()
    manifest_name = next((n for n in source.names if posixpath.basename(n) == "imsmanifest.xml"), None)
    hrefs: list[str] = []
    if manifest_name is not None:
        base = posixpath.dirname(manifest_name)
        manifest = parse(source.read(manifest_name) or b"", f"{source.path}:{manifest_name}")
        for resource in manifest.iter("resource"):
            kind, href = resource.get("type", ""), resource.get("href", "")
            if not href:
                continue
            if "item" in kind:
                hrefs.append(posixpath.join(base, href))
            elif "test" in kind:
                result.notes.append(f"{source.path}: {href}: the test's sections and order are not carried; "
                                    "its items are imported one by one")
    else:
        hrefs = [n for n in source.names if n.lower().endswith(".xml")]
    if not hrefs:
        raise ImportError_(f"{source.path}: no QTI items in this package")
    for href in hrefs:
        label = f"{source.path}:{href}"
        data = source.read(href)
        if data is None:
            result.refused.append(Refusal(label, "resource", "the manifest lists it but the package lacks it"))
            continue
        try:
            root = parse(data, label)
        except ImportError_ as exc:
            result.refused.append(Refusal(label, "XML", str(exc).split(": ", 1)[-1]))
            continue
        if manifest_name is None and root.tag != "assessmentItem":
            continue  # a stimulus or a test beside the items: used through the items

        def load(ref: str, here=href):
            data = source.read(posixpath.join(posixpath.dirname(here), ref))
            try:
                return parse(data, ref) if data is not None else None
            except ImportError_:
                return None
        _one(root, label, load, prefix, result)
    return result

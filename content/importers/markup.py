"""XHTML (a QTI item body, a GIFT question in [html]) as the Markdown Synaq items are written
in: paragraphs, **bold**, *italic*, lists, pipe tables, line breaks; sub- and superscript
digits as Unicode (H₂O, x²). What cannot be carried as text (images, MathML, media, objects)
raises Unsupported, so the item is refused rather than shown without its picture."""

from __future__ import annotations

import re

from lxml import etree, html

from .model import Unsupported

BLOCKS = {"p", "div", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "figure",
          "figcaption", "center"}
NOT_TEXT = {"img": "an image", "math": "a MathML formula", "object": "an embedded object", "audio": "audio",
            "video": "video", "iframe": "an embedded page", "svg": "a picture", "embed": "an embedded object",
            "picture": "a picture", "canvas": "a picture", "printedVariable": "a template variable"}
SKIPPED = {"rubricBlock", "feedbackInline", "feedbackBlock", "modalFeedback", "script", "style", "head",
           "templateBlock", "templateInline", "companionMaterialsInfo"}
_SUB = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")
_SUP = str.maketrans("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ")


def local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def to_markdown(element, *, skip: set[str] = frozenset()) -> str:
    """The element's content as Markdown; child elements whose tag is in `skip` are left out
    (the interaction itself, converted separately)."""
    blocks: list[str] = []
    _blocks(element, blocks, skip)
    text = "\n\n".join(b for b in (x.strip() for x in blocks) if b)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _blocks(element, blocks: list[str], skip) -> None:
    """Appends the element's children as blocks; inline runs become one paragraph."""
    run: list[str] = [_clean(element.text)]
    for child in element:
        tag = local(child.tag)
        if tag in skip or tag in SKIPPED or not tag:
            run.append(_clean(child.tail))
            continue
        if tag in BLOCKS:
            blocks.append("".join(run))
            run = []
            _blocks(child, blocks, skip)
        elif tag in ("ul", "ol"):
            blocks.append("".join(run))
            run = []
            blocks.append(_list(child, ordered=tag == "ol", skip=skip))
        elif tag == "table":
            blocks.append("".join(run))
            run = []
            blocks.append(_table(child, skip))
        else:
            run.append(_inline(child, skip))
        run.append(_clean(child.tail))
    blocks.append("".join(run))


def _inline(element, skip) -> str:
    tag = local(element.tag)
    if tag in NOT_TEXT:
        raise Unsupported(tag, f"{NOT_TEXT[tag]} cannot be carried (Synaq items are text)")
    if tag in skip or tag in SKIPPED:
        return ""
    if tag == "br":
        return "  \n"
    inner = _clean(element.text) + "".join(_inline(c, skip) + _clean(c.tail) for c in element)
    if tag in ("strong", "b"):
        return f"**{inner.strip()}**" if inner.strip() else inner
    if tag in ("em", "i"):
        return f"*{inner.strip()}*" if inner.strip() else inner
    if tag == "sub":
        return inner.translate(_SUB) if inner.translate(_SUB) != inner or not inner else f"_{inner}"
    if tag == "sup":
        return inner.translate(_SUP) if inner.translate(_SUP) != inner or not inner else f"^{inner}"
    if tag in BLOCKS or tag in ("ul", "ol", "table", "li"):
        return " " + to_markdown(element, skip=skip).replace("\n", " ") + " "
    return inner


def _list(element, ordered: bool, skip) -> str:
    lines = []
    for number, li in enumerate((c for c in element if local(c.tag) == "li"), start=1):
        text = to_markdown(li, skip=skip).replace("\n\n", " ").replace("\n", " ")
        lines.append(f"{number}. {text}" if ordered else f"- {text}")
    return "\n".join(lines)


def _table(element, skip) -> str:
    rows = []
    for tr in element.iter():
        if local(tr.tag) != "tr":
            continue
        cells = [to_markdown(c, skip=skip).replace("\n", " ").replace("|", "\\|")
                 for c in tr if local(c.tag) in ("td", "th")]
        rows.append(cells)
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(lines)


def _clean(text: str | None) -> str:
    return re.sub(r"\s+", " ", text) if text else ""


def html_to_markdown(text: str) -> str:
    """A fragment of HTML (GIFT's [html] format) as Markdown."""
    if not re.search(r"<[A-Za-z/]", text):
        return text.strip()
    root = html.fragment_fromstring(text, create_parent="div")
    return to_markdown(root)

"""OpenDocument text (.odt, flat .fodt), presentations (.odp) and spreadsheets (.ods):
paragraphs, lists, frames and table rows in order, headings, meta.xml.

The three share one package layout and one text model: a slide is frames of paragraphs, a
sheet is table rows, so one walk reads them all. A spreadsheet's repeated rows or columns
(``number-rows-repeated``) are one element in the XML and are read once: a sheet that
declares a million identical rows costs one row.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from indexer.extract.base import Extracted, ExtractionError, Limits
from indexer.extract.docx import (
    ENCRYPTED,
    Package,
    check_not_encrypted_ole,
    core_properties,
    local,
    parse_xml,
    split_keywords,
)
from indexer.extract.textutil import cap, normalize

_LABEL = "document OpenDocument"
# Not the text: tracked deletions, comments, note markers, embedded images (base64), macros.
_SKIP = {"tracked-changes", "annotation", "annotation-end", "note-citation", "bookmark-ref",
         "binary-data", "script", "event-listeners", "forms"}
_META_NS = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"


def _blocks(body: etree._Element) -> list[tuple[str, int | None]]:
    """(text, heading level or None) of every paragraph, heading and table row, in order."""
    out: list[tuple[str, int | None]] = []

    def walk(el: etree._Element, buf: list[str]) -> None:
        if el.text and buf is not _NOWHERE:
            buf.append(el.text)
        for child in el:
            name = local(child)
            if name in _SKIP:
                pass
            elif name in ("p", "h"):
                own: list[str] = []
                slot = len(out)
                out.append(("", None))  # notes and frames inside stay after their host
                walk(child, own)
                level = child.get(f"{{{_TEXT_NS}}}outline-level", "1") if name == "h" else None
                out[slot] = ("".join(own), int(level) if level and level.isdigit() else None)
            elif name == "table-row":
                cells = [" ".join(_inline(cell).split()) for cell in child
                         if local(cell) == "table-cell"]
                out.append(("\t".join(c for c in cells if c), None))
            elif name == "s":
                buf.append(_spaces(child))
            elif name == "tab":
                buf.append("\t")
            elif name == "line-break":
                buf.append("\n")
            else:
                walk(child, buf)
            if child.tail and buf is not _NOWHERE:
                buf.append(child.tail)

    walk(body, _NOWHERE)
    return [(t, lvl) for t, lvl in out if t.strip()]


def _inline(el: etree._Element) -> str:
    """Text of ``el`` on one line: paragraphs inside it (table cells) joined by spaces."""
    parts = [el.text or ""]
    for child in el:
        name = local(child)
        if name in _SKIP:
            pass
        elif name == "s":
            parts.append(_spaces(child))
        elif name in ("tab", "line-break"):
            parts.append(" ")
        else:
            parts.append(_inline(child))
            if name in ("p", "h"):
                parts.append(" ")
        parts.append(child.tail or "")
    return "".join(parts)


def _spaces(el: etree._Element) -> str:
    """The spaces a ``<text:s text:c="n"/>`` stands for: one when n is not a positive integer
    (a producer's slip must not cost the document), at most _MAX_SPACES."""
    digits = (el.get(f"{{{_TEXT_NS}}}c") or "").strip()
    if not (digits.isascii() and digits.isdigit()):
        return " "
    digits = digits.lstrip("0") or "0"
    # Length first: int() refuses thousands of digits, and " " * 10**20 does not fit in memory.
    count = int(digits) if len(digits) <= 3 else _MAX_SPACES
    return " " * min(max(count, 1), _MAX_SPACES)


# Whitespace says nothing past a few dozen spaces, and a 400-byte file asking for 300,000
# must not grow into them (the text clean-up would then hold a worker to the time limit).
_MAX_SPACES = 40

# Text directly under containers (whitespace between elements) belongs to no paragraph.
_NOWHERE: list[str] = []
_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def _find(root: etree._Element, *path: str) -> etree._Element | None:
    """Follow children by local name (namespace prefixes vary between producers)."""
    node: etree._Element | None = root
    for name in path:
        if node is None:
            return None
        node = next((c for c in node if local(c) == name), None)
    return node


def _user_fields(meta: etree._Element | None) -> dict[str, object]:
    found: dict[str, object] = {}
    if meta is None:
        return found
    for el in meta.iter(f"{{{_META_NS}}}user-defined"):
        name = el.get(f"{{{_META_NS}}}name")
        if name and (el.text or "").strip():
            found[name] = normalize(el.text or "")
    return found


def _load(path: Path, limits: Limits) -> tuple[etree._Element, etree._Element | None]:
    """(root holding office:body, root holding office:meta) for zipped or flat ODT."""
    check_not_encrypted_ole(path)
    with path.open("rb") as fh:
        zipped = fh.read(4).startswith(b"PK")
    if not zipped:
        # Flat XML: one document, already bounded by max_file_bytes in the registry.
        root = parse_xml(path.read_bytes(), f"{_LABEL} endommagé")
        return root, _find(root, "meta")
    with Package(path, limits, _LABEL) as pkg:
        manifest = pkg.read("META-INF/manifest.xml") or b""
        if b"encryption-data" in manifest:
            raise ExtractionError(ENCRYPTED)
        content = pkg.xml("content.xml")
        if content is None:
            raise ExtractionError(f"{_LABEL} endommagé : content.xml absent")
        meta_root = pkg.xml("meta.xml")
    return content, _find(meta_root, "meta") if meta_root is not None else None


# office:body's child names the kind of document, whatever the file's name says.
_KINDS = {"text": "odt", "presentation": "odp", "spreadsheet": "ods"}


def extract(path: Path, limits: Limits) -> Extracted:
    """Text and meta.xml properties of an .odt, .fodt, .odp or .ods file."""
    root, meta = _load(path, limits)
    office_body = _find(root, "body")
    body, fmt = next(((child, _KINDS[local(child)]) for child in (office_body if office_body is not None else [])
                      if local(child) in _KINDS), (None, "odt"))
    if body is None:
        raise ExtractionError(f"{_LABEL} sans corps de texte (ni texte, ni présentation, ni tableur)")
    blocks = _blocks(body)
    props = core_properties(meta)
    fields = _user_fields(meta)
    props = {k: v for k, v in props.items() if k != "user-defined"}
    flags: list[str] = []
    text = normalize("\n".join(t for t, _ in blocks))
    return Extracted(
        format=fmt,
        text=cap(text, limits.max_text_chars, flags),
        title=props.get("title"),
        author=props.get("creator") or props.get("initial-creator"),
        description=props.get("description") or props.get("subject"),
        date=props.get("creation-date") or props.get("date"),
        language=props.get("language"),
        keywords=split_keywords(props.get("keyword")),
        headings=[normalize(t) for t, level in blocks if level is not None and level <= 3],
        meta={**{k: v for k, v in props.items() if k != "title"}, **fields},
        flags=flags,
    )

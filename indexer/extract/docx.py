"""DOCX (and .docm): body paragraphs and tables in order, headings, core properties.

We read the package with zipfile + lxml rather than python-docx: every member's declared
size is checked against the limits before anything is inflated (zip bombs), entities and
network access are off in the XML parser, and ISO "Strict" namespaces, text boxes and
footnotes need no special API. ``Package`` and ``parse_xml`` are shared with ``odt``.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup
from lxml import etree

from indexer.extract.base import Extracted, ExtractionError, Limits
from indexer.extract.textutil import cap, decode, normalize

ENCRYPTED = "document protégé par un mot de passe"
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A real document part compresses 3-20x; bombs reach 1000x. Small parts are exempt
# because a few KB of repeated XML legitimately compress very well.
_MAX_RATIO = 200
_RATIO_FLOOR = 10 * 1024 * 1024

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
)


class Package:
    """A zip package whose members are size-checked before they are inflated."""

    def __init__(self, path: Path, limits: Limits, label: str) -> None:
        self.label = label
        self.limits = limits
        self._budget = limits.max_unzipped_bytes
        try:
            self.zip = zipfile.ZipFile(path)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            raise ExtractionError(f"{label} endommagé : archive zip illisible") from exc
        total = sum(info.file_size for info in infos)
        if total > limits.max_unzipped_bytes:
            raise ExtractionError(
                f"{label} suspect : {total // 1_000_000} Mo une fois décompressé "
                f"(limite {limits.max_unzipped_bytes // 1_000_000} Mo)"
            )
        for info in infos:
            if info.file_size > _RATIO_FLOOR and info.file_size > _MAX_RATIO * max(info.compress_size, 1):
                raise ExtractionError(f"{label} suspect : taux de compression anormal (bombe zip ?)")
        self.names = {info.filename for info in infos}

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.zip.close()

    def read(self, name: str) -> bytes | None:
        """A member's bytes, or None if absent; never more than the remaining budget."""
        if name not in self.names:
            return None
        try:
            with self.zip.open(name) as member:
                # Headers can lie about sizes: stop reading past the budget whatever they say.
                data = member.read(self._budget + 1)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise ExtractionError(f"{self.label} endommagé : partie {name} illisible") from exc
        except RuntimeError as exc:  # zipfile's "encrypted, password required"
            raise ExtractionError(ENCRYPTED) from exc
        if len(data) > self._budget:
            raise ExtractionError(f"{self.label} suspect : contenu décompressé trop volumineux")
        self._budget -= len(data)
        return data

    def xml(self, name: str) -> etree._Element | None:
        """The part ``name`` parsed as untrusted XML, or ``None`` when the package lacks it."""
        data = self.read(name)
        return None if data is None else parse_xml(data, f"{self.label} endommagé")


def parse_xml(data: bytes, reason: str) -> etree._Element:
    """Parse untrusted XML (no entities, no DTD, no network); ``reason`` prefixes errors."""
    try:
        return etree.fromstring(data.lstrip(b"\xef\xbb\xbf \r\n\t"), _PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise ExtractionError(f"{reason} : XML invalide") from exc


def local(el: etree._Element) -> str:
    """Tag name without namespace; comments and PIs give ''. Strict and Transitional
    OOXML differ only by namespace, so we match on local names."""
    tag = el.tag
    # "{namespace}name" → "name" by slicing: etree.QName() built an object for each of the
    # ~20,000 elements of a typical document, a fifth of the extraction CPU.
    return tag[tag.rfind("}") + 1:] if isinstance(tag, str) else ""


def check_not_encrypted_ole(path: Path) -> None:
    """Password-protected OOXML is an OLE (CFB) container, not a zip."""
    with path.open("rb") as fh:
        if fh.read(8) == _CFB_MAGIC:
            raise ExtractionError(ENCRYPTED)


# -- Word body ---------------------------------------------------------------------------

_SKIP = {"delText", "instrText", "Fallback", "commentReference", "footnoteReference",
         "endnoteReference", "rPr", "pPr", "sectPr", "del", "moveFrom"}


def _paragraphs(root: etree._Element, styles: dict[str, str]) -> Iterator[tuple[str, str | None]]:
    """(text, style name) of every paragraph, nested ones (text boxes) after their host.

    Table cells are joined by tabs on one line per row so a row reads as a record.
    """
    out: list[tuple[str, str | None]] = []

    def walk(el: etree._Element, buf: list[str]) -> None:
        for child in el:
            name = local(child)
            if name in _SKIP:
                continue
            if name == "t":
                buf.append(child.text or "")
            elif name == "tab":
                buf.append("\t")
            elif name in ("br", "cr"):
                buf.append("\n")
            elif name == "p":
                own: list[str] = []
                slot = len(out)
                out.append(("", None))  # keep document order for nested paragraphs
                walk(child, own)
                out[slot] = ("".join(own), _style(child, styles))
            elif name == "tr":
                cells = []
                for cell in child:
                    if local(cell) == "tc":
                        cell_buf: list[str] = []
                        _cell_text(cell, cell_buf)
                        cells.append(" ".join(cell_buf).strip())
                out.append(("\t".join(c for c in cells if c), None))
            else:
                walk(child, buf)

    walk(root, [])
    for text, style in out:
        if text.strip():
            yield text, style


def _cell_text(cell: etree._Element, buf: list[str]) -> None:
    for el in cell.iter():
        name = local(el)
        if name == "t" and not _skipped_within(el, cell):
            buf.append(el.text or "")
        elif name == "p" and buf:
            buf.append(" ")


def _skipped_within(el: etree._Element, cell: etree._Element) -> bool:
    """Whether ``el`` sits in a skipped element (deleted text, field code…) inside ``cell``.
    Nothing above the cell is skipped: ``walk`` does not enter skipped elements."""
    for ancestor in el.iterancestors():
        if ancestor is cell:
            return False
        if local(ancestor) in _SKIP:
            return True
    return False


def _style(p: etree._Element, styles: dict[str, str]) -> str | None:
    for el in p:
        if local(el) == "pPr":
            for prop in el:
                if local(prop) == "pStyle":
                    for key, value in prop.attrib.items():
                        if etree.QName(key).localname == "val":
                            return styles.get(str(value), str(value))
    return None


def _style_names(styles: etree._Element | None) -> dict[str, str]:
    """styleId → lower-case name ("Titre1" → "heading 1" in a French Word)."""
    names: dict[str, str] = {}
    if styles is None:
        return names
    for style in styles:
        if local(style) != "style":
            continue
        style_id = next((v for k, v in style.attrib.items() if etree.QName(k).localname == "styleId"), None)
        for child in style:
            if local(child) == "name" and style_id:
                value = next((v for k, v in child.attrib.items() if etree.QName(k).localname == "val"), "")
                names[style_id] = value.lower()
    return names


_HEADING = re.compile(r"^(heading|titre|überschrift|titolo|título)\s*[1-9]$|^(title|titre)$", re.I)


def _is_heading(style: str | None) -> bool:
    return bool(style and _HEADING.match(style.strip()))


# -- properties --------------------------------------------------------------------------


def core_properties(root: etree._Element | None) -> dict[str, str]:
    """Dublin Core fields of docProps/core.xml (or ODF meta.xml), by local name."""
    props: dict[str, str] = {}
    if root is None:
        return props
    for el in root.iter():
        name = local(el)
        text = normalize(el.text or "") if len(el) == 0 else ""
        if name and text:
            if name in props and name in ("creator", "keyword", "keywords"):
                props[name] += f"; {text}"
            else:
                props.setdefault(name, text)
    return props


def _custom_properties(root: etree._Element | None) -> dict[str, object]:
    found: dict[str, object] = {}
    if root is None:
        return found
    for prop in root:
        name = prop.get("name")
        value = normalize("".join(prop.itertext()))
        if name and value:
            found[name] = value
    return found


def split_keywords(raw: str | None) -> list[str]:
    """The keywords of an Office property, written with ; or , between them."""
    return [k.strip() for k in re.split(r"[;,]", raw or "") if k.strip()]


def open_package(path: Path, limits: Limits, label: str) -> Package:
    """An Office Open XML package (Word, PowerPoint, Excel), refused when encrypted: an OLE
    file in disguise, or a package holding an encrypted one."""
    check_not_encrypted_ole(path)
    pkg = Package(path, limits, label)
    if "EncryptionInfo" in pkg.names or "EncryptedPackage" in pkg.names:
        pkg.zip.close()
        raise ExtractionError(ENCRYPTED)
    return pkg


def core_fields(core: dict[str, str]) -> dict[str, Any]:
    """What an Office Open XML package's core properties give ``Extracted``, its title aside
    (each format completes that from its own content)."""
    return {"author": core.get("creator"), "description": core.get("description") or core.get("subject"),
            "date": core.get("created") or core.get("modified"), "language": core.get("language"),
            "keywords": split_keywords(core.get("keywords")),
            "meta": {k: v for k, v in core.items() if k != "title"}}


def _alt_chunks(pkg: Package, document: etree._Element) -> list[str]:
    """Text of altChunk parts: content pasted as HTML that Word keeps as is."""
    ids = [v for el in document.iter("{*}altChunk")
           for k, v in el.attrib.items() if etree.QName(k).localname == "id"]
    if not ids:
        return []
    rels = pkg.xml("word/_rels/document.xml.rels")
    targets = {r.get("Id"): r.get("Target") for r in (rels if rels is not None else [])}
    texts = []
    for rel_id in ids:
        target = targets.get(rel_id)
        if not target:
            continue
        data = pkg.read(posixpath.normpath(posixpath.join("word", target)).lstrip("/"))
        if data:
            texts.append(BeautifulSoup(decode(data)[0], "lxml").get_text("\n", strip=True))
    return texts


def extract(path: Path, limits: Limits) -> Extracted:
    """Text and core properties of a .docx/.docm file."""
    label = "document Word"
    with open_package(path, limits, label) as pkg:
        document = pkg.xml("word/document.xml")
        if document is None:
            raise ExtractionError(f"{label} endommagé : word/document.xml absent")
        styles = _style_names(pkg.xml("word/styles.xml"))
        paragraphs = list(_paragraphs(document, styles))
        notes = [t for part in ("word/footnotes.xml", "word/endnotes.xml")
                 if (root := pkg.xml(part)) is not None for t, _ in _paragraphs(root, styles)]
        chunks = _alt_chunks(pkg, document)
        core = core_properties(pkg.xml("docProps/core.xml"))
        custom = _custom_properties(pkg.xml("docProps/custom.xml"))

    headings = [normalize(t) for t, s in paragraphs if _is_heading(s) and s not in ("title", "titre")]
    title = core.get("title") or next(
        (normalize(t) for t, s in paragraphs if s in ("title", "titre")), None
    )
    flags: list[str] = []
    body = normalize("\n".join([t for t, _ in paragraphs] + chunks + notes))
    fields = core_fields(core)
    fields["meta"] = {**fields["meta"], **custom}
    return Extracted(format="docx", text=cap(body, limits.max_text_chars, flags), title=title,
                     headings=[h for h in headings if h], flags=flags, **fields)

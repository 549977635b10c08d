"""PowerPoint (.pptx, .pptm): the text of each slide in the presentation's order, then its notes.

Read with the same size-checked ``Package`` and safe XML parser as Word files rather than with
python-pptx, which inflates members without checking their sizes (zip bombs) and would add a
dependency for what is a list of ``<a:t>`` runs per slide.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from lxml import etree

from indexer.extract.base import Extracted, ExtractionError, Limits
from indexer.extract.docx import Package, core_fields, core_properties, local, open_package
from indexer.extract.textutil import cap, normalize

_LABEL = "fichier PowerPoint"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_SLIDE = re.compile(r"slides/slide\d+\.xml$")


def _rels(pkg: Package, part: str) -> dict[str, str]:
    """Relationship id → target part name (resolved against ``part``'s folder)."""
    folder, name = posixpath.split(part)
    root = pkg.xml(posixpath.join(folder, "_rels", f"{name}.rels"))
    out: dict[str, str] = {}
    for rel in root if root is not None else []:
        rel_id, target = rel.get("Id"), rel.get("Target")
        if rel_id and target and rel.get("TargetMode") != "External":
            out[rel_id] = posixpath.normpath(posixpath.join(folder, target)).lstrip("/")
    return out


def _paragraphs(root: etree._Element) -> list[str]:
    """Each ``<a:p>`` of a slide as a line; a table cell's paragraphs too, in document order."""
    lines = []
    for p in root.iter("{*}p"):
        if local(p) != "p":
            continue
        parts = []
        for el in p.iter():
            name = local(el)
            if name == "t":
                parts.append(el.text or "")
            elif name == "br":
                parts.append("\n")
        line = "".join(parts).strip()
        if line:
            lines.append(line)
    return lines


def _slide_parts(pkg: Package) -> list[str]:
    """Slides in the order of the presentation's list; parts named like slides otherwise."""
    presentation = pkg.xml("ppt/presentation.xml")
    rels = _rels(pkg, "ppt/presentation.xml")
    ordered = []
    if presentation is not None:
        for el in presentation.iter("{*}sldId"):
            target = rels.get(el.get(_REL_ID) or "")
            if target and target in pkg.names:
                ordered.append(target)
    if ordered:
        return ordered
    return sorted((n for n in pkg.names if _SLIDE.search(n)), key=lambda n: int(re.sub(r"\D", "", n) or 0))


def extract(path: Path, limits: Limits) -> Extracted:
    """Slides' text (one line per paragraph), notes after each slide, core properties."""
    with open_package(path, limits, _LABEL) as pkg:
        slides = _slide_parts(pkg)
        if not slides and "ppt/presentation.xml" not in pkg.names:
            raise ExtractionError(f"{_LABEL} endommagé : ppt/presentation.xml absent")
        texts: list[str] = []
        titles: list[str] = []
        total = 0
        for part in slides:
            root = pkg.xml(part)
            if root is None:
                continue
            lines = _paragraphs(root)
            if lines:
                titles.append(lines[0])
            notes = next((t for t in _rels(pkg, part).values() if "notesSlide" in t), None)
            notes_root = pkg.xml(notes) if notes else None
            # A notes page repeats the slide's number in a placeholder: keep lines with letters.
            lines += [n for n in (_paragraphs(notes_root) if notes_root is not None else [])
                      if any(c.isalpha() for c in n)]
            block = "\n".join(lines)
            texts.append(block)
            total += len(block)
            if total > limits.max_text_chars:
                break  # the rest would be cut anyway
        core = core_properties(pkg.xml("docProps/core.xml"))
    flags: list[str] = []
    body = normalize("\n\n".join(t for t in texts if t))
    return Extracted(format="pptx", text=cap(body, limits.max_text_chars, flags), title=core.get("title"),
                     headings=[normalize(t) for t in titles[1:] if t][:50], flags=flags, page_count=len(slides),
                     **core_fields(core))

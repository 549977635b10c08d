"""Excel (.xlsx, .xlsm): each sheet's name, then its rows, cells separated by tabs.

Read with the size-checked ``Package`` of Word files rather than openpyxl, which inflates
members without checking their sizes (zip bombs) and builds a cell object per cell. Cells are
text from the shared strings, inline strings, formula results and numbers as written.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from lxml import etree

from indexer.extract.base import Extracted, ExtractionError, Limits
from indexer.extract.docx import core_fields, core_properties, local, open_package
from indexer.extract.pptx import _REL_ID, _rels
from indexer.extract.textutil import cap, normalize

_LABEL = "classeur Excel"


def _shared_strings(root: etree._Element | None) -> list[str]:
    """Text of each ``<si>``, phonetic guides (``rPh``) left out."""
    if root is None:
        return []
    out = []
    for si in root:
        if local(si) != "si":
            continue
        out.append("".join(t.text or "" for t in si.iter("{*}t") if local(t.getparent()) != "rPh"))
    return out


def _cell(cell: etree._Element, strings: list[str]) -> str:
    kind = cell.get("t")
    if kind == "inlineStr":
        return "".join(t.text or "" for t in cell.iter("{*}t"))
    value = next((el.text or "" for el in cell if local(el) == "v"), "")
    if kind == "s":
        try:
            return strings[int(value)]
        except (ValueError, IndexError):
            return ""
    if kind in ("b", "e"):
        return ""  # TRUE/FALSE and #N/A say nothing a search could use
    return value


def _rows(sheet: etree._Element, strings: list[str]) -> list[str]:
    rows = []
    for row in sheet.iter("{*}row"):
        cells = [" ".join(_cell(c, strings).split()) for c in row if local(c) == "c"]
        line = "\t".join(c for c in cells if c)
        if line:
            rows.append(line)
    return rows


def extract(path: Path, limits: Limits) -> Extracted:
    """Sheets' names and rows, core properties."""
    with open_package(path, limits, _LABEL) as pkg:
        workbook = pkg.xml("xl/workbook.xml")
        if workbook is None:
            raise ExtractionError(f"{_LABEL} endommagé : xl/workbook.xml absent")
        rels = _rels(pkg, "xl/workbook.xml")
        strings = _shared_strings(pkg.xml("xl/sharedStrings.xml"))
        blocks: list[str] = []
        names: list[str] = []
        total = 0
        for sheet in workbook.iter("{*}sheet"):
            target = rels.get(sheet.get(_REL_ID) or "")
            root = pkg.xml(target) if target and posixpath.basename(target) else None
            if root is None:
                continue
            name = normalize(sheet.get("name") or "")
            rows = _rows(root, strings)
            if rows:
                names.append(name)
                block = "\n".join([name, *rows] if name else rows)
                blocks.append(block)
                total += len(block)
            if total > limits.max_text_chars:
                break
        core = core_properties(pkg.xml("docProps/core.xml"))
    flags: list[str] = []
    body = normalize("\n\n".join(blocks))
    return Extracted(format="xlsx", text=cap(body, limits.max_text_chars, flags), title=core.get("title"),
                     headings=[n for n in names if n], flags=flags, **core_fields(core))

"""Office rendering: DOCX (python-docx) and ODT (odfpy), both as reproducible ZIP archives."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import docx
from docx.text.paragraph import Paragraph
from odf import dc
from odf import meta as odfmeta
from odf.opendocument import OpenDocumentText
from odf.style import ParagraphProperties, Style, TextProperties
from odf.text import H, List, ListItem, P, Span

from corpus.builders.source import Source, runs

ZIP_DATE = (2020, 1, 1, 0, 0, 0)  # fixed ZIP entry time: reproducible DOCX/ODT archives


def render_docx(src: Source, dest: Path) -> None:
    """Write ``src`` as a DOCX: Title, Heading and List styles, declared core properties."""
    meta = src.meta
    document = docx.Document()
    created = dt.datetime.combine(src.date, dt.time(9, 0))
    props = document.core_properties
    props.title = meta["title"]
    props.author = meta["author"]
    props.last_modified_by = meta["author"]
    props.subject = meta.get("summary", "")
    props.keywords = "; ".join(meta.get("themes", []))
    props.category = meta["type"]
    props.language = "fr-FR"
    props.created = created
    props.modified = created
    props.revision = 1
    props.comments = ""
    document.add_heading(meta["title"], level=0)
    for block in src.blocks:
        if block.kind == "h":
            document.add_heading(block.text, level=max(block.level - 1, 1))
        elif block.kind == "p":
            _docx_runs(document.add_paragraph(), block.text)
        else:
            style = "List Bullet" if block.kind == "ul" else "List Number"
            for item in block.items:
                _docx_runs(document.add_paragraph(style=style), item)
    document.save(str(dest))
    normalise_zip(dest)


def _docx_runs(paragraph: Paragraph, text: str) -> None:
    for chunk, bold, italic in runs(text):
        run = paragraph.add_run(chunk)
        run.bold = bold or None
        run.italic = italic or None


def render_odt(src: Source, dest: Path) -> None:
    """Write ``src`` as an ODT: level-1 ``text:h`` headings, Dublin Core metadata, a date."""
    meta = src.meta
    doc = OpenDocumentText()
    stamp = f"{src.date.isoformat()}T09:00:00"
    doc.meta.addElement(dc.Title(text=meta["title"]))
    doc.meta.addElement(dc.Creator(text=meta["author"]))
    doc.meta.addElement(odfmeta.InitialCreator(text=meta["author"]))
    doc.meta.addElement(dc.Description(text=meta.get("summary", "")))
    doc.meta.addElement(dc.Subject(text=meta["type"]))
    doc.meta.addElement(dc.Language(text="fr-FR"))
    doc.meta.addElement(odfmeta.CreationDate(text=stamp))
    doc.meta.addElement(dc.Date(text=stamp))
    for theme in meta.get("themes", []):
        doc.meta.addElement(odfmeta.Keyword(text=theme))

    title_style = Style(name="Title", displayname="Title", family="paragraph")
    title_style.addElement(TextProperties(fontsize="20pt", fontweight="bold"))
    doc.styles.addElement(title_style)
    headings = {}
    for level, size in ((1, "16pt"), (2, "13pt"), (3, "12pt")):
        style = Style(name=f"Heading_20_{level}", displayname=f"Heading {level}",
                      family="paragraph", defaultoutlinelevel=str(level))
        style.addElement(TextProperties(fontsize=size, fontweight="bold"))
        style.addElement(ParagraphProperties(margintop="0.4cm", marginbottom="0.2cm"))
        doc.styles.addElement(style)
        headings[level] = style
    bold = Style(name="Strong_20_Emphasis", displayname="Strong Emphasis", family="text")
    bold.addElement(TextProperties(fontweight="bold"))
    italic = Style(name="Emphasis", displayname="Emphasis", family="text")
    italic.addElement(TextProperties(fontstyle="italic"))
    doc.styles.addElement(bold)
    doc.styles.addElement(italic)

    def para(text: str) -> Any:  # odfpy is untyped: its elements are Any
        element = P()
        for chunk, is_bold, is_italic in runs(text):
            if is_bold or is_italic:
                element.addElement(Span(stylename=bold if is_bold else italic, text=chunk))
            else:
                element.addText(chunk)
        return element

    doc.text.addElement(P(stylename=title_style, text=meta["title"]))
    for block in src.blocks:
        if block.kind == "h":
            level = max(block.level - 1, 1)
            doc.text.addElement(H(outlinelevel=level, stylename=headings[level], text=block.text))
        elif block.kind == "p":
            doc.text.addElement(para(block.text))
        else:
            listing = List()
            for item in block.items:
                entry = ListItem()
                entry.addElement(para(item))
                listing.addElement(entry)
            doc.text.addElement(listing)
    doc.save(str(dest))
    normalise_zip(dest)


def normalise_zip(path: Path) -> None:
    """Rewrite a ZIP (DOCX/ODT) with fixed entry dates, keeping order and compression."""
    with zipfile.ZipFile(path) as old:
        entries = [(info, old.read(info.filename)) for info in old.infolist()]
    with zipfile.ZipFile(path, "w") as new:
        for info, data in entries:
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            fixed.compress_type = info.compress_type
            fixed.external_attr = 0o644 << 16
            new.writestr(fixed, data)

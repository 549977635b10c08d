"""PDF rendering (fpdf2): a real text layer in DejaVu Sans, declared metadata, bookmarks."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from fpdf import FPDF
from fpdf.outline import OutlineSection

from corpus.builders.source import MONTHS, Source

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
# Written into every PDF: changing it changes every PDF of documents/.
CREATOR = "Passerelles — corpus/build.py"


class _Doc(FPDF):
    """An A4 page with the author and page number in its footer."""

    def __init__(self, author_line: str) -> None:
        super().__init__(format="A4")
        self.author_line = author_line

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("DejaVu", "", 8)
        self.set_text_color(110)
        self.cell(0, 8, f"{self.author_line} — page {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0)


def render_pdf(src: Source, dest: Path) -> None:
    """Write ``src`` as a PDF: a title block (or a cover and a table of contents), then the body."""
    meta = src.meta
    pdf = _Doc(meta["author"])
    for style, name in (("", "DejaVuSans.ttf"), ("B", "DejaVuSans-Bold.ttf"),
                        ("I", "DejaVuSans-Oblique.ttf"), ("BI", "DejaVuSans-BoldOblique.ttf")):
        pdf.add_font("DejaVu", style, str(FONT_DIR / name))
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(True, margin=22)
    pdf.set_title(meta.get("pdf_title", meta["title"]))
    pdf.set_author(meta.get("pdf_author", meta["author"]))
    pdf.set_subject(meta.get("summary", ""))
    pdf.set_keywords(", ".join(meta.get("themes", [])))
    pdf.set_creator(CREATOR)
    pdf.set_lang("fr-FR")
    created = dt.datetime.combine(src.date, dt.time(9, 0), tzinfo=dt.UTC)
    pdf.set_creation_date(created)
    pdf.add_page()

    if meta.get("cover"):
        pdf.set_font("DejaVu", "", 11)
        pdf.ln(40)
        pdf.multi_cell(0, 7, meta["author"], align="C")
        pdf.ln(20)
        pdf.set_font("DejaVu", "B", 22)
        pdf.multi_cell(0, 11, meta["title"], align="C")
        pdf.ln(20)
        pdf.set_font("DejaVu", "", 12)
        pdf.multi_cell(0, 7, f"Rapport final — {MONTHS[src.date.month - 1]} {src.date.year}", align="C")
        pdf.add_page()
        pdf.insert_toc_placeholder(_render_toc, pages=1)
    else:
        pdf.set_font("DejaVu", "B", 17)
        pdf.multi_cell(0, 9, meta["title"], align="L")
        pdf.ln(2)
        pdf.set_font("DejaVu", "I", 9)
        pdf.set_text_color(90)
        pdf.multi_cell(0, 5, f"{meta['author']} · {meta['territoire']}", align="L")
        pdf.set_text_color(0)
        pdf.ln(4)

    for block in src.blocks:
        if block.kind == "h":
            size = {1: 16, 2: 13.5, 3: 11.5}.get(block.level, 11)
            if pdf.get_y() > pdf.h - 48:  # keep a heading with its first lines
                pdf.add_page()
            pdf.ln(3)
            pdf.start_section(block.text, level=max(block.level - 2, 0))
            pdf.set_font("DejaVu", "B", size)
            pdf.multi_cell(0, size * 0.55, block.text, align="L")
            pdf.ln(1.5)
            continue
        pdf.set_font("DejaVu", "", 10.5)
        if block.kind == "p":
            pdf.multi_cell(0, 5.6, _pdf_markup(block.text), markdown=True, align="L")
            pdf.ln(2.2)
        else:
            for number, item in enumerate(block.items, 1):
                bullet = "•" if block.kind == "ul" else f"{number}."
                pdf.set_x(pdf.l_margin + 3)
                pdf.cell(6, 5.6, bullet)
                pdf.multi_cell(0, 5.6, _pdf_markup(item), markdown=True, align="L")
                pdf.ln(0.8)
            pdf.ln(1.6)
    pdf.output(str(dest))


def _pdf_markup(text: str) -> str:
    # fpdf2's markdown: **bold**, __italic__; "--" would mean underline, so none must remain.
    assert "--" not in text and "__" not in text, text
    return re.sub(r"(?<!\*)\*([^*]+)\*(?!\*)", r"__\1__", text)


def _render_toc(pdf: FPDF, outline: list[OutlineSection]) -> None:
    pdf.set_x(pdf.l_margin)
    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(0, 9, "Sommaire", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for section in outline:
        if section.level > 1:
            continue
        pdf.set_font("DejaVu", "B" if section.level == 0 else "", 10.5 if section.level == 0 else 9.5)
        indent = 6 * section.level
        pdf.set_x(pdf.l_margin + indent)
        width = pdf.epw - indent - 12
        pdf.cell(width, 6.5, section.name)
        pdf.cell(12, 6.5, str(section.page_number), align="R", new_x="LMARGIN", new_y="NEXT")

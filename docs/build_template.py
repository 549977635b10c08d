"""Build docs/modele-fiche-experience.docx from the Markdown template beside it, so that the
two never drift apart: the front matter becomes a table of fields, each ``##`` heading a
Heading 2 (the style the DOCX extractor reports as a heading).

Run: ``python docs/build_template.py`` (python-docx, from the test extras).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from docx import Document

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "modele-fiche-experience.md"
TARGET = HERE / "modele-fiche-experience.docx"


def build(source: Path = SOURCE, target: Path = TARGET) -> Path:
    _, front, body = source.read_text(encoding="utf-8").split("---\n", 2)
    fields = yaml.safe_load(front)
    doc = Document()
    doc.core_properties.title = "Modèle de fiche d'expérience"
    doc.core_properties.language = "fr-FR"
    table = doc.add_table(rows=0, cols=2)
    for key, value in fields.items():
        cells = table.add_row().cells
        cells[0].text = str(key)
        cells[1].text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    for line in body.splitlines():
        if line.startswith("# "):
            doc.add_heading(line[2:].strip(), level=1)
        elif line.startswith("## "):
            doc.add_heading(line[3:].strip(), level=2)
        elif line.strip():
            doc.add_paragraph(line.strip())
    doc.save(str(target))
    return target


if __name__ == "__main__":
    print(build())

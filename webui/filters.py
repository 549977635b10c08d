"""Template filters: how dates, file names, sections and formats read on the pages, in feeds
and in newsletter blocks."""

from __future__ import annotations

import re

from flask import Flask

from kb.sections import default_sections

FORMAT_LABELS = {"pdf": "PDF", "html": "HTML", "docx": "Word (DOCX)", "odt": "OpenDocument (ODT)",
                 "markdown": "Markdown", "text": "Texte", "doc": "Word 97-2003 (DOC)", "rtf": "RTF",
                 "pptx": "PowerPoint (PPTX)", "xlsx": "Excel (XLSX)", "odp": "OpenDocument (ODP)",
                 "ods": "OpenDocument (ODS)", "image": "Image"}
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")


def register(app: Flask) -> None:
    """Make the filters available to every template of ``app``."""
    for name, function in (("date_fr", date_fr), ("file_name", file_name), ("section_label", section_label),
                           ("format_label", format_label)):
        app.add_template_filter(function, name)


def date_fr(value: str | None) -> str:
    """``2023-05-12`` -> ``12 mai 2023``; ``2023-05`` -> ``mai 2023``; ``2023`` unchanged."""
    if not value:
        return ""
    parts = value.split("-")
    try:
        if len(parts) >= 3:
            day = int(parts[2][:2])
            return f"{'1er' if day == 1 else day} {MONTHS[int(parts[1]) - 1]} {parts[0]}"
        if len(parts) == 2:
            return f"{MONTHS[int(parts[1]) - 1]} {parts[0]}"
    except (ValueError, IndexError):
        pass
    return value


def file_name(path: str) -> str:
    """The last part of a path. A POSIX path (absolute, from /) is cut at / only: a backslash
    is part of a name there, and shows each odd byte of a name that is not UTF-8 (\\xe9)."""
    if not path:
        return ""
    return path.rsplit("/", 1)[-1] if path.startswith("/") else re.split(r"[\\/]", path)[-1]


def section_label(key: str) -> str:
    """The French label of a practice sheet's section key (the key itself when unknown)."""
    return default_sections().labels.get(key, key)


def format_label(fmt: str) -> str:
    """The name people know a file format by ("Word (DOCX)")."""
    return FORMAT_LABELS.get(fmt, fmt)

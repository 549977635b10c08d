"""RTF: text with striprtf (pure Python, reads the code page the file declares), and the
``{\\info}`` group's title, author, subject, keywords and creation date.

striprtf drops pictures, embedded objects, fonts and style tables before reading, and walks
groups with a list rather than recursion: deep nesting cannot overflow the stack. A file is
already bounded by the size limit and a runaway one by the worker's time limit.
"""

from __future__ import annotations

import re
from pathlib import Path

from striprtf.striprtf import rtf_to_text as _untyped_rtf_to_text

from indexer.extract.base import Extracted, ExtractionError, Limits
from indexer.extract.docx import split_keywords
from indexer.extract.textutil import cap, normalize

_LABEL = "document RTF"
# An {\info} field holds plain text and escapes, never nested groups: bounded, no backtracking.
_FIELD = re.compile(rb"\{\\(title|author|subject|keywords|doccomm)\b ?([^{}]{0,2000})\}")
_CREATED = re.compile(rb"\{\\creatim\\yr(\d{4})(?:\\mo(\d{1,2}))?(?:\\dy(\d{1,2}))?")


def rtf_to_text(text: str, errors: str = "ignore") -> str:
    """The text of an RTF document (striprtf, typed here)."""
    # striprtf ships no type information: this is its signature.
    return str(_untyped_rtf_to_text(text, errors=errors))  # type: ignore[no-untyped-call]


def _field(raw: bytes) -> str:
    # Decoded by striprtf itself so \'e9 and \u233? escapes read as in the body.
    return normalize(rtf_to_text("{\\rtf1\\ansi " + raw.decode("latin-1") + "}", errors="ignore"))


def extract(path: Path, limits: Limits) -> Extracted:
    """Text and ``{\\info}`` properties of an RTF file."""
    data = path.read_bytes()
    if not data.lstrip().startswith(b"{\\rtf"):
        raise ExtractionError(f"{_LABEL} endommagé : en-tête {{\\rtf absent")
    # RTF is 7-bit ASCII with escapes; latin-1 maps any stray 8-bit byte to one character
    # without failing, and striprtf decodes escapes with the file's \ansicpg.
    text = rtf_to_text(data.decode("latin-1"), errors="ignore")
    fields: dict[str, str] = {}
    info_at = data.find(b"{\\info")
    if info_at >= 0:
        for name, raw in _FIELD.findall(data[info_at:info_at + 65536]):
            value = _field(raw)
            if value:
                fields.setdefault(name.decode(), value)
        created = _CREATED.search(data[info_at:info_at + 65536])
    else:
        created = None
    date = None
    if created:
        year, month, day = (g.decode() if g else None for g in created.groups())
        date = "-".join([year or ""] + [f"{int(v):02d}" for v in (month, day) if v])
    flags: list[str] = []
    # striprtf ends each table cell with "|": a row reads as cells separated by tabs, as in
    # the other formats.
    body = normalize("\n".join(line.rstrip("|").replace("|", "\t") if line.endswith("|") else line
                               for line in text.splitlines()))
    return Extracted(
        format="rtf",
        text=cap(body, limits.max_text_chars, flags),
        title=fields.get("title"),
        author=fields.get("author"),
        description=fields.get("subject") or fields.get("doccomm"),
        date=date,
        keywords=split_keywords(fields.get("keywords")),
        meta={k: v for k, v in fields.items() if k != "title"},
        flags=flags,
    )

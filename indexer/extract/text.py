"""Plain text in any common encoding (UTF-8, UTF-16 with BOM, cp1252, latin-1...)."""

from __future__ import annotations

from pathlib import Path

from indexer.extract.base import Extracted, Limits
from indexer.extract.textutil import cap, decode, first_line_title, normalize


def read_text(path: Path) -> tuple[str, str]:
    """Decoded, normalised content of a text file and the encoding used."""
    raw, encoding = decode(path.read_bytes())
    return normalize(raw), encoding


def extract(path: Path, limits: Limits) -> Extracted:
    """The whole file as text; its first short line as title."""
    body, encoding = read_text(path)
    flags: list[str] = []
    if encoding not in ("utf-8", "utf-8-sig", "ascii"):
        flags.append(f"encoding:{encoding}")
    return Extracted(
        format="text",
        text=cap(body, limits.max_text_chars, flags),
        title=first_line_title(body),
        flags=flags,
    )

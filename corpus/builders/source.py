"""Corpus sources: ``src/<slug>.md`` files, a YAML front matter over a small Markdown body."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NotRequired, TypedDict, cast

import yaml

TYPE_DIRS = {
    "charte": "chartes",
    "cadre de référence": "cadres-de-reference",
    "fiche d'expérience": "fiches-experience",
    "compte rendu": "comptes-rendus",
    "étude/rapport": "etudes-rapports",
    "communiqué/actualité": "actualites",
    "lettre d'information": "lettres-information",
    "autre": "autres",
}
EXTENSIONS = {"pdf": "pdf", "html": "html", "docx": "docx", "odt": "odt", "md": "md", "txt": "txt"}
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre"]


class Expect(TypedDict):
    """What the golden test expects of a document (``expect:`` in the front matter)."""

    contains: str
    queries: list[str]
    page_term: NotRequired[str]
    page_query: NotRequired[str]


class Meta(TypedDict):
    """The front matter of a source; corpus/README.md documents each key."""

    slug: str
    format: str
    title: str
    date: dt.date | str
    type: str
    themes: NotRequired[list[str]]
    territoire: str
    author: str
    summary: NotRequired[str]
    expect: Expect
    encoding: NotRequired[str]
    newline: NotRequired[str]
    keep_front_matter: NotRequired[bool]
    licence: NotRequired[str]
    url: NotRequired[str]
    cover: NotRequired[bool]
    pdf_title: NotRequired[str]
    pdf_author: NotRequired[str]
    # Free-form: written as they are to NOM.EXT.meta.yaml.
    sidecar: NotRequired[dict[str, Any]]


@dataclass
class Block:
    """One block of a source body: a heading (with its level), a paragraph or a list."""

    kind: Literal["h", "p", "ul", "ol"]
    text: str = ""
    level: int = 0
    items: list[str] = field(default_factory=list)


@dataclass
class Source:
    """A parsed source: its front matter, its body and the body's blocks."""

    meta: Meta
    body: str
    blocks: list[Block]

    @property
    def slug(self) -> str:
        return self.meta["slug"]

    @property
    def fmt(self) -> str:
        return self.meta["format"]

    @property
    def relpath(self) -> str:
        """Where the generated file goes, relative to corpus/."""
        folder = TYPE_DIRS[self.meta["type"]]
        return f"documents/{folder}/{self.slug}.{EXTENSIONS[self.fmt]}"

    @property
    def date(self) -> dt.date:
        value = self.meta["date"]
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))

    @property
    def shown_title(self) -> str:
        """The title a search result should show: the sidecar's when there is one."""
        sidecar = self.meta.get("sidecar")
        return str(sidecar["titre"]) if sidecar and sidecar.get("titre") else self.meta["title"]


def read_source(path: Path) -> Source:
    """Parse one source file; a malformed one stops the build with a French message."""
    text = path.read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?)\n---\n(.*)", text, re.S)
    if not match:
        raise SystemExit(f"{path.name}: front matter manquant")
    # The keys are checked below and by the renderers that read them.
    meta = cast(Meta, yaml.safe_load(match.group(1)))
    if meta["slug"] != path.stem:
        raise SystemExit(f"{path.name}: slug {meta['slug']!r} différent du nom de fichier")
    if meta["type"] not in TYPE_DIRS or meta["format"] not in EXTENSIONS:
        raise SystemExit(f"{path.name}: type ou format inconnu")
    body = match.group(2).strip() + "\n"
    return Source(meta, body, parse_blocks(body))


def parse_blocks(body: str) -> list[Block]:
    """The small Markdown subset the sources use: headings, paragraphs, - and 1. lists."""
    blocks: list[Block] = []
    for chunk in re.split(r"\n\s*\n", body.strip()):
        lines = chunk.strip().splitlines()
        if lines[0].startswith("#"):
            hashes, _, title = lines[0].partition(" ")
            blocks.append(Block("h", title.strip(), level=len(hashes)))
            lines = lines[1:]
            if not lines:
                continue
        if all(re.match(r"[-*] ", ln) for ln in lines):
            blocks.append(Block("ul", items=[ln[2:].strip() for ln in lines]))
        elif all(re.match(r"\d+\. ", ln) for ln in lines):
            blocks.append(Block("ol", items=[ln.split(" ", 1)[1].strip() for ln in lines]))
        else:
            blocks.append(Block("p", " ".join(ln.strip() for ln in lines)))
    return blocks


def runs(text: str) -> list[tuple[str, bool, bool]]:
    """Split inline **bold** and *italic* markup into (text, bold, italic) runs."""
    out = []
    for part in re.split(r"(\*\*[^*]+\*\*|\*[^*]+\*)", text):
        if not part:
            continue
        if part.startswith("**"):
            out.append((part[2:-2], True, False))
        elif part.startswith("*") and part.endswith("*") and len(part) > 1:
            out.append((part[1:-1], False, True))
        else:
            out.append((part, False, False))
    return out


def plain(text: str) -> str:
    """The text without its inline markup."""
    return "".join(t for t, _, _ in runs(text))


def fr_date(day: dt.date) -> str:
    """A date written the French way: « 1er mars 2017 »."""
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {MONTHS[day.month - 1]} {day.year}"

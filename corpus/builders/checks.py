"""Checks on the generated files: each is extracted again and must still say what its source says."""

from __future__ import annotations

import html
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, TypedDict

import docx
import yaml
from pypdf import PdfReader

from corpus.builders.source import Source


class PageInfo(TypedDict):
    """Where the page term of a paginated PDF was found."""

    query: str
    page: int
    pages: int
    all: list[int]


class _HTMLText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def extract_text(src: Source, path: Path) -> tuple[str, list[str]]:
    """Re-extract a generated file the simple way: whole text and, for PDF, page texts."""
    if src.fmt == "pdf":
        pages = [page.extract_text() or "" for page in PdfReader(path).pages]
        return "\n".join(pages), pages
    if src.fmt == "docx":
        return "\n".join(p.text for p in docx.Document(str(path)).paragraphs), []
    if src.fmt == "odt":
        with zipfile.ZipFile(path) as archive:
            xml = archive.read("content.xml").decode("utf-8")
        return html.unescape(re.sub(r"<[^>]+>", " ", xml)), []
    if src.fmt == "html":
        parser = _HTMLText()
        parser.feed(path.read_text(encoding="utf-8"))
        return " ".join(parser.parts), []
    return path.read_bytes().decode(src.meta.get("encoding", "utf-8")), []


def squash(text: str) -> str:
    """The text with every run of white space made one space."""
    return re.sub(r"\s+", " ", text)


def check_and_collect(root: Path, sources: list[Source]) -> tuple[dict[str, str], dict[str, PageInfo]]:
    """Verify each generated file under ``root`` against its source; return texts and page queries."""
    texts: dict[str, str] = {}
    pages_info: dict[str, PageInfo] = {}
    problems = []
    for src in sources:
        path = root / src.relpath
        text, pages = extract_text(src, path)
        texts[src.relpath] = squash(text)
        phrase = src.meta["expect"]["contains"]
        if phrase not in texts[src.relpath]:
            problems.append(f"{src.relpath}: « {phrase} » introuvable dans le texte extrait")
        if src.fmt == "pdf":
            for word in ("œuvre", "é", "è", "à", "ç"):
                if word in src.body and word not in text:
                    problems.append(f"{src.relpath}: « {word} » perdu à l'extraction")
        term = src.meta["expect"].get("page_term")
        if term:
            found = [n for n, page in enumerate(pages, 1) if term in page]
            if len(pages) < 5 or len(found) != 1 or found[0] < 3:
                problems.append(f"{src.relpath}: terme de page {term!r} sur les pages {found}")
            else:
                pages_info[src.relpath] = {"query": src.meta["expect"]["page_query"], "page": found[0],
                                           "pages": len(pages), "all": found}
    if problems:
        raise SystemExit("Vérification en échec :\n  " + "\n  ".join(problems))
    return texts, pages_info


def resolve_checks(checks_file: Path, sources: list[Source], texts: dict[str, str]) -> list[dict[str, Any]]:
    """Turn ``checks_file`` (slugs + properties) into path lists, verifying each property."""
    by_slug = {s.slug: s for s in sources}
    checks = yaml.safe_load(checks_file.read_text(encoding="utf-8"))
    out = []
    for check in checks:
        paths = []
        for slug in check["expect"]:
            path = by_slug[slug].relpath
            text = texts[path]
            for needle in check.get("require", {}).get("contains", []):
                if not re.search(needle, text):
                    raise SystemExit(f"{check['query']}: {slug} ne contient pas /{needle}/")
            for needle in check.get("require", {}).get("lacks", []):
                if re.search(needle, text):
                    raise SystemExit(f"{check['query']}: {slug} contient /{needle}/")
            if check.get("type") and by_slug[slug].meta["type"] != check["type"]:
                raise SystemExit(f"{check['query']}: {slug} n'est pas du type {check['type']}")
            paths.append(path)
        # Key order is the order of expected.toml's [[checks]] entries.
        entry: dict[str, Any] = {"query": check["query"]}
        if check.get("type"):
            entry["type"] = check["type"]
        entry["expect"] = sorted(paths)
        if check.get("top"):
            entry["top"] = check["top"]
        entry["note"] = check["note"]
        out.append(entry)
    return out

"""Markdown: YAML front matter into ``meta``, headings, text with the syntax lightly removed."""

from __future__ import annotations

import html
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from indexer.extract.base import Extracted, Limits
from indexer.extract.text import read_text
from indexer.extract.textutil import cap, normalize
from indexer.extract.yamltext import LenientSafeLoader

# libyaml's safe loader (when PyYAML has it), where a date typo (« 2021-02-30 ») stays text
# instead of raising ValueError: the document is indexed, its front matter kept.
_YAML_LOADER = LenientSafeLoader
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_ATX = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.M)
_SETEXT = re.compile(r"^([^\n]+)\n(=+|-+)[ \t]*$", re.M)
_FENCE = re.compile(r"^(```|~~~)[^\n]*\n(.*?)^\1[ \t]*$", re.M | re.S)
_INLINE = [
    (re.compile(r"<!--.*?-->", re.S), ""),
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images: keep the alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links: keep the label
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"^\s*\[[^\]]+\]:\s*\S+.*$", re.M), ""),  # link reference definitions
    (re.compile(r"\{[:%].*?[%}]\}", re.S), ""),  # Jekyll/Liquid and kramdown attribute tags
    (re.compile(r"</?[a-zA-Z][^>\n]*>"), ""),  # inline HTML tags, their text stays
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\1(?![\w*])"), r"\2"),
    (re.compile(r"~~(.+?)~~"), r"\1"),
    (re.compile(r"`([^`\n]+)`"), r"\1"),
    (re.compile(r"^[ \t]*#{1,6}[ \t]+", re.M), ""),
    (re.compile(r"^[ \t]*>[ \t]?", re.M), ""),
    (re.compile(r"^[ \t]*([-*+]|\d+[.)])[ \t]+", re.M), ""),
    (re.compile(r"^[ \t]*([-*_][ \t]*){3,}$", re.M), ""),  # horizontal rules
    (re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}.*$", re.M), ""),  # table separator rows
    (re.compile(r"^[ \t]*\|[ \t]*|[ \t]*\|[ \t]*$", re.M), ""),  # table outer borders
    (re.compile(r"[ \t]*\|[ \t]*"), "\t"),  # table cell borders
]


def _plain(value: Any) -> Any:
    """YAML values → JSON-friendly values (dates as ISO strings)."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def split_front_matter(source: str) -> tuple[dict[str, object], str, list[str]]:
    """(front matter fields, body, flags); invalid YAML is ignored and flagged."""
    match = _FRONT_MATTER.match(source)
    if not match:
        return {}, source, []
    body = source[match.end():]
    try:
        data = yaml.load(match.group(1), Loader=_YAML_LOADER)
    except (yaml.YAMLError, UnicodeEncodeError):  # libyaml encodes to UTF-8: lone surrogates fail
        return {}, body, ["front-matter-invalid"]
    if data is None:
        return {}, body, []
    if not isinstance(data, dict):
        return {}, body, ["front-matter-invalid"]
    return _plain(data), body, []


def strip_markdown(body: str) -> str:
    """Markdown → readable text, without a full renderer."""
    body = _FENCE.sub(lambda m: m.group(2), body)  # code blocks: keep the code, drop fences
    body = _SETEXT.sub(r"\1", body)
    for pattern, replacement in _INLINE:
        body = pattern.sub(replacement, body)
    return normalize(html.unescape(body))  # "&nbsp;", "&eacute;" written in the source


def _field(meta: dict[str, object], *names: str) -> str | None:
    for name in names:
        value = meta.get(name)
        if isinstance(value, (str, int, float)) and str(value).strip():
            return str(value).strip()
    return None


def _list(value: object) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in re.split(r"[,;]", value) if v.strip()]
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return []


def _absolute(url: str | None) -> str | None:
    # Jekyll's url/permalink are site-relative ("/manifeste"): not a canonical address.
    return url if url and url.startswith(("http://", "https://")) else None


def extract(path: Path, limits: Limits) -> Extracted:
    """Front matter, headings and text of a Markdown file."""
    source, _ = read_text(path)
    meta, body, flags = split_front_matter(source)
    without_code = _FENCE.sub("", body)
    headings = [normalize(strip_markdown(m.group(2))) for m in _ATX.finditer(without_code)]
    headings += [normalize(m.group(1)) for m in _SETEXT.finditer(without_code)
                 if not m.group(1).lstrip().startswith(("-", "*", "|"))]
    first_h1 = next((normalize(strip_markdown(m.group(2))) for m in _ATX.finditer(without_code)
                     if len(m.group(1)) == 1), None)
    keywords = _list(meta.get("keywords")) or _list(meta.get("tags"))
    return Extracted(
        format="markdown",
        text=cap(strip_markdown(body), limits.max_text_chars, flags),
        title=_field(meta, "title", "titre") or first_h1,
        author=_field(meta, "author", "auteur") or (", ".join(_list(meta.get("authors"))) or None),
        description=_field(meta, "description", "summary", "excerpt", "resume", "résumé"),
        date=_field(meta, "date", "published", "created"),
        language=_field(meta, "lang", "language", "langue"),
        url=_absolute(_field(meta, "canonical_url", "canonical", "url")),
        keywords=keywords,
        headings=[h for h in headings if h],
        meta=meta,
        flags=flags,
    )

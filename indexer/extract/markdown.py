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

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
# Every pattern here runs in time linear in the text, whatever it holds: a pattern that scans
# ahead from each of n starting points (a class that also matches the opener, ``.*?`` towards a
# closer that never comes) takes n² steps, and a 100 kB file full of "[" held a worker for the
# whole --timeout. Classes stop at the next opener, and spans whose closer may be missing are
# found by the loops below, which give up on a kind of span once its closer is known absent.
_ATX = re.compile(r"^(#{1,6})[ \t]+(.+)$", re.M)  # closing "#"s: see _heading
_SETEXT = re.compile(r"^([^\n]+)\n(=+|-+)[ \t]*$", re.M)
_FENCE_OPEN = re.compile(r"^(```|~~~)[^\n]*\n", re.M)
_FENCE_CLOSE = {fence: re.compile(rf"^{fence}[ \t]*$", re.M) for fence in ("```", "~~~")}
_COMMENT = (re.compile(r"<!--"), re.compile(r"-->"))
_LIQUID = (re.compile(r"\{[:%]"), re.compile(r"[%}]\}"))  # Jekyll/Liquid and kramdown attribute tags
# Emphasis by one "*" or "_": not inside a word, not against a space, on one line.
_EMPHASIS_OPEN = re.compile(r"(?<![\w*])([*_])(?!\s)")
_EMPHASIS_CLOSE = {mark: re.compile(rf"(?<!\s)\{mark}(?![\w*])") for mark in "*_"}
# A link's label may hold one level of brackets ("[la charte [PDF]](url)"). Each "[" inside it
# must be closed before the next opener, so from any start the label reaches no further than
# the next brackets: linear still.
_LABEL = r"((?:[^\[\]]|\[[^\[\]]*\])+)"
_LINKS = [
    (re.compile(rf"!\[{_LABEL}?\]\([^)\[]*\)"), r"\1"),  # images: keep the alt text
    (re.compile(rf"\[{_LABEL}\]\([^)\[]*\)"), r"\1"),  # links: keep the label
    (re.compile(rf"\[{_LABEL}\]\[[^\[\]]*\]"), r"\1"),
    (re.compile(r"^[ \t]*\[[^\]\n]+\]:\s*\S+.*$", re.M), ""),  # link reference definitions
]
_TAGS_AND_BOLD = [
    (re.compile(r"</?[a-zA-Z][^<>\n]*>"), ""),  # inline HTML tags, their text stays
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
]
_MARKS_AND_LINES = [
    (re.compile(r"~~(.+?)~~"), r"\1"),
    (re.compile(r"`([^`\n]+)`"), r"\1"),
    (re.compile(r"^[ \t]*#{1,6}[ \t]+", re.M), ""),
    (re.compile(r"^[ \t]*>[ \t]?", re.M), ""),
    (re.compile(r"^[ \t]*([-*+]|\d+[.)])[ \t]+", re.M), ""),
    (re.compile(r"^[ \t]*([-*_][ \t]*){3,}$", re.M), ""),  # horizontal rules
    (re.compile(r"^[ \t]*(?:\|[ \t]*)?:?-{3,}.*$", re.M), ""),  # table separator rows
    # Table borders and cells: a run of blanks is tried from its first character only.
    (re.compile(r"^[ \t]*\|[ \t]*|(?:(?<![ \t])[ \t]+)?\|[ \t]*$", re.M), ""),  # outer borders
    (re.compile(r"(?:(?<![ \t])[ \t]+)?\|[ \t]*"), "\t"),  # cell borders
]


def _fences(text: str, keep_code: bool) -> str:
    """Fenced code blocks replaced by their code (``keep_code``) or by nothing; a fence never
    closed stays as it is."""
    out: list[str] = []
    done = 0  # text[:done] is in out
    unclosed: set[str] = set()  # fences with no closing line further down
    start = 0
    while (opening := _FENCE_OPEN.search(text, start)) is not None:
        fence = opening.group(1)
        closing = None if fence in unclosed else _FENCE_CLOSE[fence].search(text, opening.end())
        if closing is None:
            unclosed.add(fence)
            start = opening.end()
            continue
        out.append(text[done:opening.start()])
        if keep_code:
            out.append(text[opening.end():closing.start()])
        done = start = closing.end()
    out.append(text[done:])
    return "".join(out)


def _drop_spans(text: str, opener: re.Pattern[str], closer: re.Pattern[str]) -> str:
    """``opener.*?closer`` (re.S) removed, left to right; once an opener has no closer after
    it, no later one has."""
    out: list[str] = []
    done = 0
    while (opening := opener.search(text, done)) is not None:
        closing = closer.search(text, opening.end())
        if closing is None:
            break
        out.append(text[done:opening.start()])
        done = closing.end()
    out.append(text[done:])
    return "".join(out)


def _emphasis(text: str) -> str:
    """``*text*`` and ``_text_`` → ``text``, the closer being the first one on the line."""
    out: list[str] = []
    done = start = 0
    line_end = -1
    unclosed: set[str] = set()  # marks with no closer left on the current line
    while (opening := _EMPHASIS_OPEN.search(text, start)) is not None:
        at, mark = opening.start(), opening.group(1)
        if at > line_end:  # a new line: found once per line, not once per opener
            line_end = text.find("\n", at)
            line_end = len(text) if line_end < 0 else line_end
            unclosed.clear()
        closing = None if mark in unclosed else _EMPHASIS_CLOSE[mark].search(text, at + 2, line_end)
        if closing is None:
            unclosed.add(mark)
            start = at + 1
            continue
        out.append(text[done:at])
        out.append(text[at + 1:closing.start()])
        done = start = closing.end()
    out.append(text[done:])
    return "".join(out)


def _heading(match: re.Match[str]) -> str:
    """An ATX heading's text without its closing "#"s (kept when they are the whole text)."""
    text = match.group(2)
    return text.rstrip(" \t#") or text[:1]


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
        # A date typo (« 2021-02-30 ») stays text: the document is indexed, its front matter kept.
        data = yaml.load(match.group(1), Loader=LenientSafeLoader)
    except (yaml.YAMLError, UnicodeEncodeError):  # libyaml encodes to UTF-8: lone surrogates fail
        return {}, body, ["front-matter-invalid"]
    if data is None:
        return {}, body, []
    if not isinstance(data, dict):
        return {}, body, ["front-matter-invalid"]
    return _plain(data), body, []


def strip_markdown(body: str) -> str:
    """Markdown → readable text, without a full renderer."""
    body = _fences(body, keep_code=True)  # code blocks: keep the code, drop fences
    body = _SETEXT.sub(r"\1", body)
    body = _drop_spans(body, *_COMMENT)
    for pattern, replacement in _LINKS:
        body = pattern.sub(replacement, body)
    body = _drop_spans(body, *_LIQUID)
    for pattern, replacement in _TAGS_AND_BOLD:
        body = pattern.sub(replacement, body)
    body = _emphasis(body)
    for pattern, replacement in _MARKS_AND_LINES:
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
    without_code = _fences(body, keep_code=False)
    headings = [normalize(strip_markdown(_heading(m))) for m in _ATX.finditer(without_code)]
    headings += [normalize(m.group(1)) for m in _SETEXT.finditer(without_code)
                 if not m.group(1).lstrip().startswith(("-", "*", "|"))]
    first_h1 = next((normalize(strip_markdown(_heading(m))) for m in _ATX.finditer(without_code)
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

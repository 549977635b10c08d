"""Newsletter blocks for a selection of documents: a 600 px inline-CSS HTML fragment (pasted
into Mailchimp, Sarbacane, Sympa...) and Markdown. Document text is escaped in both."""

from __future__ import annotations

import re

from flask import render_template

from kb.model import Document
from webui.filters import date_fr
from webui.links import permalink, with_utm
from webui.typography import french_spaces

_SENTENCE_RE = re.compile(r"^(.{20,}?[.!?…])(\s|$)", re.DOTALL)
# Runs of spaces, tabs and line breaks; a non-breaking space is kept (see webui.typography).
_SPACE_RE = re.compile(r"[^\S\u00a0\u202f]+")
# Characters Markdown reads as inline syntax; < > & become entities so that no HTML passes,
# and a line that would start a list or a heading gets its first character escaped.
_MD_SPECIAL_RE = re.compile(r"([\\`*_{}\[\]()#!|~])")
_MD_BULLET_RE = re.compile(r"^([-+=])")
_MD_NUMBER_RE = re.compile(r"^(\d+)([.)])")
_WEB_RE = re.compile(r"^https?://[^\s<>\"'`\\]+$", re.IGNORECASE)


def sentence(doc: Document, limit: int = 220) -> str:
    """The first sentence of the summary (or of the text), at most ``limit`` characters."""
    text = _SPACE_RE.sub(" ", doc.summary or doc.text[:2000]).strip()
    match = _SENTENCE_RE.match(text)
    first = match.group(1) if match else text
    if len(first) > limit:
        first = first[: limit - 1].rsplit(" ", 1)[0] + "…"
    return first


def web_address(url: str | None) -> str:
    """``url`` when it is a plain http(s) address that can be a link anywhere (HTML attribute,
    Markdown destination, a line of a text e-mail), else ""."""
    return url.strip() if url and _WEB_RE.match(url.strip()) else ""


def _items(docs: list[Document], utm: dict[str, str]) -> list[dict[str, str]]:
    # Licence and source go with each document: CC licences and the Licence Ouverte ask those
    # who reuse a document to name its licence and where it comes from.
    return [{"title": french_spaces(d.title), "url": with_utm(permalink(d.id, d.title), utm), "type": d.type,
             "date": date_fr(d.date), "summary": french_spaces(sentence(d)),
             "licence": _SPACE_RE.sub(" ", d.licence or "").strip(),
             "source": french_spaces(_SPACE_RE.sub(" ", d.author or "").strip()), "source_url": web_address(d.url)}
            for d in docs]


def html_block(docs: list[Document], utm: dict[str, str]) -> str:
    """The HTML fragment: a 600 px table with inline styles, absolute links, escaped text."""
    return render_template("export_block.html", items=_items(docs, utm)).strip() + "\n"


def md_escape(text: str) -> str:
    """``text`` on one line, safe in Markdown: no inline syntax, no HTML, no list or heading at its start."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL_RE.sub(r"\\\1", _SPACE_RE.sub(" ", text).strip())
    return _MD_NUMBER_RE.sub(r"\1\\\2", _MD_BULLET_RE.sub(r"\\\1", text))


def markdown_block(docs: list[Document], utm: dict[str, str]) -> str:
    """The Markdown version: one list item per document, with its link, type and date, summary
    sentence, licence and source."""
    lines = []
    for item in _items(docs, utm):
        meta = " · ".join(x for x in (item["type"], item["date"]) if x)
        lines.append(f"- **[{md_escape(item['title'])}](<{item['url']}>)**" + (f" — {md_escape(meta)}" if meta else ""))
        if item["summary"]:
            lines.append(f"  {md_escape(item['summary'])}")
        credit = _md_credit(item)
        if credit:
            lines.append(f"  {credit}")
    return "\n".join(lines) + "\n" if lines else ""


def _md_credit(item: dict[str, str]) -> str:
    """``Licence : … · Source : [author](<url>)``, or "" when neither is known."""
    source, url = md_escape(item["source"]), item["source_url"]
    link = f"[{source}](<{url}>)" if source and url else source or (f"<{url}>" if url else "")
    return " · ".join(x for x in (item["licence"] and f"Licence : {md_escape(item['licence'])}",
                                  link and f"Source : {link}") if x)


def text_block(docs: list[Document], utm: dict[str, str]) -> str:
    """The plain-text version, for the text part of an e-mail: title, type and date, the
    summary sentence, then the link on its own line (mail clients make it clickable)."""
    blocks = []
    for item in _items(docs, utm):
        meta = " · ".join(x for x in (item["type"], item["date"]) if x)
        lines = [_SPACE_RE.sub(" ", item["title"]).strip()]
        lines += [f"({meta})"] if meta else []
        lines += [item["summary"]] if item["summary"] else []
        source = ", ".join(x for x in (item["source"], item["source_url"]) if x)
        credit = " · ".join(x for x in (item["licence"] and f"Licence : {item['licence']}",
                                        source and f"Source : {source}") if x)
        lines += [credit] if credit else []
        lines.append(item["url"])
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n" if blocks else ""

"""HTML: main content with trafilatura (bs4 fallback), declared metadata (``html_declared``)."""

from __future__ import annotations

import codecs
import json
import logging
import re
from pathlib import Path
from typing import Any

import trafilatura
from bs4 import BeautifulSoup

from indexer.extract.base import Extracted, Limits
from indexer.extract.html_declared import Declared, declared, text_of
from indexer.extract.textutil import cap, decode, normalize

log = logging.getLogger(__name__)

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
# What a <meta> charset may select, as browsers read it (WHATWG Encoding standard), keyed by
# Python's name for the label's codec. The meta was read as ASCII, so a declared UTF-16 or
# UTF-32 means UTF-8; latin-1 and ASCII mean windows-1252 (the 0x80-0x9F bytes of such pages
# are cp1252's quotes and "œ"). Any other codec Python knows (unicode_escape, cp037, rot13,
# base64...) is no page encoding: it is ignored, and the bytes are detected instead.
_META_ENCODINGS = {
    **{name: "utf-8" for name in ("utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32",
                                  "utf-32-le", "utf-32-be")},
    **{name: "cp1252" for name in ("ascii", "iso8859-1", "cp1252")},
    **{f"cp125{n}": f"cp125{n}" for n in (0, 1, 3, 5, 6, 7, 8)},
    **{f"iso8859-{n}": f"iso8859-{n}" for n in (2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16)},
    "iso8859-9": "cp1254", "cp1254": "cp1254", "iso8859-11": "cp874", "tis-620": "cp874",
    "cp874": "cp874", "cp866": "cp866", "koi8-r": "koi8-r", "koi8-u": "koi8-u",
    "mac-roman": "mac-roman", "mac-cyrillic": "mac-cyrillic",
    "gbk": "gb18030", "gb2312": "gb18030", "gb18030": "gb18030",
    "big5": "big5hkscs", "big5hkscs": "big5hkscs", "euc_jp": "euc_jp",
    "shift_jis": "cp932", "cp932": "cp932", "iso2022_jp": "iso2022_jp",
    "euc_kr": "cp949", "cp949": "cp949",
}
# WHATWG labels Python does not know, with the codec they select.
_META_LABELS = {
    "unicode-1-1-utf-8": "utf-8", "x-unicode20utf8": "utf-8", "unicode": "utf-8",
    "ucs-2": "utf-8", "csunicode": "utf-8", "iso-10646-ucs-2": "utf-8", "unicodefeff": "utf-8",
    "unicodefffe": "utf-8", "windows-874": "cp874", "windows-31j": "cp932", "x-sjis": "cp932",
    "x-gbk": "gb18030", "x-mac-roman": "mac-roman", "x-mac-cyrillic": "mac-cyrillic",
    "iso-8859-8-i": "iso8859-8", "x-user-defined": "cp1252",
}
_BOILERPLATE = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside",
                "form", "iframe", "svg", "button", "select")
_DATE_NAMES = ("date", "dc.date", "dc.date.issued", "dcterms.date", "dcterms.issued",
               "dcterms.created", "pubdate", "publish-date", "publication_date", "citation_date",
               "article.published", "sailthru.date")
_HTML_TAG = re.compile(r"<html\b[^>]*>", re.I)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_HEAD_CHARS = 50_000  # where the <html> tag is looked for
_LANG = re.compile(r"""(?<![\w:-])(xml:)?lang\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.I)
# Below this share of the recall-mode text, the precision-mode text has lost part of the
# article (measured on the scrapinghub benchmark: 0.3-0.5 give the same F1).
_PRECISION_MIN_SHARE = 0.5


def extract(path: Path, limits: Limits) -> Extracted:
    """Main text and declared metadata of an HTML page."""
    markup = decode_html(path.read_bytes())
    return extract_markup(markup, limits)


def decode_html(data: bytes) -> str:
    """Bytes → str: BOM, valid UTF-8, the page's own <meta charset>, then detection."""
    found = _META_CHARSET.search(data[:4096])
    declared = _meta_encoding(found.group(1).decode("ascii", "replace")) if found else None
    if declared not in (None, "utf-8") and not data.isascii() and _is_utf8(data):
        # A meta left over from an older encoding of the page is far more common than
        # Latin-1 text that happens to be valid UTF-8: decode() tries UTF-8 first.
        declared = None
    return decode(data, declared)[0]


def _meta_encoding(label: str) -> str | None:
    """The codec a <meta> charset label selects; None when it names no page encoding."""
    label = label.strip().lower()
    if label in _META_LABELS:
        return _META_LABELS[label]
    try:
        return _META_ENCODINGS.get(codecs.lookup(label).name)
    except LookupError:
        return None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def extract_markup(markup: str, limits: Limits = Limits()) -> Extracted:
    """Extract from an already decoded page (used by the benchmark and by tests)."""
    info, body, headings, flags = _read(markup)
    return Extracted(
        format="html",
        text=cap(normalize(body), limits.max_text_chars, flags),
        title=info.get("title"),
        author=info.get("author"),
        description=info.get("description"),
        date=info.get("date"),
        language=info.get("language"),
        url=info.get("url"),
        keywords=info.get("keywords", []),
        headings=headings,
        meta=info.get("meta", {}),
        flags=flags,
    )


def main_text(markup: str) -> str:
    """The article text alone, as the benchmark scores it."""
    return _read(markup)[1]


def _read(markup: str) -> tuple[dict[str, Any], str, list[str], list[str]]:
    """The page's declared metadata, its main text and headings (BeautifulSoup's reading
    when trafilatura finds none), and the flags saying which was used."""
    page = declared(markup)
    info = _metadata(page, markup)
    body, headings = _main_content(markup, info.get("title"), page)
    if body:
        return info, body, headings, []
    body, headings = _bs4_content(BeautifulSoup(markup, "lxml"))
    return info, body, headings, ["html-fallback-bs4"]


def _run_trafilatura(markup: str, precision: bool) -> tuple[str, list[str]]:
    try:
        doc = trafilatura.bare_extraction(
            markup, include_comments=False, include_tables=True, with_metadata=False,
            favor_precision=precision, favor_recall=not precision,
        )
    except Exception:  # noqa: BLE001 -- trafilatura failing on one page: use bs4 instead
        log.info("trafilatura failed", exc_info=True)
        return "", []
    if doc is None or isinstance(doc, dict) or not doc.text:
        return "", []
    headings = []
    if doc.body is not None:
        for head in doc.body.iter("head"):
            if head.get("rend", "h2") in ("h1", "h2", "h3"):
                text = " ".join("".join(head.itertext()).split())
                if text:
                    headings.append(text)
    return doc.text, headings


def _main_content(markup: str, title: str | None, page: Declared) -> tuple[str, list[str]]:
    """Precision-first trafilatura; its recall mode when precision dropped too much."""
    text, headings = _run_trafilatura(markup, precision=True)
    wide, wide_headings = _run_trafilatura(markup, precision=False)
    if len(text) < _PRECISION_MIN_SHARE * len(wide):
        text, headings = wide, wide_headings
    if not text:
        return "", []
    # The page's own declared elements: parsing it again here cost a fifth of the HTML
    # extraction CPU.
    titles = _title_variants(page, title)
    return _drop_leading_title(text, titles), headings


def _title_variants(page: Declared, title: str | None) -> set[str]:
    variants = {title} if title else set()
    if page.titles and not page.titles[0].children:
        variants.add("".join(page.titles[0].strings))
    variants.update(" ".join(h.strings) for h in page.h1s)
    return {_fold(v) for v in variants if v and v.strip()}


def _fold(text: str) -> str:
    return " ".join(text.split()).lower()


def _drop_leading_title(text: str, titles: set[str]) -> str:
    # The title has its own field; repeating it as the first line of the body skews
    # snippets and lowers precision on the benchmark.
    first, _, rest = text.partition("\n")
    return rest if _fold(first) in titles else text


def _bs4_content(soup: BeautifulSoup) -> tuple[str, list[str]]:
    for tag in soup.find_all(_BOILERPLATE):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    headings = [" ".join(h.get_text(" ").split()) for h in root.find_all(["h1", "h2", "h3"])]
    return root.get_text("\n", strip=True), [h for h in headings if h]


def _meta_map(page: Declared) -> dict[str, str]:
    """First non-empty content of each <meta> name, property or itemprop (lower-cased key)."""
    found: dict[str, str] = {}
    for tag in page.metas:
        key = tag.get("property") or tag.get("name") or tag.get("itemprop")
        value = tag.get("content")
        if isinstance(key, str) and isinstance(value, str) and value.strip():
            found.setdefault(key.strip().lower(), " ".join(value.split()))
    return found


def _pick(metas: dict[str, str], *names: str) -> str | None:
    """The value of the first of ``names`` (in order of preference) the page declares."""
    for name in names:
        if name.lower() in metas:
            return metas[name.lower()]
    return None


def _json_ld(page: Declared) -> list[dict[str, Any]]:
    """Every JSON-LD object of the page, flattened out of lists and @graph."""
    found: list[dict[str, Any]] = []
    for script in page.ld_json:
        try:
            data = json.loads("".join(script.strings))
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                found.append(item)
                if isinstance(item.get("@graph"), list):
                    stack.extend(item["@graph"])
    return found


def _ld_author(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        return _ld_author(value.get("name"))
    if isinstance(value, list):
        names = [n for n in (_ld_author(v) for v in value) if n]
        return ", ".join(names) or None
    return None


def _metadata(page: Declared, markup: str) -> dict[str, Any]:
    """What the page declares, from its declared elements (and, for its language, from the
    ``<html>`` tag of ``markup``)."""
    ld = _json_ld(page)
    metas = _meta_map(page)
    title = _pick(metas, "og:title", "dc.title") or (text_of(page.titles[0]) if page.titles else None)
    if not title:
        title = text_of(page.h1s[0]) if page.h1s else None

    date = _pick(metas, "article:published_time", "datePublished", *_DATE_NAMES)
    author = _pick(metas, "author", "dc.creator", "article:author")
    if author and author.startswith(("http://", "https://")):
        author = None  # article:author is often a Facebook profile URL, not a name
    for item in ld:
        date = date or (item.get("datePublished") if isinstance(item.get("datePublished"), str) else None)
        author = author or _ld_author(item.get("author"))
    if not date:
        stamp = next((t["datetime"] for t in page.times if t.get("datetime") is not None), None)
        if stamp is not None:
            date = stamp.strip() or None

    url = None
    for link in page.links:
        href = link.get("href")
        if href is not None and "canonical" in (link.get("rel") or "").lower().split():
            url = href.strip() or None
            break
    url = url or _pick(metas, "og:url")

    lang = _html_lang(markup)
    language = lang if lang else _pick(metas, "content-language", "dc.language")
    if not language:
        # A header without content declares nothing (it used to give the language "None").
        http_equiv = next((m for m in page.metas if "content-language" in (m.get("http-equiv") or "").lower()),
                          None)
        language = http_equiv.get("content") if http_equiv is not None else None

    keywords_raw = _pick(metas, "keywords", "news_keywords")
    meta: dict[str, object] = {
        k: v for k, v in metas.items() if k.startswith(("og:", "article:", "twitter:"))
    }
    return {
        "title": " ".join(title.split()) or None if title else None,
        "description": _pick(metas, "description", "og:description", "dc.description"),
        "date": date,
        "author": author,
        "url": url,
        "language": language or None,
        "keywords": [k.strip() for k in re.split(r"[,;]", keywords_raw or "") if k.strip()],
        "meta": meta,
    }


def _html_lang(markup: str) -> str | None:
    """The ``lang`` (else ``xml:lang``) attribute of the page's ``<html>`` tag."""
    # Old pages declare other <html> tags in conditional comments (<!--[if IE 8]><html ...>).
    tag = _HTML_TAG.search(_COMMENT.sub("", markup[:_HEAD_CHARS]))
    if tag is None:
        return None
    found: dict[bool, str] = {}
    for match in _LANG.finditer(tag.group(0)):
        value = next(v for v in match.groups()[1:] if v is not None).strip()
        found.setdefault(bool(match.group(1)), value)
    return found.get(False) or found.get(True) or None

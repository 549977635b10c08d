"""What an HTML page declares about itself, read by libxml2's parser without building a tree:
the attributes of its ``<meta>``, ``<link>`` and ``<time>`` elements, its JSON-LD scripts and
the text of its ``<title>`` and ``<h1>`` elements.

BeautifulSoup built its tree in Python, one call per tag, even keeping only these elements
(a third of the HTML extraction CPU). A tree built by lxml was as fast, but ~30 times the
page's size in memory, and libxml2 stops building one 2,048 elements deep, losing what follows;
a parser target sees every element and keeps only what is read here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

# Their strings are left out of a heading's or title's text, as bs4's get_text does.
_NOT_TEXT = frozenset({"script", "style", "template"})


@dataclass
class Text:
    """The strings of one element in document order, one per text node (as bs4 splits them)."""

    strings: list[str] = field(default_factory=list)
    children: int = 0  # elements inside it
    hidden: int = 0  # open elements inside it whose strings are left out


@dataclass
class Declared:
    """The elements a page's metadata is read from, in document order."""

    metas: list[dict[str, str]] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)
    times: list[dict[str, str]] = field(default_factory=list)
    ld_json: list[Text] = field(default_factory=list)  # <script type="application/ld+json">
    titles: list[Text] = field(default_factory=list)
    h1s: list[Text] = field(default_factory=list)


class _Target:
    """lxml parser target filling a ``Declared`` from the parser's events."""

    def __init__(self) -> None:
        self.found = Declared()
        self._open: list[tuple[str, Text | None]] = []  # every open element, with its capture
        self._capturing: list[Text] = []  # the open elements whose text is kept
        self._joined = False  # the last event was text: the next one continues its string

    def start(self, tag: str, attrib: Any) -> None:
        self._joined = False
        hidden = tag in _NOT_TEXT
        for text in self._capturing:
            text.children += 1
            text.hidden += hidden
        found = self.found
        capture: Text | None = None
        if tag == "meta":
            found.metas.append(dict(attrib))
        elif tag == "link":
            found.links.append(dict(attrib))
        elif tag == "time":
            found.times.append(dict(attrib))
        elif tag in ("title", "h1"):
            capture = Text()
            (found.titles if tag == "title" else found.h1s).append(capture)
        elif tag == "script" and "ld+json" in (attrib.get("type") or "").lower():
            capture = Text()
            found.ld_json.append(capture)
        if capture is not None:
            self._capturing.append(capture)
        self._open.append((tag, capture))

    def end(self, tag: str) -> None:
        self._joined = False
        if not self._open:
            return
        opened, capture = self._open.pop()
        if capture is not None:
            self._capturing.pop()  # the innermost capture: libxml2's events are balanced
        if opened in _NOT_TEXT:
            for text in self._capturing:
                text.hidden -= 1

    def data(self, chunk: str) -> None:
        for text in self._capturing:
            if text.hidden:
                continue
            if self._joined and text.strings:
                text.strings[-1] += chunk
            else:
                text.strings.append(chunk)
        self._joined = True

    def comment(self, _text: str) -> None:
        self._joined = False  # a comment ends a text node; its own text is not kept

    def pi(self, _target: str, _data: str | None = None) -> None:
        self._joined = False

    def close(self) -> Declared:
        return self.found


def declared(markup: str) -> Declared:
    """The page's declared elements; none for a page libxml2 finds empty. Parsed from UTF-8
    bytes: lxml refuses a ``str`` holding an XML encoding declaration. ``huge_tree``: without
    it libxml2 stops at a text of more than 10 MB, losing the elements after it."""
    target = _Target()
    parser = etree.HTMLParser(target=target, encoding="utf-8", recover=True, no_network=True, huge_tree=True)
    try:
        return etree.fromstring(markup.encode("utf-8", "surrogatepass"), parser)  # type: ignore[no-any-return]
    except (etree.LxmlError, ValueError):
        return target.found


def text_of(element: Text) -> str:
    """What bs4's ``get_text(" ", strip=True)`` gives."""
    return " ".join(s.strip() for s in element.strings if s.strip())

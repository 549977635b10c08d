"""What the Whoosh backend files for a document, computed without Whoosh.

Extraction workers analyse each document here and encode its postings as Whoosh's formats do,
so that the single writer process only files them. This module imports pure-Python core code
only: the workers never load Whoosh (``tests/test_architecture.py`` checks it;
``tests/engine/test_whoosh_internals.py`` that ``TEXT_FIELDS`` is the schema's and that the
postings are those Whoosh's own formats make).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from struct import Struct
from typing import Any

from kb.analysis import Analyzer
from kb.model import Document
from kb.practice import PRACTICE_FACETS
from kb.sectioning import sections_of
from kb.sections import SECTION_PREFIX
from kb.snippets import PAGE_BREAK, SCAN_CHARS
from kb.vocabulary import default_vocabulary

ENGINE = "whoosh"  # the name ``kb.model.Prepared`` carries
Terms = dict[str, list[str]]  # field name -> its terms, in order
# One term of one field of a document: its UTF-8 bytes, its frequency and the value Whoosh's
# format stores for it (the positions, or the frequency alone).
Posting = tuple[bytes, int, bytes]
Postings = dict[str, list[Posting]]  # field name -> its postings, one per distinct term


@dataclass(frozen=True)
class Analysis:
    """A document's terms, field by field, and the words of its title and body: each
    distinct word unstemmed (folded), and how the document writes those it writes otherwise
    (``forms``: "folded<TAB>as written", accents kept, lower case but for capitals)."""

    terms: Terms
    words: tuple[str, ...]
    forms: tuple[str, ...]


@dataclass(frozen=True)
class Filing:
    """What the writer files for a document: each field's postings, and the words and
    forms its segment's word list gains (``internals.wordlists``: prefixes and spelling
    read it)."""

    postings: Postings
    words: tuple[str, ...]
    forms: tuple[str, ...]


# (name, stemmed, stored) of every field of the schema (``schema.build_schema``) analysed by
# our French analyzer, in the schema's order.
TEXT_FIELDS: tuple[tuple[str, bool, bool], ...] = (
    ("author", True, True),
    ("body", True, True),
    ("headings", True, False),
    ("summary", True, True),
    ("title", True, True),
)
_UINT = Struct("!I")  # whoosh.system.pack_uint
_analyzers: dict[bool, Analyzer] = {}


def analyzer_of(stemming: bool) -> Analyzer:
    """The analyzer of the fields with (or without) stemming, made once per process."""
    found = _analyzers.get(stemming)
    if found is None:
        found = _analyzers[stemming] = Analyzer(stemming=stemming)
    return found


def fields_of(doc: Document, added: str | None = None) -> dict[str, Any]:
    """The value of each field of the schema for ``doc`` (texts as text, not yet analysed)."""
    body = PAGE_BREAK.join(doc.pages) if doc.pages else doc.text
    bodies, schemes = default_vocabulary().split(doc.organisations)
    return {
        "id": doc.id,
        "path": doc.path,
        "title": doc.title,
        "headings": "\n".join(doc.headings),
        "summary": doc.summary,
        "body": body,
        "author": doc.author or "",
        "type": doc.type,
        "format": doc.format,
        "collection": doc.collection or "",
        "language": doc.language or "",
        "year": str(doc.year) if doc.year else "",
        "date": doc.date or "",
        "themes": ",".join(doc.themes),
        "organisations": ",".join(bodies),
        "schemes": ",".join(schemes),
        "territory": doc.territory or "",
        "added": added or "",
        "sections": ",".join(s.key for s in sections_of(doc)),
        **{name: ",".join(v.replace(",", " ") for v in doc.practice.get(name, ())) for name in PRACTICE_FACETS},
    }


def section_texts(doc: Document) -> dict[str, str]:
    """Each section's text, by index field (``sec_resultats``)."""
    return {SECTION_PREFIX + s.key: doc.text[s.start:s.end][:SCAN_CHARS] for s in sections_of(doc)}


def analyze(doc: Document) -> Analysis:
    """The terms of each analyzed field of ``doc``, in order, as the schema's own analyzers
    produce them (stop words leave no gap, so a term's position is its index), and the words
    of its title and body unstemmed.

    The body's terms start with the title's, the headings' and the summary's (most often
    repeated from the body: their words weigh more, as they did as fields of their own), so
    that every word of the document is in the body. Whoosh indexes a list of strings as
    consecutive tokens without running the analyzer."""
    fields_ = fields_of(doc)
    analyzer, plain = analyzer_of(True), analyzer_of(False)
    # Read once for two uses: the body's terms, and its words as written.
    body, written = analyzer.terms_and_words(fields_["body"])
    title, title_written = analyzer.terms_and_words(fields_["title"])
    headings, summary = (analyzer.terms(fields_[name]) for name in ("headings", "summary"))
    terms = {
        "author": analyzer.terms(fields_["author"]),
        "body": title + headings + summary + body,
        "headings": headings,
        "summary": summary,
        "title": title,
    }
    terms.update((name, analyzer.terms(text)) for name, text in section_texts(doc).items())
    words, forms = _words(written | title_written, plain)
    return Analysis(terms, words, forms)


def _words(written: set[str], plain: Analyzer) -> tuple[tuple[str, ...], tuple[str, ...]]:
    # One form per word and document, lower case preferred to capitals (a word written
    # "QUARTIER" in a title and "quartier" in the text is written "quartier"), then the first
    # in alphabetical order: the same whatever the order of the set. Only forms other than
    # the word itself are sent.
    chosen: dict[str, str] = {}
    for w in written:
        folded = plain.term(w)
        if folded is None:
            continue
        shown = w if w.isupper() else w.lower()
        kept = chosen.get(folded)
        if kept is None or (shown.isupper(), shown) < (kept.isupper(), kept):
            chosen[folded] = shown
    return tuple(chosen), tuple(f"{folded}\t{shown}" for folded, shown in chosen.items() if shown != folded)


def filing(doc: Document) -> Filing:
    """What the writer files for ``doc``: its postings encoded (``encode``), its words."""
    analysis = analyze(doc)
    return Filing(encode(analysis.terms), analysis.words, analysis.forms)


# A posting in memory: its tuple, its two bytes objects (a word, the positions) and its
# frequency, ~200 bytes for the short words and values of most postings; a word, ~60.
POSTING_BYTES = 200
WORD_BYTES = 60


def memory_of(filed: Filing) -> int:
    """About how many bytes ``filed`` takes in memory: an estimate, not an exact count."""
    words = len(filed.words) + len(filed.forms)
    return POSTING_BYTES * sum(len(field) for field in filed.postings.values()) + WORD_BYTES * words


def encode(terms: Terms) -> Postings:
    """Each field's terms as the postings Whoosh's ``Positions`` format makes of a list of
    terms: the writer files them as they are."""
    out: Postings = {}
    for name, words in terms.items():
        where: dict[str, list[int]] = {}
        for position, word in enumerate(words):
            found = where.get(word)
            if found is None:
                where[word] = [position]
            else:
                found.append(position)
        out[name] = [(w.encode(), len(p), _positions(p)) for w, p in where.items()]
    return out


def _positions(positions: list[int]) -> bytes:
    # whoosh.formats.Positions.encode: the count, then the pickled gaps (protocol 2).
    gaps = [positions[0]]
    gaps.extend(b - a for a, b in zip(positions, positions[1:], strict=False))
    return _UINT.pack(len(gaps)) + pickle.dumps(gaps, 2)

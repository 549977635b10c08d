"""What the Whoosh backend files for a document, computed without Whoosh.

Extraction workers analyse each document here and encode its postings as Whoosh's formats do,
so that the single writer process only files them. This module imports pure-Python core code
only: the workers never load Whoosh (``tests/test_architecture.py`` checks it;
``tests/engine/test_whoosh_internals.py`` that ``TEXT_FIELDS`` is the schema's and that the
postings are those Whoosh's own formats make).
"""

from __future__ import annotations

import pickle
from collections import Counter
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

# (name, stemmed, stored) of every field of the schema (``schema.build_schema``) analysed by
# our French analyzer, in the schema's order.
TEXT_FIELDS: tuple[tuple[str, bool, bool], ...] = (
    ("author", True, True),
    ("body", True, True),
    ("headings", True, False),
    ("spell", False, False),
    ("summary", True, True),
    ("title", True, True),
)
# Fields whose postings hold a frequency but no positions (Whoosh's ``Frequency`` format, not
# ``Positions``): no phrase is searched in them.
WITHOUT_POSITIONS = frozenset({"spell"})
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
        "spell": doc.title + "\n" + body,
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


def analyze(doc: Document) -> Terms:
    """The terms of each analyzed field of ``doc``, in order, as the schema's own analyzers
    produce them (stop words leave no gap, so a term's position is its index).

    The body's terms start with the title's, the headings' and the summary's (most often
    repeated from the body: their words weigh more, as they did as fields of their own), so
    that every word of the document is in the body. Whoosh indexes a list of strings as
    consecutive tokens without running the analyzer."""
    fields_ = fields_of(doc)
    analyzer, plain = analyzer_of(True), analyzer_of(False)
    # Read once for two fields: the body stemmed, and the spelling field's unstemmed words
    # (the title's, then the body's: "title\nbody" splits into the same words).
    body, body_words = analyzer.terms_with(fields_["body"], plain)
    title, headings, summary = (analyzer.terms(fields_[name]) for name in ("title", "headings", "summary"))
    terms = {
        "author": analyzer.terms(fields_["author"]),
        "body": title + headings + summary + body,
        "headings": headings,
        "spell": plain.terms(fields_["title"]) + body_words,
        "summary": summary,
        "title": title,
    }
    terms.update((name, analyzer.terms(text)) for name, text in section_texts(doc).items())
    return terms


def postings(doc: Document) -> Postings:
    """The postings of every analysed field of ``doc``, encoded (``encode``)."""
    return encode(analyze(doc))


# A posting in memory: its tuple, its two bytes objects (a word, the positions) and its
# frequency, ~200 bytes for the short words and values of most postings.
POSTING_BYTES = 200


def memory_of(postings: Postings) -> int:
    """About how many bytes ``postings`` take in memory: an estimate, not an exact count."""
    return POSTING_BYTES * sum(len(field) for field in postings.values())


def encode(terms: Terms) -> Postings:
    """Each field's terms as the postings Whoosh's ``Positions`` format (``Frequency`` for
    ``WITHOUT_POSITIONS``) makes of a list of terms: the writer files them as they are."""
    out: Postings = {}
    for name, words in terms.items():
        if name in WITHOUT_POSITIONS:
            # Counted in C, in order of first occurrence, as the positions below are.
            out[name] = [(w.encode(), n, _UINT.pack(n)) for w, n in Counter(words).items()]
            continue
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

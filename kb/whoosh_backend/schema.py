"""The Whoosh schema of the index, and the adapter that gives Whoosh our French analysis."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh import fields
from whoosh.analysis import Token as WToken
from whoosh.analysis import Tokenizer

from kb.analysis import Analyzer
from kb.practice import PRACTICE_FACETS
from kb.sections import SECTION_PREFIX

# Bump when the schema or the analysis changes: the index is then rebuilt from the catalog.
SCHEMA_VERSION = 12  # 2: "été" is no longer a stop word; 3: headings and summary unboosted;
# 4: the body's terms include the title, headings and summary; 5: those two indexed again;
# 6: accented endings stemmed, the title's weight given at query time; 7: ``added`` (when the
# document entered the base, the feeds' order) and ``schemes`` (dispositifs apart from
# organisations); 8: ``collection`` (the centre or source a document comes from); 9: practice-
# sheet sections (``sections`` and one ``sec_<key>`` field each); 10: practice-sheet metadata;
# 11: the tokenizer moved from kb.index to this module (the index's pickled schema names it);
# 12: the ``spell`` field gave way to each segment's word list (``internals.wordlists``)
INDEX_NAME = "kb"
VERSION_FILE = "kb-schema.json"  # the schema version an index was built with


class FrenchTokenizer(Tokenizer):  # type: ignore[misc]
    """Adapts ``kb.analysis.Analyzer`` to Whoosh's token stream protocol."""

    def __init__(self, stemming: bool = True) -> None:
        self.stemming = stemming
        self._analyzer = Analyzer(stemming=stemming)

    def __getstate__(self) -> dict[str, Any]:
        # The schema is pickled into the index: keep the word cache out of it.
        return {"stemming": self.stemming}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["stemming"])  # type: ignore[misc]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FrenchTokenizer) and other.stemming == self.stemming

    def __hash__(self) -> int:
        return hash(("FrenchTokenizer", self.stemming))

    def __call__(self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
                 removestops: bool = True, start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", **kwargs: Any) -> Iterator[WToken]:
        token = WToken(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for t in self._analyzer.tokens(value):
            token.text = t.term
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = value[t.start : t.end]
            if positions:
                token.pos = start_pos + t.pos
            if chars:
                token.startchar = start_char + t.start
                token.endchar = start_char + t.end
            yield token


def build_schema() -> fields.Schema:
    """The fields of the index (``prepare.TEXT_FIELDS`` lists those our analyzer reads)."""
    # The body field indexes every word of the document (title, headings and summary too, see
    # ``prepare.analyze``), so a word is found in title and body alone; the title is indexed apart for
    # its weight, headings and summary for a bonus given to the best matches only (query.py).
    # Only the title is boosted: headings and summary are mostly taken from the body itself,
    # and boosting them counted the same words twice (bench/relevance/README.md).
    french = FrenchTokenizer()
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        path=fields.ID(stored=True),
        title=fields.TEXT(analyzer=french, stored=True),
        headings=fields.TEXT(analyzer=french),
        summary=fields.TEXT(analyzer=french, stored=True),
        body=fields.TEXT(analyzer=french, stored=True),
        author=fields.TEXT(analyzer=french, stored=True),
        type=fields.ID(stored=True, sortable=True),
        format=fields.ID(stored=True, sortable=True),
        collection=fields.ID(stored=True, sortable=True),
        language=fields.ID(stored=True),
        year=fields.ID(stored=True, sortable=True),
        date=fields.ID(stored=True, sortable=True),
        themes=fields.KEYWORD(stored=True, commas=True),
        organisations=fields.KEYWORD(stored=True, commas=True),
        schemes=fields.KEYWORD(stored=True, commas=True),
        territory=fields.KEYWORD(stored=True, commas=True),
        # ISO timestamp from the catalog (``added_at``), not from the document: sorting on it
        # lists what entered the base last, whatever the document's own date.
        added=fields.ID(stored=True, sortable=True),
        # The keys of the practice-sheet sections a document has (the Section facet)...
        sections=fields.KEYWORD(stored=True, commas=True),
        # Practice-sheet metadata (kb.practice), one facet each.
        **{name: fields.KEYWORD(stored=True, commas=True) for name in PRACTICE_FACETS},
    )
    # ...and the text of each, searched on its own (``resultats:insertion``).
    schema.add(SECTION_PREFIX + "*", fields.TEXT(analyzer=french), glob=True)
    return schema


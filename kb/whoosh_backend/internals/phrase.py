"""A phrase checked at chosen documents only, with whoosh 2.7.5's span matcher built by hand.

Relies on: ``whoosh.query.spans.SpanNear2.SpanNear2Matcher`` and its private ``_get_spans``,
which reads the attributes ``ms``, ``slop``, ``ordered`` and ``mindist`` (set here without the
constructor, whose scan is what this avoids) and the wrapped child set by
``WrappingMatcher.__init__``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh import query as wq
from whoosh.matching.binary import IntersectionMatcher
from whoosh.matching.wrappers import WrappingMatcher
from whoosh.query.spans import SpanNear2
from whoosh.util import make_binary_tree


def matcher_scores(matcher: Any, docnums: list[int]) -> Iterator[tuple[int, float]]:
    """The score of ``matcher`` at each of ``docnums`` (sorted) it matches, skipping to each."""
    for d in docnums:
        if not matcher.is_active():
            return
        if matcher.id() < d:
            matcher.skip_to(d)
            if not matcher.is_active():
                return
        if matcher.id() == d:
            yield d, float(matcher.score())


def phrase_scores(segment_searcher: Any, context: Any, phrase: wq.Phrase,
                  docnums: list[int]) -> Iterator[tuple[int, float]]:
    """What Whoosh's phrase matcher would score at each of ``docnums`` (same spans, same
    score: the sum of the words' scores, times the phrase's boost), without its scan."""
    field = phrase.fieldname
    reader = segment_searcher.reader()
    if field not in segment_searcher.schema:
        return
    words = []
    for word in phrase.words:
        word = segment_searcher.schema[field].to_bytes(word)
        if (field, word) not in reader:
            return
        words.append(wq.Term(field, word))
    matchers = [w.matcher(segment_searcher, context) for w in words]
    together = make_binary_tree(IntersectionMatcher, matchers)
    spans = SpanNear2.SpanNear2Matcher.__new__(SpanNear2.SpanNear2Matcher)
    # The attributes SpanNear2Matcher._get_spans reads, set without its constructor's scan.
    spans.ms, spans.slop, spans.ordered, spans.mindist = matchers, phrase.slop, True, 1
    WrappingMatcher.__init__(spans, together)
    for d, score in matcher_scores(together, docnums):
        if spans._get_spans():
            yield d, score * phrase.boost

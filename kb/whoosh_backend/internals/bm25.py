"""Whoosh's BM25F, scoring with the kept field lengths (``lengths.FieldLengths``).

Relies on whoosh 2.7.5's ``scoring.BM25F`` (its ``_field_B``, ``B`` and ``K1``) and on
``scoring.BM25FScorer``, whose constructor is replaced (the attributes ``idf``, ``avgfl``,
``B``, ``K1``, ``qf`` and ``dfl`` are set here) while its ``_score`` is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from whoosh import scoring

from kb.whoosh_backend.internals.lengths import FieldLengths


def field_b(weighting: scoring.BM25F, fieldname: str) -> float:
    """The B parameter ``weighting`` uses for ``fieldname``."""
    return float(weighting._field_B.get(fieldname, weighting.B))


class CachedBM25F(scoring.BM25F):  # type: ignore[misc]
    """Whoosh's BM25F (same parameters, same scores), reading lengths from ``FieldLengths``."""

    def __init__(self, lengths: FieldLengths, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lengths = lengths

    def scorer(self, searcher: Any, fieldname: str, text: Any, qf: float = 1) -> Any:
        """Whoosh's BM25F scorer, reading field lengths from the kept columns when it can."""
        lookup = self._lengths.lookup(searcher, fieldname) if searcher.schema[fieldname].scorable else None
        if lookup is None:
            return super().scorer(searcher, fieldname, text, qf=qf)
        average = self._lengths.average(searcher.get_parent(), fieldname)
        return _LengthsScorer(searcher, fieldname, text, field_b(self, fieldname), self.K1, qf, lookup, average)


class _LengthsScorer(scoring.BM25FScorer):  # type: ignore[misc]
    """Whoosh's BM25F scorer, minus the term lookup its constructor makes for the term's best
    possible score: only skipping blocks needs that score (our searches score every match),
    and the posting reader looks the term up again anyway. At 100,000 documents, half of the
    time of scoring the best matches' bonus was spent creating scorers."""

    def __init__(self, searcher: Any, fieldname: str, text: Any, B: float, K1: float, qf: float,
                 dfl: Callable[[int], float], avgfl: float) -> None:
        parent = searcher.get_parent()  # global statistics, as Whoosh's scorer takes them
        self.idf = parent.idf(fieldname, text)
        self.avgfl = avgfl
        self.B, self.K1, self.qf = B, K1, qf
        self.dfl = dfl
        self._term = (searcher, fieldname, text)
        self._maxquality: float | None = None

    def max_quality(self) -> float:
        if self._maxquality is None:
            searcher, fieldname, text = self._term
            info = searcher.term_info(fieldname, text)
            self._maxquality = self._score(info.max_weight(), info.min_length())
        return self._maxquality

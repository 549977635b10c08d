"""Ranking metrics over graded judgments (0-3). Pure functions, no I/O.

- nDCG@k: gain 2^grade - 1, discount log2(rank + 1); the ideal ranking sorts every judged
  document of the query by grade. Unjudged documents count as grade 0.
- MRR: 1 / rank of the first *relevant* document (grade >= RELEVANT), 0 if none in the list.
- recall@k: share of the relevant documents (grade >= RELEVANT) found in the first k.

Groups (``grouped``): copies, other formats and versions of one document (kb.kinship) are one
result in the product, shown once with links to the others. Every system is scored on groups:
a ranking lists each group once (its first member), a group's grade is the best of its
members', so listing three editions of one standard counts once, for every system alike.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

RELEVANT = 2  # grade 1 = marginal: counts in nDCG only


def dcg(grades: Sequence[int]) -> float:
    return float(sum((2**g - 1) / math.log2(rank + 1) for rank, g in enumerate(grades, 1)))


def ndcg(ranking: Sequence[str], judgments: Mapping[str, int], k: int = 10) -> float:
    ideal = dcg(sorted(judgments.values(), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([judgments.get(doc, 0) for doc in ranking[:k]]) / ideal


def reciprocal_rank(ranking: Sequence[str], judgments: Mapping[str, int]) -> float:
    for rank, doc in enumerate(ranking, 1):
        if judgments.get(doc, 0) >= RELEVANT:
            return 1.0 / rank
    return 0.0


def recall(ranking: Sequence[str], judgments: Mapping[str, int], k: int = 20) -> float:
    relevant = {d for d, g in judgments.items() if g >= RELEVANT}
    if not relevant:
        return 0.0
    return len(relevant & set(ranking[:k])) / len(relevant)


def precision(ranking: Sequence[str], expected: set[str], k: int = 3) -> float:
    """Share of the first ``k`` results that are expected (missing results count as misses)."""
    return len(set(ranking[:k]) & expected) / k


def grouped(ranking: Sequence[str], judgments: Mapping[str, int],
            group_of: Mapping[str, str]) -> tuple[list[str], dict[str, int]]:
    """``ranking`` and ``judgments`` on groups: each document replaced by its group's key
    (itself when alone), later members of a group already listed dropped, and a group's
    grade the best of its members'."""
    seen: set[str] = set()
    keys = []
    for doc in ranking:
        key = group_of.get(doc, doc)
        if key not in seen:
            seen.add(key)
            keys.append(key)
    grades: dict[str, int] = {}
    for doc, grade in judgments.items():
        key = group_of.get(doc, doc)
        grades[key] = max(grades.get(key, 0), grade)
    return keys, grades


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0

"""Ranking metrics over graded judgments (0-3). Pure functions, no I/O.

- nDCG@k: gain 2^grade - 1, discount log2(rank + 1); the ideal ranking sorts every judged
  document of the query by grade. Unjudged documents count as grade 0.
- MRR: 1 / rank of the first *relevant* document (grade >= RELEVANT), 0 if none in the list.
- recall@k: share of the relevant documents (grade >= RELEVANT) found in the first k.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

RELEVANT = 2  # grade 1 = marginal: counts in nDCG only


def dcg(grades: Sequence[int]) -> float:
    return sum((2**g - 1) / math.log2(rank + 1) for rank, g in enumerate(grades, 1))


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


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0

"""When segments are merged: a tiered policy applied at every commit.

Every commit of a large indexing run writes one segment (a batch of ``kb index``). A search
opens each segment's posting lists for each word, so its cost grows with their number (20
segments at 100,000 documents: one instead gave -39 % at p50). Merging every segment at each
commit would rewrite the whole index each time; Whoosh's default policy (a Fibonacci rule on
document counts) never merges batches of thousands of documents. Here segments are grouped in
tiers of similar size (each ``FACTOR`` times the one below) and the segments of a tier are
merged into one as soon as it holds ``FACTOR`` of them: a document is rewritten about once
per tier (log base ``FACTOR`` of the base's size), and a base keeps fewer than ``FACTOR``
segments per tier.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

FACTOR = 8  # segments of one tier merged together; each tier holds segments FACTOR times larger
SMALLEST = 1000  # documents: every segment smaller than this is in the first tier


def tier(documents: int) -> int:
    """The tier of a segment of ``documents`` documents (deleted ones included)."""
    return int(math.log(max(documents, SMALLEST) / SMALLEST, FACTOR))


def to_merge(sizes: Sequence[int]) -> list[int]:
    """The positions of the segments (of ``sizes`` documents each) the policy merges now:
    those of the lowest tier that holds ``FACTOR`` or more of them; none otherwise."""
    tiers: dict[int, list[int]] = {}
    for position, size in enumerate(sizes):
        tiers.setdefault(tier(size), []).append(position)
    for level in sorted(tiers):
        if len(tiers[level]) >= FACTOR:
            return tiers[level]
    return []


def tiered(writer: Any, segments: list[Any]) -> list[Any]:
    """Whoosh merge policy (``writer.commit(mergetype=tiered)``): the segments ``to_merge``
    chooses are read into the segment being written; the others are kept as they are."""
    from whoosh.reading import SegmentReader

    chosen = set(to_merge([segment.doc_count_all() for segment in segments]))
    for position in sorted(chosen):
        reader = SegmentReader(writer.storage, writer.schema, segments[position])
        writer.add_reader(reader)
        reader.close()
    return [segment for position, segment in enumerate(segments) if position not in chosen]

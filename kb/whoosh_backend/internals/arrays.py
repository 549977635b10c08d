"""Posting lists decoded into numpy arrays, a whole list at once.

Whoosh decodes a block's ids with a Python generator (one step per posting) and its matchers
cost method calls per posting; here each block's pickled (ids, weights, values) tuple is read
as it is stored and the ids are rebuilt with one cumulative sum over the whole list.

Relies on whoosh 2.7.5's W3 leaf matcher: ``_read_data`` and ``_data`` (a block's
delta-encoded ids, its weights as a tuple, one float or None), ``_byteids``,
``_blocklength``, ``_lastblock`` and ``_next_block``. Anything else is read through the
matcher's public ``id()`` / ``weight()`` calls, to the same arrays.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

import numpy as np

from kb.whoosh_backend.internals.postings import unfiltered

_W3_PARTS = ("_read_data", "_data", "_byteids", "_blocklength", "_lastblock", "_next_block")


def posting_arrays(matcher: Any) -> tuple[np.ndarray, np.ndarray]:
    """(docnums ascending as int64, weights as float64) of a posting list
    (``reader.postings``), deleted documents included. The weights are those Whoosh's
    matcher gives, to the bit: the scores computed from them are Whoosh's own."""
    matcher = unfiltered(matcher)
    if all(hasattr(matcher, a) for a in _W3_PARTS) and not matcher._byteids:
        return _w3_arrays(matcher)
    ids: list[int] = []
    weights: list[float] = []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float64)


def _w3_arrays(matcher: Any) -> tuple[np.ndarray, np.ndarray]:
    deltas: list[tuple[int, ...]] = []
    lengths: list[int] = []
    weights: list[np.ndarray] = []
    while matcher.is_active():
        if matcher._data is None:
            matcher._read_data()
        block_ids, block_weights = matcher._data[0], matcher._data[1]
        count = matcher._blocklength
        deltas.append(block_ids)
        lengths.append(count)
        if block_weights is None:
            weights.append(np.ones(count))
        elif isinstance(block_weights, float):
            # Whoosh turns one weight for the whole block into a float32 array: so do we.
            weights.append(np.full(count, float(np.float32(block_weights))))
        else:
            weights.append(np.asarray(block_weights, dtype=np.float64))
        if matcher._lastblock:
            break
        matcher._next_block()
    total = sum(lengths)
    if not total:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    # Each block's first id is absolute and the others are deltas: one cumulative sum over the
    # list, minus the running total reached before each block.
    summed = np.cumsum(np.fromiter(chain.from_iterable(deltas), dtype=np.int64, count=total))
    ends = np.cumsum(lengths)
    before = np.concatenate(([0], summed[ends[:-1] - 1]))
    ids = summed - np.repeat(before, lengths)
    return ids, np.concatenate(weights)

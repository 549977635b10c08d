"""A segment's postings read a whole posting list at a time, for merging it into a new one."""

from __future__ import annotations

import pickle
import zlib
from array import array
from collections.abc import Iterator
from itertools import accumulate
from typing import Any

from whoosh.codec import whoosh3

from kb.whoosh_backend.internals.arrays import w3_blocks
from kb.whoosh_backend.internals.postings import deleted_docs


def segment_postings(reader: Any) -> Iterator[tuple[str, bytes, int, float, bytes | None]]:
    """Every posting of a segment but its deleted documents' (field, term, docnum, weight,
    value), in term order: what ``reader.iter_postings()`` gives, read a list at a time.

    Whoosh's way builds a matcher per term (a hash look-up of its term info, then a seek and a
    read for each block header and each block's ids, weights and values): 40 % of a merge.
    Here the term infos are read in order and each list in one read, its blocks unpickled
    whole. Other readers, and lists stored inside their term info, go through Whoosh.

    Relies on: ``SegmentReader._terms`` (``W3TermsReader``: ``items()``, ``_postfile``), the term
    info's ``is_inlined()`` and ``extent()``, a W3 list's layout (``arrays.w3_blocks``) and
    ``Format.fixed_value_size()``; checked byte for byte by tests/engine/test_prepared_postings.py."""
    terms = getattr(reader, "_terms", None)
    postfile = getattr(terms, "_postfile", None)
    if not isinstance(terms, whoosh3.W3TermsReader) or postfile is None:
        yield from reader.iter_postings()
        return
    deleted = deleted_docs(reader)
    schema = reader.schema
    for (fieldname, btext), info in terms.items():
        field = schema[fieldname] if fieldname in schema else None
        if field is None or info.is_inlined():
            matcher = reader.postings(fieldname, btext)
            while matcher.is_active():
                yield fieldname, btext, matcher.id(), matcher.weight(), matcher.value()
                matcher.next()
            continue
        fixed = field.format.fixed_value_size()
        offset, length = info.extent()
        for docnum, weight, value in _list_postings(postfile, offset, length, fixed):
            if docnum not in deleted:
                yield fieldname, btext, docnum, weight, value


def _list_postings(postfile: Any, offset: int, length: int | tuple[int],
                   fixed: int | None) -> Iterator[tuple[int, float, Any]]:
    """The (docnum, weight, value) of one W3 posting list, as Whoosh's leaf matcher reads them."""
    for count, compressed, _, data, _ in w3_blocks(postfile, offset, length):
        deltas, weights, values = pickle.loads(zlib.decompress(data) if compressed else data)
        if weights is None:
            weights = (1.0,) * count
        elif isinstance(weights, float):
            weights = tuple(array("f", [weights])) * count  # as the matcher rounds it
        if fixed == 0:
            values = (None,) * count
        elif fixed is not None and fixed > 0:
            values = tuple(values[i:i + fixed] for i in range(0, len(values), fixed))
        yield from zip(accumulate(deltas), weights, values, strict=True)

"""Posting lists decoded into numpy arrays, a whole list at once.

Whoosh decodes a block's ids with a Python generator (one step per posting) and its matchers
cost method calls per posting; here each block's pickled (ids, weights, values) tuple is read
as it is stored and the ids are rebuilt with one cumulative sum over the whole list.

Relies on whoosh 2.7.5's W3 posting format (``W3PostingsWriter``): a list is the magic
``W3Bl`` then blocks, each a signed big-endian int (its length, negative for the last), a
pickled (count, max id, max weight, compression, min length, max length) header and a pickled,
maybe zlib-compressed, (delta-encoded ids, weights as a tuple, one float or None, values) tuple,
whose values ``_ids_and_weights`` skips when they are pickled bytes; on its leaf matcher's
``_byteids``, ``_startoffset``, ``_length`` (the list's extent) and ``_postfile``; and on the W3
segment reader's ``_terms`` (a ``W3TermsReader``: ``term_info`` gives a list's extent) and
``_terms._postfile``. Anything else is read through the matcher's public
``id()`` / ``weight()`` calls, to the same arrays (without the blocks' places, so positions are
then left to Whoosh's matchers).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from itertools import chain
from pickle import load, loads
from struct import Struct
from typing import Any, NamedTuple

import numpy as np
from whoosh.codec import whoosh3
from whoosh.reading import TermNotFound

from kb.whoosh_backend.internals.postings import unfiltered

_W3_PARTS = ("_byteids", "_startoffset", "_length", "_postfile")
_W3_MAGIC = b"W3Bl"  # whoosh.codec.whoosh3.WHOOSH3_HEADER_MAGIC, at the start of every list
_INT = Struct("!i")  # a block's length, negative for the last one (whoosh.system's int)
_NO_IDS = np.zeros(0, dtype=np.int32)


@dataclass(frozen=True)
class PostingList:
    """A posting list decoded whole: docnums (ascending, int32) and weights (float32: Whoosh
    writes them so, and ``float64s()`` gives them back exactly), and,
    for W3 posting files, where each block's data lies (to read the positions of chosen
    documents without walking the blocks before them)."""

    ids: np.ndarray
    weights: np.ndarray
    starts: np.ndarray = field(default_factory=lambda: _NO_IDS)  # index in ``ids`` of each block's first posting
    offsets: tuple[int, ...] = ()  # each block's data: offset in the posting file,
    sizes: tuple[int, ...] = ()  # its length in bytes,
    compressed: tuple[bool, ...] = ()  # and whether it is compressed

    def __len__(self) -> int:
        return len(self.ids)

    def float64s(self, at: np.ndarray | None = None) -> np.ndarray:
        """The weights (those at ``at``) as float64: numpy computes a float32 array times a
        Python float in float32, which would round the scores."""
        chosen = self.weights if at is None else self.weights[at]
        return chosen.astype(np.float64)


EMPTY = PostingList(_NO_IDS, np.zeros(0, dtype=np.float32))


def posting_list(matcher: Any) -> PostingList:
    """The posting list of ``matcher`` (``reader.postings``) decoded whole."""
    matcher = unfiltered(matcher)
    if all(hasattr(matcher, a) for a in _W3_PARTS) and not matcher._byteids:
        return _w3_list(matcher)
    ids: list[int] = []
    weights: list[float] = []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return PostingList(np.asarray(ids, dtype=np.int32), np.asarray(weights, dtype=np.float32))


def read_list(reader: Any, field: str, text: bytes) -> PostingList:
    """The posting list of ``text`` in one segment reader's ``field``, decoded whole (deleted
    documents included); ``EMPTY`` when the segment does not hold it.

    A W3 segment's list is read from its term info's extent: ``reader.postings`` builds a
    matcher that reads the list's first block header a byte at a time, and the set of the
    segment's deletions, neither of which is needed here (a new search reads a dozen lists).
    Lists stored inline in their term info and other readers go through ``reader.postings``."""
    terms = getattr(reader, "_terms", None)
    if isinstance(terms, whoosh3.W3TermsReader) and hasattr(terms, "_postfile") and field in reader.schema:
        try:
            info = terms.term_info(field, text)
        except TermNotFound:
            return EMPTY
        if not info.is_inlined():
            offset, length = info.extent()
            return _w3_extent(terms._postfile, offset, length)
    try:
        return posting_list(reader.postings(field, text))
    except TermNotFound:
        return EMPTY


def values_at(postfile: Any, found: PostingList, indexes: list[int]) -> list[bytes] | None:
    """The stored value (encoded positions) of the postings at ``indexes`` of ``found``,
    reading only the blocks that hold them from ``postfile`` (a W3 matcher's ``_postfile``);
    None when ``found`` was not read from a W3 posting file or its values are not bytes."""
    if not found.offsets:
        return None
    out: list[bytes] = []
    blocks: dict[int, Any] = {}
    where = np.searchsorted(found.starts, indexes, side="right") - 1
    for index, block, start in zip(indexes, where.tolist(), found.starts[where].tolist(), strict=True):
        values = blocks.get(block)
        if values is None:
            data = postfile.get(found.offsets[block], found.sizes[block])
            values = blocks[block] = loads(zlib.decompress(data) if found.compressed[block] else data)[2]
            if not isinstance(values, tuple):
                return None
        out.append(values[index - start])
    return out


# Where a block's values begin in its pickled (ids, weights, values) tuple: Whoosh pickles bytes
# with protocol 2, as calls of _codecs.encode (a GLOBAL once, then memo references). Ids are
# integer opcodes and weights float opcodes (a "G" every 9 bytes) or None: neither can hold
# these 17 bytes, so their first occurrence is the values' start.
_VALUES_START = b"(c_codecs\nencode\n"


def _ids_and_weights(data: bytes, count: int) -> tuple[Any, Any]:
    """A block's ids and weights, without unpickling its values (the positions): one call of
    ``_codecs.encode`` per posting was ~95 % of a block's unpickling. The tuple is cut where the
    values begin and closed with None in their place; anything else (another layout, a
    result that does not hold ``count`` ids) is unpickled whole."""
    start = data.find(_VALUES_START)
    if start > 0:
        try:
            ids, weights, rest = loads(data[:start] + b"N\x87.")  # None, TUPLE3, STOP
        except Exception:  # noqa: BLE001 - not the layout expected: read it whole below
            rest = ()
        whole_weights = isinstance(weights, tuple) and len(weights) == count
        if rest is None and isinstance(ids, tuple) and len(ids) == count and (
                weights is None or isinstance(weights, float) or whole_weights):
            return ids, weights
    whole = loads(data)
    return whole[0], whole[1]


def _w3_list(matcher: Any) -> PostingList:
    return _w3_extent(matcher._postfile, matcher._startoffset, matcher._length)


class W3Block(NamedTuple):
    """One block of a W3 posting list, as stored."""

    size: int  # postings in the block
    compressed: bool  # ``data`` is zlib-compressed
    at: int  # where ``data`` starts in the posting file
    data: bytes  # the pickled (delta-encoded ids, weights, values) tuple
    last: int  # the block's last id (from its header)


def w3_blocks(postfile: Any, start: int, length: int | tuple[int]) -> Iterator[W3Block]:
    """The blocks of the W3 posting list at ``start`` of ``postfile``, its extent read at once."""
    # The list's whole extent in one read, its blocks parsed in memory: walking them through
    # the matcher cost a seek and a read call per byte of each pickled block header (pickle.load
    # on the posting file), more than reading the blocks' ids and weights.
    # A term info read back from disk holds its length as struct.unpack's 1-tuple.
    extent = postfile.get(start, length[0] if isinstance(length, tuple) else length)
    if extent[:4] != _W3_MAGIC:
        raise ValueError(f"not a W3 posting list at offset {start}")
    position = len(_W3_MAGIC)
    header = BytesIO(extent)
    while position < len(extent):
        (size,) = _INT.unpack_from(extent, position)
        following = position + _INT.size + abs(size)
        header.seek(position + _INT.size)
        count, last, _, compression, _, _ = load(header)
        data_at = header.tell()
        yield W3Block(count, bool(compression), start + data_at, extent[data_at:following], last)
        if size < 0:  # the last block
            break
        position = following


def _w3_extent(postfile: Any, start: int, length: int | tuple[int]) -> PostingList:
    # Each block's ids and weights stay Python tuples until one conversion per array: a
    # numpy call per block cost as much as the conversions themselves on lists of a few
    # blocks, the common length of a document page's key terms (0.13 -> 0.09 ms a list).
    deltas: list[tuple[int, ...]] = []
    weights: list[tuple[float, ...]] = []
    lengths: list[int] = []
    lasts: list[int] = []
    offsets: list[int] = []
    sizes: list[int] = []
    compressed: list[bool] = []
    for count, packed, at, data, last in w3_blocks(postfile, start, length):
        offsets.append(at)
        sizes.append(len(data))
        compressed.append(packed)
        block_ids, block_weights = _ids_and_weights(zlib.decompress(data) if packed else data, count)
        deltas.append(block_ids)
        lengths.append(count)
        lasts.append(last)
        if block_weights is None:
            weights.append((1.0,) * count)
        elif isinstance(block_weights, float):
            # One weight for the whole block: Whoosh repeats it into a float32 array.
            weights.append((block_weights,) * count)
        else:
            weights.append(block_weights)  # written from a float32 array: float32 holds them exactly
    total = sum(lengths)
    if not total:
        return EMPTY
    # Each block's first id is absolute and the others are deltas: made a delta from the
    # previous block's last id (its header's), one cumulative sum gives every id.
    steps = np.fromiter(chain.from_iterable(deltas), dtype=np.int64, count=total)
    starts = np.zeros(len(lengths), dtype=np.int64)
    if len(lengths) > 1:
        np.cumsum(lengths[:-1], out=starts[1:])
        steps[starts[1:]] -= np.asarray(lasts[:-1], dtype=np.int64)
    ids = np.cumsum(steps).astype(np.int32)
    flat_weights = np.fromiter(chain.from_iterable(weights), dtype=np.float32, count=total)
    return PostingList(ids, flat_weights, starts, tuple(offsets), tuple(sizes), tuple(compressed))


def postfile_of(reader: Any) -> Any:
    """The posting file of a W3 segment reader (``_terms._postfile``), or None."""
    return getattr(getattr(reader, "_terms", None), "_postfile", None)

"""A new segment's posting lists written a whole term at a time, byte for byte as whoosh 2.7.5's
W3 codec writes them.

Whoosh's ``FieldWriter.add_postings`` takes one posting at a time through five method calls
(``add``, ``add_posting`` with its type checks, the field length asked per posting, a block
object rebuilt per block, a term info filled block by block): at the end of ``kb index`` the
writer process spends most of its last commit there while the extraction workers sit idle.
The pool already holds each term's postings as one list, so each list is cut into blocks and
each block encoded here in one pass.

Relies on: ``W3FieldWriter`` (``start_field``, ``finish_field``, ``_postfile``, ``_tindex``,
``_fieldid``, ``_codec``), ``OrderedHashWriter`` (``dbfile``, ``buckets``, ``directory``, ``index``
and its ``array``, ``lastkey``, ``hashfn``, the layout of a record, ``_write_hashes`` as its
``close`` calls it), ``W3Codec._blocklimit`` / ``_compression`` / ``_inlinelimit``
(a list shorter than the inline limit, 1 in 2.7.5, is never written: only empty ones),
``W3TermInfo._struct``, and the block layout of ``W3PostingsWriter._write_block``. The tests
compare the files written here with Whoosh's own, byte for byte.
"""

from __future__ import annotations

import struct
import zlib
from array import array
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache
from hashlib import md5
from itertools import groupby
from operator import itemgetter, sub
from typing import Any

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3FieldWriter, W3TermInfo, dumps
from whoosh.filedb.filetables import OrderedHashWriter, md5_hash
from whoosh.system import emptybytes, pack_int, pack_ushort
from whoosh.util.numeric import length_to_byte

Entry = tuple[int, float, "bytes | None"]  # docnum, weight, encoded value
Term = tuple[str, bytes, list[Entry]]  # field, term bytes, postings in docnum order
_KEY_VALUE_LENGTHS = struct.Struct("!ii")  # whoosh.filedb.filetables._lengths

def can_write(fieldwriter: Any, codec: Any) -> bool:
    """Whether ``write_terms`` knows the layout this field writer writes."""
    return (type(fieldwriter) is W3FieldWriter and type(codec) is W3Codec
            and getattr(codec, "_inlinelimit", None) == 1)


def terms_of(postings: Iterable[tuple[str, bytes, int, float, bytes | None]]) -> Iterator[Term]:
    """Whoosh's posting stream, sorted by field and term then docnum, one term at a time."""
    for (fieldname, tbytes), group in groupby(postings, key=itemgetter(0, 1)):
        yield fieldname, tbytes, [(docnum, weight, vbytes) for _, _, docnum, weight, vbytes in group]


def write_terms(fieldwriter: Any, schema: Any, lengths: Any, doc_count: int, terms: Iterable[Term]) -> None:
    """Write every term of ``terms`` (in field then term order) as ``fieldwriter.add_postings``
    would, then leave the last field as its ``finish_field`` does. ``lengths`` gives the field
    lengths of the segment's ``doc_count`` documents.

    The bytes of the posting file and of the term table are gathered and written a megabyte
    at a time (``_Gathered``), not with a write per term, per record and (Whoosh's, at close)
    per hash slot; half the terms of a new segment have one posting (``_one_posting``)."""
    codec = fieldwriter._codec
    blocklimit, compression = codec._blocklimit, codec._compression
    posts = _Gathered(fieldwriter._postfile)
    table = _TermTable.of(fieldwriter._tindex)
    current = None
    prefix = b""
    lengths_of: Any = None
    fixedsize: int | None = None
    for fieldname, tbytes, entries in terms:
        if fieldname != current:
            if current is not None:
                fieldwriter.finish_field()
            fieldobj = schema[fieldname]
            fieldwriter.start_field(fieldname, fieldobj)
            current = fieldname
            prefix = pack_ushort(fieldwriter._fieldid)
            fixedsize = fieldobj.format.fixed_value_size()
            lengths_of = _lengths_reader(lengths, fieldname, doc_count)
        if entries[0][0] == -1:
            # Whoosh's pool marks words for a separate spelling graph with docnum -1, which sorts
            # first: they are never postings.
            entries = [e for e in entries if e[0] != -1]
            if not entries:
                continue
        if len(entries) == 1:
            data, info = _one_posting(entries[0], lengths_of, compression, fixedsize)
        else:
            data, info = _blocks(entries, lengths_of, blocklimit, compression, fixedsize)
        table.add(prefix + tbytes, info + _EXTENT.pack(posts.add(data), len(data)))
    posts.flush()
    table.flush()
    if current is not None:
        fieldwriter.finish_field()


FLUSH_BYTES = 1 << 20
_EXTENT = struct.Struct("!qi")  # where a term's postings are: pack_long(start) + pack_int(length)
_SLOT = struct.Struct("!Iq")  # whoosh.filedb.filetables._pointer


class _Gathered:
    """Bytes for a file, written in one call per ``FLUSH_BYTES``; ``add`` returns where its
    bytes start in the file."""

    def __init__(self, file: Any) -> None:
        self._file = file
        self._chunks: list[bytes] = []
        self._size = 0
        self._pos: int = file.tell()

    def add(self, data: bytes) -> int:
        pos = self._pos
        self._chunks.append(data)
        self._pos += len(data)
        self._size += len(data)
        if self._size >= FLUSH_BYTES:
            self.flush()
        return pos

    def flush(self) -> None:
        if self._chunks:
            self._file.write(emptybytes.join(self._chunks))
            self._chunks, self._size = [], 0


class _TermTable:
    """``tindex.add`` for Whoosh's ``OrderedHashWriter`` as whoosh 2.7.5 fills it (the order
    check, position index, record and hash bucket), the records gathered (``_Gathered``), the
    MD5 hash's low 32 bits read from its digest rather than its hex digits, and the hash
    tables written at close in one call (``_write_hashes``)."""

    def __init__(self, tindex: Any) -> None:
        self._tindex = tindex
        self._records = _Gathered(tindex.dbfile)
        self._positions: list[int] = []
        self._lastkey: bytes = tindex.lastkey
        tindex._write_hashes = lambda: _write_hashes(tindex)

    @staticmethod
    def of(tindex: Any) -> _TermTable | _Direct:
        """The table that adds terms to ``tindex``: this one for Whoosh's own, else its ``add``."""
        if type(tindex) is not OrderedHashWriter or tindex.hashfn is not md5_hash:
            return _Direct(tindex)
        return _TermTable(tindex)

    def add(self, key: bytes, value: bytes) -> None:
        if key <= self._lastkey:
            raise ValueError(f"Keys must increase: {self._lastkey!r}..{key!r}")
        pos = self._records.add(_KEY_VALUE_LENGTHS.pack(len(key), len(value)) + key + value)
        self._positions.append(pos)
        h = int.from_bytes(md5(key, usedforsecurity=False).digest()[-4:], "big")
        self._tindex.buckets[h & 255].append((h, pos))
        self._lastkey = key

    def flush(self) -> None:
        self._records.flush()
        _extend(self._tindex.index, self._positions)
        self._positions = []
        self._tindex.lastkey = self._lastkey


class _Direct:
    """Another term table: each term added by its own ``add``."""

    def __init__(self, tindex: Any) -> None:
        self.add = tindex.add

    def flush(self) -> None:
        pass


def _extend(index: Any, positions: list[int]) -> None:
    """``GrowableArray.extend`` (whoosh.util.numlists) in one call while the positions fit the
    array's type; past it, Whoosh's own, which retypes the array."""
    current = index.array
    if isinstance(current, array):
        try:
            current.extend(array(current.typecode, positions))
            return
        except OverflowError:
            pass
    index.extend(positions)


def _write_hashes(tindex: Any) -> None:
    """``HashWriter._write_hashes``: the same 256 open-addressing tables, written in one call
    instead of one per slot."""
    dbfile = tindex.dbfile
    pos = dbfile.tell()
    out: list[bytes] = []
    null = (0, 0)
    for entries in tindex.buckets:
        numslots = 2 * len(entries)
        tindex.directory.append((pos, numslots))
        hashtable = [null] * numslots
        for hashval, position in entries:
            slot = (hashval >> 8) % numslots
            while hashtable[slot] != null:
                slot = (slot + 1) % numslots
            hashtable[slot] = (hashval, position)
        out.extend(_SLOT.pack(h, p) for h, p in hashtable)
        pos += _SLOT.size * numslots
    dbfile.write(emptybytes.join(out))


def _lengths_reader(lengths: Any, fieldname: str, doc_count: int) -> Any:
    """``docnum -> field length`` as Whoosh's flush asks it, read once per document, or None
    when no document has a length in this field (a length of 0 counts for nothing)."""
    if lengths is None:
        return None
    column = getattr(lengths, "column", None)  # internals.writer._Lengths: read straight
    if column is not None:
        found = column(fieldname, doc_count)
    else:
        dfl = lengths.doc_field_length
        found = [dfl(docnum, fieldname) for docnum in range(doc_count)]
    return found.__getitem__ if found and any(found) else None


def _one_posting(entry: Entry, lengths_of: Any, compression: int, fixedsize: int | None) -> tuple[bytes, bytes]:
    """``_blocks`` for a list of one posting, without the lists of one value each."""
    docnum, weight, value = entry
    stored = _float32(weight)
    length = lengths_of(docnum) if lengths_of is not None else 0
    # As ``add_posting``: the block's largest weight is the weight given, not its float32.
    maxweight = max(0, weight)
    values: Any
    if fixedsize is None or fixedsize < 0:
        values = (value,) if value else ()
    elif fixedsize == 0:
        values = None
    else:
        values = value or emptybytes
    databytes = dumps(((docnum,), None if stored == 1.0 else stored, values), 2)
    if compression:
        databytes = zlib.compress(databytes, compression)
    lengthbyte = _length_byte(length) if length else 0
    infobytes = dumps((1, docnum, maxweight, compression, lengthbyte, lengthbyte), 2)
    data = emptybytes.join((WHOOSH3_HEADER_MAGIC, pack_int(-(len(infobytes) + len(databytes))),
                            infobytes, databytes))
    info: bytes = W3TermInfo._struct.pack(False, stored, 1, lengthbyte, lengthbyte, maxweight, docnum, docnum)
    return data, info


@lru_cache(maxsize=4096)
def _float32(weight: float) -> float:
    # A weight as a block's float32 array holds it; weights are few (frequencies times boosts).
    return array("f", (weight,))[0]


def _blocks(entries: list[Entry], lengths_of: Any, blocklimit: int, compression: int,
            fixedsize: int | None) -> tuple[bytes, bytes]:
    """One term's blocks, and its term info (without the extent) as W3TermInfo packs it.

    Most terms have one block of a few postings: the per-term work is what counts, so the
    columns are split by ``zip`` and the blocks joined in one call."""
    total_weight: float = 0
    minlength: Any = None
    maxlength: Any = 0
    maxweight: Any = 0
    count = len(entries)
    out = [WHOOSH3_HEADER_MAGIC]
    for offset in range(0, count, blocklimit):
        chunk = entries[offset:offset + blocklimit] if count > blocklimit else entries
        ids, raw_weights, raw_values = zip(*chunk, strict=True)
        weights = array("f", raw_weights)
        # As ``add_posting``: the block's largest weight is the weight given, not its float32.
        block_maxweight = max(0, *raw_weights)
        block_min: Any = None
        block_max: Any = 0
        if lengths_of is not None:
            found = [length for length in map(lengths_of, ids) if length]
            if found:
                block_min, block_max = min(found), max(found)
        # The term info gathers each block's figures as ``W3TermInfo.add_block`` does.
        total_weight += sum(weights)
        minlength = block_min if minlength is None else min(minlength, block_min)
        maxlength = max(maxlength, block_max)
        maxweight = max(maxweight, block_maxweight)
        data = (_delta(ids), _mini_weights(weights), _mini_values(raw_values, fixedsize))
        databytes = dumps(data, 2)
        if compression:
            databytes = zlib.compress(databytes, compression)
        infobytes = dumps((len(ids), ids[-1], block_maxweight, compression, _length_byte(block_min),
                           _length_byte(block_max)), 2)
        size = len(infobytes) + len(databytes)
        out += (pack_int(-size if offset + blocklimit >= count else size), infobytes, databytes)
    info: bytes = W3TermInfo._struct.pack(False, total_weight, count,
                                          0 if minlength is None else _length_byte(minlength),
                                          _length_byte(maxlength), maxweight, entries[0][0], entries[-1][0])
    return emptybytes.join(out), info


# Remembered: a few hundred distinct lengths, asked four times a term.
_length_byte = cache(length_to_byte)


def _delta(ids: tuple[int, ...]) -> tuple[int, ...]:
    if len(ids) == 1:
        return ids
    return tuple(map(sub, ids, (0, *ids[:-1])))


def _mini_weights(weights: array) -> Any:  # type: ignore[type-arg]
    count = len(weights)
    if weights.count(1.0) == count:
        return None
    first = weights[0]
    if weights.count(first) == count:
        return first
    return tuple(weights)


def _mini_values(values: tuple[bytes | None, ...], fixedsize: int | None) -> Any:
    if fixedsize is None or fixedsize < 0:
        return tuple(v for v in values if v)
    if fixedsize == 0:
        return None
    return emptybytes.join(v for v in values if v)

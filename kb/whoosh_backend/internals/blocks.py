"""A new segment's posting lists written a whole term at a time, byte for byte as whoosh 2.7.5's
W3 codec writes them.

Whoosh's ``FieldWriter.add_postings`` takes one posting at a time through five method calls
(``add``, ``add_posting`` with its type checks, the field length asked per posting, a block
object rebuilt per block, a term info filled block by block): at the end of ``kb index`` the
writer process spends most of its last commit there while the extraction workers sit idle.
The pool already holds each term's postings as one list, so each list is cut into blocks and
each block encoded here in one pass.

Relies on: ``W3FieldWriter`` (``start_field``, ``finish_field``, ``_postfile``, ``_tindex``,
``_fieldid``, ``_codec``), ``OrderedHashWriter`` (``dbfile``, ``buckets``, ``index``, ``lastkey``,
``hashfn``, the layout of a record), ``W3Codec._blocklimit`` / ``_compression`` / ``_inlinelimit``
(a list shorter than the inline limit, 1 in 2.7.5, is never written: only empty ones),
``W3TermInfo._struct``, and the block layout of ``W3PostingsWriter._write_block``. The tests
compare the files written here with Whoosh's own, byte for byte.
"""

from __future__ import annotations

import struct
import zlib
from array import array
from collections.abc import Iterable, Iterator
from functools import cache
from hashlib import md5
from itertools import groupby
from operator import itemgetter, sub
from typing import Any

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3FieldWriter, W3TermInfo, dumps
from whoosh.filedb.filetables import OrderedHashWriter, md5_hash
from whoosh.system import emptybytes, pack_int, pack_long, pack_ushort
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
    lengths of the segment's ``doc_count`` documents."""
    codec = fieldwriter._codec
    blocklimit, compression = codec._blocklimit, codec._compression
    postfile = fieldwriter._postfile
    add_term = _term_adder(fieldwriter._tindex)
    current = None
    lengths_of: Any = None
    fixedsize: int | None = None
    for fieldname, tbytes, entries in terms:
        if fieldname != current:
            if current is not None:
                fieldwriter.finish_field()
            fieldobj = schema[fieldname]
            fieldwriter.start_field(fieldname, fieldobj)
            current = fieldname
            fixedsize = fieldobj.format.fixed_value_size()
            lengths_of = _lengths_reader(lengths, fieldname, doc_count)
        if entries[0][0] == -1:
            # Whoosh's pool marks words for a separate spelling graph with docnum -1, which sorts
            # first: they are never postings.
            entries = [e for e in entries if e[0] != -1]
            if not entries:
                continue
        start = postfile.tell()
        info = _write_blocks(postfile, entries, lengths_of, blocklimit, compression, fixedsize)
        extent = pack_long(start) + pack_int(postfile.tell() - start)
        add_term(pack_ushort(fieldwriter._fieldid) + tbytes, info + extent)
    if current is not None:
        fieldwriter.finish_field()


def _term_adder(tindex: Any) -> Any:
    """``tindex.add`` for Whoosh's ``OrderedHashWriter`` (its order check, position index, record
    and hash bucket, as whoosh 2.7.5 fills them) with one write per term instead of three and
    the MD5 hash's low 32 bits read from its digest rather than its hex digits; any other
    writer's own ``add``."""
    if type(tindex) is not OrderedHashWriter or tindex.hashfn is not md5_hash:
        return tindex.add
    dbfile, buckets, index = tindex.dbfile, tindex.buckets, tindex.index
    pack_lengths = _KEY_VALUE_LENGTHS.pack

    def add(key: bytes, value: bytes) -> None:
        if key <= tindex.lastkey:
            raise ValueError(f"Keys must increase: {tindex.lastkey!r}..{key!r}")
        pos = dbfile.tell()
        index.append(pos)
        dbfile.write(pack_lengths(len(key), len(value)) + key + value)
        h = int.from_bytes(md5(key, usedforsecurity=False).digest()[-4:], "big")
        buckets[h & 255].append((h, pos))
        tindex.lastkey = key

    return add


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


def _write_blocks(postfile: Any, entries: list[Entry], lengths_of: Any, blocklimit: int, compression: int,
                  fixedsize: int | None) -> bytes:
    """Write one term's blocks; return its term info (without the extent) as W3TermInfo packs it.

    Most terms have one block of one or two postings: the per-term work is what counts, so the
    columns are split by ``zip`` and the blocks written in one call."""
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
    postfile.write(emptybytes.join(out))
    info: bytes = W3TermInfo._struct.pack(False, total_weight, count,
                                          0 if minlength is None else _length_byte(minlength),
                                          _length_byte(maxlength), maxweight, entries[0][0], entries[-1][0])
    return info


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

"""A new segment's posting lists written a whole term at a time, byte for byte as whoosh 2.7.5's
W3 codec writes them.

Whoosh's ``FieldWriter.add_postings`` takes one posting at a time through five method calls
(``add``, ``add_posting`` with its type checks, the field length asked per posting, a block
object rebuilt per block, a term info filled block by block): at the end of ``kb index`` the
writer process spends most of its last commit there while the extraction workers sit idle.
The pool already holds each term's postings as one list, so each list is cut into blocks and
each block encoded here in one pass.

Relies on: ``W3FieldWriter`` (``start_field``, ``finish_field``, ``_postfile``, ``_tindex``,
``_fieldid``, ``_codec``), ``W3Codec._blocklimit`` / ``_compression`` / ``_inlinelimit``
(a list shorter than the inline limit, 1 in 2.7.5, is never written: only empty ones),
``W3TermInfo._struct``, and the block layout of ``W3PostingsWriter._write_block``. The tests
compare the files written here with Whoosh's own, byte for byte.
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Iterable, Iterator
from itertools import groupby
from operator import itemgetter
from typing import Any

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3FieldWriter, W3TermInfo, dumps
from whoosh.system import emptybytes, pack_int, pack_long, pack_ushort
from whoosh.util.numeric import length_to_byte

Entry = tuple[int, float, "bytes | None"]  # docnum, weight, encoded value
Term = tuple[str, bytes, list[Entry]]  # field, term bytes, postings in docnum order

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
    postfile, tindex = fieldwriter._postfile, fieldwriter._tindex
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
        tindex.add(pack_ushort(fieldwriter._fieldid) + tbytes,
                   info + pack_long(start) + pack_int(postfile.tell() - start))
    if current is not None:
        fieldwriter.finish_field()


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
    """Write one term's blocks; return its term info (without the extent) as W3TermInfo packs it."""
    total_weight: float = 0
    minlength: Any = None
    maxlength: Any = 0
    maxweight: Any = 0
    count = len(entries)
    for offset in range(0, count, blocklimit):
        chunk = entries[offset:offset + blocklimit] if count > blocklimit else entries
        ids = [e[0] for e in chunk]
        raw_weights = [e[1] for e in chunk]
        weights = array("f", raw_weights)
        # As ``add_posting``: the block's largest weight is the weight given, not its float32.
        block_maxweight = max(0, *raw_weights)
        block_min: Any = None
        block_max: Any = 0
        if lengths_of is not None:
            for docnum in ids:
                length = lengths_of(docnum)
                if length:
                    if block_min is None or length < block_min:
                        block_min = length
                    if length > block_max:
                        block_max = length
        values = [v for e in chunk if (v := e[2])]
        if offset == 0:
            postfile.write(WHOOSH3_HEADER_MAGIC)
        # The term info gathers each block's figures as ``W3TermInfo.add_block`` does.
        total_weight += sum(weights)
        minlength = block_min if minlength is None else min(minlength, block_min)
        maxlength = max(maxlength, block_max)
        maxweight = max(maxweight, block_maxweight)
        data = (_delta(ids), _mini_weights(weights), _mini_values(values, fixedsize))
        databytes = dumps(data, 2)
        if compression:
            databytes = zlib.compress(databytes, compression)
        infobytes = dumps((len(ids), ids[-1], block_maxweight, compression, length_to_byte(block_min),
                           length_to_byte(block_max)), 2)
        size = len(infobytes) + len(databytes)
        postfile.write(pack_int(-size if offset + blocklimit >= count else size))
        postfile.write(infobytes)
        postfile.write(databytes)
    info: bytes = W3TermInfo._struct.pack(False, total_weight, count,
                                          0 if minlength is None else length_to_byte(minlength),
                                          length_to_byte(maxlength), maxweight, entries[0][0], entries[-1][0])
    return info


def _delta(ids: list[int]) -> tuple[int, ...]:
    previous = 0
    out = []
    for n in ids:
        out.append(n - previous)
        previous = n
    return tuple(out)


def _mini_weights(weights: array) -> Any:  # type: ignore[type-arg]
    if all(w == 1.0 for w in weights):
        return None
    first = weights[0]
    if all(w == first for w in weights):
        return first
    return tuple(weights)


def _mini_values(values: list[bytes], fixedsize: int | None) -> Any:
    if fixedsize is None or fixedsize < 0:
        return tuple(values)
    if fixedsize == 0:
        return None
    return emptybytes.join(values)

"""Writing to the Whoosh index: one writer per batch, committed, on disk, or cancelled."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from whoosh.codec.whoosh3 import W3Codec
from whoosh.writing import CLEAR

from kb.durability import sync_folder
from kb.model import Document, Prepared
from kb.sections import SECTION_PREFIX
from kb.snippets import SCAN_CHARS
from kb.whoosh_backend.internals.writer import Encoded, cache_lengths, open_writer, release
from kb.whoosh_backend.merging import tiered
from kb.whoosh_backend.prepare import ENGINE, TEXT_FIELDS, fields_of, filing

# Whoosh's in-memory posting pool, before it spills sorted runs to disk: 192 holds a batch of
# 5,000 small documents (spilling and merging runs was ~20 % of the writer's CPU at 64).
WRITER_POOL_MB = 192


class WhooshBatch:
    """Adds and deletes inside one writer; ``writing`` commits or cancels it."""

    def __init__(self, writer: Any) -> None:
        self._writer = writer

    def put(self, doc: Document, prepared: Prepared | None = None, new: bool = False,
            added: str | None = None) -> None:
        """Add or replace ``doc``; ``prepared`` (from ``kb.backend.prepare(doc)``) skips the
        analysis and the encoding of its postings.

        ``new``: the index cannot hold ``doc`` yet. Replacing looks the id up in every
        segment: ~15 % of the writer's CPU while indexing 100,000 new documents.
        ``added``: when the document entered the base (the catalog's ``added_at``)."""
        fields_ = fields_of(doc, added)
        filed = prepared.data if prepared is not None and prepared.engine == ENGINE else filing(doc)
        found = filed.postings
        for name, _, stored in TEXT_FIELDS:
            if stored:
                # Snippets, passages and key terms read no further than SCAN_CHARS: storing
                # more only made each hit of a huge document load all of it (the catalog
                # holds the whole text).
                fields_["_stored_" + name] = fields_[name][:SCAN_CHARS]
            # Filed as the worker encoded them; none, exactly like a text without terms.
            fields_[name] = Encoded(found.get(name, ()))
        fields_.update((name, Encoded(value)) for name, value in found.items() if name.startswith(SECTION_PREFIX))
        if new:
            self._writer.add_document(**fields_)
        else:
            self._writer.update_document(**fields_)
        self._writer.add_words(filed.words, filed.forms)

    def delete(self, doc_id: str) -> None:
        """Remove ``doc_id`` from the index (nothing happens if it is not there)."""
        self._writer.delete_by_term("id", doc_id)


@contextmanager
def writing(ix: Any, folder: Path, clear: bool = False) -> Iterator[WhooshBatch]:
    """One writer of ``ix``: commits on success (replacing everything when ``clear``) and
    flushes ``folder`` to disk, cancels on error, always releases Whoosh's lock, never
    swallows the error."""
    # limitmb bounds Whoosh's in-memory posting pool (it underestimates Python objects
    # about twice over; 256, with mmap still on, let kb index reach 2.8 GB at 100k).
    # Posting blocks are written uncompressed (each block records whether it is, so old
    # and new segments mix): zlib was ~12 % of a commit, for a ~25 % smaller index.
    writer = open_writer(ix, limitmb=WRITER_POOL_MB, codec=W3Codec(compression=0))
    try:
        cache_lengths(writer)
        yield WhooshBatch(writer)
    except BaseException:
        writer.cancel()
        raise
    try:
        writer.commit(mergetype=CLEAR if clear else tiered)
    except BaseException:
        # A commit cut short (Ctrl-C) must not keep Whoosh's lock in this process: the CLI
        # then replays the pending rows, which needs a new writer. Whether or not the TOC
        # was written, the rows are still pending, so the replay makes the index right.
        release(writer)
        raise
    # The commit reaches the disk before the caller records it anywhere (the catalog's rows):
    # Whoosh itself never fsyncs, and a power cut could otherwise lose a segment the catalog
    # counts on (``synchronous=FULL``).
    sync_folder(folder)

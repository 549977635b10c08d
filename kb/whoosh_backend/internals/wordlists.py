"""Each segment's word list, in a file of the segment's own: the distinct unstemmed (folded)
words of its documents, sorted, each with the number of documents holding it and, when they
mostly write it otherwise (accents, capitals), that written form.

Named ``<segment id>.kbw``, the file goes where the segment's other files go: into its
compound file when Whoosh assembles one, and away with them when the segment is merged away
(``whoosh.index.clean_files`` deletes every file named after a segment no longer listed).

Relies on: ``Segment.create_file`` and ``make_filename``, ``SegmentReader.segment`` and
``SegmentReader.storage`` (the compound file's storage when the segment has one), and
``Storage.file_exists`` / ``open_file``.
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from kb.durability import REBUILD_HINT
from kb.errors import DamagedIndex

EXT = ".kbw"


@dataclass(frozen=True)
class WordList:
    """A segment's words, sorted; the documents holding each (deleted ones included until
    the segment is merged, as Whoosh counts them); written forms that differ from the word."""

    words: list[str] = field(default_factory=list)
    documents: list[int] = field(default_factory=list)
    shown: dict[str, str] = field(default_factory=dict)


def listing(words: Counter[str], forms: Counter[str]) -> WordList:
    """The word list of documents whose words (folded) and forms ("folded<TAB>as written")
    were counted once per document: each word is shown in its most common way of writing,
    itself included (documents holding the word but none of its forms write it so)."""
    best: dict[str, tuple[int, str]] = {}
    otherwise: Counter[str] = Counter()  # documents writing the word in some other form
    for key, count in forms.items():
        folded, _, written = key.partition("\t")
        otherwise[folded] += count
        kept = best.get(folded)
        # Most documents first, then the first in alphabetical order (the same every time).
        if kept is None or (-count, written) < (-kept[0], kept[1]):
            best[folded] = (count, written)
    ordered = sorted(words)
    shown = {folded: written for folded, (count, written) in best.items()
             if count > words[folded] - otherwise[folded]}
    return WordList(ordered, [words[w] for w in ordered], shown)


def count_into(words: Counter[str], forms: Counter[str], listed: WordList) -> None:
    """Add a segment's word list to the counts of a segment that merges it in (its words
    shown otherwise count as written so in all their documents). A list cannot tell which
    of its words belonged to documents deleted since: they stay, counted, until ``kb
    rebuild``; readers check that a word's stem is still indexed (``kb.whoosh_backend.wordlists``)."""
    for word, documents in zip(listed.words, listed.documents, strict=True):
        words[word] += documents
        written = listed.shown.get(word)
        if written is not None:
            forms[word + "\t" + written] += documents


def write_words(storage: Any, segment: Any, listed: WordList) -> None:
    """Write ``listed`` as ``segment``'s word list, in ``storage`` (before the segment is
    assembled into its compound file)."""
    lines = []
    for word, documents in zip(listed.words, listed.documents, strict=True):
        written = listed.shown.get(word)
        lines.append(f"{word}\t{documents}" if written is None else f"{word}\t{documents}\t{written}")
    data = zlib.compress("\n".join(lines).encode("utf-8"), 1)
    f = segment.create_file(storage, EXT)
    try:
        f.write(data)
    finally:
        f.close()


def read_words(reader: Any) -> WordList:
    """The word list of the segment ``reader`` reads; empty for a segment that has none
    (written by Whoosh's own writer, which files no word list)."""
    storage = reader.storage()
    name = reader.segment().make_filename(EXT)
    if not storage.file_exists(name):
        return WordList()
    f = storage.open_file(name)
    try:
        data = bytes(f.read())
    finally:
        f.close()
    listed = WordList()
    try:
        text = zlib.decompress(data).decode("utf-8")
        for line in text.split("\n") if text else ():
            word, documents, *written = line.split("\t")
            listed.words.append(word)
            listed.documents.append(int(documents))
            if written:
                listed.shown[word] = written[0]
    except (zlib.error, UnicodeDecodeError, ValueError) as exc:
        # Like any other damaged file of the index: the searches that need it say so, and
        # ``kb rebuild`` writes it again from the catalog.
        raise DamagedIndex(f"{REBUILD_HINT} (liste de mots {name})") from exc
    return listed

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

import re
import zlib
from array import array
from collections import Counter
from collections.abc import Iterator
from typing import Any

from kb.durability import REBUILD_HINT
from kb.errors import DamagedIndex

EXT = ".kbw"
Entry = tuple[str, int, str | None]  # a word, the documents holding it, its written form if other
_LINE_END = re.compile(b"\n")
_LINE = rb"[^\t\n]+\t[0-9]+(?:\t[^\t\n]+)?"
_LINES = re.compile(rb"(?:%s\n)*%s" % (_LINE, _LINE))


class WordList:
    """A segment's words, sorted, each with the documents holding it (deleted ones included
    until the segment is merged, as Whoosh counts them) and its written form when other.

    Kept as the file's lines, UTF-8, with the offset of each. Held as Python strings,
    numbers and a dictionary of forms, the lists left the two server processes at 412-413 MB
    on a 100,000-document base (`bench.load`; 385 MB for the code before, on another base),
    over the 400 MB budget; as lines, that base's 85,000 words take 1.1 MB per process. UTF-8
    sorts as the words' code points do, so the lines are searched in halves as they are."""

    def __init__(self, data: bytes = b"") -> None:
        self._data = data
        # Offsets of each line's start, and one past the last line's end.
        self._starts = array("I", [0]) if data else array("I")
        if data:
            self._starts.extend(m.end() for m in _LINE_END.finditer(data))
            self._starts.append(len(data) + 1)

    def __len__(self) -> int:
        return max(0, len(self._starts) - 1)

    def _line(self, at: int) -> bytes:
        return self._data[self._starts[at]:self._starts[at + 1] - 1]

    def _key(self, at: int) -> bytes:
        line = self._line(at)
        return line[:line.index(b"\t")]

    def entry(self, at: int) -> Entry:
        """The word at position ``at``, its documents, its written form (None: the word itself)."""
        word, documents, *written = self._line(at).decode("utf-8").split("\t")
        return word, int(documents), written[0] if written else None

    def entries(self) -> Iterator[Entry]:
        return (self.entry(at) for at in range(len(self)))

    def find(self, word: str) -> int:
        """The position of ``word`` in the list, or -1."""
        key = word.encode("utf-8")
        at = self._first_at_or_after(key)
        return at if at < len(self) and self._key(at) == key else -1

    def word(self, at: int) -> str:
        """The word at position ``at``."""
        return self._key(at).decode("utf-8")

    def starting(self, prefix: str) -> Iterator[str]:
        """The words that start with ``prefix``, in alphabetical order."""
        return (self.word(at) for at in self.positions(prefix))

    def positions(self, prefix: str) -> Iterator[int]:
        """The positions of the words that start with ``prefix``, in order."""
        wanted = prefix.encode("utf-8")
        at = self._first_at_or_after(wanted)
        while at < len(self) and self._key(at).startswith(wanted):
            yield at
            at += 1

    def _first_at_or_after(self, key: bytes) -> int:
        low, high = 0, len(self)
        while low < high:
            middle = (low + high) // 2
            if self._key(middle) < key:
                low = middle + 1
            else:
                high = middle
        return low


def listing(words: Counter[str], forms: Counter[str]) -> list[Entry]:
    """The entries of the word list of documents whose words (folded) and forms ("folded<TAB>as
    written") were counted once per document: each word is shown in its most common way of
    writing, itself included (documents holding the word but none of its forms write it so)."""
    best: dict[str, tuple[int, str]] = {}
    otherwise: Counter[str] = Counter()  # documents writing the word in some other form
    for key, count in forms.items():
        folded, _, written = key.partition("\t")
        otherwise[folded] += count
        kept = best.get(folded)
        # Most documents first, then the first in alphabetical order (the same every time).
        if kept is None or (-count, written) < (-kept[0], kept[1]):
            best[folded] = (count, written)
    out: list[Entry] = []
    for word in sorted(words):
        found = best.get(word)
        shown = found[1] if found is not None and found[0] > words[word] - otherwise[word] else None
        out.append((word, words[word], shown))
    return out


def count_into(words: Counter[str], forms: Counter[str], listed: WordList) -> None:
    """Add a segment's word list to the counts of a segment that merges it in (its words
    shown otherwise count as written so in all their documents). A list cannot tell which
    of its words belonged to documents deleted since: they stay, counted, until ``kb
    rebuild``; readers check that a word's stem is still indexed (``kb.whoosh_backend.wordlists``)."""
    for word, documents, written in listed.entries():
        words[word] += documents
        if written is not None:
            forms[word + "\t" + written] += documents


def write_words(storage: Any, segment: Any, entries: list[Entry]) -> None:
    """Write ``entries`` as ``segment``'s word list, in ``storage`` (before the segment is
    assembled into its compound file)."""
    lines = [f"{word}\t{documents}" if written is None else f"{word}\t{documents}\t{written}"
             for word, documents, written in entries]
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
    try:
        text = zlib.decompress(data)
        # Checked once, as it is read, in C (reading 85,000 words took 0.06 s in all): UTF-8,
        # and lines of a word, its documents and maybe its form.
        text.decode("utf-8")
        if text and not _LINES.fullmatch(text):
            raise ValueError("not a word list")
    except (zlib.error, UnicodeDecodeError, ValueError) as exc:
        # Like any other damaged file of the index: the searches that need it say so, and
        # ``kb rebuild`` writes it again from the catalog.
        raise DamagedIndex(f"{REBUILD_HINT} (liste de mots {name})") from exc
    return WordList(text)

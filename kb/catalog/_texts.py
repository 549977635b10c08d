"""Reading documents' records from the catalog: whole, metadata only, or part by part
(a long document's part is read alone, through SQLite's incremental blob I/O)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace

from kb.catalog._packing import HEAD, PARTED, header_of, pack, unpack, unzjson
from kb.catalog._queries import Rows
from kb.catalog._rows import INDEXED
from kb.model import Document
from kb.parts import Part, part_of, split


class Texts(Rows):
    """The documents' records and texts."""

    def document(self, doc_id: str, text: bool = True) -> Document | None:
        """The record of ``doc_id``; without ``text``, its text and pages are left empty (and
        a long document's parts are not read)."""
        if text:
            row = self._db.execute("SELECT record FROM documents WHERE id = ?", (doc_id,)).fetchone()
            return unpack(row[0]) if row and row[0] else None
        with self._record(doc_id) as read:
            if read is None:
                return None
            start = read(0, HEAD)
            if not start.startswith(PARTED):
                return replace(unpack(read(0, -1)), text="", pages=())
            header, _ = header_of(start, read)
            data = header["doc"]
            data["text"], data["pages"] = "", []
            return Document.from_dict(data)

    def part(self, doc_id: str, number: int) -> Part | None:
        """Part ``number`` (from 1) of the text of ``doc_id``: of a long document, that part
        alone is read. None when the document or the part does not exist."""
        with self._record(doc_id) as read:
            if read is None:
                return None
            start = read(0, HEAD)
            if not start.startswith(PARTED):
                doc = unpack(read(0, -1))
                return part_of(doc.pages, doc.text, number)
            header, at = header_of(start, read)
            layout = header["parts"]
            if not 1 <= number <= len(layout):
                return None
            at += sum(part["size"] for part in layout[:number - 1])
            texts = unzjson(read(at, layout[number - 1]["size"]))
            pieces = zip(layout[number - 1]["pieces"], texts, strict=False)
            return Part(number, len(layout), header["pages"] > 0,
                        tuple((page, start_ > 0, text) for (page, start_, _), text in pieces))

    def text_chunks(self, doc_id: str) -> Iterator[str]:
        """The whole text of ``doc_id`` in consecutive chunks, a long one read chunk by chunk
        (nothing when the document has no record)."""
        with self._record(doc_id) as read:
            if read is None:
                return
            start = read(0, HEAD)
            if not start.startswith(PARTED):
                yield unpack(read(0, -1)).text
                return
            header, at = header_of(start, read)
        if not header["pages"]:
            for _, text in self.pieces(doc_id):
                yield text
            return
        at += sum(part["size"] for part in header["parts"])
        for size in header["text"]:
            with self._record(doc_id) as read:
                if read is None:  # removed meanwhile
                    return
                yield unzjson(read(at, size))
            at += size

    def pieces(self, doc_id: str) -> Iterator[tuple[int | None, str]]:
        """(page or None, text) of ``doc_id`` in order, part by part: a page's text is its
        consecutive pieces joined; an empty page is one empty piece."""
        number, count = 1, 1
        while number <= count:
            part = self.part(doc_id, number)
            if part is None:
                return
            count = part.count
            for page, _, text in part.blocks:
                yield page, text
            number += 1

    @contextmanager
    def _record(self, doc_id: str) -> Iterator[Callable[[int, int], bytes] | None]:
        """A reader of the stored record of ``doc_id`` by byte ranges (size -1: to the end),
        through SQLite's incremental blob I/O: only the bytes asked for are read."""
        row = self._db.execute("SELECT rowid FROM documents WHERE id = ? AND record IS NOT NULL",
                               (doc_id,)).fetchone()
        if row is None:
            yield None
            return
        with self._db.blobopen("documents", "record", row[0], readonly=True) as blob:
            def read(start: int, size: int) -> bytes:
                blob.seek(start)
                return blob.read(size)
            yield read

    def repack(self, ids: Iterable[str]) -> int:
        """Rewrite in parts those of ``ids`` whose long record an older version wrote whole
        (``kb rebuild`` passes the documents it found long); the content is unchanged, so a
        crash leaves either form."""
        count = 0
        for doc_id in ids:
            with self._record(doc_id) as read:
                if read is None or read(0, len(PARTED)) == PARTED:
                    continue
            doc = self.document(doc_id)
            if doc is None or len(split(doc.pages, doc.text)) == 1:
                continue
            with self._transaction() as db:
                db.execute("UPDATE documents SET record = ? WHERE id = ?", (pack(doc), doc_id))
            count += 1
        return count

    def documents(self, ids: Iterable[str] | None = None) -> Iterator[Document]:
        """Records of indexed documents (all of them when ``ids`` is None)."""
        if ids is None:
            cursor = self._db.execute("SELECT record FROM documents WHERE status = ? AND record IS NOT NULL",
                                      (INDEXED,))
            for (blob,) in cursor:
                yield unpack(blob)
            return
        for doc_id in ids:
            doc = self.document(doc_id)
            if doc is not None:
                yield doc

    def records(self) -> Iterator[tuple[Document, str]]:
        """Each indexed document with the date it entered the base (``added_at``)."""
        cursor = self._db.execute("SELECT record, added_at FROM documents WHERE status = ? AND record IS NOT NULL",
                                  (INDEXED,))
        for blob, added in cursor:
            yield unpack(blob), added


"""Whoosh's file storage with new files that know their own position.

Whoosh's segment writer asks each new file for its position several times per term (where a
posting list starts and ends, where each hash entry goes). A buffered file answers ``tell()``
with an ``lseek`` system call every time: 12 % of the writer process's profile while indexing
the shared French corpus (5 % of its CPU, measured in turn with and without). The files made
here count the bytes they write instead.

Relies on: ``FileStorage.create_file(name, excl, mode, **kwargs)`` returning a ``StructFile``
around an open file, and ``StructFile``'s writers going through ``write`` except
``write_pickle``, ``write_array`` and ``raw_file()`` users, after which the position is read
from the file again.
"""

from __future__ import annotations

from typing import Any

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile


class CountingFile(StructFile):  # type: ignore[misc]
    """A ``StructFile`` written from its start whose ``tell()`` is a counter, not a system call."""

    def __init__(self, fileobj: Any, name: str | None = None, onclose: Any = None) -> None:
        super().__init__(fileobj, name=name, onclose=onclose)
        self._pos: int | None = 0
        self._counting = True

    def write(self, data: Any) -> int:
        written: int = self.file.write(data)  # bytes written, whatever the buffer's type
        if self._pos is not None:
            self._pos += written
        return written

    def tell(self) -> int:
        pos = self._pos
        if pos is None:
            pos = self.file.tell()
            if self._counting:
                self._pos = pos
        return pos

    def seek(self, *args: Any) -> Any:
        self._pos = None
        return self.file.seek(*args)

    def truncate(self, *args: Any) -> Any:
        self._pos = None
        return self.file.truncate(*args)

    def write_pickle(self, obj: Any, protocol: int = -1) -> None:
        self._pos = None  # pickled straight into the file, past ``write``
        super().write_pickle(obj, protocol)

    def write_array(self, arry: Any) -> None:
        self._pos = None
        super().write_array(arry)

    def raw_file(self) -> Any:
        # Whoever holds the raw file may write past the counter: ask the file from now on.
        self._pos = None
        self._counting = False
        return self.file


class IndexStorage(FileStorage):  # type: ignore[misc]
    """The index folder: new files count their position (``CountingFile``)."""

    def create_file(self, name: str, excl: bool = False, mode: str = "wb", **kwargs: Any) -> Any:
        made = super().create_file(name, excl=excl, mode=mode, **kwargs)
        if mode != "wb" or made.file.tell() != 0:
            return made
        return CountingFile(made.file, name=made._name, onclose=made.onclose)

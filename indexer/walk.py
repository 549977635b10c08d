"""Walk the paths given to ``kb index`` and list the files found, in a stable order."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Found:
    """A regular file (``stat`` set) or a path that could not be read (``error`` set)."""

    path: Path
    size: int = 0
    mtime: float = 0.0
    error: str | None = None


def walk(paths: Iterable[Path]) -> Iterator[Found]:
    """Files under ``paths`` (files given directly are taken as they are). Hidden directories
    (``.git``…) are not entered; symbolic links to directories are not followed, so a loop
    cannot trap the walk. Each file is yielded once even if paths overlap."""
    seen: set[Path] = set()
    for root in paths:
        root = Path(os.path.abspath(root))
        if root.is_file():
            yield from _once(_found(root), seen)
            continue
        for dirpath, dirnames, filenames in os.walk(root, onerror=None, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                yield from _once(_found(Path(dirpath) / name), seen)


def _once(found: Found, seen: set[Path]) -> Iterator[Found]:
    if found.path not in seen:
        seen.add(found.path)
        yield found


def _found(path: Path) -> Found:
    try:
        st = path.stat()
    except OSError as exc:
        return Found(path, error=f"fichier inaccessible : {exc.strerror or exc}")
    if not path.is_file():
        return Found(path, error="n'est pas un fichier ordinaire")
    return Found(path, st.st_size, st.st_mtime)

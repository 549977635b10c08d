"""What an interrupted writer left in the index folder, found with Whoosh's table of contents.

Relies on whoosh 2.7.5's ``whoosh.index.TOC``: ``_latest_generation``, ``read`` (its
``segments``), ``_pattern`` and ``_segment_pattern`` (the file-name patterns Whoosh's own
clean-up, ``whoosh.index.clean_files``, decides with).
"""

from __future__ import annotations

from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC


def orphans(folder: Path, indexname: str) -> list[Path]:
    """What an interrupted writer (a killed ``kb rebuild``) left in the index folder: segment
    files the table of contents does not name, tables of contents of other generations or
    half-written, and Whoosh's temporary folders (``*.tmp``). Empty if the table of contents
    cannot be read (the index is then rebuilt, which clears everything)."""
    # Whoosh's own clean-up after a commit (whoosh.index.clean_files) decides with these
    # same patterns; it only runs at the next commit and never removes temporary folders.
    storage = FileStorage(str(folder), supports_mmap=False)
    try:
        generation = TOC._latest_generation(storage, indexname)
        if generation < 0:
            return []
        live = {segment.segment_id() for segment in TOC.read(storage, indexname, generation).segments}
    except Exception:  # noqa: BLE001 - a damaged table of contents is handled at opening
        return []
    toc_name = TOC._pattern(indexname)
    segment_name = TOC._segment_pattern(indexname)
    found = []
    for entry in sorted(folder.iterdir()):
        name = entry.name
        if entry.is_dir():
            if name.endswith(".tmp"):
                found.append(entry)
            continue
        toc = toc_name.match(name)
        if toc:
            if int(toc.group(1)) != generation:
                found.append(entry)
        elif name.startswith(f"_{indexname}_") and ".toc." in name:  # a TOC's temporary file
            found.append(entry)
        elif (segment := segment_name.match(name)) and segment.group(1) not in live:
            found.append(entry)
    return found

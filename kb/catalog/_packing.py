"""How a document's record is stored in its row: one zlib stream, or, for a long document,
parts compressed apart behind a header, so that one part can be read alone."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from typing import Any

from kb.model import Document
from kb.parts import PART_CHARS, split

# A long document's record keeps its text in parts, each compressed apart, after a header
# (metadata and where each part lies): a web page showing one part reads the header and that
# part only, not 20 million characters per request. Other records are one zlib stream, which
# never starts with these bytes (0x78).
PARTED = b"KBP1"
HEAD = len(PARTED) + 4  # the magic, then the compressed header's length


def zjson(value: object) -> bytes:
    """``value`` as compressed JSON."""
    return zlib.compress(json.dumps(value, ensure_ascii=False).encode("utf-8"), 6)


def unzjson(blob: bytes) -> Any:
    """The value ``zjson`` compressed."""
    return json.loads(zlib.decompress(blob).decode("utf-8"))


def pack(doc: Document) -> bytes:
    """The stored form of ``doc``'s record: whole, or in parts when it is long."""
    parts = split(doc.pages, doc.text)
    if len(parts) == 1:
        return zjson(doc.to_dict())
    data = doc.to_dict()
    del data["text"], data["pages"]
    blobs: list[bytes] = []
    layout = []
    for part in parts:
        texts = [(doc.pages[p.page - 1] if p.page else doc.text)[p.start:p.end] for p in part]
        blobs.append(zjson(texts))
        layout.append({"size": len(blobs[-1]), "pieces": [[p.page, p.start, p.end] for p in part]})
    # A paged document's text is kept too: it is not always exactly its pages joined.
    chunks = [zjson(doc.text[i:i + PART_CHARS]) for i in range(0, len(doc.text), PART_CHARS)] if doc.pages else []
    header = zjson({"doc": data, "pages": len(doc.pages), "parts": layout, "text": [len(c) for c in chunks]})
    return b"".join([PARTED, len(header).to_bytes(4, "big"), header, *blobs, *chunks])


def unpack(blob: bytes) -> Document:
    """The document a record stored by ``pack`` holds (either form)."""
    if not blob.startswith(PARTED):
        return Document.from_dict(unzjson(blob))
    header, at = header_of(blob[:HEAD], lambda start, size: blob[start:start + size])
    pieces: list[tuple[int | None, str]] = []
    for part in header["parts"]:
        texts = unzjson(blob[at:at + part["size"]])
        # A record written by an older version may hold fewer texts than pieces: keep what pairs.
        pieces.extend(zip((page for page, _, _ in part["pieces"]), texts, strict=False))
        at += part["size"]
    data = header["doc"]
    if header["pages"]:
        pages = [""] * header["pages"]
        for page, text in pieces:
            pages[(page or 1) - 1] += text  # every piece of a paged record has its page
        data["pages"] = pages
        chunks = []
        for size in header["text"]:
            chunks.append(unzjson(blob[at:at + size]))
            at += size
        data["text"] = "".join(chunks)
    else:
        data["pages"], data["text"] = [], "".join(text for _, text in pieces)
    return Document.from_dict(data)


def header_of(start: bytes, read: Callable[[int, int], bytes]) -> tuple[dict[str, Any], int]:
    """A parted record's header and the offset of its first part."""
    size = int.from_bytes(start[len(PARTED):HEAD], "big")
    return unzjson(read(HEAD, size)), HEAD + size


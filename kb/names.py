"""File names that are not valid UTF-8 (old Windows shares, zip archives): Python hands them
over with each undecodable byte as a lone surrogate (PEP 383), which opens the file but cannot
be written to SQLite, to the index, to JSON or to a terminal. These turn such text into text
every sink accepts."""

from __future__ import annotations

import re

# Lone surrogates: U+DC80..U+DCFF stand for the bytes 0x80..0xFF that did not decode.
_SURROGATES = re.compile("[\ud800-\udfff]+")


def printable(text: str) -> str:
    """``text`` with each undecodable byte shown as ``\\xNN``: exact and unambiguous enough to
    tell two such names apart (``caf\\xe9.txt``); any other lone surrogate becomes U+FFFD.
    Text without them is returned as it is."""
    if not _SURROGATES.search(text):
        return text
    return _SURROGATES.sub(lambda m: "".join(
        f"\\x{ord(c) - 0xDC00:02x}" if 0xDC80 <= ord(c) <= 0xDCFF else "\ufffd" for c in m.group()), text)


_SHOWN_BYTE = re.compile(r"\\x([89a-f][0-9a-f])")


def unprintable(text: str) -> str:
    """The name ``printable`` showed as ``text``: each ``\\xNN`` (NN from 80 to ff) back to the
    undecodable byte it stands for. A name may really hold such characters (``C:\\xa9``...):
    look the text up as it is first."""
    return _SHOWN_BYTE.sub(lambda m: chr(0xDC00 + int(m.group(1), 16)), text)


def readable(text: str) -> str:
    """``text`` with each run of undecodable bytes read as Windows-1252, the likeliest origin of
    such names (``café.txt``): a guess, good for a title, never for a path."""
    if not _SURROGATES.search(text):
        return text

    def decode(match: re.Match[str]) -> str:
        raw = match.group().encode("utf-8", "surrogateescape") if all(
            0xDC80 <= ord(c) <= 0xDCFF for c in match.group()) else b""
        return raw.decode("cp1252", "replace") if raw else "\ufffd"

    return _SURROGATES.sub(decode, text)


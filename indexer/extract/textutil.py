"""Text clean-up shared by every extractor: decoding, Unicode normalisation, PDF line repair."""

from __future__ import annotations

import codecs
import re
import unicodedata

from charset_normalizer import from_bytes

# Control characters break XML export, terminals and the index; \n and \t carry layout.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff\ufffe\uffff]")
_BLANK_RUNS = re.compile(r"\n{3,}")
# Only a run's first blank may start a match: without the lookbehind, a long run of blanks
# not followed by a newline is rescanned from each of its positions (quadratic time).
_TRAILING_SPACE = re.compile(r"(?<![ \t\u00a0])[ \t\u00a0]+\n")

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def normalize(text: str) -> str:
    """NFC, Unix newlines, no control characters, no trailing spaces, at most one blank line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text)
    text = _TRAILING_SPACE.sub("\n", text)
    text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip()


def bom_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark declares, if the data starts with one."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


_WESTERN = set(
    "àâäáãåçéèêëíìîïñóòôöõúùûüýÿœæøßÀÂÄÁÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜÝŸŒÆØ"
    "’‘“”«»…–—€°²³ºª§©®™•·×÷¼½¾£¥¢¡¿\u00a0"
)


def _looks_western(text: str) -> bool:
    """True when nearly all non-ASCII characters are Western European letters and signs."""
    high = [c for c in text if ord(c) > 127]
    if not high:
        return True
    return sum(c in _WESTERN for c in high) >= 0.9 * len(high)


# What decode() reports for UTF-8 whose invalid bytes were read as cp1252: not a codec name,
# it ends up in the document's flags ("encoding:utf-8+cp1252") as a trace of the repair.
UTF8_WITH_STRAYS = "utf-8+cp1252"
# Each byte as cp1252 reads it; its five unassigned bytes as the C1 controls normalize() drops.
_CP1252 = [bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256)]
_STRAY = re.compile("[\udc80-\udcff]")  # an invalid byte, as "surrogateescape" decodes it
_NON_ASCII = re.compile("[^\x00-\x7f]")


def _utf8_with_strays(data: bytes) -> str | None:
    """``data`` as UTF-8, its invalid bytes read as cp1252, when valid multi-byte UTF-8
    characters outnumber the invalid bytes; None otherwise (another encoding: in cp1252 or
    latin-1 text, nearly every accented letter is an invalid UTF-8 byte)."""
    text = data.decode("utf-8", errors="surrogateescape")
    strays = len(_STRAY.findall(text))
    if len(_NON_ASCII.findall(text)) - strays <= strays:
        return None
    return _STRAY.sub(lambda byte: _CP1252[ord(byte.group()) - 0xDC00], text)


def decode(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode bytes of unknown encoding; return ``(text, encoding used)``.

    Order: BOM, then the declared charset if Python knows it, strict UTF-8, UTF-8 with
    its few invalid bytes read as cp1252 (``UTF8_WITH_STRAYS``), cp1252 when it yields
    Western European text, the charset-normalizer guess, and cp1252 with replacement so
    that we never fail.
    """
    bom = bom_encoding(data)
    if bom:
        return data.decode(bom, errors="replace"), bom
    candidates = []
    if declared:
        try:
            candidates.append(codecs.lookup(declared.strip().strip("'\"")).name)
        except LookupError:
            pass
    candidates.append("utf-8")
    for name in candidates:
        try:
            return data.decode(name), name
        except (UnicodeDecodeError, LookupError):
            continue
    # A UTF-8 file cut mid-character or with one cp1252 byte pasted in: reading it all as
    # cp1252 turned every accent into mojibake ("prÃ©voit"), which _looks_western accepts.
    mixed = _utf8_with_strays(data)
    if mixed is not None:
        return mixed, UTF8_WITH_STRAYS
    # Our files are mostly French, and charset-normalizer guesses badly on short French
    # text (cp1252 read as mac_latin2 or cp1257: "comitť"). So cp1252 (a superset of
    # latin-1's letters) wins when the characters it yields are Western European ones.
    try:
        western = data.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    if western is not None and _looks_western(western):
        return western, "cp1252"
    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        try:
            return data.decode(best.encoding), best.encoding
        except (UnicodeDecodeError, LookupError):
            pass
    return data.decode("cp1252", errors="replace"), "cp1252"


# French words that stay hyphenated after a line-end hyphen ("elle-même", "c'est-à-dire").
_KEEP_HYPHEN_TAILS = {
    "même", "mêmes", "ci", "là", "il", "ils", "elle", "elles", "on", "nous", "vous", "je",
    "tu", "moi", "toi", "lui", "leur", "leurs", "eux", "y", "en", "dessus", "dessous", "delà",
    "à", "t",
}
# A word split at a line end: letter, hyphen (pdfium marks it U+FFFE), optional newline, letter.
# Possessive blanks: "[ \t]*\n?[ \t]*" could otherwise split a long run of blanks every way.
_SPLIT_WORD = re.compile(
    r"(\w)(?:[\ufffe\u00ad][ \t]*+\n?+|-[ \t]*+\n)[ \t]*+(\w)(\w*+)"
)


def _keeps_hyphen(head: str, last: str, first: str, tail: str) -> bool:
    word = (first + tail).lower()
    return (
        not first.islower()
        or not last.isalpha()
        or word in _KEEP_HYPHEN_TAILS
        or any(c in head for c in "./@:")  # URLs, e-mail addresses, domains
    )


def dehyphenate(text: str) -> str:
    """Rejoin words split across lines: "dévelop-\\npement" → "développement"."""
    # The head of the split word (its characters before the last letter, back to a blank or to
    # the previous join) is found by hand: a lazy "\S*?" before the letter made the regex
    # rescan a long token from each of its characters (17 s for 32,000 characters).
    out: list[str] = []
    pos = 0
    for match in _SPLIT_WORD.finditer(text):
        before = text[pos:match.start()]
        head = "" if not before or before[-1].isspace() else before.rsplit(None, 1)[-1]
        last, first, tail = match.groups()
        hyphen = "-" if _keeps_hyphen(head, last, first, tail) else ""
        out.append(f"{before}{last}{hyphen}{first}{tail}")
        pos = match.end()
    out.append(text[pos:])
    return "".join(out)


_SENTENCE_END = ".!?:;»\"”)"


def join_lines(text: str) -> str:
    """Join PDF lines that continue a paragraph; keep breaks before titles and list items.

    A line is glued to the previous one only when it starts with a lower-case letter and
    the previous one does not end a sentence: headings, bullets and numbered items start
    with something else, so their breaks survive.
    """
    out: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if (
            out
            and out[-1]
            and stripped
            and stripped[0].islower()
            and out[-1][-1] not in _SENTENCE_END
        ):
            out[-1] = f"{out[-1]} {stripped}"
        else:
            out.append(stripped)
    return "\n".join(out)


_SPACES = re.compile(r"[ \t\u00a0]{2,}")


def clean_pdf_page(text: str) -> str:
    """Page text from a PDF engine → readable paragraphs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = dehyphenate(text)
    text = _SPACES.sub(" ", text)
    return normalize(join_lines(text))


def first_line_title(text: str, max_len: int = 150) -> str | None:
    """The first non-empty line when it is short enough to be a title."""
    for line in text.splitlines():
        line = line.strip().strip("#").strip()
        if line:
            return line if len(line) <= max_len else None
    return None


def cap(text: str, max_chars: int, flags: list[str]) -> str:
    """Cut ``text`` to ``max_chars``, recording the cut in ``flags``."""
    if len(text) > max_chars:
        flags.append("truncated")
        return text[:max_chars]
    return text

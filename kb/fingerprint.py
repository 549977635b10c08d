"""Content fingerprints for finding copies, near-duplicates and versions of a document.

A fingerprint is a MinHash signature (Broder, "On the resemblance and containment of
documents", 1997) of the set of word shingles (runs of ``SHINGLE`` consecutive words) of the
normalised text: two documents' signatures agree at one position with probability equal to the
Jaccard resemblance of their shingle sets, so the share of equal positions estimates it.

The normalisation folds what differs between extractions of one content (a DOCX and its PDF
export, a re-saved file): case, accents, punctuation, whitespace and line breaks, words hyphenated
across a line end, and short numbers (page numbers, list numbering). Page headers repeated on each
PDF page remain: they add a few shingles per page, which lowers the resemblance a little (measured
in bench/duplicates/README.md).

The signature is stored as ASCII (base64 of ``PERMUTATIONS`` 32-bit values, 684 characters, with
a format tag, the shingle count and a hash of the normalised text: about 710), so it fits in a
JSON record. ``bands`` cuts it into LSH band keys (Indyk & Motwani 1998; Leskovec,
Rajaraman & Ullman, *Mining of Massive Datasets*, ch. 3): documents sharing a band key are the
candidates to compare, found through an ordinary SQL index on (band key) instead of comparing all
pairs.

Pure: no I/O, no environment, deterministic across processes and machines (stable hashes, fixed
seed), so a fingerprint computed today compares with one computed next year.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
import zlib
from functools import cache
from typing import TYPE_CHECKING, Any

# numpy: the signature is 128 hash permutations over up to 100,000 shingles (12.8 million
# multiply-adds): a few milliseconds vectorised, seconds in pure Python. Imported where it is
# used: every kb command loads this module (through the catalog's groups), and a process that
# never computes a fingerprint (kb serve's supervisor, kb --help) saves numpy's ~12 MB.
if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["PERMUTATIONS", "SHINGLE", "BANDS", "ROWS", "MAX_SHINGLES", "normalise", "words",
           "fingerprint", "resemblance", "bands", "EMPTY", "shingle_count", "content_hash"]

# Words per shingle. 3 keeps short texts (a legal article of 40 words, an RGAA criterion) with
# enough shingles to compare, while a single changed word only alters the 3 shingles that cover
# it. (Only 3 was measured on the judged pairs, bench/duplicates/README.md; 5 was not tried.)
SHINGLE = 3
# Signature length. The standard error of the estimated resemblance J is sqrt(J(1-J)/128):
# ±0.035 at J = 0.5, ±0.026 at J = 0.9, small against the gaps between the thresholds of
# kb.grouping. 128 × 32 bits = 512 bytes, 684 base64 characters.
PERMUTATIONS = 128
# LSH: the signature is cut into BANDS bands of ROWS rows; two documents are candidates when
# all ROWS values of at least one band agree. For a pair of resemblance J the probability of
# sharing at least one band is 1 - (1 - J**ROWS)**BANDS. With 32 bands of 4 rows:
#   J = 0.30 -> 1 - (1 - 0.0081)**32 = 0.23      (lowest judged versions: 0.18-0.35)
#   J = 0.40 -> 1 - (1 - 0.0256)**32 = 0.57
#   J = 0.50 -> 1 - (1 - 0.0625)**32 = 0.874
#   J = 0.60 -> 1 - (1 - 0.1296)**32 = 0.9880
#   J = 0.70 -> 1 - (1 - 0.2401)**32 = 0.99985
#   J = 0.10 -> 1 - (1 - 0.0001)**32 = 0.0032    (unrelated documents rarely collide)
# The threshold (1/BANDS)**(1/ROWS) = 0.42 is where the S-curve rises. Pairs below it that the
# grouping still wants (versions with a low resemblance) are found by their title or file-name
# key, which the caller indexes too (kb.grouping.name_key).
BANDS = 32
ROWS = PERMUTATIONS // BANDS
# Bound on the work for huge texts: at most MAX_CHARS characters are normalised, and at most
# MAX_SHINGLES distinct shingles enter the signature: those with the smallest base hash. This is
# consistent sampling (the same shingle is kept or dropped in every document whose threshold lies
# above or below its hash), so two copies keep the same sample and stay identical, and two large
# near-duplicates keep the same random subset of their common shingles: the resemblance of the
# samples estimates that of the full sets. Below the cap (about 100,000 words, 300 pages) every
# shingle counts. The character cap keeps a 20-million-character text under a second; a document
# whose first 4 million characters (about 1,500 pages) are the same as another's is its version.
MAX_SHINGLES = 100_000
MAX_CHARS = 4_000_000

_MERSENNE = (1 << 61) - 1
_MASK32 = 0xFFFFFFFF


@cache
def _permutations() -> tuple[Any, Any]:
    """The multipliers (odd) and addends of the PERMUTATIONS hash functions."""
    import numpy as np

    rng = np.random.default_rng(20240611)  # fixed seed: signatures must compare across runs
    a = rng.integers(1, (1 << 61) - 1, size=PERMUTATIONS, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, (1 << 61) - 1, size=PERMUTATIONS, dtype=np.uint64)
    return a, b

_HYPHEN_BREAK = re.compile(r"(\w)[-\u00ad\u2010]\s*\n\s*(\w)")
_SOFT = re.compile("[\u00ad\u200b\u200c\u200d\ufeff]")
_WORD = re.compile(rb"[a-z0-9]+")

# The fingerprint of a text without words: compares equal to itself only through the
# "identical" path of callers; resemblance() says 0.0 for it.
EMPTY = ""


def normalise(text: str) -> bytes:
    """Lower-case ASCII letters, digits and single spaces: accents, case, punctuation, line
    breaks and end-of-line hyphenation folded (so a DOCX and its PDF export normalise alike)."""
    text = text[:MAX_CHARS]
    text = _SOFT.sub("", text)
    text = _HYPHEN_BREAK.sub(r"\1\2", text)
    # NFKD splits "é" into "e" + a combining accent, and ligatures ("ﬁ") into letters; the
    # ASCII encoding then drops the accents (and any non-Latin character).
    folded = unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore")
    return b" ".join(_WORD.findall(folded))


def words(text: str) -> list[bytes]:
    """The normalised words that shingles are made of: short numbers (page numbers, list
    numbering, which a PDF adds and a DOCX does not) are left out."""
    return [w for w in normalise(text).split() if not (w.isdigit() and len(w) <= 3)]


def _shingle_hashes(tokens: list[bytes]) -> npt.NDArray[np.uint64]:
    """Distinct 61-bit hashes of the SHINGLE-word shingles (one shingle for a shorter text)."""
    import numpy as np

    if not tokens:
        return np.zeros(0, dtype=np.uint64)
    vocab: dict[bytes, int] = {}
    for w in tokens:
        if w not in vocab:
            vocab[w] = zlib.crc32(w) | (zlib.adler32(w) << 32)
    h = np.fromiter((vocab[w] for w in tokens), dtype=np.uint64, count=len(tokens))
    n = max(1, len(tokens) - SHINGLE + 1)
    acc = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(min(SHINGLE, len(tokens))):
            # Polynomial combination modulo 2**64 (wrapping), then a 64-bit mixer (splitmix64
            # finaliser) so that the bits are uniform.
            acc = acc * np.uint64(0x100000001B3) + h[j:j + n]
        acc ^= acc >> np.uint64(30)
        acc *= np.uint64(0xBF58476D1CE4E5B9)
        acc ^= acc >> np.uint64(27)
        acc *= np.uint64(0x94D049BB133111EB)
        acc ^= acc >> np.uint64(31)
    acc = np.unique(acc & np.uint64(_MERSENNE))
    if len(acc) > MAX_SHINGLES:
        acc = acc[:MAX_SHINGLES]  # np.unique sorts: the smallest hashes (consistent sampling)
    return acc


def _signature(hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint32]:
    import numpy as np

    a, b = _permutations()
    sig = np.full(PERMUTATIONS, 0xFFFFFFFF, dtype=np.uint64)
    # (a*x + b) mod 2**64, keep the high 32 bits: a universal family cheap in numpy (the
    # products wrap; the multiply-shift scheme of Dietzfelbinger et al. 1997).
    with np.errstate(over="ignore"):
        for start in range(0, len(hashes), 8192):
            chunk = hashes[start:start + 8192]
            perm = (np.outer(a, chunk) + b[:, None]) >> np.uint64(32)
            sig = np.minimum(sig, perm.min(axis=1))
    return (sig & np.uint64(_MASK32)).astype(np.uint32)


def fingerprint(text: str) -> str:
    """``m1:<shingles>:<content hash>:<signature>`` in ASCII (about 710 characters), or
    ``EMPTY`` for a text without words. <shingles> is the number of distinct shingles (callers
    use it to distrust resemblances of very short texts); <content hash> identifies the
    normalised word sequence (equal for exact copies, whatever their format or line breaks);
    <signature> is the base64 MinHash signature."""
    tokens = words(text)
    hashes = _shingle_hashes(tokens)
    if len(hashes) == 0:
        return EMPTY
    content = hashlib.blake2b(b" ".join(tokens), digest_size=8).hexdigest()
    signature = base64.b64encode(_signature(hashes).astype("<u4").tobytes()).decode("ascii")
    return f"m1:{len(hashes)}:{content}:{signature}"


def shingle_count(fp: str) -> int:
    """The number of distinct shingles the fingerprint was made from (0 for ``EMPTY``)."""
    return int(_parts(fp)[1]) if fp != EMPTY else 0


def content_hash(fp: str) -> str:
    """The hash of the normalised text: equal for exact copies ("" for ``EMPTY``)."""
    return _parts(fp)[2] if fp != EMPTY else ""


def _parts(fp: str) -> list[str]:
    parts = fp.split(":")
    if len(parts) != 4 or parts[0] != "m1":
        raise ValueError(f"not a fingerprint: {fp[:40]!r}")
    return parts


def _values(fp: str) -> npt.NDArray[np.uint32]:
    import numpy as np

    raw = base64.b64decode(_parts(fp)[3].encode("ascii"), validate=True)
    if len(raw) != 4 * PERMUTATIONS:
        raise ValueError(f"not a fingerprint of {PERMUTATIONS} values: {len(raw)} bytes")
    return np.frombuffer(raw, dtype="<u4")


def resemblance(a: str, b: str) -> float:
    """The estimated Jaccard resemblance of the two texts' shingle sets, 0.0 to 1.0."""
    if a == EMPTY or b == EMPTY:
        return 0.0
    import numpy as np

    return float(np.count_nonzero(_values(a) == _values(b))) / PERMUTATIONS


def bands(fp: str) -> list[str]:
    """LSH band keys of a fingerprint: index them; documents sharing a key are candidates.
    Each key names its band, so equal values in different bands never match."""
    if fp == EMPTY:
        return []
    values = _values(fp)
    keys = []
    for band in range(BANDS):
        chunk = values[band * ROWS:(band + 1) * ROWS].astype("<u4").tobytes()
        keys.append(f"{band:02d}{zlib.crc32(chunk):08x}")
    return keys

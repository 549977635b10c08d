"""Group copies, near-duplicates and versions of one document, and choose the member to show.

``related(a, b)`` decides from a pair's features:

- **copy**: the same normalised text (same content hash in the fingerprint), whatever the
  format, line breaks or location.
- **near**: the same document in another format (a DOCX and its PDF export, a Markdown page and
  the PDF of the same report) or lightly edited (re-saved, a few words changed), with no
  conflicting edition marker (date, version number) in the names.
- **version**: another edition of the same document: similar name or title once dates and
  version tokens are removed (``240208_…_v2024-02`` and ``260202_…_v2026-02``), and a lower but
  substantial resemblance; or a near-identical text under names that carry different editions
  (``v0.3`` and ``v1.0``).

The thresholds are measured on the judged pairs of bench/duplicates/pairs.tsv (figures in the
comments and in bench/duplicates/README.md). Yearly reports of a series (bilan 2023, 2024) and
meetings of a series (minutes, agendas) are different documents, not versions: a version is the
same document re-edited.

Pure: no I/O; the caller supplies fingerprints (kb.fingerprint) and catalogue facts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from kb.fingerprint import bands, content_hash, resemblance, shingle_count

__all__ = ["Member", "NameKey", "name_key", "related", "groups", "representative", "label",
           "FORMAT_RANK", "candidate_keys"]


@dataclass(frozen=True)
class Member:
    """One document of a possible group, as the catalogue knows it."""

    id: str
    fingerprint: str
    title: str | None
    format: str  # "pdf", "docx", "odt", "markdown", "html", "text", …
    date: str | None  # ISO 8601 (YYYY, YYYY-MM or YYYY-MM-DD…) or None
    path: str
    size: int


# --- thresholds (measured on bench/duplicates/pairs.tsv, tuning split "cnig", held out "other")
# Near-duplicates with a similar name or title: the lowest judged near pair is a web page and
# the PDF of the same report (betagouv bilan 2024, .md/.pdf: 0.66); the highest different pair
# with a similar name is 0.61 (two agendas of one working group, already excluded by their
# dates). 0.60 sits between.
NEAR = 0.60
# Near-duplicates on content alone (names unrelated, e.g. a renamed file): the highest judged
# different pair is 0.75 (two FAST pages built on one template, 80 words each); the renamed
# incubator page (MEN.md / menj.md) is 0.91.
NEAR_CONTENT = 0.85
# Versions with a similar name or title: the lowest judged version pairs reached directly are
# 0.31-0.35 (SRU level 1 2024-02 and 2026-03; the July 2023 working draft and the 2024-02 draft);
# the highest different pair of long documents with similar names is 0.27 (bilan 2023 and bilan
# 2024, different yearly reports) and 0.23 (SRU level 1 and level 2 of 2026, two standards).
VERSION = 0.30
# Versions under nearly the same name (name similarity >= STRONG_NAME) but heavily rewritten:
# SRU level 2 draft 2024-04 and release 2026-02 are 0.18-0.20; different documents with the
# same name or title reach 0.12-0.14 (a workshop guide and its synthesis, two comment tables,
# a data-model page and the standard).
VERSION_SAME_NAME = 0.15
# Names or titles are "similar" at this Jaccard similarity of their words (dates, version and
# edition words removed), "nearly the same" at STRONG_NAME.
SIMILAR_NAME = 0.5
STRONG_NAME = 0.8
# Short texts: a shared template alone gives resemblances of 0.4-0.75 between different
# documents (FAST pages, agendas, start-up pages of ~100 words), so content-only near-duplicates
# need MIN_NEAR_SHINGLES distinct shingles (~100 words) and versions MIN_VERSION_SHINGLES
# (~500 words: the versions judged are standards of 4,000+ words).
MIN_NEAR_SHINGLES = 100
# Two scanned slide decks whose only text is the same header line are not copies: the same
# normalised text is a copy when it has MIN_COPY_SHINGLES shingles or the files have one size.
MIN_COPY_SHINGLES = 20
MIN_VERSION_SHINGLES = 500

# For reading, the formats that keep the layout come first (the PDF as published, then the
# editable office formats), then the web and plain-text renderings.
FORMAT_RANK = {"pdf": 0, "docx": 1, "odt": 2, "doc": 3, "rtf": 4, "pptx": 5, "odp": 6,
               "html": 7, "markdown": 8, "text": 9}
_FORMAT_LABEL = {"pdf": "PDF", "docx": "Word", "doc": "Word", "odt": "OpenDocument",
                 "rtf": "RTF", "pptx": "PowerPoint", "odp": "OpenDocument", "html": "HTML",
                 "markdown": "Markdown", "text": "texte"}

_MONTHS = {"janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
           "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12}
# Words that say which edition a file is, not what it is.
_EDITION_WORDS = {"v", "version", "rev", "revision", "projet", "vprojet", "final", "finale", "def",
                  "definitif", "definitive", "vf", "vdef", "draft", "brouillon", "relu",
                  "relecture", "relecturepleniere", "reluag", "vmodif", "modif", "ok", "copie",
                  "copy", "maj", "nouveau", "new", "old", "ancien", "bis", "diffusion"}
_DATE_PATTERNS = [
    # 2024-02-09, 2024_02, 2024.02
    (re.compile(r"(?<!\d)((?:19|20)\d\d)[-_. ]?(0[1-9]|1[0-2])(?:[-_. ]?(0[1-9]|[12]\d|3[01]))?(?!\d)"),
     lambda m: "-".join(g for g in m.groups() if g)),
    # 09-02-2024, 06.11.2023
    (re.compile(r"(?<!\d)(0[1-9]|[12]\d|3[01])[-_. ](0[1-9]|1[0-2])[-_. ]((?:19|20)\d\d)(?!\d)"),
     lambda m: f"{m.group(3)}-{m.group(2)}-{m.group(1)}"),
    # 240208_… (YYMMDD at the start of a name, the CNIG convention), 08.03.24
    (re.compile(r"^(\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=[_ -])"),
     lambda m: f"20{m.group(1)}-{m.group(2)}-{m.group(3)}"),
    (re.compile(r"(?<!\d)(0[1-9]|[12]\d|3[01])\.(0[1-9]|1[0-2])\.(\d\d)(?!\d)"),
     lambda m: f"20{m.group(3)}-{m.group(2)}-{m.group(1)}"),
    # a lone year
    (re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)"), lambda m: m.group(1)),
]
_VERSION = re.compile(r"(?<![a-z0-9])v(?:ersion)?[ _-]?(\d+(?:[._-]\d+)*)(?![\d])")
_WORD = re.compile(r"[a-z0-9]+")
# Month names as whole words, longest first (one pass instead of one per month).
_MONTH_WORD = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True)) + r")\b")
_CODE = re.compile(r"(?<![a-z0-9])(?!v\d)[a-z]{1,3}\d{3,}(?![a-z0-9])")


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore")
    return folded.decode("ascii")


@dataclass(frozen=True)
class NameKey:
    """What a file name or title says: its words, identifying numbers, dates and versions."""

    words: frozenset[str]
    numbers: frozenset[str]
    dates: frozenset[str]
    versions: frozenset[str]


@lru_cache(maxsize=65536)
def name_key(name: str) -> NameKey:
    """Split a file-name stem or a title into words, identifying numbers (an article, a meeting,
    a session: "13_fast", "SPP-22-0503"), dates (normalised to YYYY[-MM[-DD]]) and version
    numbers ("v0.1", "V3"), edition words ("projet", "relu", "DEF") dropped.

    Kept for the most recent names: filing a batch compares each new document with dozens of
    candidates, and reading the same names again was most of the writer's time at 100,000
    documents (97 % of the main process while indexing the scaled corpus)."""
    text = _fold(name)
    # Item codes (« F1925 », « R12345 »): taken whole before the dates, or « 1925 » would read
    # as a year and leave two pages of one series looking like one document.
    codes = set(_CODE.findall(text))
    text = _CODE.sub(" ", text)
    text = _MONTH_WORD.sub(lambda m: f" month{_MONTHS[m.group(0)]:02d} ", text)
    dates: set[str] = set()
    for pattern, render in _DATE_PATTERNS:
        def keep(m: re.Match[str], render: object = render) -> str:
            dates.add(render(m))  # type: ignore[operator]
            return " "
        text = pattern.sub(keep, text)
    versions = {v.replace("_", ".").replace("-", ".") for v in _VERSION.findall(text)}
    text = _VERSION.sub(" ", text)
    words: set[str] = set()
    numbers: set[str] = set(codes)
    for w in _WORD.findall(text):
        if w.startswith("month") or w in _EDITION_WORDS:
            continue
        if w.isdigit():
            numbers.add(w.lstrip("0") or "0")
        else:
            words.add(w)
    return NameKey(frozenset(words), frozenset(numbers), frozenset(dates), frozenset(versions))


@lru_cache(maxsize=65536)
def _stem(path: str) -> str:
    """The file name without its extension. A double underscore is read as a folder separator
    too: mirrors and exports flatten "a/b/c.pdf" into "a__b__c.pdf" (as the shared corpus
    does), and the folder words would make every file of one folder look alike."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1].rsplit("__", 1)[-1].strip("_")
    return name.rsplit(".", 1)[0] if "." in name else name


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _dates_conflict(a: frozenset[str], b: frozenset[str]) -> bool:
    """Both name dates and none of one is compatible with (a prefix of, or prefixed by) one of
    the other: 2024-02 agrees with 2024-02-09, not with 2026-03."""
    if not a or not b:
        return False
    return not any(x.startswith(y) or y.startswith(x) for x in a for y in b)


def _editions_differ(a: NameKey, b: NameKey) -> bool:
    return bool(a.versions and b.versions and a.versions != b.versions) or _dates_conflict(
        a.dates, b.dates)


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def name_similarity(a: Member, b: Member) -> float:
    """The better of the file-name similarity (Jaccard of the words and numbers, dates and
    versions removed) and the title similarity (overlap coefficient: "Bilan 2023" and "Bilan
    2023 beta.gouv.fr" are the same title)."""
    ka, kb = name_key(_stem(a.path)), name_key(_stem(b.path))
    sim = _jaccard(ka.words | ka.numbers, kb.words | kb.numbers)
    if a.title and b.title:
        ta, tb = name_key(a.title), name_key(b.title)
        sim = max(sim, _overlap(ta.words | ta.numbers, tb.words | tb.numbers))
    return sim


def _titles_conflict(a: Member, b: Member) -> bool:
    """Titles naming different numbers or years: "Bilan 2023" / "Bilan 2024", "niveau 1" /
    "niveau 2" (a series, whose year or number is part of what the document is)."""
    if not (a.title and b.title):
        return False
    ta, tb = name_key(a.title), name_key(b.title)
    return (bool(ta.numbers and tb.numbers and ta.numbers != tb.numbers)
            or _dates_conflict(ta.dates, tb.dates))


def _same_title(a: Member, b: Member) -> bool:
    return bool(a.title and b.title and _fold(a.title).split() == _fold(b.title).split())


def _years_differ(a: Member, b: Member) -> bool:
    """The documents' own dates name different years: a 2016 and a 2021 edition of one
    charter are versions, not the same document in two formats."""
    return bool(a.date and b.date and a.date[:4].isdigit() and b.date[:4].isdigit() and a.date[:4] != b.date[:4])


def _numbers_conflict(a: Member, b: Member) -> bool:
    """Titles naming different numbers (not years): the items of a series."""
    if not (a.title and b.title):
        return False
    na, nb = name_key(a.title).numbers, name_key(b.title).numbers
    return bool(na and nb and na != nb)


def related(a: Member, b: Member) -> str | None:
    """"copy", "near", "version" or None (different documents): see the module docstring."""
    if not a.fingerprint or not b.fingerprint:
        return None
    key_a, key_b = name_key(_stem(a.path)), name_key(_stem(b.path))
    # Different identifying numbers (article 578 / 579, FAST 13 / 14, criterion 1.1 / 1.2,
    # « Marche exploratoire 1 » / « 2 »): documents of one series, whatever their resemblance,
    # even when their normalised texts (small numbers folded away) are the same.
    if key_a.numbers and key_b.numbers and key_a.numbers != key_b.numbers:
        return None
    r = resemblance(a.fingerprint, b.fingerprint)
    if _titles_conflict(a, b) and (r < NEAR_CONTENT or _numbers_conflict(a, b)):
        return None
    if content_hash(a.fingerprint) == content_hash(b.fingerprint) and (
            a.size == b.size or shingle_count(a.fingerprint) >= MIN_COPY_SHINGLES):
        return "copy"
    shingles = min(shingle_count(a.fingerprint), shingle_count(b.fingerprint))
    names = name_similarity(a, b)
    differ = _editions_differ(key_a, key_b) or _years_differ(a, b)
    if r >= NEAR_CONTENT and shingles >= MIN_NEAR_SHINGLES:
        return "version" if differ else "near"
    # A text of a few words changes a lot by one word: too little to call two of them the
    # same document (two one-line notes of a series, two pages of a template).
    if r >= NEAR and names >= SIMILAR_NAME and shingles >= MIN_COPY_SHINGLES:
        if not differ:
            return "near"
        if shingles >= MIN_VERSION_SHINGLES or (_same_title(a, b) and not _dates_conflict(key_a.dates, key_b.dates)):
            return "version"
        # Short texts of one series (agendas of two meetings, dated in their names), unless
        # they bear the very same title: a two-page charter re-adopted another year is its new
        # edition (judged pairs unchanged: the agendas' names carry conflicting dates).
        return None
    if shingles < MIN_VERSION_SHINGLES:
        return None
    if r >= VERSION and names >= SIMILAR_NAME:
        return "version"
    if r >= VERSION_SAME_NAME and names >= STRONG_NAME:
        return "version"
    return None


def candidate_keys(m: Member) -> list[str]:
    """Keys to index (one row per key): documents sharing a key are the pairs to pass to
    related(). The LSH band keys find pairs of resemblance >= ~0.5 (kb.fingerprint.BANDS); the
    file-name and title keys (words once dates, versions and edition words are removed) find
    the versions of lower resemblance that share a name or title. A key shared by very many
    documents (a generic title) is better skipped by the caller."""
    keys = ["b" + k for k in bands(m.fingerprint)]
    words = name_key(_stem(m.path)).words
    if words:
        keys.append("n" + " ".join(sorted(words)))
    if m.title:
        title = name_key(m.title)
        if title.words:
            keys.append("t" + " ".join(sorted(title.words | title.numbers)))
    return keys


def groups(ids: Iterable[str], pairs: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Connected components of the related pairs (union-find), each sorted, singletons
    included, largest first."""
    parent: dict[str, str] = {i: i for i in ids}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    out: dict[str, list[str]] = {}
    for i in list(parent):
        out.setdefault(find(i), []).append(i)
    return sorted((sorted(g) for g in out.values()), key=lambda g: (-len(g), g[0]))


def representative(members: Iterable[Member]) -> Member:
    """The member that stands for the group: the newest edition first (date, then the dates in
    its name), then the richest format for reading (FORMAT_RANK: PDF, DOCX, ODT, … Markdown,
    text), then the largest file, then the path (stable)."""
    items = list(members)
    if not items:
        raise ValueError("an empty group has no representative")

    return max(items, key=lambda m: (_newest(m), -FORMAT_RANK.get(m.format, 99), m.size,
                                     _reverse(m.path)))


def _newest(m: Member) -> str:
    """The latest of the catalogue date and the dates in the file name, as YYYY[-MM[-DD]]."""
    name_dates = sorted(name_key(_stem(m.path)).dates)
    return max([m.date[:10] if m.date else ""] + name_dates[-1:])


def _reverse(text: str) -> tuple[int, ...]:
    """A key under which max() picks the smallest string (ties broken by path, stably)."""
    return tuple(-ord(c) for c in text) + (0,)


def label(member: Member, rep: Member) -> str:
    """The French label shown for another member of the representative's group."""
    kind = related(member, rep)
    if kind == "copy":
        if member.format != rep.format:
            return f"aussi en {_FORMAT_LABEL.get(member.format, member.format)}"
        return f"copie : {_stem_name(member.path)}"
    if kind == "near" and member.format != rep.format:
        return f"aussi en {_FORMAT_LABEL.get(member.format, member.format)}"
    year = _year(member)
    if kind == "near":
        return "autre version"
    return f"autre version ({year})" if year else "autre version"


def _stem_name(path: str) -> str:
    """The file's name, without the folders (pages never show where a file sits)."""
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def _year(m: Member) -> str | None:
    dates = sorted(name_key(_stem(m.path)).dates)
    if dates:
        return dates[-1][:4]
    return m.date[:4] if m.date and m.date[:4].isdigit() else None

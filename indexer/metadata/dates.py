"""Dates as documents write them (PDF, ISO, French and English prose) → ISO strings."""

from __future__ import annotations

import datetime as dt
import re

from indexer.metadata._text import match_form

MIN_YEAR, MAX_YEAR = 1950, 2100
# Publication dates sit in the first page: header, cover, "publié le" line.
SCAN_CHARS = 3000

_MONTHS = {
    # French, with the abbreviations used in headers ("janv.", "févr.", "sept.")
    "janvier": 1, "janv": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4,
    "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9,
    "octobre": 10, "oct": 10, "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
    # English, for the occasional English report
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "july": 7, "august": 8, "aug": 8, "september": 9, "sep": 9,
    "october": 10, "november": 11, "december": 12,
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_YEAR = r"(?:19|20|21)\d\d"
_SP = r"[^\S\n]+"  # spaces, no-break spaces included, but no line break

# Every pattern runs on folded text (no accents, lower case) and names its groups d, m/mon, y.
# The parts of a date are on one line: « Fiche n° 7 » above « mars 2021 » is not 7 March.
_PATTERNS = [
    # 2017-03-16, 2017-03-16T10:15:00+01:00, 2017/03/16
    re.compile(rf"(?<![\d.])(?P<y>{_YEAR})[-/](?P<m>\d\d?)[-/](?P<d>\d\d?)(?![\d])"),
    # 16/03/2017, 16.03.2017, 16-03-2017 (French order: day first)
    re.compile(rf"(?<![\d./-])(?P<d>\d\d?)[/.-](?P<m>\d\d?)[/.-](?P<y>{_YEAR})(?!\d)"),
    # 16 mars 2017, 1er mars 2017, 16 march 2017, 1er janv. 2020
    re.compile(rf"(?<!\d)(?P<d>\d\d?)(?:er|e)?{_SP}(?P<mon>{_MONTH})\.?,?{_SP}(?P<y>{_YEAR})(?!\d)"),
    # March 16, 2017
    re.compile(rf"(?<!\w)(?P<mon>{_MONTH})\.?{_SP}(?P<d>\d\d?)(?:st|nd|rd|th)?,{_SP}(?P<y>{_YEAR})(?!\d)"),
    # mars 2019, March 2019
    re.compile(rf"(?<!\w)(?P<mon>{_MONTH})\.?{_SP}(?P<y>{_YEAR})(?!\d)"),
    # 2017-03
    re.compile(rf"(?<![\d.])(?P<y>{_YEAR})-(?P<m>\d\d)(?![\d-])"),
]
_PDF = re.compile(r"^\s*D:(?P<y>\d{4})(?P<m>\d\d)?(?P<d>\d\d)?")
_YEAR_ONLY = re.compile(rf"^\s*(?P<y>{_YEAR})\s*$")

# Words announcing a publication or document date, with how much they raise a candidate.
_CUES = [
    (re.compile(r"(publie|parution|paru|edite|diffuse|published)\w*\s*(le|en|:)?\s*$"), 4.0),
    (re.compile(r"(date|version|mise a jour|mis a jour|actualise|updated|realise)\w*\s*(du|le|de|:|en)?\s*$"), 3.0),
    (re.compile(r"(seance|reunion|comite|pleniere|assemblee)\w*\s*(du|le)\s*$"), 2.5),
    (re.compile(r"(\ble|\bdu|\ben|,)\s*$"), 1.0),
]


def _iso(year: int, month: int | None = None, day: int | None = None) -> str | None:
    """ISO string at the precision given, or None for an impossible date."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    if month is None:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        return None
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _from_match(match: re.Match[str]) -> str | None:
    groups = match.groupdict()
    month = _MONTHS.get(groups["mon"]) if groups.get("mon") else int(groups["m"]) if groups.get("m") else None
    day = int(groups["d"]) if groups.get("d") else None
    return _iso(int(groups["y"]), month, day)


def parse_date(text: str) -> str | None:
    """ISO form of a date written on its own: PDF ``D:20170316101500+01'00'``, ISO dates and
    datetimes, "16 mars 2017", "1er mars 2017", "21/03/2017", "21.03.2017", "mars 2019",
    "2019". None when the text holds no valid date."""
    if not text:
        return None
    raw = str(text)
    pdf = _PDF.match(raw)
    if pdf:
        y, m, d = pdf.group("y"), pdf.group("m"), pdf.group("d")
        return _iso(int(y), int(m) if m else None, int(d) if d else None)
    year_only = _YEAR_ONLY.match(raw)
    if year_only:
        return _iso(int(year_only.group("y")))
    folded = match_form(raw)
    for pattern in _PATTERNS:
        match = pattern.search(folded)
        if match and (iso := _from_match(match)):
            return iso
    return None


def find_date(text: str) -> str | None:
    """The most plausible publication date near the start of a document's text.

    Every full or month-precision date in the first SCAN_CHARS characters is a candidate;
    a candidate gains weight from a cue before it ("publié le", "date :", "réunion du"),
    from being precise, and from coming early. Impossible dates are skipped.
    """
    head = match_form(text[:SCAN_CHARS]) if text else ""
    best: tuple[float, str] | None = None
    taken: list[tuple[int, int]] = []
    for pattern in _PATTERNS:
        for match in pattern.finditer(head):
            span = match.span()
            # A later, vaguer pattern must not re-read part of a date already found ("mars 2019"
            # inside "16 mars 2019").
            if any(span[0] < end and start < span[1] for start, end in taken):
                continue
            iso = _from_match(match)
            if iso is None:
                continue
            taken.append(span)
            before = head[max(0, span[0] - 40) : span[0]]
            cue = max((weight for cue_re, weight in _CUES if cue_re.search(before)), default=0.0)
            precision = 1.0 if len(iso) == 10 else 0.5
            earliness = 1.0 - span[0] / SCAN_CHARS
            score = cue + precision + earliness
            if best is None or score > best[0]:
                best = (score, iso)
    return best[1] if best else None


_FILENAME_DATES = [
    re.compile(rf"(?<!\d)(?P<y>{_YEAR})[-_.]?(?P<m>\d\d)[-_.]?(?P<d>\d\d)(?!\d)"),
    re.compile(rf"(?<!\d)(?P<d>\d\d)[-_.](?P<m>\d\d)[-_.](?P<y>{_YEAR})(?!\d)"),
]


def date_from_filename(name: str) -> str | None:
    """A full date in a file name ("2022-01-26-Guide", "CR_08-04-2022", "20220616_CR")."""
    for pattern in _FILENAME_DATES:
        for match in pattern.finditer(name):
            if iso := _from_match(match):
                return iso
    return None

"""The dataclasses every layer exchanges: documents going in, hits and pages coming out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from kb.errors import QueryError
from kb.fields import FILTER_FIELDS
from kb.names import printable

# Flags of a document whose pages had no text layer (scans): its text was read by OCR, or
# could not be (no Tesseract, or OCR turned off), so those pages are not searchable.
OCR = "ocr"
SCANNED_NO_OCR = "scanned-no-ocr"
# OCR stopped at the file's time limit: the pages read are kept (cache), the next run goes on.
OCR_INCOMPLETE = "ocr-incomplete"
# Flag of a document with damaged pages that could not be read: they have no text, the
# other pages are indexed.
PAGES_UNREADABLE = "pages-unreadable"


@dataclass(frozen=True)
class Section:
    """A recognised section of a practice sheet (or report): ``key`` is its entry in the
    section vocabulary (``resultats``, ``enseignements``…), ``title`` the heading as written,
    ``start``/``end`` the offsets of its content (after the heading) in ``Document.text``."""

    key: str
    title: str
    start: int
    end: int


@dataclass(frozen=True)
class FileIdentity:
    """A file as the base knows it: where it is, its size and modification time (what a
    re-scan compares), the SHA-256 of its content (its name in the store) and its format.

    The document's id is not part of it: a new file has no id until the base gives it one,
    and a moved file keeps its id under a new identity."""

    path: str
    size: int
    mtime: float
    sha256: str
    format: str

    def as_read(self, format: str) -> FileIdentity:
        """The file as the document read from it records it: its path printable (a name that
        is not UTF-8 shown byte by byte), its format the one its extractor names."""
        return replace(self, path=printable(self.path), format=format)


# The order of a document's file fields in its record and its JSON (kept from when they
# were the document's own fields).
_FILE_KEYS = ("path", "sha256", "size", "mtime", "format")  # the order of stored records
assert set(_FILE_KEYS) == set(FileIdentity.__dataclass_fields__), "a FileIdentity field missing from records"


@dataclass(frozen=True)
class Document:
    """One indexed document: its file, its metadata and its extracted text.

    ``pages`` holds the text of each page for paged formats (PDF), empty otherwise;
    ``text`` is always the whole text. ``date`` is ISO: ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``.
    ``file.path`` is the source path as shown (kb.names.printable), ``file.format`` the
    extractor's name for it.
    """

    id: str
    file: FileIdentity
    title: str
    text: str
    pages: tuple[str, ...] = ()
    type: str = "autre"
    date: str | None = None
    themes: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    territory: str | None = None
    language: str | None = None
    author: str | None = None
    summary: str = ""
    url: str | None = None
    keywords: tuple[str, ...] = ()
    headings: tuple[str, ...] = ()
    licence: str | None = None
    page_count: int | None = None
    word_count: int = 0
    flags: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)
    # Which centre or source the document comes from (``kb index --collection``, a
    # ``.collection`` file in a folder above it, or its sidecar); kept across re-indexing.
    collection: str | None = None
    # The practice-sheet sections recognised in ``text`` (kb.sectioning); None in records
    # written before sections were recognised (they are then found when needed).
    sections: tuple[Section, ...] | None = None
    # Practice-sheet metadata (kb.practice): porteur, qpv, public, periode, etat, financeurs...
    practice: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # MinHash of the text (kb.fingerprint), to group copies and versions; "" when not computed.
    fingerprint: str = ""
    # The other members of its group, filled when read (not stored): (id, title, label).
    relatives: tuple[tuple[str, str, str], ...] = ()

    @property
    def year(self) -> int | None:
        """The year of the document's date, when it has one."""
        return int(self.date[:4]) if self.date and self.date[:4].isdigit() else None

    # Where the document comes from and what it is, as every page, hit and API answer shows it.
    @property
    def path(self) -> str:
        return self.file.path

    @property
    def format(self) -> str:
        return self.file.format

    def to_dict(self) -> dict[str, Any]:
        """The document as flat JSON data: its file's fields sit beside its metadata, as in
        every stored record and API answer."""
        # Field by field: ``dataclasses.asdict`` deep-copies every page's text, a fifth of the
        # cost of packing a record in the writer process.
        file = self.file
        data: dict[str, Any] = {"id": self.id, **{key: getattr(file, key) for key in _FILE_KEYS}}
        for name in _DOCUMENT_FIELDS:
            value = getattr(self, name)
            data[name] = list(value) if isinstance(value, tuple) else value
        data["extra"] = dict(self.extra)
        data["sections"] = None if self.sections is None else [asdict(s) for s in self.sections]
        data["practice"] = {k: list(v) for k, v in self.practice.items()}
        data["relatives"] = [{"id": i, "title": t, "label": label} for i, t, label in self.relatives]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        """The document ``to_dict`` gave (keys it does not know are ignored)."""
        known = {f for f in cls.__dataclass_fields__}
        values: dict[str, Any] = {k: v for k, v in data.items() if k in known}
        values["file"] = FileIdentity(**{key: data[key] for key in FileIdentity.__dataclass_fields__})
        for key, value in values.items():
            if isinstance(value, list):
                values[key] = tuple(value)
        values.pop("relatives", None)  # filled when read, never stored
        if isinstance(values.get("practice"), dict):
            values["practice"] = {k: tuple(v) for k, v in values["practice"].items()}
        if values.get("sections") is not None:
            values["sections"] = tuple(Section(**s) for s in values["sections"])
        return cls(**values)


# Document's own fields in their record order, after its id and its file's fields.
_DOCUMENT_FIELDS = tuple(name for name in Document.__dataclass_fields__ if name not in ("id", "file"))


@dataclass(frozen=True)
class Hit:
    """One search result. ``snippet`` is HTML-safe text where matches are wrapped in ``<mark>``."""

    id: str
    title: str
    type: str
    date: str | None
    path: str
    format: str
    score: float
    snippet: str
    page: int | None = None
    pages: tuple[int, ...] = ()
    themes: tuple[str, ...] = ()
    summary: str = ""
    added: str | None = None  # when the document entered the base (ISO, UTC)
    collection: str | None = None
    # The other members of its group (copies, other formats, versions): (id, title, label).
    relatives: tuple[tuple[str, str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The hit as plain JSON-ready values (``kb search --json``, the API)."""
        data = asdict(self)
        data["pages"] = list(self.pages)
        data["themes"] = list(self.themes)
        data["relatives"] = [{"id": i, "title": t, "label": label} for i, t, label in self.relatives]
        return data


@dataclass(frozen=True)
class Groups:
    """Copies and versions as searches need them (kb.kinship): ``leaders`` maps every grouped
    id to its group's leader, ``copies`` every id that has exact copies to a key its copies
    share; ``version`` changes whenever they do."""

    version: int
    leaders: Mapping[str, str]
    copies: Mapping[str, str]


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet and how many results hold it."""
    value: str
    count: int


@dataclass(frozen=True)
class SearchPage:
    """A page of results with the facet counts of the whole result set.

    ``suggestion``: the query with unknown words replaced by close words of the index ("did
    you mean"). ``corrected``: set when those close words were searched beside the typed ones
    and found something (equal to ``suggestion``). ``relaxed``: no document has all the
    words; the hits have some of them."""

    query: str
    total: int
    hits: tuple[Hit, ...]
    page: int = 1
    page_size: int = 10
    facets: dict[str, tuple[FacetValue, ...]] = field(default_factory=dict)
    suggestion: str | None = None
    relaxed: bool = False
    elapsed_ms: float = 0.0
    corrected: str | None = None

    @property
    def pages(self) -> int:
        """How many pages of ``page_size`` hits the results fill (1 when there are none)."""
        return pages_of(self.total, self.page_size)


def pages_of(total: int, page_size: int) -> int:
    """How many pages of ``page_size`` hits ``total`` results fill (at least one)."""
    return max(1, -(-total // page_size))


# What a request may ask for (SearchRequest refuses the rest); field names from kb.fields.
SORTS = ("relevance", "date", "added")
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class SearchRequest:
    """What a search asks for. ``filters`` maps a facet field to the values it must have
    (values of one field are OR-ed, fields are AND-ed). An invalid request cannot be made:
    ``QueryError`` says why, in French."""

    query: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    page: int = 1
    page_size: int = 10
    sort: str = "relevance"  # or "date" (the document's date), or "added" (when it entered the base)
    facets: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.page, int) or self.page < 1:
            raise QueryError(f"page invalide : {self.page!r} (la première page est 1)")
        if not isinstance(self.page_size, int) or not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise QueryError(f"nombre de résultats par page invalide : {self.page_size!r} "
                             f"(de 1 à {MAX_PAGE_SIZE})")
        if self.sort not in SORTS:
            raise QueryError(f"tri inconnu : {self.sort!r} (pertinence ou date)")
        unknown = sorted(set(self.filters) - set(FILTER_FIELDS))
        if unknown:
            raise QueryError(f"filtre inconnu : {', '.join(unknown)}")


@dataclass(frozen=True)
class Prepared:
    """What an extraction worker computed ahead for one document (its encoded postings), so
    the writer only files it. Opaque: only the backend named by ``engine`` reads ``data``."""

    engine: str
    data: Any = field(repr=False)
    # About how many bytes ``data`` takes in memory, for bounds on what waits to be filed.
    size: int = 0

"""All metadata of one document: sidecar > declared > inferred, field by field."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from indexer.extract.base import Extracted
from indexer.metadata.bodies import find_names
from indexer.metadata.dates import date_from_filename, find_date, parse_date
from indexer.metadata.doctype import DEFAULT_TYPE, detect_type, normalise_type
from indexer.metadata.entities import OrgMatcher, find_licence, find_territory
from indexer.metadata.language import choose_language
from indexer.metadata.office import OFFICE_FORMATS, plausible_author, plausible_description, template_date
from indexer.metadata.sidecar import as_list, as_text, normalise_fields
from indexer.metadata.themes import Thesaurus, infer_themes, load_thesaurus
from indexer.metadata.titles import (
    good_title,
    humanise_filename,
    is_generic_label,
    make_summary,
    specific_title,
    title_from_content,
)
from kb.practice import practice_key, practice_of
from kb.synonyms import Synonyms, load_synonyms

# Fields of Metadata that a sidecar can set; every other sidecar key goes to ``extra``.
KNOWN_FIELDS = frozenset(
    {"title", "type", "date", "themes", "organisations", "territory", "language", "author",
     "summary", "url", "keywords", "licence"}
)
_WORD = re.compile(r"\w+(?:['’-]\w+)*")


@dataclass(frozen=True)
class Metadata:
    """What the indexer knows about a document beyond its text; feeds ``kb.model.Document``."""

    title: str
    type: str = DEFAULT_TYPE
    date: str | None = None
    themes: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    territory: str | None = None
    language: str | None = None
    author: str | None = None
    summary: str = ""
    url: str | None = None
    keywords: tuple[str, ...] = ()
    licence: str | None = None
    page_count: int | None = None
    word_count: int = 0
    extra: dict[str, str] = field(default_factory=dict)
    practice: dict[str, tuple[str, ...]] = field(default_factory=dict)


@lru_cache(maxsize=1)
def default_thesaurus() -> Thesaurus:
    """The shipped thesaurus, compiled once per process."""
    return load_thesaurus()


@lru_cache(maxsize=1)
def _default_matcher() -> OrgMatcher:
    return OrgMatcher.from_synonyms(load_synonyms())


# Keyed by the acronym list: Synonyms holds dicts, so it cannot be an lru_cache key itself.
_MATCHERS: dict[tuple[tuple[str, str], ...], OrgMatcher] = {}


def _matcher(synonyms: Synonyms | OrgMatcher | None) -> OrgMatcher:
    if synonyms is None:
        return _default_matcher()
    if isinstance(synonyms, OrgMatcher):
        return synonyms
    key = tuple(sorted(synonyms.acronyms.items()))
    if key not in _MATCHERS:
        _MATCHERS.clear()  # one configuration per run: keep memory flat
        _MATCHERS[key] = OrgMatcher.from_synonyms(synonyms)
    return _MATCHERS[key]


def _cited(text: str, synonyms: Synonyms | OrgMatcher | None) -> tuple[str, ...]:
    """Acronyms cited (synonyms.yaml), then names of the organisations vocabulary."""
    acronyms = _matcher(synonyms).find(text)
    return acronyms + tuple(n for n in find_names(text) if n not in acronyms)


def _first(*values: object) -> str | None:
    for value in values:
        if (text := as_text(value)) is not None:
            return text
    return None


def _title(declared: dict[str, object], extracted: Extracted, text: str, path: Path) -> str:
    """The declared title, else the first heading, else the file name; a generic label
    (« Compte rendu ») is completed by the line after it (a person's sidecar title is not)."""
    title = (
        good_title(declared.get("title"), path.name)
        or good_title(extracted.title, path.name)
        or title_from_content(extracted.headings, text)
    )
    if title and is_generic_label(title):
        return specific_title(title, text) or title
    return title or humanise_filename(path.name)


def _parsed(value: object) -> str | None:
    text = as_text(value)
    return parse_date(text) if text else None


def _date(sidecar: dict[str, object], declared: dict[str, object], extracted: Extracted,
          path: Path) -> str | None:
    if iso := _parsed(sidecar.get("date")):
        return iso
    if extracted.format not in OFFICE_FORMATS:
        for value in (declared.get("date"), extracted.date):
            if iso := _parsed(value):
                return iso
        return find_date(extracted.text) or date_from_filename(path.name)
    # An office file's dates are the file's (created, modified), often a template's or a
    # copy's: the date its text shows, then one its name shows, come first; a template's
    # creation date is never used.
    if iso := find_date(extracted.text) or date_from_filename(path.name):
        return iso
    for value in (declared.get("date"), extracted.date):
        if (iso := _parsed(value)) and not template_date(iso):
            return iso
    return None


def _author(*values: object) -> str | None:
    for value in values:
        text = as_text(value)
        if text and plausible_author(text):
            return text
    return None


def _description(*values: object) -> str | None:
    """The first declared description a person wrote (not « generated by python-docx »)."""
    for value in values:
        text = as_text(value)
        if text and plausible_description(text):
            return text
    return None


def _extra(sidecar: dict[str, object]) -> dict[str, str]:
    extra = {str(k): as_text(v) or "" for k, v in sidecar.items()
             if k not in KNOWN_FIELDS and practice_key(str(k)) is None}
    # A sidecar date or type we could not read is kept rather than silently dropped.
    if (date := as_text(sidecar.get("date"))) and parse_date(date) is None:
        extra["date"] = date
    if (kind := as_text(sidecar.get("type"))) and normalise_type(kind) == DEFAULT_TYPE:
        extra["type"] = kind
    return {k: v for k, v in extra.items() if v}


def _map_declared_themes(values: list[str], thesaurus: Thesaurus) -> tuple[tuple[str, ...], list[str]]:
    """Front matter themes come from another vocabulary ("Écologie", "Travail / Emploi"):
    each is read through the thesaurus; those it does not know become keywords."""
    themes: list[str] = []
    foreign: list[str] = []
    for value in values:
        mapped = infer_themes(value, "", thesaurus, 0)
        if mapped:
            themes += [t for t in mapped if t not in themes]
        else:
            foreign.append(value)
    return tuple(themes), foreign


def infer_metadata(
    extracted: Extracted,
    path: Path,
    sidecar: dict[str, object] | None = None,
    thesaurus: Thesaurus | None = None,
    synonyms: Synonyms | OrgMatcher | None = None,
) -> Metadata:
    """Metadata of the document at ``path``, from what its sidecar says, then what the
    format declares (front matter in ``extracted.meta`` first), then what its text shows.

    Pure: reads no file (the default thesaurus and synonyms are loaded once per process).
    """
    side = normalise_fields(sidecar or {})
    declared = normalise_fields(extracted.meta or {})
    thesaurus = thesaurus or default_thesaurus()
    text = extracted.text or ""
    word_count = len(_WORD.findall(text))

    title = good_title(side.get("title")) or _title(declared, extracted, text, path)
    declared_type = side.get("type") or declared.get("type")
    doc_type = normalise_type(declared_type) if declared_type else DEFAULT_TYPE
    if doc_type == DEFAULT_TYPE and (section := as_text(declared.get("article:section"))):
        # Web pages file themselves under a section ("Actualités", "Comptes rendus").
        doc_type = normalise_type(section)
    if doc_type == DEFAULT_TYPE:
        doc_type = detect_type(title, extracted.headings, text, path.name)
    if doc_type == DEFAULT_TYPE:
        # Documentalists sort files into folders named after their type: the weakest clue.
        doc_type = normalise_type(path.parent.name)

    keywords = tuple(as_list(side.get("keywords")) or as_list(declared.get("keywords")) or extracted.keywords)
    # A person writing a sidecar chooses themes on purpose: kept even outside the thesaurus.
    themes = tuple(dict.fromkeys(thesaurus.canonical(t) for t in as_list(side.get("themes"))))
    if not themes and (declared_themes := as_list(declared.get("themes"))):
        themes, foreign = _map_declared_themes(declared_themes, thesaurus)
        keywords += tuple(k for k in foreign if k not in keywords)
    if not themes:
        # Declared keywords are the author's own subject words: read them like the title.
        themes = infer_themes(" ".join((title, *keywords)), text, thesaurus, word_count)

    organisations = tuple(as_list(side.get("organisations"))) or _cited(f"{title}\n{text}", synonyms)
    page_count = extracted.page_count or (len(extracted.pages) or None)

    return Metadata(
        title=title,
        type=doc_type,
        date=_date(side, declared, extracted, path),
        themes=themes,
        organisations=organisations,
        territory=_first(side.get("territory"), declared.get("territory")) or find_territory(title, text),
        language=_first(side.get("language")) or choose_language(
            _first(declared.get("language"), extracted.language), text
        ),
        author=_author(side.get("author"), declared.get("author"), extracted.author),
        summary=make_summary(
            _first(side.get("summary")) or _description(declared.get("summary"), extracted.description), text, title
        ),
        url=_first(side.get("url"), declared.get("url"), extracted.url),
        keywords=keywords,
        licence=_first(side.get("licence"), declared.get("licence")) or find_licence(text),
        page_count=page_count,
        word_count=word_count,
        extra=_extra(side),
        # A sheet's own front matter, then its sidecar key by key (a person's correction wins).
        practice={**practice_of(extracted.meta or {}), **practice_of(sidecar or {})},
    )

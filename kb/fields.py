"""The one vocabulary of document fields shared by the query parser, the index, the web pages,
the API and the CLI: each field's core name, what people type for it, its URL parameter and its
French label. Every map of field names elsewhere is derived from ``FIELDS``."""

from __future__ import annotations

from dataclasses import dataclass

from kb.practice import PRACTICE_FACETS, PRACTICE_FIELDS

TEXT, KEYWORD, IDENTIFIER = "text", "keyword", "identifier"


@dataclass(frozen=True)
class Field:
    """One document field. ``name`` is the core's name (index field, ``SearchRequest.filters``
    key, API field); ``typed`` the names a query may use (``titre:``, ``année:``); ``param`` the
    URL parameter of a facet (None when it is not one); ``facet`` is counted and shown,
    ``filter`` may restrict a search; ``kind`` says how a typed value is matched: analysed words
    (text), whole values (keyword) or an exact identifier; ``many`` when a document may hold several values."""

    name: str
    label: str
    kind: str
    typed: tuple[str, ...] = ()
    param: str | None = None
    facet: bool = False
    filter: bool = False
    many: bool = False  # a document may hold several values (« santé, emploi »)


def _practice(name: str) -> Field:
    typed = {"financeurs": ("financeur", "financeurs"), "partenaires": ("partenaire", "partenaires"),
             "etat": ("etat", "état")}.get(name, (name,))
    return Field(name, PRACTICE_FIELDS[name], KEYWORD, typed, param=name, facet=True, filter=True, many=True)


# Facets come in the order pages show them; the practice-sheet facets (kb.practice) last.
FIELDS: tuple[Field, ...] = (
    Field("collection", "Collection", KEYWORD, ("collection", "centre", "source"), "collection", True, True),
    Field("type", "Type", KEYWORD, ("type",), "type", True, True),
    Field("themes", "Thème", KEYWORD, ("theme", "thème", "themes", "thèmes"), "theme", True, True, True),
    Field("year", "Année", KEYWORD, ("annee", "année", "an", "year"), "annee", True, True),
    Field("organisations", "Organisation", KEYWORD, ("org", "organisation", "organisations", "sigle"), "org",
          True, True, True),
    # The dispositifs (QPV, NPNRU, CLS...) cited, apart from the organisations (kb.vocabulary).
    Field("schemes", "Dispositif", KEYWORD, ("dispositif", "dispositifs"), "dispositif", True, True, True),
    Field("format", "Format", KEYWORD, ("format",), "format", True, True),
    # The practice-sheet sections a document has (kb.sections keys); a section's own text is
    # searched with its name (``resultats:emploi``, kb.querysyntax).
    Field("sections", "Section de fiche", KEYWORD, (), "section", True, True, True),
    *(_practice(name) for name in PRACTICE_FACETS),
    Field("territory", "Territoire", KEYWORD, ("territoire", "territory"), filter=True, many=True),
    Field("language", "Langue", KEYWORD, ("langue", "language", "lang"), filter=True),
    Field("title", "Titre", TEXT, ("titre", "title")),
    Field("author", "Auteur", TEXT, ("auteur", "author")),
    Field("body", "Texte", TEXT, ("texte", "text", "contenu")),
    Field("id", "Identifiant", IDENTIFIER, ("id",)),
)

FACET_FIELDS = tuple(f.name for f in FIELDS if f.facet)
FILTER_FIELDS = tuple(f.name for f in FIELDS if f.filter)
KEYWORD_FIELDS = tuple(f.name for f in FIELDS if f.kind == KEYWORD)
MANY_VALUED = frozenset(f.name for f in FIELDS if f.many)
# What people type -> core name. Unknown names are plain words (kb.querysyntax).
TYPED_NAMES = {typed: f.name for f in FIELDS for typed in f.typed}
# URL parameter -> core name, and back.
FACET_PARAMS = {f.param: f.name for f in FIELDS if f.param}
PARAM_OF = {name: param for param, name in FACET_PARAMS.items()}
# URL parameter -> French label.
FACET_LABELS = {f.param: f.label for f in FIELDS if f.param}

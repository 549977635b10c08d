"""The metadata of a practice sheet (domain notes §2): who carries the action, where, for whom,
when, how far it went, who pays and who helps. Written in a sheet's front matter or in a
sidecar (docs/modele-fiche-experience.md); each is a facet and a filter."""

from __future__ import annotations

import re
from collections.abc import Mapping

from kb.analysis import fold

# Key -> French label, in the order a sheet shows them.
PRACTICE_FIELDS: dict[str, str] = {
    "porteur": "Porteur",
    "qpv": "QPV",
    "public": "Public",
    "periode": "Période",
    "etat": "État du projet",
    "financeurs": "Financeurs",
    "partenaires": "Partenaires",
    "contact": "Contact",
}
# Searchable as facets and filters (a period or a contact is shown, not counted).
PRACTICE_FACETS = ("porteur", "qpv", "public", "etat", "financeurs", "partenaires")

# Spellings people write (folded: accents, case, « _ », « - » ignored) -> key.
PRACTICE_ALIASES = {
    "porteur": "porteur", "porteurs": "porteur", "porteur du projet": "porteur", "structure porteuse": "porteur",
    "porteur de projet": "porteur",
    "qpv": "qpv", "quartier": "qpv", "quartiers": "qpv", "quartier prioritaire": "qpv",
    "quartiers prioritaires": "qpv",
    "public": "public", "publics": "public", "public vise": "public", "publics vises": "public", "cible": "public",
    "periode": "periode", "duree": "periode", "calendrier": "periode", "dates": "periode",
    "etat": "etat", "etat du projet": "etat", "statut": "etat", "avancement": "etat",
    "financeurs": "financeurs", "financeur": "financeurs", "financements": "financeurs",
    "financement": "financeurs", "cofinanceurs": "financeurs",
    "partenaires": "partenaires", "partenaire": "partenaires", "partenariats": "partenaires",
    "contact": "contact", "contacts": "contact",
}
# Values of these keys are lists: « P147, droit commun, CAF » is three financeurs (and a facet
# value never holds the comma that separates a keyword field's values in the index).
_LISTS = frozenset({"porteur", "qpv", "public", "etat", "financeurs", "partenaires"})
_SPLIT = re.compile(r"\s*[,;]\s*|\s+/\s+")
MAX_VALUES = 20
MAX_VALUE_CHARS = 200


def practice_key(name: str) -> str | None:
    """The practice field a written key names, else None."""
    return PRACTICE_ALIASES.get(" ".join(fold(str(name)).replace("_", " ").replace("-", " ").split()))


def practice_of(declared: Mapping[str, object]) -> dict[str, tuple[str, ...]]:
    """The practice fields among ``declared`` keys (front matter, sidecar), values cleaned:
    lists split, spaces folded, empty values dropped, each value and the count bounded."""
    out: dict[str, tuple[str, ...]] = {}
    for name, value in declared.items():
        key = practice_key(name)
        if key is None or value is None:
            continue
        raw = [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
        values: list[str] = []
        for item in raw:
            parts = _SPLIT.split(item) if key in _LISTS else [item]
            values += [" ".join(p.split())[:MAX_VALUE_CHARS] for p in parts if p.strip()]
        if values:
            out[key] = tuple(dict.fromkeys(values))[:MAX_VALUES]
    return out

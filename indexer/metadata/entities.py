"""Organisations (acronyms) cited, the territory where stated, and the licence."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from indexer.metadata._text import (
    alternation,
    match_form,
    strip_accents,
    term_key,
    term_pattern,
)
from kb.synonyms import Synonyms

MAX_ORGANISATIONS = 12
# Territories are stated on the cover or in the first paragraphs; later mentions are examples.
TERRITORY_CHARS = 5000

# "Q.P.V." or "QPV" at a word start. Written capital-first, the lookbehinds after it, so the
# regex engine skips straight to capitals instead of trying both branches at every character
# (same matches as ``(?<![\w.])(?:[A-Z]\.){2,}|(?<!\w)[A-Z][A-Z0-9]+(?!\w)``, 5x less CPU).
_UPPER_WORD = re.compile(r"[A-Z](?:(?<![\w.][A-Z])\.(?:[A-Z]\.)+|(?<!\w[A-Z])[A-Z0-9]+(?!\w))")


@dataclass(frozen=True)
class OrgMatcher:
    """Acronyms to find as capitals ("QPV", "Q.P.V.") and expansions to find in any case
    ("Agence nationale de la cohésion des territoires" → ANCT)."""

    acronyms: dict[str, str]
    expansions: re.Pattern[str] | None
    by_expansion: dict[str, str]

    @classmethod
    def from_synonyms(cls, synonyms: Synonyms) -> OrgMatcher:
        """The matcher of the acronyms of ``synonyms`` and of their expansions."""
        by_expansion: dict[str, str] = {}
        for acronym, expansion in synonyms.acronyms.items():
            if expansion:
                by_expansion.setdefault(term_key(match_form(expansion)), acronym)
        patterns = [term_pattern(match_form(e)) for e in synonyms.acronyms.values() if e]
        pattern = re.compile(rf"(?<!\w)(?:{alternation(patterns)})(?!\w)") if patterns else None
        # Matched on accent-stripped text, so the list's "ACSE" also finds "ACSÉ".
        acronyms = {strip_accents(a).upper(): a for a in synonyms.acronyms}
        return cls(acronyms=acronyms, expansions=pattern, by_expansion=by_expansion)

    def find(self, text: str) -> tuple[str, ...]:
        """Acronyms cited in ``text``, most cited first (ties: first cited first)."""
        counts: Counter[str] = Counter()
        for match in _UPPER_WORD.finditer(strip_accents(text)):
            word = match.group().replace(".", "")
            if word in self.acronyms:
                counts[self.acronyms[word]] += 1
        if self.expansions is not None:
            for match in self.expansions.finditer(match_form(text)):
                acronym = self.by_expansion.get(term_key(match.group()))
                if acronym:
                    counts[acronym] += 1
        # Counter.most_common keeps insertion order on ties; insertion follows the text.
        return tuple(a for a, _ in counts.most_common(MAX_ORGANISATIONS))


# --- Territory -------------------------------------------------------------------------

REGIONS = (
    "Auvergne-Rhône-Alpes", "Bourgogne-Franche-Comté", "Bretagne", "Centre-Val de Loire", "Corse",
    "Grand Est", "Hauts-de-France", "Île-de-France", "Normandie", "Nouvelle-Aquitaine", "Occitanie",
    "Pays de la Loire", "Provence-Alpes-Côte d'Azur", "Guadeloupe", "Martinique", "Guyane",
    "La Réunion", "Mayotte",
)
_REGION_BY_KEY = {match_form(r): r for r in REGIONS}
_REGION = re.compile(
    r"\bregion\s+(?:d'|de |du )?(" + "|".join(re.escape(match_form(r)) for r in REGIONS) + r")\b"
)
# A place name: capitalised words, joined by hyphens, spaces or particles ("Saint-Denis",
# "La Courneuve", "Vaulx-en-Velin", "Clichy-sous-Bois").
_NAME = r"(?:[A-ZÉÈÎ][\w'’]+)(?:(?:[\s-](?:sur|sous|en|les|lès|de|du|des|la|le|l'|d')?[\s-]?)?[A-ZÉÈÎ][\w'’]+)*"
_PLACE = re.compile(
    r"\b(?P<kind>[Dd]épartement|[Vv]ille|[Mm]étropole|[Cc]ommune|[Aa]gglomération|[Qq]uartier)"
    r"\s+(?P<link>de la |de l'|de l’|du |des |de |d'|d’)(?P<name>" + _NAME + r")"
)
_NOT_PLACES = {"france", "paris-saclay", "etat", "ville", "quartiers", "republique", "politique"}


def find_territory(title: str, text: str) -> str | None:
    """The territory a document names explicitly ("Région Occitanie", "Ville de Grenoble",
    "Quartier des Minguettes"), or None when none or several compete.

    Conservative on purpose: a place cited once in passing is not the document's territory,
    so a candidate must be in the title or cited twice near the start, and clearly ahead.
    """
    head = text[:TERRITORY_CHARS]
    counts: Counter[str] = Counter()
    in_title: list[str] = []
    for source, weight in ((title, 2), (head, 1)):
        folded = match_form(source)
        for match in _REGION.finditer(folded):
            label = f"Région {_REGION_BY_KEY[match.group(1)]}"
            counts[label] += weight
            if source is title:
                in_title.append(label)
        for match in _PLACE.finditer(source):
            name = match.group("name").strip(" -'’")
            if match_form(name) in _NOT_PLACES or len(name) < 3:
                continue
            link = match.group("link").replace("’", "'")
            label = f"{match.group('kind').capitalize()} {link}{name}"
            counts[label] += weight
            if source is title:
                in_title.append(label)
    if in_title:
        return in_title[0]
    ranked = counts.most_common(2)
    if not ranked or ranked[0][1] < 2:
        return None
    if len(ranked) > 1 and ranked[1][1] * 2 > ranked[0][1]:
        return None
    return ranked[0][0]


# --- Licence ---------------------------------------------------------------------------

_CC = re.compile(
    r"\b(?:CC|Creative\s+Commons)[\s-]*(?P<parts>BY(?:[\s-]+(?:NC|ND|SA)){0,3})(?:[\s-]+(?P<v>\d\.\d))?",
    re.IGNORECASE,
)
_OTHER_LICENCES = [
    (re.compile(r"\blicence\s+ouverte(?:\s*/\s*open\s+licen[cs]e)?(?:\s*(?:v|version)?\s*(?P<v>\d\.\d))?", re.I),
     "Licence Ouverte"),
    (re.compile(r"\bopen\s+licen[cs]e(?:\s*(?:v|version)?\s*(?P<v>\d\.\d))?", re.I), "Licence Ouverte"),
    (re.compile(r"\bODbL\b(?:\s*(?P<v>\d\.\d))?"), "ODbL"),
    (re.compile(r"\bCC0\b|\bdomaine public\b", re.I), "CC0"),
]


def find_licence(text: str) -> str | None:
    """A licence stated in the first or last pages ("CC BY-NC-ND 4.0", "Licence Ouverte 2.0")."""
    edges = text[:6000] + "\n" + text[-6000:] if len(text) > 12000 else text
    match = _CC.search(edges)
    if match:
        parts = "-".join(p.upper() for p in re.split(r"[\s-]+", match.group("parts")))
        return f"CC {parts}" + (f" {match.group('v')}" if match.group("v") else "")
    for pattern, name in _OTHER_LICENCES:
        found = pattern.search(edges)
        if found:
            version = found.groupdict().get("v")
            return f"{name} {version}" if version else name
    return None

"""The sections of a practice sheet (« fiche d'expérience »): their keys, French labels and
heading variants, from an editable YAML file (``kb/data/sections.yaml``), and the one rule
that says whether a heading names one of them (``key_of``).

Pure: no I/O beyond reading the vocabulary file; finding headings in a text is the indexer's
job (``indexer/metadata/sections.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kb.analysis import fold
from kb.datafiles import read_yaml
from kb.errors import ConfigError

# Keys become Whoosh field-name suffixes and URL anchors: nothing else survives both.
_KEY = re.compile(r"[a-z_]+\Z")

# A heading may carry at most this many words after the variant it starts with
# (« Résultats obtenus », « Objectifs à 6 mois », « Perspectives 2026 »). Chosen on the dev
# half of bench/sections/judged.jsonl: no dev heading needs more, and a sentence that starts
# with a variant (« Budget participatif et participation des habitants au Clos-Fleuri »)
# has more.
MAX_EXTRA_WORDS = 3
# Headings the extractor found from styles/markup are sure to be headings: they may run a
# little longer (« Le contexte du projet de rénovation » is a heading, not a sentence).
MAX_EXTRA_WORDS_MARKED = 5

# Leading numbering: « 1. », « 2) », « 1.2 », « I – », « IV. », « A. », « b) »; a single
# letter or a roman numeral only counts when a separator follows it, so that « Impact » or
# « Cible » keep their first letter.
_NUMBERING = re.compile(
    r"^(?:\d+(?:[.\-]\d+)*[.)\-–—:]?|[ivxlc]+\s*[.)\-–—:]|[a-z]\s*[.)\-–—:])\s+"
)
# Anything that is not a letter or a digit, emoji and bullets included, is a word separator.
# Index field of a section's text: ``sec_resultats``; searched by ``resultats:mot``.
SECTION_PREFIX = "sec_"
_NON_WORD = re.compile(r"[^a-z0-9]+")
# Articles and possessives that headings add or drop at will (« Le contexte », « Nos
# partenaires », « L'impact »): dropped on both sides before comparing.
_DETERMINERS = frozenset({"le", "la", "les", "l", "nos", "notre", "vos", "votre", "un", "une", "des"})


def normalise(heading: str) -> str:
    """``heading`` as compared with the variants: folded (case, accents, ligatures), leading
    numbering and bullets removed, punctuation and emoji turned into spaces, a leading
    article dropped. « 3) RÉSULTATS OBTENUS : » → ``resultats obtenus``."""
    text = fold(heading).strip()
    # Bullets, markdown hashes and emoji before the numbering (« ## 2. Objectifs », « 🧩 Contexte »).
    start = 0
    while start < len(text) and not text[start].isalnum():
        start += 1
    text = _NUMBERING.sub("", text[start:], count=1)
    # Elided articles anywhere (« L’observation et l’évaluation », « Mesure d’impact »).
    words = [w for w in _NON_WORD.sub(" ", text).split() if w not in ("l", "d")]
    if len(words) > 1 and words[0] in _DETERMINERS:
        words = words[1:]
    return " ".join(words)


@dataclass(frozen=True)
class SectionVocabulary:
    """``keys`` in the usual order of a sheet; ``labels`` maps a key to its French label;
    ``variants`` maps a key to its headings as written in the file; ``lookup`` maps a
    normalised variant (label included) to its key."""

    keys: tuple[str, ...]
    labels: dict[str, str]
    variants: dict[str, tuple[str, ...]]
    lookup: dict[str, str]
    # Words in the longest normalised variant: bounds the prefix lookups of ``key_of``.
    longest: int = 0

    def key_of(self, heading: str, marked: bool = False) -> str | None:
        """The key whose variant ``heading`` names, else None. ``marked``: the extractor
        found this heading from styles/markup, so it may be a little longer."""
        words = normalise(heading).split()
        if not words or len(words) > 12:
            return None
        limit = MAX_EXTRA_WORDS_MARKED if marked else MAX_EXTRA_WORDS
        # Longest variant first: « résultats évaluation » before « résultats ». Variants are
        # at most a few words, so this is a handful of dict lookups per line.
        for size in range(min(len(words), self.longest), 0, -1):
            if len(words) - size > limit:
                break
            key = self.lookup.get(" ".join(words[:size]))
            if key is not None:
                return key
        return None

    def exact_key(self, heading: str) -> str | None:
        """The key when ``heading`` is exactly a variant (after normalisation): the strict
        rule for inline headings (« Contexte : … »), where a longer prefix is a sentence."""
        return self.lookup.get(normalise(heading))


def load_sections(path: Path | None = None) -> SectionVocabulary:
    """Load a section vocabulary (the shipped default when ``path`` is None)."""
    data = read_yaml(path, "kb", "data/sections.yaml", "vocabulaire des sections")
    if not isinstance(data, dict) or not data:
        raise ConfigError(f"vocabulaire des sections mal formé ({path}) : il faut une clé par "
                          "section, avec « libelle » et « variantes »")
    keys: list[str] = []
    labels: dict[str, str] = {}
    variants: dict[str, tuple[str, ...]] = {}
    lookup: dict[str, str] = {}
    for raw_key, entry in data.items():
        key = str(raw_key).strip()
        if not _KEY.match(key):
            raise ConfigError(f"vocabulaire des sections ({path}) : la clé « {key} » doit s'écrire "
                              "en minuscules sans accent, avec « _ » pour séparer les mots")
        if not isinstance(entry, dict):
            raise ConfigError(f"vocabulaire des sections ({path}) : « {key} » doit avoir un "
                              "« libelle » et une liste de « variantes »")
        label = str(entry.get("libelle") or key).strip()
        raw_variants = entry.get("variantes") or []
        if not isinstance(raw_variants, list):
            raise ConfigError(f"vocabulaire des sections ({path}) : les variantes de « {key} » "
                              "doivent être une liste (une par ligne, précédée de « - »)")
        written = tuple(str(v).strip() for v in raw_variants if str(v).strip())
        keys.append(key)
        labels[key] = label
        variants[key] = written
        for variant in (label, *written):
            # The first key that claims a variant keeps it: the file's order decides.
            normalised = normalise(variant)
            if normalised:
                lookup.setdefault(normalised, key)
    longest = max((v.count(" ") + 1 for v in lookup), default=0)
    return SectionVocabulary(keys=tuple(keys), labels=labels, variants=variants, lookup=lookup,
                             longest=longest)


@lru_cache(maxsize=1)
def default_sections() -> SectionVocabulary:
    """The shipped vocabulary, read once per process."""
    return load_sections()


def key_of(heading: str) -> str | None:
    """The section key that ``heading`` names in the shipped vocabulary (« 2) Résultats
    obtenus : » → ``resultats``), else None. A long line that merely contains a variant
    (« Les résultats de l'enquête nationale sur le logement 2019 ») is not a heading."""
    return default_sections().key_of(heading)

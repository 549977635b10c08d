"""Theme inference from a configurable thesaurus of trigger words (see data/thesaurus.yaml)."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from indexer.metadata._text import (
    alternation,
    is_acronym,
    match_form,
    strip_accents,
    term_key,
    term_pattern,
)
from kb.datafiles import read_yaml
from kb.errors import ConfigError

# Title words say what a document is about; body words may be incidental.
TITLE_WEIGHT = 4.0
MAX_THEMES = 4
# A secondary theme must reach this share of the best theme's score.
RELATIVE_FLOOR = 0.25


@dataclass(frozen=True)
class Thesaurus:
    """Theme labels with their trigger terms, and the two patterns that find them.

    ``words`` matches folded text (accent/case-insensitive); ``acronyms`` matches the
    accent-stripped original text case-sensitively. ``index`` maps a match key (see
    ``term_key``) to the themes it triggers. Compiled patterns pickle by source, so a
    Thesaurus can be sent to worker processes.
    """

    themes: dict[str, tuple[str, ...]]
    words: re.Pattern[str] | None
    acronyms: re.Pattern[str] | None
    index: dict[str, tuple[str, ...]]

    @property
    def labels(self) -> tuple[str, ...]:
        """The thesaurus's themes, in its order."""
        return tuple(self.themes)

    def canonical(self, label: str) -> str:
        """The thesaurus label equal to ``label`` up to accents and case, else ``label`` itself."""
        wanted = match_form(label).strip()
        for known in self.themes:
            if match_form(known) == wanted:
                return known
        return label.strip()


def load_thesaurus(path: Path | None = None) -> Thesaurus:
    """Load a thesaurus file (the shipped default when ``path`` is None) and compile it."""
    data = read_yaml(path, "indexer", "data/thesaurus.yaml", "thésaurus")
    raw = data.get("themes") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        raise ConfigError(f"thésaurus mal formé ({path}) : il faut une clé « themes » avec un thème par ligne")
    themes: dict[str, tuple[str, ...]] = {}
    for label, terms in raw.items():
        if not isinstance(terms, list):
            raise ConfigError(f"thésaurus mal formé ({path}) : le thème « {label} » doit lister ses termes")
        themes[str(label).strip()] = tuple(str(t).strip() for t in terms if str(t).strip())
    return build_thesaurus(themes)


def build_thesaurus(themes: dict[str, tuple[str, ...]]) -> Thesaurus:
    """Compile one pattern for all word terms and one for all acronyms: one scan per text."""
    index: dict[str, list[str]] = {}
    word_patterns: list[str] = []
    acronym_patterns: list[str] = []
    for label, terms in themes.items():
        for term in terms:
            if is_acronym(term):
                key = strip_accents(term)
                acronym_patterns.append(re.escape(key))
            else:
                folded = match_form(term)
                key = term_key(folded)
                word_patterns.append(term_pattern(folded))
            if label not in index.setdefault(key, []):
                index[key].append(label)
    words = re.compile(rf"(?<!\w)(?:{alternation(word_patterns)})(?!\w)") if word_patterns else None
    acronyms = re.compile(rf"(?<!\w)(?:{alternation(acronym_patterns)})(?!\w)") if acronym_patterns else None
    return Thesaurus(
        themes=themes, words=words, acronyms=acronyms, index={k: tuple(v) for k, v in index.items()}
    )


def _term_counts(text: str, thesaurus: Thesaurus) -> Counter[str]:
    """Occurrences of each thesaurus term (by key) in ``text``."""
    counts: Counter[str] = Counter()
    if thesaurus.words is not None:
        counts.update(term_key(m.group()) for m in thesaurus.words.finditer(match_form(text)))
    if thesaurus.acronyms is not None:
        counts.update(m.group() for m in thesaurus.acronyms.finditer(strip_accents(text)))
    return counts


def theme_scores(title: str, text: str, thesaurus: Thesaurus) -> dict[str, float]:
    """Score of every theme present: sqrt of each term's count (so one repeated word cannot
    carry a theme alone), plus TITLE_WEIGHT per distinct term found in the title."""
    scores: dict[str, float] = {}
    for key, count in _term_counts(text, thesaurus).items():
        for label in thesaurus.index.get(key, ()):
            scores[label] = scores.get(label, 0.0) + math.sqrt(count)
    for key in _term_counts(title, thesaurus):
        for label in thesaurus.index.get(key, ()):
            scores[label] = scores.get(label, 0.0) + TITLE_WEIGHT
    return scores


def threshold(word_count: int) -> float:
    """Minimum score for a theme: grows slowly with length, since long reports mention
    many themes in passing (300 words → 1.8, 20,000 words → 4.2)."""
    return 1.5 + 0.5 * math.log2(1 + word_count / 500)


def infer_themes(title: str, text: str, thesaurus: Thesaurus, word_count: int | None = None) -> tuple[str, ...]:
    """Themes of a document, best first: at most MAX_THEMES above the length threshold."""
    scores = theme_scores(title or "", text or "", thesaurus)
    if not scores:
        return ()
    words = word_count if word_count is not None else len((text or "").split())
    floor = max(threshold(words), RELATIVE_FLOOR * max(scores.values()))
    order = list(thesaurus.themes)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], order.index(item[0]) if item[0] in order else 0))
    return tuple(label for label, score in ranked if score >= floor)[:MAX_THEMES]

"""Organisations and dispositifs that are not acronyms (« bailleur social », « contrat de
ville », « mairie »…), found by the expressions of ``kb/data/organisations.yaml``.

Acronyms are found by ``entities.OrgMatcher`` from ``synonyms.yaml``; this adds the names
the vocabulary lists with trigger expressions. Which facet each name goes to is decided when
indexing (``kb.vocabulary``)."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

from indexer.metadata.themes import Thesaurus, _term_counts, build_thesaurus
from kb.vocabulary import Vocabulary, default_vocabulary

MAX_NAMES = 6  # names of this kind kept per document, most cited first


def _compile(vocabulary: Vocabulary) -> Thesaurus:
    return build_thesaurus({label: terms for label, terms in vocabulary.triggers.items() if terms})


@lru_cache(maxsize=1)
def _default() -> Thesaurus:
    """The shipped vocabulary's expressions, compiled once per process."""
    return _compile(default_vocabulary())


def find_names(text: str, vocabulary: Vocabulary | None = None) -> tuple[str, ...]:
    """Labels of the vocabulary whose expressions ``text`` cites, most cited first (ties:
    the vocabulary's order)."""
    compiled = _compile(vocabulary) if vocabulary is not None else _default()
    counts: Counter[str] = Counter()
    for key, count in _term_counts(text, compiled).items():
        for label in compiled.index.get(key, ()):
            counts[label] += count
    order = list(compiled.themes)
    ranked = sorted(counts, key=lambda label: (-counts[label], order.index(label)))
    return tuple(ranked[:MAX_NAMES])

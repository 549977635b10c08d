"""Which names are organisations and which are schemes (« dispositifs »), from an editable
YAML file (``kb/data/organisations.yaml``).

Metadata extraction cites names (acronyms of ``synonyms.yaml``, expressions of this file) in
one list, ``Document.organisations``; the index files each name under the facet this
vocabulary gives it. Classifying when indexing, not when extracting, means a base built by
an older version gets the two facets from its catalog alone (a rebuild), without re-reading
its files.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kb.analysis import fold
from kb.datafiles import read_yaml
from kb.errors import ConfigError

ORGANISATION, SCHEME, OTHER = "organisations", "dispositifs", "autres"


@dataclass(frozen=True)
class Vocabulary:
    """``kinds`` maps a folded label to (its kind, the label as written); ``triggers`` maps a
    label to the expressions that signal it in a text (empty for acronyms of synonyms.yaml)."""

    kinds: dict[str, tuple[str, str]]
    triggers: dict[str, tuple[str, ...]]

    def kind(self, name: str) -> str:
        """The kind of ``name`` (accents and case ignored); unknown names are organisations:
        someone wrote them in a sidecar or the synonyms file on purpose."""
        found = self.kinds.get(fold(name).strip())
        return found[0] if found else ORGANISATION

    def split(self, names: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(organisations, schemes) among ``names``, in order, each once, as the vocabulary
        writes them; names of the « autres » kind are in neither."""
        bodies: list[str] = []
        schemes: list[str] = []
        for name in names:
            found = self.kinds.get(fold(name).strip())
            label = found[1] if found else name.strip()
            kind = found[0] if found else ORGANISATION
            target = bodies if kind == ORGANISATION else schemes if kind == SCHEME else None
            if target is not None and label and label not in target:
                target.append(label)
        return tuple(bodies), tuple(schemes)


def load_vocabulary(path: Path | None = None) -> Vocabulary:
    """Load a vocabulary file (the shipped default when ``path`` is None)."""
    data = read_yaml(path, "kb", "data/organisations.yaml", "vocabulaire des organisations")
    if not isinstance(data, dict):
        raise ConfigError(f"vocabulaire des organisations mal formé ({path}) : il faut les clés "
                          "organisations et dispositifs")
    kinds: dict[str, tuple[str, str]] = {}
    triggers: dict[str, tuple[str, ...]] = {}
    for kind in (ORGANISATION, SCHEME, OTHER):
        section = data.get(kind) or {}
        if not isinstance(section, dict):
            raise ConfigError(f"vocabulaire des organisations mal formé ({path}) : « {kind} » doit "
                              "lister un libellé par ligne")
        for raw_label, terms in section.items():
            label = str(raw_label).strip()
            if not label:
                continue
            kinds.setdefault(fold(label), (kind, label))
            if isinstance(terms, list):
                triggers[label] = tuple(str(t).strip() for t in terms if str(t).strip())
    return Vocabulary(kinds=kinds, triggers=triggers)


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """The shipped vocabulary, read once per process."""
    return load_vocabulary()

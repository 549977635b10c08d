"""Synonym and acronym groups, loaded from a YAML file the user can replace."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kb.datafiles import read_yaml
from kb.errors import ConfigError


@dataclass(frozen=True)
class Synonyms:
    """``acronyms`` maps an acronym to its expansion; ``groups`` are sets of equivalent
    expressions (acronyms already merged with their expansions and with each other)."""

    acronyms: dict[str, str]
    groups: tuple[tuple[str, ...], ...]


def load_synonyms(path: Path | None = None) -> Synonyms:
    """Load a synonyms file (the shipped default when ``path`` is None)."""
    data = read_yaml(path, "kb", "data/synonyms.yaml", "fichier de synonymes")
    if not isinstance(data, dict):
        raise ConfigError(f"fichier de synonymes mal formé ({path}) : il faut les clés acronyms et groups")
    acronyms = {str(k).strip(): str(v).strip() for k, v in (data.get("acronyms") or {}).items()}
    raw_groups = [[str(e).strip() for e in g] for g in (data.get("groups") or []) if isinstance(g, list)]
    raw_groups += [[acro, expansion] for acro, expansion in acronyms.items()]
    return Synonyms(acronyms=acronyms, groups=_merge(raw_groups))


def _merge(groups: list[list[str]]) -> tuple[tuple[str, ...], ...]:
    """Union groups sharing an expression (case-insensitive), keeping first-seen order."""
    merged: list[list[str]] = []
    for group in groups:
        keys = {e.casefold() for e in group if e}
        overlapping = [m for m in merged if keys & {e.casefold() for e in m}]
        target: list[str] = []
        for m in overlapping:
            merged.remove(m)
            target += m
        for e in group:
            if e and e.casefold() not in {t.casefold() for t in target}:
                target.append(e)
        merged.append(target)
    return tuple(tuple(g) for g in merged if len(g) > 1)

"""Sidecar metadata files: ``NAME.meta.yaml`` beside ``NAME.ext``, written by people.

Two names are read for ``charte.pdf``: ``charte.meta.yaml`` (shared by every format of the
same document, e.g. charte.pdf and charte.docx) and ``charte.pdf.meta.yaml`` (this file only).
Both are merged and the more specific ``charte.pdf.meta.yaml`` wins key by key. ``.meta.yml``
is accepted too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from pathlib import Path

import yaml

from indexer.metadata._text import match_form

SIDECAR_SUFFIXES = (".meta.yaml", ".meta.yml")
# libyaml's parser when PyYAML has it (same values, ~8x less CPU), else the pure-Python one.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Folded spellings (accents, case, "-"/"_" ignored) → canonical field name.
SIDECAR_KEYS: dict[str, str] = {
    "title": "title", "titre": "title",
    "type": "type", "type de document": "type", "genre": "type",
    "date": "date", "date de publication": "date", "publication": "date", "published": "date",
    "themes": "themes", "theme": "themes", "thematiques": "themes", "thematique": "themes",
    "territory": "territory", "territoire": "territory",
    "author": "author", "auteur": "author", "auteurs": "author", "authors": "author",
    "summary": "summary", "resume": "summary", "description": "summary", "chapo": "summary",
    "language": "language", "langue": "language", "lang": "language",
    "licence": "licence", "license": "licence",
    "organisations": "organisations", "organisation": "organisations",
    "organizations": "organisations", "organismes": "organisations",
    "keywords": "keywords", "mots cles": "keywords", "mots cle": "keywords", "mot cle": "keywords",
    "tags": "keywords",
    "url": "url", "lien": "url", "link": "url",
}


class SidecarError(ValueError):
    """A sidecar file cannot be used; the message says which file and why, in French."""


def is_sidecar(path: Path) -> bool:
    """True for ``*.meta.yaml`` / ``*.meta.yml`` files, which describe another file and are
    never indexed themselves."""
    return path.name.lower().endswith(SIDECAR_SUFFIXES)


def sidecar_base(sidecar: Path) -> str:
    """``charte.pdf`` for ``charte.pdf.meta.yaml``: the sidecar's name without its suffix."""
    lower = sidecar.name.lower()
    return next((sidecar.name[: -len(s)] for s in SIDECAR_SUFFIXES if lower.endswith(s)), sidecar.name)


def described_name(sidecar: Path, names: Collection[str]) -> str | None:
    """The name of a file that ``sidecar`` describes among ``names`` (its folder's listing),
    else None: ``charte.pdf.meta.yaml`` describes ``charte.pdf``, ``charte.meta.yaml`` any
    ``charte.*`` (the reverse of ``sidecar_paths``)."""
    base = sidecar_base(sidecar)
    if base in names:
        return base
    for name in sorted(names):
        dot = name.rfind(".")
        if dot > 0 and name[:dot] == base and not is_sidecar(Path(name)):
            return name
    return None


def sidecar_paths(path: Path) -> list[Path]:
    """Candidate sidecars of ``path``, least specific first (the later ones win)."""
    names = [path.stem + s for s in SIDECAR_SUFFIXES] + [path.name + s for s in SIDECAR_SUFFIXES]
    return [path.with_name(n) for n in names]


def field_name(key: object) -> str:
    """Canonical field name for a declared key, or the key itself (stripped) when unknown."""
    raw = str(key).strip()
    folded = " ".join(match_form(raw).replace("_", " ").replace("-", " ").split())
    return SIDECAR_KEYS.get(folded, raw)


def normalise_fields(data: Mapping[object, object] | Mapping[str, object]) -> dict[str, object]:
    """Rename known keys to canonical names; the first spelling met wins on duplicates."""
    fields: dict[str, object] = {}
    for key, value in data.items():
        fields.setdefault(field_name(key), value)
    return fields


def _load(path: Path) -> dict[str, object]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SidecarError(f"fiche de métadonnées {path.name} illisible : elle doit être en UTF-8 "
                           f"({exc.reason})") from exc
    except OSError as exc:
        raise SidecarError(f"fiche de métadonnées {path.name} illisible : {exc.strerror or exc}") from exc
    try:
        data = yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (ligne {where.line + 1})" if where is not None else ""
        raise SidecarError(f"fiche de métadonnées {path.name} invalide{line} : YAML incorrect") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SidecarError(
            f"fiche de métadonnées {path.name} invalide : il faut une liste « clé: valeur » (titre:, date:, thèmes:…)"
        )
    return normalise_fields(data)


def read_sidecar(path: Path) -> dict[str, object]:
    """Merged sidecar fields for the document at ``path`` ({} when it has none).

    Known keys are renamed to canonical English names (titre → title, thèmes → themes,
    mots-clés → keywords...); unknown keys are kept as written. Raises SidecarError when a
    sidecar exists but is not valid YAML mapping.
    """
    merged: dict[str, object] = {}
    for candidate in sidecar_paths(path):
        if candidate.is_file():
            merged.update(_load(candidate))
    return merged


def as_text(value: object) -> str | None:
    """A declared scalar as a clean string (YAML dates become ISO), None when empty."""
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v).strip() for v in value if str(v).strip()) or None
    text = str(value).strip()
    return text or None


def as_list(value: object) -> list[str]:
    """A declared list, or a string separated by commas or semicolons, as clean strings."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else str(value).replace(";", ",").split(",")
    return [str(v).strip() for v in items if v is not None and str(v).strip()]

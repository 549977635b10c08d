"""Sidecar metadata files: ``NAME.meta.yaml`` beside ``NAME.ext``, written by people.

Two names are read for ``charte.pdf``: ``charte.meta.yaml`` (shared by every format of the
same document, e.g. charte.pdf and charte.docx) and ``charte.pdf.meta.yaml`` (this file only).
Both are merged and the more specific ``charte.pdf.meta.yaml`` wins key by key. ``.meta.yml``
is accepted too.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import stat
from collections.abc import Collection, Mapping
from pathlib import Path

import yaml

from indexer.extract.yamltext import LenientSafeLoader
from indexer.metadata._text import match_form
from kb.errors import os_cause
from kb.store import NotRegularFile, open_regular

SIDECAR_SUFFIXES = (".meta.yaml", ".meta.yml")
# Errors that mean "no sidecar by that name": none there, a component that is not a folder, a
# name too long to exist (a document name of 246-255 bytes plus ".meta.yaml"), or a symbolic
# link met by O_NOFOLLOW (swapped in after the lstat).
_ABSENT = frozenset({errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG, errno.ELOOP})

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


def sidecar_stat(candidate: Path) -> os.stat_result | None:
    """The ``lstat`` of ``candidate`` when it is a sidecar to read (a regular file, not a
    symbolic link), else None: absent, a name too long to exist, a link, a folder, a pipe."""
    try:
        st = os.lstat(candidate)
    except OSError as exc:
        if exc.errno in _ABSENT:
            return None
        raise
    return st if stat.S_ISREG(st.st_mode) else None


def sidecar_text(candidate: Path) -> str | None:
    """The text of the sidecar ``candidate``, None when there is none to read (see
    ``sidecar_stat``). Raises SidecarError when it exists but cannot be read as UTF-8."""
    try:
        # A symbolic link is never read, wherever it points: the sidecar of a document inside
        # the folder must not pull in a file from outside (the walk reports such a link). The
        # open refuses a link or a pipe swapped in after the lstat too.
        if sidecar_stat(candidate) is None:
            return None
        with open_regular(candidate, follow_links=False) as fh:
            data = fh.read()
    except NotRegularFile:
        return None
    except OSError as exc:
        if exc.errno in _ABSENT:
            return None
        raise SidecarError(f"fiche de métadonnées {candidate.name} illisible : {os_cause(exc)}") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SidecarError(f"fiche de métadonnées {candidate.name} illisible : elle doit être en UTF-8 "
                           f"({exc.reason})") from exc


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


def _load(path: Path, text: str) -> dict[str, object]:
    try:
        data = yaml.load(text, Loader=LenientSafeLoader)
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
    sidecar exists but is not valid YAML mapping. A sidecar that is a symbolic link is never
    read; one whose name would be too long to exist is absent.
    """
    merged: dict[str, object] = {}
    for candidate in sidecar_paths(path):
        if (text := sidecar_text(candidate)) is not None:
            merged.update(_load(candidate, text))
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

"""Check a practice sheet against the template (docs/modele-fiche-experience.md): its title,
its sections, the keys of its header (Markdown front matter or ``.meta.yaml`` sidecar).

``validate_sheet`` returns French messages for the person who wrote the sheet; an empty list
means the sheet is complete. It reads the file the way indexing does (same extractor, same
section finder), so what it reports is what the base will see.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import yaml

from indexer.extract.base import ExtractionError
from indexer.extract.registry import extract
from indexer.extract.yamltext import LenientSafeLoader
from indexer.metadata._text import match_form
from indexer.metadata.sidecar import SIDECAR_KEYS, SidecarError, sidecar_paths, sidecar_text
from kb.practice import PRACTICE_ALIASES
from kb.sectioning import find_sections
from kb.sections import SectionVocabulary, default_sections

# The header keys of the template, beyond the sidecar fields every document may have.
PRACTICE_KEYS = ("titre", "date", "type", "porteur", "territoire", "qpv", "public", "periode",
                 "etat", "financeurs", "partenaires", "themes", "licence", "contact")
# Sections a sheet may leave out: many actions have no document to point to.
OPTIONAL_SECTIONS = frozenset({"ressources"})


def _spelling(key: str) -> str:
    """A key as compared: accents, case, « _ » and « - » ignored, like sidecar field names."""
    return " ".join(match_form(key).replace("_", " ").replace("-", " ").split())


# Every spelling the indexer reads (kb.practice: « structure porteuse », « statut »…) is known.
_KNOWN = {_spelling(k) for k in (*SIDECAR_KEYS, *PRACTICE_KEYS, *PRACTICE_ALIASES)}
# Suggestions are given in the template's own spelling when there is one.
_SUGGESTIONS = {_spelling(k): k for k in (*SIDECAR_KEYS, *PRACTICE_KEYS)}


def _header_keys(path: Path, meta: dict[str, object]) -> list[tuple[str, str]]:
    """(where, key) of every key written in the front matter and the sidecars."""
    keys = [("l'en-tête", str(k)) for k in meta]
    for sidecar in sidecar_paths(path):
        try:
            # Read as indexing reads it: never through a symbolic link, absent if its name is too long.
            text = sidecar_text(sidecar)
            if text is None:
                continue
            data = yaml.load(text, Loader=LenientSafeLoader)  # a date typo is no error here either
        except (SidecarError, yaml.YAMLError):
            # Indexing reports an unreadable sidecar itself; here only its keys matter.
            keys.append((sidecar.name, "(fichier illisible)"))
            continue
        if isinstance(data, dict):
            keys.extend((sidecar.name, str(k)) for k in data)
    return keys


def _unknown_key_message(where: str, key: str) -> str | None:
    if key == "(fichier illisible)":
        return f"fiche de métadonnées illisible : {where}"
    spelling = _spelling(key)
    if spelling in _KNOWN:
        return None
    close = difflib.get_close_matches(spelling, list(_SUGGESTIONS), n=1, cutoff=0.75)
    hint = f" (voulez-vous dire « {_SUGGESTIONS[close[0]]} » ?)" if close else ""
    place = "dans l'en-tête" if where == "l'en-tête" else f"dans {where}"
    return f"clé inconnue {place} : « {key} »{hint}"


def validate_sheet(path: Path, vocabulary: SectionVocabulary | None = None) -> list[str]:
    """French messages on what the sheet at ``path`` lacks or misspells; [] when complete."""
    vocabulary = vocabulary or default_sections()
    try:
        extracted = extract(path)
    except ExtractionError as exc:
        return [f"fichier illisible : {exc.reason}"]
    messages: list[str] = []
    title = extracted.title or extracted.meta.get("titre") or extracted.meta.get("title")
    if not str(title or "").strip():
        messages.append("aucun titre : ajoutez « titre: » dans l'en-tête ou un titre au début de la fiche")
    # Only Markdown's meta is written by a person; DOCX/ODT meta are the office suite's own
    # properties (creator, revision…), not a header to check.
    declared = extracted.meta if extracted.format in ("markdown", "md") else {}
    for where, key in _header_keys(path, declared):
        message = _unknown_key_message(where, key)
        if message:
            messages.append(message)
    sections = find_sections(extracted.text, extracted.headings, vocabulary)
    found = {s.key: s for s in sections}
    for key in vocabulary.keys:
        section = found.get(key)
        if section is None:
            if key not in OPTIONAL_SECTIONS:
                messages.append(f"section manquante : {vocabulary.labels[key]}")
        elif section.start >= section.end:
            messages.append(f"section vide : {vocabulary.labels[key]}")
    return messages

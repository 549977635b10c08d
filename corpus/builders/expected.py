"""``expected.toml``: the golden file of the demo corpus, written with tomli-w."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from corpus.builders.checks import PageInfo
from corpus.builders.source import Source

HEADER = """\
# Passerelles — résultats attendus du corpus de démonstration (test de référence).
# Fichier produit par corpus/build.py à partir des sources corpus/src/*.md et de
# corpus/src/checks.yaml : ne pas modifier à la main, modifier les sources puis reconstruire.
#
# Une table par document, de clé = chemin relatif à corpus/ :
#   title    titre que la recherche doit afficher (celui du fichier .meta.yaml s'il existe)
#   type     type de document attendu (libellés de kb : charte, cadre de référence, …)
#   contains expression que le texte extrait doit contenir (espaces normalisés)
#   queries  requêtes qui doivent classer le document dans les 3 premiers résultats
#   page_queries (PDF paginé) requête et numéro de page (1 = première) où elle doit pointer
# [[checks]] : requêtes de recette ; `expect` doit figurer dans les résultats (dans les
# `top` premiers si `top` est donné), filtrés par `type` si `type` est donné.

"""


def expected_data(sources: list[Source], pages_info: dict[str, PageInfo],
                  checks: list[dict[str, Any]]) -> dict[str, Any]:
    """The content of expected.toml: one table per document (by path), then the checks."""
    data: dict[str, Any] = {}
    for src in sorted(sources, key=lambda s: s.relpath):
        expect = src.meta["expect"]
        table: dict[str, Any] = {"title": src.shown_title, "type": src.meta["type"],
                                 "contains": expect["contains"], "queries": list(expect["queries"])}
        if src.relpath in pages_info:
            info = pages_info[src.relpath]
            table["page_queries"] = {"query": info["query"], "page": info["page"]}
        data[src.relpath] = table
    data["checks"] = checks
    return data


def write_expected(target: Path, sources: list[Source], pages_info: dict[str, PageInfo],
                   checks: list[dict[str, Any]]) -> None:
    """Write expected.toml to ``target`` and read it back (it must stay valid TOML)."""
    data = expected_data(sources, pages_info, checks)
    target.write_text(HEADER + tomli_w.dumps(data, indent=2), encoding="utf-8")
    if tomllib.loads(target.read_text(encoding="utf-8")) != data:
        raise SystemExit(f"{target.name} : relu différent de ce qui a été écrit")

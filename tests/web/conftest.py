"""Fixtures of the web tests: a knowledge base built once per session by the real pipeline over
real files (the demo corpus when present, plus files written here, one of them hostile), the
app and its test client."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from indexer.ingest import Options, index_paths
from kb.knowledgebase import KnowledgeBase
from webui import create_app
from webui.context import close_base

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus" / "documents"

# Text that must show as text everywhere (pages, snippets, feeds, exports, API).
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
BOLD_TITLE = "Rapport <b>gras</b> sur la médiation xylophonique"

HOSTILE_TEXT = f"""Rapport sur la médiation xylophonique

La médiation xylophonique dans les quartiers prioritaires : un texte d'essai.
Voici un fragment dangereux {SCRIPT} puis une image {IMG} au milieu du texte.

Les habitants du quartier ont participé aux ateliers de médiation xylophonique.
"""

# Metadata inference strips tags from titles and summaries, then decodes entities: written as
# entities, the markup reaches the catalog as raw characters, which is what the web must survive.
def _entities(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;")


HOSTILE_META = f"""title: "{_entities(BOLD_TITLE)}"
type: étude
date: 2024-06-01
summary: "Résumé avec {_entities(SCRIPT)} et {_entities(IMG)} dedans. Seconde phrase."
"""

HTML_PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>Page web de la régie de quartier zanzibar</title></head>
<body><main><h1>Page web de la régie de quartier zanzibar</h1>
<p>La régie de quartier zanzibar entretient les espaces publics du quartier et emploie des habitants
en insertion. Elle travaille avec le bailleur social et la ville dans le cadre de la GUSP.</p>
<script>document.title = "piratage"</script>
</main></body></html>
"""

MARKDOWN_PAGE = """---
title: Fiche d'expérience jardins partagés quokka
date: 2023-03-10
---

# Jardins partagés quokka

Les jardins partagés quokka réunissent les habitants du quartier prioritaire autour de la
transition écologique et de l'alimentation. Les îlots de chaleur reculent.
"""


# A document whose licence asks for its source: both must follow it wherever it leaves the base.
LICENSED_TEXT = """Guide du tamanoir pour les conseils citoyens

Ce guide présente les conseils citoyens du quartier du tamanoir et leur règlement intérieur.
"""

LICENSED_META = """titre: Guide du tamanoir pour les conseils citoyens
type: étude/rapport
date: 2022-09-15
auteur: "Centre de ressources « Ville & Quartiers »"
url: https://crpv.example.org/guides/tamanoir
licence: Licence Ouverte 2.0
résumé: Un guide pour les conseils citoyens du quartier du tamanoir.
"""


def write_pdf(path: Path) -> None:
    """A three-page PDF whose word "ornithorynque" is on pages 2 and 3 only."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Rapport ornithorynque sur la politique de la ville")
    pdf.set_font("helvetica", size=12)
    pages = [
        "Rapport annuel sur la politique de la ville. Introduction générale au contrat de ville.",
        "Deuxième partie : l'ornithorynque du quartier et la participation des habitants.",
        "Troisième partie : encore l'ornithorynque, puis la conclusion sur le renouvellement urbain.",
    ]
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))


def write_own_files(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rapport-hostile.txt").write_text(HOSTILE_TEXT, encoding="utf-8")
    (folder / "rapport-hostile.txt.meta.yaml").write_text(HOSTILE_META, encoding="utf-8")
    (folder / "regie-zanzibar.html").write_text(HTML_PAGE, encoding="utf-8")
    (folder / "jardins-quokka.md").write_text(MARKDOWN_PAGE, encoding="utf-8")
    write_pdf(folder / "rapport-ornithorynque.pdf")
    (folder / "guide-tamanoir.txt").write_text(LICENSED_TEXT, encoding="utf-8")
    (folder / "guide-tamanoir.txt.meta.yaml").write_text(LICENSED_META, encoding="utf-8")


def build_home(home: Path, sources: list[Path]) -> None:
    kb = KnowledgeBase(home)
    try:
        report = index_paths(kb, sources, Options(workers=2))
    finally:
        kb.close()
    assert report.indexed, report.to_dict()


@dataclass(frozen=True)
class Base:
    home: Path
    sources: Path
    corpus: bool  # whether the demo corpus is part of it


@pytest.fixture(scope="session")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    """A home indexed once per session (the sources are copies: nothing moves the originals)."""
    root = tmp_path_factory.mktemp("kbweb")
    sources = root / "sources"
    write_own_files(sources / "own")
    has_corpus = CORPUS.is_dir() and any(CORPUS.rglob("*.*"))
    if has_corpus:
        shutil.copytree(CORPUS, sources / "corpus")
    build_home(root / "home", [sources])
    return Base(root / "home", sources, has_corpus)


@pytest.fixture(scope="session")
def app(base: Base) -> Iterator[Flask]:
    # The address a server would have been started with: absolute links begin with it.
    app = create_app({"KB_HOME": str(base.home), "TESTING": True, "SERVER_URL": "http://localhost"})
    yield app
    close_base(app)


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def ids(app: Flask) -> dict[str, str]:
    """Ids of our own documents by file stem."""
    kb: KnowledgeBase = app.extensions["kb"]
    out = {}
    for entry in kb.known_files():
        out[Path(entry.path).stem.removesuffix(".txt")] = entry.id
    return out


@pytest.fixture(scope="session")
def quokka_markdown() -> str:
    """The text of jardins-quokka.md, for tests that build their own home."""
    return MARKDOWN_PAGE

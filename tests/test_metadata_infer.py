"""infer_metadata end to end, and sidecar files: precedence sidecar > declared > inferred."""

from __future__ import annotations

import multiprocessing
from dataclasses import fields
from pathlib import Path

import pytest

from indexer.extract.base import Extracted
from indexer.metadata import (
    Metadata,
    SidecarError,
    infer_metadata,
    is_sidecar,
    read_sidecar,
)
from kb.model import Document, FileIdentity

FICHE = """Fiche d'expérience

Une régie de quartier au service des habitants

La régie de quartier du quartier des Aubiers, à Bordeaux, emploie des habitants en insertion pour
l'entretien des espaces publics. Créée en 2012 avec le soutien de l'ANRU et de la CAF, elle associe
le conseil citoyen à ses choix. Publié le 16 mars 2017.

Contexte d'action
Le quartier des Aubiers est un quartier prioritaire de la politique de la ville. Les chantiers
d'insertion y complètent la clause d'insertion du projet de renouvellement urbain. La régie emploie
vingt salariés en insertion, et l'emploi des habitants reste la priorité de la régie de quartier.
"""


def _extracted(text: str = FICHE, **kwargs: object) -> Extracted:
    return Extracted(format=str(kwargs.pop("format", "txt")), text=text, **kwargs)  # type: ignore[arg-type]


def test_metadata_fields_match_the_brief() -> None:
    assert [f.name for f in fields(Metadata)] == [
        "title", "type", "date", "themes", "organisations", "territory", "language", "author",
        "summary", "url", "keywords", "licence", "page_count", "word_count", "extra", "practice",
    ]


def test_inferred_from_text_alone(tmp_path: Path) -> None:
    meta = infer_metadata(_extracted(), tmp_path / "regie.txt")
    # « Fiche d'expérience » names the kind of document: the line after it says which one.
    assert meta.title == "Fiche d'expérience : Une régie de quartier au service des habitants"
    assert meta.type == "fiche d'expérience"
    assert meta.date == "2017-03-16"
    assert meta.language == "fr"
    assert {"développement économique et emploi", "renouvellement urbain et habitat"} <= set(meta.themes)
    assert {"ANRU", "CAF", "QPV"} <= set(meta.organisations)
    assert meta.territory == "Quartier des Aubiers"
    assert meta.summary.startswith("La régie de quartier du quartier des Aubiers")
    assert len(meta.summary) <= 300
    assert 90 < meta.word_count <= len(FICHE.split())  # "d'insertion" counts once
    assert meta.extra == {}


def test_metadata_feeds_a_document(tmp_path: Path) -> None:
    meta = infer_metadata(_extracted(), tmp_path / "regie.txt")
    values = {f.name: getattr(meta, f.name) for f in fields(Metadata)}
    doc = Document(id="x", file=FileIdentity("regie.txt", 1, 0.0, "0", "txt"), text=FICHE, **values)
    assert Document.from_dict(doc.to_dict()) == doc


def test_declared_fields_beat_inference(tmp_path: Path) -> None:
    extracted = _extracted(
        title="Microsoft Word - regie.doc",
        author="Utilisateur Windows",
        date="D:20180102101500+01'00'",
        language="fr-FR",
        description="Une régie de quartier qui emploie les habitants des Aubiers.",
        url="https://example.org/regie",
        keywords=["régie de quartier", "insertion"],
        headings=["Une régie de quartier au service des habitants"],
        page_count=3,
    )
    meta = infer_metadata(extracted, tmp_path / "regie.pdf")
    assert meta.title == "Une régie de quartier au service des habitants"  # junk PDF title skipped
    assert meta.author is None  # office default author skipped
    assert meta.date == "2018-01-02"
    assert meta.summary == "Une régie de quartier qui emploie les habitants des Aubiers."
    assert meta.url == "https://example.org/regie"
    assert meta.keywords == ("régie de quartier", "insertion")
    assert meta.page_count == 3


def test_front_matter_beats_format_fields(tmp_path: Path) -> None:
    extracted = _extracted(
        format="md",
        title="Titre du format",
        meta={"title": "Titre du front matter", "date": "2021-06-01", "thematiques": ["Écologie", "Outil technique"],
              "type": "rapport"},
    )
    meta = infer_metadata(extracted, tmp_path / "x.md")
    assert meta.title == "Titre du front matter"
    assert meta.date == "2021-06-01"
    assert meta.type == "étude/rapport"
    assert meta.themes == ("transition écologique",)
    assert "Outil technique" in meta.keywords  # a foreign theme is kept as a keyword


def test_sidecar_beats_everything(tmp_path: Path) -> None:
    sidecar = {
        "titre": "Régie de quartier des Aubiers",
        "type": "fiche-experience",
        "date": "mars 2019",
        "thèmes": "Santé; cohesion sociale",
        "territoire": "Bordeaux — Les Aubiers",
        "auteur": "CRPV Aquitaine",
        "résumé": "Une régie qui emploie les habitants.",
        "langue": "fr",
        "licence": "CC BY-NC-ND 4.0",
        "organisations": ["CAF", "ANRU"],
        "mots-clés": ["régie", "insertion"],
        "url": "https://example.org/fiche",
        "porteur": "Régie de quartier Habiter Bacalan",
        "financeurs": ["P147", "CAF"],
    }
    meta = infer_metadata(_extracted(title="Autre titre", date="2015-01-01"), tmp_path / "f.pdf", sidecar)
    assert meta.title == "Régie de quartier des Aubiers"
    assert meta.type == "fiche d'expérience"
    assert meta.date == "2019-03"
    assert meta.themes == ("santé", "cohésion sociale")
    assert meta.territory == "Bordeaux — Les Aubiers"
    assert meta.author == "CRPV Aquitaine"
    assert meta.summary == "Une régie qui emploie les habitants."
    assert meta.licence == "CC BY-NC-ND 4.0"
    assert meta.organisations == ("CAF", "ANRU")
    assert meta.keywords == ("régie", "insertion")
    # Practice-sheet keys are fields of their own (kb.practice), lists split: not « extra ».
    assert meta.practice == {"porteur": ("Régie de quartier Habiter Bacalan",), "financeurs": ("P147", "CAF")}
    assert meta.extra == {}


def test_unreadable_sidecar_values_are_kept_in_extra(tmp_path: Path) -> None:
    meta = infer_metadata(_extracted(), tmp_path / "f.txt", {"date": "bientôt", "type": "poème"})
    assert meta.date == "2017-03-16"
    assert meta.type == "fiche d'expérience"
    assert meta.extra == {"date": "bientôt", "type": "poème"}


def test_a_sidecar_date_typo_is_kept_in_extra_not_an_error(tmp_path: Path) -> None:
    # PyYAML raised ValueError (« month must be in 1..12 »): the document failed with an
    # English « erreur inattendue ».
    (tmp_path / "charte.meta.yaml").write_text(f"titre: Charte\ndate: 2021-13-01\nnumero: {'9' * 5000}\n",
                                               encoding="utf-8")
    sidecar = read_sidecar(tmp_path / "charte.txt")
    assert sidecar == {"title": "Charte", "date": "2021-13-01", "numero": "9" * 5000}
    meta = infer_metadata(_extracted(), tmp_path / "charte.txt", sidecar)
    assert meta.title == "Charte" and meta.date == "2017-03-16"  # the date the text gives
    assert meta.extra == {"date": "2021-13-01", "numero": "9" * 5000}


def test_title_falls_back_to_filename(tmp_path: Path) -> None:
    meta = infer_metadata(_extracted(text=""), tmp_path / "charte_partenariale-2017.pdf")
    assert meta.title == "Charte partenariale 2017"
    assert meta.type == "charte"
    assert meta.word_count == 0
    assert meta.summary == ""
    assert meta.language is None


def _infer_in_child(path: str) -> tuple[str, tuple[str, ...]]:
    meta = infer_metadata(Extracted(format="txt", text=FICHE), Path(path))
    return meta.type, meta.themes


def test_works_under_spawn(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        assert pool.apply(_infer_in_child, (str(tmp_path / "a.txt"),)) == _infer_in_child(str(tmp_path / "a.txt"))


# --- sidecar files ---------------------------------------------------------------------------


def test_is_sidecar() -> None:
    assert is_sidecar(Path("charte.pdf.meta.yaml"))
    assert is_sidecar(Path("charte.META.yml"))
    assert not is_sidecar(Path("charte.pdf"))
    assert not is_sidecar(Path("meta.yaml"))


def test_read_sidecar_merges_both_names(tmp_path: Path) -> None:
    doc = tmp_path / "charte.pdf"
    doc.write_bytes(b"%PDF-1.4")
    (tmp_path / "charte.meta.yaml").write_text("titre: Charte\nauteur: CRPV\n", encoding="utf-8")
    (tmp_path / "charte.pdf.meta.yaml").write_text("titre: Charte (PDF)\nMots-clés: [charte]\n", encoding="utf-8")
    assert read_sidecar(doc) == {"title": "Charte (PDF)", "author": "CRPV", "keywords": ["charte"]}


def test_read_sidecar_absent_or_empty(tmp_path: Path) -> None:
    assert read_sidecar(tmp_path / "rien.pdf") == {}
    (tmp_path / "vide.meta.yaml").write_text("", encoding="utf-8")
    assert read_sidecar(tmp_path / "vide.pdf") == {}


def test_read_sidecar_yaml_dates(tmp_path: Path) -> None:
    (tmp_path / "f.meta.yaml").write_text("date: 2017-03-16\n", encoding="utf-8")
    sidecar = read_sidecar(tmp_path / "f.pdf")
    assert infer_metadata(_extracted(), tmp_path / "f.pdf", sidecar).date == "2017-03-16"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("titre: [non fermé\n", "YAML incorrect"),
        ("- une liste\n- pas un dictionnaire\n", "clé: valeur"),
        ("titre: a\n  b: c\n", "ligne 2"),
    ],
)
def test_invalid_sidecar_raises_a_french_error(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "f.pdf.meta.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(SidecarError, match=message) as info:
        read_sidecar(tmp_path / "f.pdf")
    assert "f.pdf.meta.yaml" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_non_utf8_sidecar(tmp_path: Path) -> None:
    (tmp_path / "f.meta.yaml").write_bytes("titre: Égalité\n".encode("cp1252"))
    with pytest.raises(SidecarError, match="UTF-8"):
        read_sidecar(tmp_path / "f.pdf")

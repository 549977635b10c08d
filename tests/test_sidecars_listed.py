"""A sidecar metadata file beside its document is read with it, not reported as « ignoré »
(``kb serve --demo`` listed every sidecar of the demo corpus as ignored); one with no document
beside it is reported, since its metadata reaches nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from indexer.ingest import Options, index_paths
from indexer.metadata import read_sidecar
from indexer.plan import scan
from indexer.walk import SIDECAR_LINK_REASON
from kb.knowledgebase import KnowledgeBase

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "corpus" / "documents"


def test_the_demo_corpus_sidecars_are_not_ignored_files(tmp_path: Path) -> None:
    sidecars = sorted(DEMO.rglob("*.meta.yaml"))
    assert sidecars, "the demo corpus has sidecar files"
    env = {k: v for k, v in os.environ.items() if k != "KB_HOME"} | {"PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "kb.cli", "--home", str(tmp_path / "h"), "index", str(DEMO),
                           "--dry-run", "--json"], capture_output=True, text=True, env=env, timeout=300)
    skipped = [row["path"] for row in json.loads(done.stdout)["skipped"]]
    assert not [p for p in skipped if p.endswith(".meta.yaml")], skipped


def test_a_sidecar_is_read_with_its_document_and_an_orphan_is_reported(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "charte.txt").write_text("Charte partenariale de Valmont\n\nLe texte de la charte.\n", encoding="utf-8")
    (docs / "charte.txt.meta.yaml").write_text("licence: Licence Ouverte 2.0\n", encoding="utf-8")
    (docs / "charte.meta.yaml").write_text("auteur: CRPV\n", encoding="utf-8")
    (docs / "perdu.pdf.meta.yaml").write_text("titre: Document disparu\n", encoding="utf-8")
    with KnowledgeBase(tmp_path / "home") as kb:
        plan = scan([docs], kb)
        assert [(p.name, reason) for p, reason in plan.skipped] == [
            ("perdu.pdf.meta.yaml", "fichier de métadonnées sans document à côté (perdu.pdf)")]
        report = index_paths(kb, [docs], Options(workers=1))
        assert [row["path"] for row in report.to_dict()["skipped"]] == [str(docs / "perdu.pdf.meta.yaml")]
        doc = kb.document(str(docs / "charte.txt"))
        assert doc.licence == "Licence Ouverte 2.0" and doc.author == "CRPV"


def _report_linked_outside(tmp_path: Path, sidecar: str) -> Path:
    """docs/compte-rendu.txt, whose sidecar ``sidecar`` links to a secret outside docs/."""
    outside = tmp_path / "ailleurs"
    outside.mkdir()
    (outside / "config.yaml").write_text("titre: SECRET HORS DU DOSSIER\nmot_de_passe: hunter2\n", encoding="utf-8")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "compte-rendu.txt").write_text("Compte rendu du comité de pilotage.\n", encoding="utf-8")
    (docs / sidecar).symlink_to(outside / "config.yaml")
    return docs


def test_a_sidecar_that_is_a_symbolic_link_is_never_read(tmp_path: Path) -> None:
    # A link pointing out of the folder pulled any YAML file in as the document's metadata
    # (its keys shown by kb show, the web, the API) while the report said « non suivi ».
    docs = _report_linked_outside(tmp_path, "compte-rendu.meta.yaml")
    # A link inside the folder is not read either: a sidecar is a regular file beside its document.
    (docs / "charte.txt").write_text("Charte partenariale du quartier.\n", encoding="utf-8")
    (docs / "modele.yaml").write_text("auteur: Modèle partagé\n", encoding="utf-8")
    (docs / "charte.txt.meta.yaml").symlink_to(docs / "modele.yaml")
    with KnowledgeBase(tmp_path / "home") as kb:
        report = index_paths(kb, [docs], Options(workers=1, follow_links=True)).to_dict()
        assert report["failed"] == []
        reasons = {Path(row["path"]).name: row["reason"] for row in report["skipped"]}
        assert set(reasons) == {"compte-rendu.meta.yaml", "charte.txt.meta.yaml", "modele.yaml"}
        link = reasons["compte-rendu.meta.yaml"]
        assert "lien symbolique" in link and "jamais lue" in link and reasons["charte.txt.meta.yaml"] == link
        doc = kb.document(str(docs / "compte-rendu.txt"))
        assert doc.title == "Compte rendu du comité de pilotage." and "mot_de_passe" not in doc.extra
        assert kb.document(str(docs / "charte.txt")).author is None
    assert read_sidecar(docs / "compte-rendu.txt") == {} and read_sidecar(docs / "charte.txt") == {}


def test_a_sidecar_link_beside_a_file_given_directly_is_reported(tmp_path: Path) -> None:
    docs = _report_linked_outside(tmp_path, "compte-rendu.txt.meta.yaml")
    with KnowledgeBase(tmp_path / "home") as kb:
        report = index_paths(kb, [docs / "compte-rendu.txt"], Options(workers=1)).to_dict()
        assert report["failed"] == [] and report["indexed"] == 1
        assert [(Path(row["path"]).name, row["reason"]) for row in report["skipped"]] == [
            ("compte-rendu.txt.meta.yaml", SIDECAR_LINK_REASON)]
        assert kb.document(str(docs / "compte-rendu.txt")).title == "Compte rendu du comité de pilotage."

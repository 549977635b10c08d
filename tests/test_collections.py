"""Collections: the centre or source each document comes from, given at indexing, kept across
re-indexing and moves, searchable as a facet and a filter, and shown on every hit."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from webui import create_app

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus" / "documents"
# Real documents of the demo corpus, in several formats, split between two centres' folders.
CENTRE_A = ["fiches-experience/fiche-participation-habitants-tilleuls.md",
            "chartes/charte-relogement-saint-aurele.docx"]
CENTRE_B = ["comptes-rendus/cr-copil-npnru-bellevue-sud-2019.odt"]


def kb(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kb.cli", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=300)


def search(home: Path, *args: str) -> dict:
    result = kb(home, "search", *args, "--json", "--limit", "50")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _copy(names: list[str], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    copies = []
    for name in names:
        source = CORPUS / name
        assert source.exists(), f"demo corpus file missing: {source}"
        copies.append(Path(shutil.copy2(source, folder / source.name)))
    return copies


@pytest.fixture()
def network(tmp_path: Path) -> tuple[Path, Path]:
    """Two centres' folders; centre A names its collection in a .collection file at its top,
    which applies to the subfolder too."""
    root = tmp_path / "reseau"
    _copy(CENTRE_A[:1], root / "centre-a")
    _copy(CENTRE_A[1:], root / "centre-a" / "chartes")
    (root / "centre-a" / ".collection").write_text("# centre de ressources\nVilles au Carré\n", encoding="utf-8")
    _copy(CENTRE_B, root / "centre-b")
    return root, tmp_path / "home"


def _collections(home: Path) -> dict[str, str | None]:
    return {Path(h["path"]).name: h["collection"] for h in search(home)["hits"]}


def test_folder_file_and_option_give_collections_shown_as_facet_and_filter(network: tuple[Path, Path]) -> None:
    root, home = network
    first = kb(home, "index", str(root / "centre-a"), "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["indexed"] == 2
    assert not any(".collection" in s["path"] for s in report["skipped"]), "the collection file is not a document"
    second = kb(home, "index", "--collection", "Ressources Ville Loire", str(root / "centre-b"), "--json")
    assert second.returncode == 0, second.stderr
    assert _collections(home) == {
        "fiche-participation-habitants-tilleuls.md": "Villes au Carré",
        "charte-relogement-saint-aurele.docx": "Villes au Carré",
        "cr-copil-npnru-bellevue-sud-2019.odt": "Ressources Ville Loire",
    }
    only_b = search(home, "--collection", "Ressources Ville Loire")
    assert [Path(h["path"]).name for h in only_b["hits"]] == ["cr-copil-npnru-bellevue-sud-2019.odt"]
    typed = search(home, 'collection:"villes au carre"')
    assert {Path(h["path"]).name for h in typed["hits"]} == {"fiche-participation-habitants-tilleuls.md",
                                                             "charte-relogement-saint-aurele.docx"}
    shown = kb(home, "show", only_b["hits"][0]["id"])
    assert "Collection" in shown.stdout and "Ressources Ville Loire" in shown.stdout

    app = create_app({"KB_HOME": str(home), "TESTING": True})
    client = app.test_client()
    page = client.get("/recherche?q=&collection=Villes+au+Carr%C3%A9").get_data(as_text=True)
    assert "2 documents" in page and "Collection&nbsp;: <a" in page
    api = client.get("/api/search?q=").get_json()
    assert {f["value"]: f["count"] for f in api["facets"]["collection"]} == {"Villes au Carré": 2,
                                                                             "Ressources Ville Loire": 1}
    rss = client.get("/flux.rss?collection=Ressources+Ville+Loire").get_data(as_text=True)
    assert rss.count("<item>") == 1


def test_collection_kept_across_reindexing_and_moves_and_relabelled_without_rereading(
        network: tuple[Path, Path]) -> None:
    root, home = network
    assert kb(home, "index", "--collection", "Centre B", str(root / "centre-b")).returncode == 0
    ids = {Path(h["path"]).name: h["id"] for h in search(home)["hits"]}
    # Re-indexed without the option: unchanged, and the collection stays.
    again = json.loads(kb(home, "index", str(root / "centre-b"), "--json").stdout)
    assert again["indexed"] == 0 and again["unchanged"] == 1
    # Moved to a folder without a .collection file: same id, same collection.
    (root / "centre-b" / "archives").mkdir()
    moved = root / "centre-b" / "archives" / "cr-2019.odt"
    (root / "centre-b" / "cr-copil-npnru-bellevue-sud-2019.odt").rename(moved)
    assert kb(home, "index", str(root / "centre-b")).returncode == 0
    hits = search(home)["hits"]
    assert [(h["id"], h["collection"]) for h in hits] == [(ids["cr-copil-npnru-bellevue-sud-2019.odt"],
                                                          "Centre B")]
    # A .collection file now names the folder: the unchanged document is relabelled, not re-read.
    (root / "centre-b" / ".collection").write_text("Centre B (Lyon)\n", encoding="utf-8")
    plan = json.loads(kb(home, "index", "--dry-run", "--json", str(root / "centre-b")).stdout)
    assert plan["relabel"] == [str(moved)] and plan["add"] == [] and plan["update"] == []
    assert kb(home, "index", str(root / "centre-b")).returncode == 0
    assert [h["collection"] for h in search(home)["hits"]] == ["Centre B (Lyon)"]


def test_bad_collection_names_are_refused_in_french(network: tuple[Path, Path]) -> None:
    root, home = network
    empty = kb(home, "index", "--collection", "  ", str(root / "centre-b"))
    assert empty.returncode == 2 and "nom de collection vide" in empty.stderr
    assert "Traceback" not in empty.stderr
    long = kb(home, "index", "--collection", "x" * 500, str(root / "centre-b"))
    assert long.returncode == 2 and "trop long" in long.stderr
    # An unusable folder file is reported; its documents are indexed without a collection.
    (root / "centre-b" / ".collection").write_bytes(b"\n\n")
    report = json.loads(kb(home, "index", str(root / "centre-b"), "--json").stdout)
    assert report["indexed"] == 1
    assert any(f["path"].endswith(".collection") and "collection" in f["reason"] for f in report["failed"])


def test_folder_files_are_read_safely_and_not_above_the_indexed_folder(tmp_path: Path) -> None:
    from indexer.collections import Collections

    root = tmp_path / "partages"
    deep = root / "rt" / "archives"
    deep.mkdir(parents=True)
    (tmp_path / ".collection").write_text("Hors du dossier indexé\n", encoding="utf-8")
    doc = deep / "note.txt"
    rules = Collections(roots=[root])
    assert rules.of(doc) is None, "a file above the indexed folder names nothing"
    (root / "rt" / ".collection").symlink_to(tmp_path / ".collection")
    rules = Collections(roots=[root])
    assert rules.of(doc) is None and "lien symbolique" in " ".join(rules.problems.values())
    (root / "rt" / ".collection").unlink()
    os.mkfifo(root / "rt" / ".collection")  # would block a plain open() for ever
    rules = Collections(roots=[root])
    assert rules.of(doc) is None and "fichier ordinaire" in " ".join(rules.problems.values())
    (root / "rt" / ".collection").unlink()
    (root / "rt" / ".collection").write_text("Ressources & Territoires\n", encoding="utf-8")
    assert Collections(roots=[root]).of(doc) == "Ressources & Territoires"

"""Copies, other formats and versions of one document are one result: the group is shown
once, by its best member, with the others labelled (« aussi en PDF », « autre version »)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_shared
from webui import create_app

SRU = "corpora/french-docs/cnig-sru"
# The 2022 edition of a national standard as ODT and its PDF export, the 2024 edition (ODT),
# and level 2 of the standard: a different document of the same series.
FILES = ["220823_standard_SRU_projet_final.odt", "220823_standard_SRU_projet_final.pdf",
         "240209_Standard_CNIG_SRU_niveau1_v2024-02.odt", "260202_Standard_CNIG_SRU_niveau2_v2026-02.odt"]


def kb(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kb.cli", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    source = require_shared() / SRU
    root = tmp_path_factory.mktemp("dups")
    docs = root / "docs"
    docs.mkdir()
    for name in FILES:
        shutil.copy2(source / name, docs / name)
    # An exact copy of the PDF in another folder (a colleague's share).
    (docs / "partage").mkdir()
    shutil.copy2(source / FILES[1], docs / "partage" / "copie-standard-sru.pdf")
    home = root / "home"
    result = kb(home, "index", str(docs), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["indexed"] == 5
    return home, docs


def _search(home: Path, query: str) -> dict:
    result = kb(home, "search", query, "--json", "--limit", "20")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_group_appears_once_and_an_exact_copy_never_twice(base: tuple[Path, Path]) -> None:
    home, docs = base
    found = _search(home, "règlement local d'urbanisme")
    names = [Path(h["path"]).name for h in found["hits"]]
    level1 = [n for n in names if "niveau2" not in n]
    # The four files of the level-1 standard (two formats, a copy, a later edition) are one result.
    assert len(level1) == 1, names
    assert "260202_Standard_CNIG_SRU_niveau2_v2026-02.odt" in names, "a different document stays apart"
    assert found["total"] == len(names)


def test_by_date_every_edition_is_listed_but_an_exact_copy_once(base: tuple[Path, Path]) -> None:
    home, docs = base
    result = kb(home, "search", "standard SRU", "--json", "--limit", "20", "--sort", "date")
    names = [Path(h["path"]).name for h in json.loads(result.stdout)["hits"]]
    pdfs = [n for n in names if n in ("220823_standard_SRU_projet_final.pdf", "copie-standard-sru.pdf")]
    assert len(pdfs) == 1, names  # the copy and its original: one line
    assert {"220823_standard_SRU_projet_final.odt", "240209_Standard_CNIG_SRU_niveau1_v2024-02.odt",
            "260202_Standard_CNIG_SRU_niveau2_v2026-02.odt"} <= set(names)
    assert len(names) == 4


def test_the_newest_edition_represents_the_group_and_lists_the_others(base: tuple[Path, Path]) -> None:
    home, docs = base
    app = create_app({"KB_HOME": str(home), "TESTING": True})
    client = app.test_client()
    found = client.get("/api/search?q=standard+SRU").get_json()
    level1 = [h for h in found["hits"] if "niveau2" not in h["path"]]
    assert len(level1) == 1
    assert Path(level1[0]["path"]).name == "240209_Standard_CNIG_SRU_niveau1_v2024-02.odt"
    page = client.get(f"/d/{level1[0]['id']}", follow_redirects=True).get_data(as_text=True)
    assert "Autres versions et formats" in page and "autre version (2022)" in page
    doc = client.get(f"/api/documents/{level1[0]['id']}").get_json()
    labels = sorted(r["label"] for r in doc["relatives"])
    assert len(labels) == 3 and all(label.startswith("autre version") for label in labels), labels
    # Seen from the 2022 PDF: its ODT source, its exact copy, and the newer edition.
    pdf = next(r for r in doc["relatives"] if r["title"] and "copie" not in r["label"]
               and client.get(f"/api/documents/{r['id']}").get_json()["path"].endswith("final.pdf"))
    seen = {r["label"] for r in client.get(f"/api/documents/{pdf['id']}").get_json()["relatives"]}
    assert "aussi en ODT" in seen or "aussi en OpenDocument" in " ".join(seen), seen
    assert any(label.startswith("copie : ") for label in seen) and "autre version (2024)" in seen, seen
    html = client.get("/recherche?q=standard+SRU").get_data(as_text=True)
    assert "autre version (2022)" in html


def test_groups_follow_removals(base: tuple[Path, Path], tmp_path: Path) -> None:
    home, docs = base
    copy = docs / "partage" / "copie-standard-sru.pdf"
    moved = tmp_path / "copie.pdf"
    shutil.move(copy, moved)
    try:
        assert kb(home, "index", "--prune", str(docs)).returncode == 0
        app = create_app({"KB_HOME": str(home), "TESTING": True})
        hits = app.test_client().get("/api/search?q=standard+SRU").get_json()["hits"]
        leader = next(h for h in hits if "niveau2" not in h["path"])
        relatives = app.test_client().get(f"/api/documents/{leader['id']}").get_json()["relatives"]
        assert len(relatives) == 2
    finally:
        shutil.move(moved, copy)

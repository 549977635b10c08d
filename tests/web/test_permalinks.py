"""Permalinks outlive a rebuild and a move, and another process' commits show up without a
restart of the web app."""

from __future__ import annotations

import shutil
from pathlib import Path

from indexer.ingest import Options, index_paths
from kb.knowledgebase import KnowledgeBase
from webui import create_app


def test_permalink_survives_rebuild_and_move(tmp_path: Path, quokka_markdown: str) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "jardins-quokka.md").write_text(quokka_markdown, encoding="utf-8")
    home = tmp_path / "home"
    writer = KnowledgeBase(home)  # stands for `kb index` / `kb rebuild` in another process
    try:
        index_paths(writer, [sources], Options(workers=1))
        [entry] = writer.known_files()
        doc_id = entry.id
        app = create_app({"KB_HOME": str(home), "TESTING": True})
        client = app.test_client()
        try:
            page = f"/d/{doc_id}/fiche-d-experience-jardins-partages-quokka"
            assert client.get(f"/d/{doc_id}").headers["Location"] == page
            assert client.get("/recherche?q=quokka").get_data(as_text=True).count(page) == 1

            with writer.writing():
                writer.rebuild()
            assert client.get(page).status_code == 200
            assert page in client.get("/recherche?q=quokka").get_data(as_text=True)

            # Move (and rename) the file, then re-index: same content, same id.
            (sources / "archives").mkdir()
            shutil.move(sources / "jardins-quokka.md", sources / "archives" / "jardins-2023.md")
            (sources / "nouveau-wombat.txt").write_text("Le wombat du quartier prioritaire.\n", encoding="utf-8")
            index_paths(writer, [sources], Options(workers=1, prune=True))
            assert writer.resolve(doc_id).path.endswith("jardins-2023.md")

            html = client.get(page).get_data(as_text=True)
            assert "jardins-2023.md" in html  # the app sees the new catalog row without restart
            assert client.get(f"/d/{doc_id}/original").status_code == 200  # served from the store
            assert page in client.get("/recherche?q=quokka").get_data(as_text=True)
            assert "wombat" in client.get("/recherche?q=wombat").get_data(as_text=True)  # new commit visible
            assert client.get("/api/search?q=wombat").get_json()["total"] == 1
        finally:
            app.extensions["kb"].close()
    finally:
        writer.close()

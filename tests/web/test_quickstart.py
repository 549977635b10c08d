"""The README's quick start, its own way: a relative home (the default ``kb-data``) in the
project folder, ``kb index`` run from there, then the web app; every link to an original
(``Ouvrir l'original``, ``#page=N``) must answer with the file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.web.conftest import MARKDOWN_PAGE, ROOT, write_pdf
from webui import create_app

ORIGINAL_LINK = re.compile(r'href="(/d/[0-9a-f]+/original(?:#page=\d+)?)"')


def test_original_links_work_with_the_default_relative_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "projet"
    docs = project / "documents"
    docs.mkdir(parents=True)
    write_pdf(docs / "rapport-ornithorynque.pdf")
    (docs / "jardins-quokka.md").write_text(MARKDOWN_PAGE, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("KB_HOME", "KB_SYNONYMS", "KB_THESAURUS")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-m", "kb.cli", "index", "documents"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (project / "kb-data" / "catalog.sqlite").is_file()

    monkeypatch.delenv("KB_HOME", raising=False)
    monkeypatch.chdir(project)
    app = create_app({"TESTING": True})  # KB_HOME left at its default, "kb-data"
    try:
        client = app.test_client()
        pages = {}
        for query in ("ornithorynque", "quokka"):
            hit = client.get(f"/api/search?q={query}").get_json()["hits"][0]
            page = client.get(f"/d/{hit['id']}", follow_redirects=True)
            assert page.status_code == 200
            pages[query] = page.get_data(as_text=True)
        pdf_links = set(ORIGINAL_LINK.findall(pages["ornithorynque"]))
        assert any("#page=2" in link for link in pdf_links), pdf_links
        md_links = set(ORIGINAL_LINK.findall(pages["quokka"]))
        assert md_links
        for link in sorted(pdf_links | md_links):
            response = client.get(link.split("#")[0])
            assert response.status_code == 200, link
            body = response.get_data()
            response.close()
            assert body.startswith(b"%PDF") or b"quokka" in body, link
        # A later change of directory moves nothing: the home was fixed when the app opened it.
        monkeypatch.chdir(tmp_path)
        assert client.get(sorted(md_links)[0]).status_code == 200
    finally:
        app.extensions["kb"].close()

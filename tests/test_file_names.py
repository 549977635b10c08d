"""File names that are not valid UTF-8 (old Windows shares, zip archives), created with bytes
paths: indexed or reported like any other file, and shown safely by the CLI (text and JSON),
the web pages, the feeds and the API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from webui import create_app

ROOT = Path(__file__).resolve().parents[1]
TEXT = "Le café associatif du quartier prioritaire accueille les habitants.\n"
# The bytes of each name, Latin-1 / Windows-1252 as an old share would give them.
NAMES = {
    b"caf\xe9.txt": TEXT.encode("utf-8"),
    b"vide-\xe9t\xe9.txt": b"",  # fails: empty
    b"tableur-\xe9.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,  # skipped: Excel 97-2003 is not ours
    b"dossier-\xe8re/fiche.md": "# Fiche d'expérience\n\nUne ludothèque zanzibar.\n".encode(),
}


def kb(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "kb.cli", "--home", str(home), *args], env=env,
                          capture_output=True, text=True, timeout=300)
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("noms")
    docs = root / "docs"
    docs.mkdir()
    for name, data in NAMES.items():
        path = os.fsencode(docs) + b"/" + name
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(data)
        except (OSError, UnicodeError) as exc:  # e.g. macOS refuses names that are not UTF-8
            pytest.skip(f"this file system refuses names that are not UTF-8 ({exc})")
    return root


def shown(name: bytes) -> str:
    """How a name is shown: its odd bytes as \\xNN."""
    return "".join(chr(b) if b < 0x80 else f"\\x{b:02x}" for b in name)


CAFE, EMPTY, SHEET = shown(b"caf\xe9.txt"), shown(b"vide-\xe9t\xe9.txt"), shown(b"tableur-\xe9.xls")


def test_names_not_in_utf8_are_indexed_and_reported(folder: Path) -> None:
    home, docs = folder / "base", folder / "docs"
    text = kb(home, "index", str(docs))
    assert text.returncode == 1  # the empty file failed; the others are indexed
    assert "2 indexés" in text.stdout and "1 ignorés" in text.stdout and "1 en échec" in text.stdout
    assert f"{docs}/{EMPTY} — fichier vide" in text.stdout
    assert f"{docs}/{SHEET} — format non pris en charge" in text.stdout

    again = kb(home, "index", str(docs), "--json")
    report = json.loads(again.stdout)
    assert report["indexed"] == 0 and report["unchanged"] == 2  # found again under the same name
    assert [row["path"] for row in report["failed"]] == [f"{docs}/{EMPTY}"]
    plan = json.loads(kb(home, "index", str(docs), "--dry-run", "--json").stdout)
    assert plan["unchanged"] == 2 and plan["add"] == []

    hits = json.loads(kb(home, "search", "café associatif", "--json").stdout)["hits"]
    assert [hit["path"] for hit in hits] == [f"{docs}/{CAFE}"]
    assert "Traceback" not in kb(home, "search", "ludothèque").stderr
    assert CAFE in kb(home, "show", hits[0]["id"]).stdout
    by_path = kb(home, "show", "--json", os.fsdecode(os.fsencode(docs) + b"/caf\xe9.txt"))
    assert json.loads(by_path.stdout)["id"] == hits[0]["id"]
    # The path as every report shows it (odd bytes as \xNN), copied from the terminal.
    by_shown = kb(home, "show", "--json", hits[0]["path"])
    assert by_shown.returncode == 0 and json.loads(by_shown.stdout)["id"] == hits[0]["id"]
    assert kb(home, "check").returncode == 0
    assert json.loads(kb(home, "check", "--json").stdout)["ok"]


def test_names_not_in_utf8_are_shown_safely_on_the_web(folder: Path) -> None:
    home, docs = folder / "base-web", folder / "docs"
    kb(home, "index", str(docs))
    app = create_app({"KB_HOME": str(home), "TESTING": True})
    try:
        client = app.test_client()
        found = client.get("/api/search?q=café associatif").get_json()
        [hit] = found["hits"]
        assert hit["path"] == f"{docs}/{CAFE}"
        page = client.get(f"/d/{hit['id']}", follow_redirects=True)
        assert page.status_code == 200
        assert CAFE in page.get_data(as_text=True)
        original = client.get(f"/d/{hit['id']}/original")
        assert original.status_code == 200 and original.get_data(as_text=True) == TEXT
        assert "caf" in original.headers["Content-Disposition"]
        original.close()
        assert client.get(f"/api/documents/{hit['id']}").get_json()["path"] == hit["path"]
        for path in ("/recherche?q=café", "/recherche?q=ludothèque", "/flux.rss?q=café", "/flux.atom",
                     f"/selection?sel={hit['id']}", f"/selection.md?sel={hit['id']}"):
            assert client.get(path).status_code == 200, path
    finally:
        app.extensions["kb"].close()


def test_a_name_of_up_to_255_bytes_is_indexed(tmp_path: Path) -> None:
    # « NAME.meta.yaml » is over 255 bytes: probing it raised ENAMETOOLONG, so the file failed
    # (« écriture impossible ») in a folder and aborted the whole run when given directly.
    docs = tmp_path / "docs"
    docs.mkdir()
    name = "rapport-" + "é" * 118 + ".txt"
    assert 246 <= len(name.encode()) <= 255
    (docs / name).write_text("Rapport sur la rénovation urbaine du quartier.\n", encoding="utf-8")
    (docs / "autre.txt").write_text("Autre document.\n", encoding="utf-8")
    for home, target in ((tmp_path / "dossier", docs), (tmp_path / "direct", docs / name)):
        done = kb(home, "index", str(target), "--ocr", "never", "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        report = json.loads(done.stdout)
        assert report["failed"] == [] and report["indexed"] == (2 if target == docs else 1)
        hits = json.loads(kb(home, "search", "rénovation urbaine", "--json").stdout)["hits"]
        assert [hit["path"] for hit in hits] == [str(docs / name)]

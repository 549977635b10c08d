"""The public address kept in the base (``kb config base-url``): kb serve and kb show agree on it,
with the precedence option > KB_BASE_URL > setting > listening address; and ``kb show`` gives the
licence and the source a re-publication needs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from webui import create_app

ROOT = Path(__file__).resolve().parents[1]
META = "licence: CC BY-NC-ND 4.0\nurl: https://crpv.example.org/fiches/jardin\n"


def env(**extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("KB_HOME", "KB_BASE_URL", "KB_SYNONYMS")}
    clean["PYTHONPATH"] = str(ROOT)
    clean.update(extra)
    return clean


def kb(home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kb.cli", "--home", str(home), *args], cwd=ROOT, env=env(**extra),
                          capture_output=True, text=True, timeout=300)


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "jardin.md").write_text("# Jardin partagé des Tilleuls\n\nLes habitants cultivent un jardin.\n",
                                    encoding="utf-8")
    (docs / "jardin.md.meta.yaml").write_text(META, encoding="utf-8")
    assert kb(tmp_path / "home", "index", str(docs)).returncode == 0
    return tmp_path / "home"


def doc_id(home: Path) -> str:
    return str(json.loads(kb(home, "search", "jardin", "--json").stdout)["hits"][0]["id"])


def test_config_stores_checks_and_removes_the_public_address(home: Path) -> None:
    assert "base-url = (non défini)" in kb(home, "config").stdout
    assert kb(home, "config", "base-url").returncode == 1
    done = kb(home, "config", "base-url", "https://kb.example.org/crpv/")
    assert done.returncode == 0 and "https://kb.example.org/crpv" in done.stdout
    assert kb(home, "config", "base-url").stdout.strip() == "https://kb.example.org/crpv"
    assert "base-url = https://kb.example.org/crpv" in kb(home, "config").stdout

    bad = kb(home, "config", "base-url", "kb.example.org")
    assert bad.returncode == 2 and "adresse publique invalide" in bad.stderr
    assert kb(home, "config", "base-url").stdout.strip() == "https://kb.example.org/crpv"
    unknown = kb(home, "config", "couleur", "bleu")
    assert unknown.returncode == 2 and "réglage inconnu : couleur" in unknown.stderr

    assert kb(home, "config", "base-url", "--unset").returncode == 0
    assert kb(home, "config", "base-url").returncode == 1


def test_config_needs_an_existing_base(tmp_path: Path) -> None:
    done = kb(tmp_path / "absente", "config", "base-url", "https://kb.example.org")
    assert done.returncode == 2 and "aucune base Passerelles" in done.stderr
    assert not (tmp_path / "absente").exists()


def test_show_gives_licence_source_and_the_link_kb_serve_gives(home: Path) -> None:
    ident = doc_id(home)
    text = kb(home, "show", ident).stdout
    assert "Licence        CC BY-NC-ND 4.0" in text
    assert "Source         https://crpv.example.org/fiches/jardin" in text
    assert "Lien " not in text  # no public address yet: no link to this computer either
    data = json.loads(kb(home, "show", ident, "--json").stdout)
    assert data["licence"] == "CC BY-NC-ND 4.0"
    assert data["source"] == "https://crpv.example.org/fiches/jardin"
    assert data["permalink"] is None

    kb(home, "config", "base-url", "https://kb.example.org/crpv")
    data = json.loads(kb(home, "show", ident, "--json").stdout)
    app = create_app({"TESTING": True, "KB_HOME": str(home), "BASE_URL": "https://kb.example.org/crpv"})
    try:
        api = app.test_client().get(f"/api/documents/{ident}").get_json()
    finally:
        app.extensions["kb"].close()
    assert data["permalink"] == api["permalink"]
    assert data["permalink"].startswith("https://kb.example.org/crpv/d/")
    assert f"Lien           {api['permalink']}" in kb(home, "show", ident).stdout

    from_env = json.loads(kb(home, "show", ident, "--json", KB_BASE_URL="https://autre.example.org").stdout)
    assert from_env["permalink"].startswith("https://autre.example.org/d/")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def served(home: Path) -> Iterator:  # type: ignore[type-arg]
    procs: list[subprocess.Popen[str]] = []

    def start(*args: str, **extra: str) -> tuple[str, str]:
        """(the permalink the running server gives, the address kb serve announced)."""
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "kb.cli", "--home", str(home), "serve", "--processes", "1",
                                 "--port", str(port), *args], cwd=ROOT, env=env(**extra), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        procs.append(proc)
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/documents/{doc_id(home)}",
                                            timeout=20) as response:
                    link = str(json.load(response)["permalink"])
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(proc.communicate(timeout=30)) from None
                time.sleep(0.2)
        proc.terminate()
        out, _ = proc.communicate(timeout=60)
        announced = next(line for line in out.splitlines() if line.startswith("Liens absolus"))
        return link, announced

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)


def test_serve_uses_the_stored_address_below_the_environment_and_the_option(home: Path, served) -> None:  # type: ignore[no-untyped-def]
    link, announced = served()
    assert link.startswith("http://127.0.0.1:")
    assert "kb config base-url" in announced

    kb(home, "config", "base-url", "https://stocke.example.org")
    link, announced = served()
    assert link.startswith("https://stocke.example.org/d/") and "réglage de la base" in announced

    link, announced = served(KB_BASE_URL="https://env.example.org")
    assert link.startswith("https://env.example.org/d/") and "KB_BASE_URL" in announced

    # An option beats the environment for the app too, not only in what kb serve prints.
    other = home.parent / "autre-base"
    link, announced = served("--base-url", "https://option.example.org", KB_BASE_URL="https://env.example.org",
                             KB_HOME=str(other))
    assert link.startswith("https://option.example.org/d/") and "--base-url" in announced
    assert not other.exists()



def test_the_app_under_another_wsgi_server_reads_the_stored_address(home: Path) -> None:
    kb(home, "config", "base-url", "https://stocke.example.org")
    ident = doc_id(home)
    for config, expected in (({}, "https://stocke.example.org/d/"),
                             ({"BASE_URL": "https://explicite.example.org"}, "https://explicite.example.org/d/")):
        app = create_app({"TESTING": True, "KB_HOME": str(home), **config})
        try:
            api = app.test_client().get(f"/api/documents/{ident}", headers={"Host": "evil.example"}).get_json()
        finally:
            app.extensions["kb"].close()
        assert api["permalink"].startswith(expected)

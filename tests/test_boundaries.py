"""What `kb index` never reads, on real folders: the base itself (wherever it is), files that
symbolic links lead to outside the indexed folders, devices and named pipes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = {
    "charte.txt": "Charte partenariale du contrat de ville\n\nLe quartier prioritaire et ses habitants.\n",
    "fiche.md": "# Fiche d'expérience\n\nUn jardin partagé dans le quartier prioritaire.\n",
}


def kb(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KB_HOME", "KB_SYNONYMS", "KB_THESAURUS")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "kb.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def index_json(cwd: Path, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    done = kb(cwd, *args, "--json")
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


def project(tmp_path: Path) -> Path:
    folder = tmp_path / "projet"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def every_path(report: dict) -> list[str]:  # type: ignore[type-arg]
    return [row["path"] for key in ("skipped", "failed", "warnings") for row in report[key]]


@pytest.mark.parametrize("home", [None, "kb-data", "donnees/base", "ABSOLUTE"])
def test_the_base_is_never_indexed_wherever_it_is(tmp_path: Path, home: str | None) -> None:
    folder = project(tmp_path)
    args = ("--home", str(folder / "base-absolue") if home == "ABSOLUTE" else home) if home else ()
    home_path = (folder / "base-absolue") if home == "ABSOLUTE" else folder / (home or "kb-data")
    for run in (1, 2, 3):  # the store and lock files exist from the first run on
        code, report = index_json(folder, *args, "index", ".")
        assert code == 0, report
        assert report["failed"] == [] and report["warnings"] == []
        assert report["skipped"] == [{"path": str(home_path), "reason": report["skipped"][0]["reason"]}]
        assert "base Passerelles" in report["skipped"][0]["reason"]
        assert report["indexed"] + report["unchanged"] == len(DOCS)
        assert report["indexed"] == (len(DOCS) if run == 1 else 0)
    stats = json.loads(kb(folder, *args, "stats", "--json").stdout)
    assert stats["documents"] == len(DOCS)
    assert kb(folder, *args, "check").returncode == 0


def test_another_base_and_a_path_inside_the_base_are_not_indexed(tmp_path: Path) -> None:
    folder = project(tmp_path)
    assert kb(folder, "--home", "autre-base", "index", "charte.txt").returncode == 0
    code, report = index_json(folder, "index", ".")  # the default home, ./kb-data
    assert code == 0
    assert sorted(row["path"] for row in report["skipped"]) == [str(folder / "autre-base"), str(folder / "kb-data")]
    assert report["indexed"] == len(DOCS)
    code, report = index_json(folder, "index", "kb-data/store", "kb-data/catalog.sqlite")
    assert code == 0 and report["indexed"] == 0
    assert [row["path"] for row in report["skipped"]] == [str(folder / "kb-data" / "catalog.sqlite"),
                                                          str(folder / "kb-data" / "store")]


SECRET = "Mot de passe du serveur : ornithorynque-confidentiel\n"


def linked_project(tmp_path: Path) -> tuple[Path, Path]:
    """A project whose folder holds links: one to a secret file outside it, one to a file
    inside it, one to /dev/null (a device), plus a named pipe."""
    folder = project(tmp_path)
    secret = tmp_path / "ailleurs" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text(SECRET, encoding="utf-8")
    (folder / "lien-secret.txt").symlink_to(secret)
    (folder / "lien-interne.txt").symlink_to(folder / "charte.txt")
    (folder / "lien-peripherique.txt").symlink_to("/dev/null")
    os.mkfifo(folder / "tube.txt")
    if Path("/etc/passwd").is_file():
        (folder / "passwd.txt").symlink_to("/etc/passwd")
    return folder, secret


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes and symbolic links (POSIX)")
def test_links_leaving_the_indexed_folder_are_not_followed(tmp_path: Path) -> None:
    from webui import create_app

    folder, _ = linked_project(tmp_path)
    code, report = index_json(folder, "index", ".")
    skipped = {Path(row["path"]).name: row["reason"] for row in report["skipped"]}
    failed = {Path(row["path"]).name: row["reason"] for row in report["failed"]}
    assert "hors des dossiers indexés" in skipped["lien-secret.txt"] and "--follow-links" in skipped["lien-secret.txt"]
    assert "hors des dossiers indexés" in skipped["lien-peripherique.txt"]
    if Path("/etc/passwd").is_file():
        assert "hors des dossiers indexés" in skipped["passwd.txt"]
    assert "fichier ordinaire" in failed["tube.txt"]  # a pipe is reported, never opened
    assert report["indexed"] == len(DOCS) + 1  # the link inside the folder is a document like any other
    assert code == 1  # the pipe failed

    search = json.loads(kb(folder, "search", "ornithorynque", "--json").stdout)
    assert search["total"] == 0
    search = json.loads(kb(folder, "search", "root", "--json").stdout)
    assert search["total"] == 0
    app = create_app({"KB_HOME": str(folder / "kb-data"), "TESTING": True})
    try:
        entries = app.extensions["kb"].known_files()
        assert sorted(Path(e.path).name for e in entries) == sorted([*DOCS, "lien-interne.txt"])
        client = app.test_client()
        for entry in entries:
            body = client.get(f"/d/{entry.id}/original").get_data(as_text=True)
            assert "ornithorynque" not in body and "root:" not in body
    finally:
        app.extensions["kb"].close()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes and symbolic links (POSIX)")
def test_follow_links_allows_them_but_never_a_device_or_a_pipe(tmp_path: Path) -> None:
    folder, _ = linked_project(tmp_path)
    code, report = index_json(folder, "index", ".", "--follow-links")
    failed = {Path(row["path"]).name: row["reason"] for row in report["failed"]}
    assert set(failed) == {"lien-peripherique.txt", "tube.txt"}
    assert all("fichier ordinaire" in reason for reason in failed.values())
    assert json.loads(kb(folder, "search", "ornithorynque", "--json").stdout)["total"] == 1

    # Indexed once with --follow-links, the link leaves the base at the next run without it.
    code, report = index_json(folder, "index", ".")
    removed = 2 if Path("/etc/passwd").is_file() else 1  # the secret, and /etc/passwd
    assert report["removed"] == removed
    assert json.loads(kb(folder, "search", "ornithorynque", "--json").stdout)["total"] == 0
    assert kb(folder, "check").returncode == 0


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes (POSIX)")
def test_a_pipe_given_directly_is_reported(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "tube.txt")
    code, report = index_json(tmp_path, "--home", "base", "index", "tube.txt")
    assert code == 1
    assert [row["path"] for row in report["failed"]] == [str(tmp_path / "tube.txt")]
    assert "fichier ordinaire" in report["failed"][0]["reason"]

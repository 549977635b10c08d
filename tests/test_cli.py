"""The command line: JSON contracts, exit statuses, French messages and complete help."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kb.cli import main

DOCS = {
    "fiche-jardin.md": "# Fiche d'expérience : jardin partagé\n\nLes habitants du QPV cultivent un jardin.\n",
    "charte.txt": "Charte partenariale 2017\n\nLe CGET et la ville s'engagent pour le développement économique.\n",
}


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kb.cli", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    root = tmp_path_factory.mktemp("cli")
    docs = root / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    # Excel 97-2003 (an OLE container without a WordDocument stream) is still not ours.
    (docs / "notes.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    (docs / "casse.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n")
    home = root / "home"
    result = run(home, "index", str(docs), "--json")
    return home, docs, {"code": result.returncode, "report": json.loads(result.stdout), "stderr": result.stderr}


def test_index_json_contract_counts_every_file_once(indexed: tuple[Path, Path, dict]) -> None:
    home, docs, first = indexed
    report = first["report"]
    assert set(report) >= {"indexed", "unchanged", "removed", "skipped", "failed"}
    assert report["indexed"] == 2 and report["unchanged"] == 0 and report["removed"] == 0
    assert [s["path"] for s in report["skipped"]] == [str(docs / "notes.xls")]
    assert [f["path"] for f in report["failed"]] == [str(docs / "casse.pdf")]
    assert all(item["reason"] for item in report["skipped"] + report["failed"])
    assert first["code"] == 1  # some files failed, the rest are indexed

    again = run(home, "index", str(docs), "--json")
    report2 = json.loads(again.stdout)
    assert report2["indexed"] == 0 and report2["unchanged"] == 2
    assert report2["failed"] == report["failed"]
    assert again.returncode == 1


def test_search_json_contract(indexed: tuple[Path, Path, dict]) -> None:
    home, docs, _ = indexed
    result = run(home, "search", "ANCT", "--json")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data["total"] == 1
    hit = data["hits"][0]
    assert set(hit) == {"id", "title", "type", "date", "path", "page", "collection", "score", "snippet", "relatives"}
    assert hit["path"] == str(docs / "charte.txt")
    assert "<mark>CGET</mark>" in hit["snippet"]


def test_search_human_output_in_french(indexed: tuple[Path, Path, dict]) -> None:
    home, _, _ = indexed
    result = run(home, "search", "jardins", "partagés")
    assert result.returncode == 0
    assert "1 résultat" in result.stdout and "cultivent un jardin" in result.stdout
    assert "Aucun résultat" in run(home, "search", "zzzzqqqq").stdout


def test_show_json_has_metadata_and_text(indexed: tuple[Path, Path, dict]) -> None:
    home, docs, _ = indexed
    by_path = json.loads(run(home, "show", str(docs / "charte.txt"), "--json").stdout)
    assert by_path["path"] == str(docs / "charte.txt")
    assert "développement économique" in by_path["text"]
    by_id = json.loads(run(home, "show", by_path["id"], "--json").stdout)
    assert by_id == by_path
    assert {"id", "title", "type", "date", "path"} <= set(by_id)
    missing = run(home, "show", "inconnu")
    assert missing.returncode == 1 and "aucun document" in missing.stderr


def test_stats_json(indexed: tuple[Path, Path, dict]) -> None:
    home, _, _ = indexed
    stats = json.loads(run(home, "stats", "--json").stdout)
    assert stats["documents"] == 2 and stats["failed"] == 1
    assert sum(stats["by_format"].values()) == 2 and sum(stats["by_type"].values()) == 2


def test_check_passes(indexed: tuple[Path, Path, dict]) -> None:
    home, _, _ = indexed
    result = run(home, "check")
    assert result.returncode == 0 and "Base cohérente" in result.stdout


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run(tmp_path / "h", "index", str(tmp_path / "absent")).returncode == 2
    assert run(tmp_path / "h", "search", "x", "--limit", "0").returncode == 2
    assert run(tmp_path / "h", "frobnicate").returncode == 2


def test_every_command_has_help_in_french() -> None:
    runner = CliRunner()
    assert isinstance(main, click.Group)
    # The core's commands and those the indexer and the web package contribute (entry points).
    names = main.list_commands(click.Context(main))
    assert {"index", "fiche", "serve", "search", "show"} <= set(names)
    for name in names:
        command = main.get_command(click.Context(main), name)
        assert command is not None and command.help, f"{name} has no help"
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, name
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{name} {param.opts} has no help"


def test_terminal_escapes_from_documents_are_stripped(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "piege.txt").write_text("Titre piégé\n\nTexte \x1b[2J\x1b]0;pwned\x07 avec séquence.\n", encoding="utf-8")
    home = tmp_path / "home"
    run(home, "index", str(docs))
    out = run(home, "search", "séquence").stdout + run(home, "show", str(docs / "piege.txt")).stdout
    assert "\x1b" not in out and "\x07" not in out


def test_control_and_bidi_characters_in_file_names_are_shown_escaped(tmp_path: Path) -> None:
    # A newline in a name forged report lines (« rapport-annuel.pdf — PDF protégé… » under a
    # file that does not exist); U+202E showed « rapport‮fdp.exe » reversed, as « rapportexe.pdf ».
    docs = tmp_path / "docs"
    docs.mkdir()
    forged = "vide.txt\n    rapport-annuel.pdf — PDF protégé par un mot de passe\r\tfaux.txt"
    (docs / forged).write_text("", encoding="utf-8")  # empty: reported as failed, with its name
    (docs / "rapport\u202efdp.txt").write_text("Le budget participatif du quartier.\n", encoding="utf-8")
    home = tmp_path / "home"
    done = run(home, "index", str(docs), "--ocr", "never")
    assert done.returncode == 1
    shown = f"{docs}/vide.txt\\n    rapport-annuel.pdf — PDF protégé par un mot de passe\\r\\tfaux.txt"
    assert f"    {shown} — fichier vide\n" in done.stdout
    assert done.stdout.count("\n") == 3  # the counts, the heading, one line for the one file
    found = run(home, "search", "budget participatif").stdout
    assert f"{docs}/rapport\\u202efdp.txt" in found and "\u202e" not in found
    listed = run(home, "show", str(docs / "rapport\u202efdp.txt")).stdout
    assert "rapport\\u202efdp.txt" in listed and "\u202e" not in listed
    # JSON carries the names as they are: escaping is JSON's own.
    report = json.loads(run(home, "index", str(docs), "--json", "--retry-failed").stdout)
    assert [row["path"] for row in report["failed"]] == [str(docs / forged)]

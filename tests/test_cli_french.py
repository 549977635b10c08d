"""The CLI of a French tool: no base created by a command that only reads, matches styled on
a terminal and plain in a pipe, click's own messages in French, examples in ``kb --help``."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
READERS = [["search", "jardin"], ["show", "abc123"], ["stats"], ["check"], ["rm", "abc123"], ["rebuild"],
           ["serve", "--port", "1"]]


def env() -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("KB_HOME", "KB_BASE_URL", "KB_SYNONYMS",
                                                                 "KB_THESAURUS", "NO_COLOR", "FORCE_COLOR")}
    clean["PYTHONPATH"] = str(ROOT)
    return clean


def kb(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kb.cli", *args], cwd=cwd, env=env(),
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("command", READERS, ids=lambda c: c[0])
def test_a_reading_command_does_not_create_a_base_in_the_working_folder(tmp_path: Path, command: list[str]) -> None:
    done = kb(*command, cwd=tmp_path)
    assert done.returncode not in (0, None), done.stdout
    assert not (tmp_path / "kb-data").exists()
    assert str(tmp_path / "kb-data") in done.stderr
    assert "kb index DOSSIER" in done.stderr and "Traceback" not in done.stderr
    assert "Aucun résultat" not in done.stdout


@pytest.mark.parametrize("command", READERS, ids=lambda c: c[0])
def test_a_mistyped_home_is_said_not_created(tmp_path: Path, command: list[str]) -> None:
    home = tmp_path / "bsae"
    done = kb("--home", str(home), *command)
    assert done.returncode != 0
    assert not home.exists()
    assert f"aucune base Passerelles dans {home}" in done.stderr


def test_an_empty_folder_is_not_a_base_either(tmp_path: Path) -> None:
    done = kb("--home", str(tmp_path), "stats")
    assert done.returncode != 0 and "aucune base" in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fr")
    docs = root / "docs"
    docs.mkdir()
    (docs / "jardin.md").write_text("# Jardin partagé\n\nLes habitants du quartier cultivent un jardin.\n",
                                    encoding="utf-8")
    assert kb("--home", str(root / "home"), "index", str(docs)).returncode == 0
    return root / "home"


def on_terminal(*args: str) -> str:
    """What a person sees: the command's output when its stdout is a real terminal."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "kb.cli", *args], cwd=ROOT, env=env(),
                            stdout=follower, stderr=subprocess.PIPE)
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode("utf-8")


def test_matches_are_styled_on_a_terminal_not_printed_as_escape_debris(home: Path) -> None:
    out = on_terminal("--home", str(home), "search", "jardin")
    assert "1 résultat" in out
    lines = [line for line in out.splitlines() if "cultivent" in line]
    assert lines, out
    snippet = lines[0]
    assert "\x1b[" in snippet  # real styling, which the terminal interprets
    visible = snippet.replace("\x1b[0m", "").replace("\x1b[1m", "").replace("\x1b[33m", "")
    assert "[33m" not in visible and "[1m" not in visible and "[0m" not in visible
    assert "«" not in snippet


def test_matches_are_plain_when_piped(home: Path) -> None:
    out = kb("--home", str(home), "search", "jardin").stdout
    line = next(line for line in out.splitlines() if "cultivent" in line)
    assert "\x1b" not in out and "[1m" not in out
    assert "«" not in line and "»" not in line
    assert "cultivent un jardin" in line


def test_usage_errors_are_in_french(tmp_path: Path) -> None:
    unknown = kb("search", "x", "--limite", "3")
    assert unknown.returncode == 2
    assert "Utilisation : kb search" in unknown.stderr
    assert "Erreur : option inconnue : --limite" in unknown.stderr
    assert "--limit" in unknown.stderr  # the suggestion
    assert "Essayez « kb search --help » pour l'aide." in unknown.stderr
    for english in ("Usage:", "Error:", "No such option", "Try ", "Did you mean"):
        assert english not in unknown.stderr

    missing = kb("show")
    assert missing.returncode == 2 and "Erreur : argument manquant : ID|CHEMIN" in missing.stderr

    out_of_range = kb("search", "x", "--limit", "0")
    assert out_of_range.returncode == 2
    assert "Erreur : valeur invalide pour --limit : 0 n'est pas compris entre 1 et 1000." in out_of_range.stderr

    no_value = kb("search", "x", "--limit")
    assert no_value.returncode == 2 and "l'option --limit attend une valeur" in no_value.stderr

    bad_choice = kb("search", "x", "--sort", "titre")
    assert "valeur invalide pour --sort" in bad_choice.stderr and "pertinence, date" in bad_choice.stderr

    command = kb("serch", "x")
    assert command.returncode == 2 and "commande inconnue : serch" in command.stderr
    assert "search" in command.stderr

    extra = kb("stats", "en", "trop")
    assert extra.returncode == 2 and "arguments en trop : en trop" in extra.stderr

    absent = kb("--home", str(tmp_path / "h"), "index", str(tmp_path / "absent"))
    assert absent.returncode == 2 and "Error" not in absent.stderr
    assert f"Erreur : valeur invalide pour CHEMIN : le chemin « {tmp_path / 'absent'} » n'existe pas." in absent.stderr


def test_help_is_in_french_with_examples() -> None:
    top = kb("--help")
    assert top.returncode == 0
    assert top.stdout.startswith("Utilisation : kb [OPTIONS] COMMANDE [ARGUMENTS]...")
    assert "Commandes :" in top.stdout and "Options :" in top.stdout
    assert "Exemples :" in top.stdout and "kb index ~/Documents/crpv" in top.stdout
    assert "Afficher cette aide et quitter." in top.stdout
    assert "Afficher la version et quitter." in top.stdout
    assert "[défaut : kb-data]" in top.stdout
    for english in ("Usage:", "Show this message", "default:", "Commands:", "Show the version"):
        assert english not in top.stdout

    sub = kb("search", "--help")
    assert sub.stdout.startswith("Utilisation : kb search [OPTIONS] [REQUÊTE]...")
    assert "[défaut : 10 ; de 1 à 1000]" in sub.stdout
    assert "Show this message" not in sub.stdout and "default:" not in sub.stdout

    bare = kb()
    assert "Utilisation : kb" in bare.stdout + bare.stderr and "Commandes :" in bare.stdout + bare.stderr


def test_a_dry_run_creates_no_base_either(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "note.md").write_text("# Note\n\nUn texte.\n", encoding="utf-8")
    done = kb("index", "--dry-run", "--json", "docs", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert '"add": ["' in done.stdout and "note.md" in done.stdout
    assert not (tmp_path / "kb-data").exists()

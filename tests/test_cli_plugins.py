"""The ``kb`` group is the core's; the indexer and the web package contribute their commands
through the ``kb.commands`` entry points. The core's commands run without them, a contributed
command that cannot be loaded leaves ``kb`` working and says why in French, and errors are
mapped once, a command's own rules before the core's."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import kb.cli.commands
import kb.cli.group
from kb.cli import main
from kb.cli.errors import CORE_RULES, CommandError, Rule, translate
from kb.errors import KBError, MissingBase, StorageFull

ROOT = Path(__file__).resolve().parents[1]
BROKEN = EntryPoint(name="casse", value="kb_no_such_package.commands:cmd", group="kb.commands")


def test_the_indexer_and_the_web_package_contribute_their_commands() -> None:
    contributed = main.contributed()
    assert {name: entry.value.split(".")[0] for name, entry in contributed.items()} == {
        "index": "indexer", "fiche": "indexer", "serve": "webui"}
    own = {c.name for c in vars(kb.cli.commands).values() if isinstance(c, click.Command) and c is not main}
    assert own == {"search", "show", "config", "stats", "rm", "rebuild", "check"}


def test_a_core_command_imports_neither_the_indexer_nor_the_web_package(tmp_path: Path) -> None:
    code = ("import sys\nfrom kb.cli import main\n"
            f"main.main(['--home', {str(tmp_path)!r}, 'search', '--help'], standalone_mode=False)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('indexer', 'webui', 'flask')))")
    env = {k: v for k, v in os.environ.items() if k != "KB_HOME"} | {"PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


@pytest.fixture()
def broken_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    """``kb`` as installed beside a package whose command cannot be imported."""
    real = kb.cli.group.entry_points
    monkeypatch.setattr(kb.cli.group, "entry_points", lambda group: [*real(group=group), BROKEN])
    monkeypatch.setattr(main, "_contributed", None)
    monkeypatch.setattr(main, "commands", dict(main.commands))


@pytest.mark.usefixtures("broken_plugin")
def test_a_command_that_cannot_be_loaded_is_listed_and_said_in_french() -> None:
    runner = CliRunner()
    listing = runner.invoke(main, ["--help"])
    assert listing.exit_code == 0
    line = next(line for line in listing.output.splitlines() if line.strip().startswith("casse"))
    assert "Indisponible" in line
    assert "search" in listing.output and "index" in listing.output

    done = runner.invoke(main, ["casse", "--option", "x"])
    assert done.exit_code == 1
    assert "Erreur : la commande kb casse n'a pas pu être chargée" in done.output
    assert "kb_no_such_package" in done.output and "Traceback" not in done.output

    assert runner.invoke(main, ["search", "--help"]).exit_code == 0


def test_a_command_s_own_rules_come_before_the_core_s() -> None:
    ctx = click.Context(click.Command("essai"))
    own = (Rule(OSError, 1, lambda exc, ctx: "écriture impossible"),)
    full = StorageFull("disque plein")  # a KBError and an OSError
    mapped = translate(full, (*own, *CORE_RULES), ctx)
    assert isinstance(mapped, CommandError) and mapped.message == "écriture impossible"
    mapped = translate(full, CORE_RULES, ctx)
    assert mapped is not None and (mapped.message, mapped.exit_code) == ("disque plein", 1)
    missing = translate(MissingBase("/nulle/part"), CORE_RULES, ctx)
    assert missing is not None and missing.exit_code == 2 and "kb index DOSSIER" in missing.message
    assert translate(KBError("refus"), CORE_RULES, ctx) is not None
    assert translate(ValueError("bogue"), CORE_RULES, ctx) is None  # a bug stays a traceback
    assert translate(click.UsageError("usage"), CORE_RULES, ctx) is None  # click's own, printed in French

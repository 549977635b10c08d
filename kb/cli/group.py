"""The ``kb`` command group and the commands other packages contribute to it.

The core defines the group and its own commands (``kb.cli.commands``); the indexer and the web
package add theirs (``kb index``, ``kb serve``...) through the ``kb.commands`` entry points
declared in pyproject.toml, so the core imports neither. A contributed command is loaded when
it is asked for (or listed by ``kb --help``); one that fails to load leaves ``kb`` working and
says why in French when it is listed or run.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

import click

from kb.cli import french
from kb.cli.context import Context
from kb.cli.errors import Command, CommandError

PLUGIN_GROUP = "kb.commands"


class PluginGroup(french.Group):
    """A French group whose commands are its own plus those of the ``kb.commands`` entry points
    (listed in alphabetical order, as click lists its own)."""

    command_class = Command

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._contributed: dict[str, EntryPoint] | None = None

    def contributed(self) -> dict[str, EntryPoint]:
        """The entry points of contributed commands, by command name (read once)."""
        if self._contributed is None:
            found = entry_points(group=PLUGIN_GROUP)
            # A package adds commands; it cannot replace one of the core's.
            self._contributed = {ep.name: ep for ep in found if ep.name not in self.commands}
        return self._contributed

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The core's commands and those contributed through the ``kb.commands`` entry points."""
        return sorted({*self.commands, *self.contributed()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command named ``cmd_name``, loading a contributed one only when it is asked for."""
        if cmd_name not in self.commands:
            entry = self.contributed().get(cmd_name)
            if entry is None:
                return None
            self.add_command(load_command(entry), cmd_name)
        return self.commands.get(cmd_name)


def load_command(entry: EntryPoint) -> click.Command:
    """The command an entry point names, or one that says it cannot be loaded."""
    try:
        command = entry.load()
    # A broken or half-installed package (a missing dependency, a syntax error) must not take
    # the other commands down with it: whatever its import raises is reported, not raised.
    except Exception as exc:  # noqa: BLE001
        return unavailable(entry, f"{type(exc).__name__} : {exc}")
    if not isinstance(command, click.Command):
        return unavailable(entry, f"{entry.value} n'est pas une commande")
    return command


def unavailable(entry: EntryPoint, reason: str) -> click.Command:
    """A stand-in for a contributed command that could not be loaded: listed with the reason,
    and running it says so (exit status 1) whatever its arguments."""
    message = (f"la commande kb {entry.name} n'a pas pu être chargée ({entry.value} : {reason}). "
               "Réinstallez Passerelles (pip install -e . dans le dossier du projet) ; "
               "les autres commandes fonctionnent.")

    def refuse() -> None:
        raise CommandError(message, 1)

    return Command(entry.name, callback=refuse, help=f"Indisponible : {reason}", add_help_option=False,
                   context_settings={"ignore_unknown_options": True, "allow_extra_args": True})


@click.group(cls=PluginGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), envvar="KB_HOME", default="kb-data",
              show_default=True, help="Dossier de la base (index, catalogue, dépôt des originaux). Variable : KB_HOME.")
@click.option("--synonyms", type=click.Path(exists=True, dir_okay=False, path_type=Path), envvar="KB_SYNONYMS",
              help="Fichier YAML de synonymes et sigles (défaut : celui fourni). Variable : KB_SYNONYMS.")
@click.option("--thesaurus", type=click.Path(exists=True, dir_okay=False, path_type=Path), envvar="KB_THESAURUS",
              help="Fichier YAML des thèmes et mots déclencheurs (défaut : celui fourni). Variable : KB_THESAURUS.")
@click.version_option(package_name="passerelles", message="Passerelles %(version)s",
                      help=french.VERSION_TEXT)
@click.pass_context
def main(ctx: click.Context, home: Path, synonyms: Path | None, thesaurus: Path | None) -> None:
    """Passerelles : base de connaissances des centres de ressources politique de la ville.

    Indexez un dossier de documents (PDF, HTML, Word, OpenDocument, Markdown, texte) puis
    cherchez-y en français. La base est rangée dans ./kb-data (ou --home, KB_HOME).

    \b
    Exemples :
      kb index ~/Documents/crpv          indexer un dossier (ensuite, seul ce qui change est relu)
      kb search "participation des habitants"
      kb search 'theme:santé annee:2021' --type "compte rendu"
      kb show 3f2a9c41d0b7               fiche et texte d'un document
      kb config base-url https://kb.example.org
                                         adresse publique des liens (serveur, exports)
      kb serve                           interface web sur http://127.0.0.1:8000
      kb serve --demo                    essayer avec le corpus de démonstration
      kb --home ~/bases/crpv stats       travailler sur une autre base
    """
    ctx.obj = Context(home, synonyms, thesaurus)

"""Click in French: help pages and usage errors of the ``kb`` command.

Click writes its own strings in English through ``gettext``. Installing a catalogue for the
global ``messages`` domain would also translate (or break) every other library of the process
and depends on .mo files being found; instead these classes build what click prints: the help
page through a formatter and ``format_options``, and usage errors in ``main``, from the typed
exception (option name, parameter, type) rather than from its English text. An error this
module does not know keeps click's message, inside a French frame.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click
from click import exceptions as errors

SECTIONS = {"Options": "Options", "Commands": "Commandes", "Positional arguments": "Arguments"}
HELP_TEXT = "Afficher cette aide et quitter."
VERSION_TEXT = "Afficher la version et quitter."
# Metavars of click's types (shown after an option in the help), by the type's name.
METAVARS = {"integer": "ENTIER", "integer range": "ENTIER", "float": "NOMBRE", "float range": "NOMBRE",
            "text": "TEXTE", "file": "FICHIER", "directory": "DOSSIER", "path": "CHEMIN"}
_EXTRA_ARGS_RE = re.compile(r"^Got unexpected extra arguments? \((?P<args>.*)\)$", re.DOTALL)
_QUOTED_RE = re.compile(r"^'?(?P<value>.*?)'? (?:is not|is a|does not)")


class Formatter(click.HelpFormatter):
    """French usage prefix and section headings, with the space French puts before a colon."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        """Write the usage line under its French heading."""
        super().write_usage(prog, args, "Utilisation : " if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        """Write a section heading in French (« Options », « Commandes »)."""
        self.write(f"{'':>{self.current_indent}}{SECTIONS.get(heading, heading)} :\n")


class Context(click.Context):
    """A click context whose help is written in French."""
    formatter_class = Formatter


def french_range(kind: click.ParamType[Any]) -> str | None:
    """``de 1 à 1000``, ``au moins 1``... for a range type, else None."""
    low, high = getattr(kind, "min", None), getattr(kind, "max", None)
    low_open, high_open = getattr(kind, "min_open", False), getattr(kind, "max_open", False)
    if low is not None and high is not None and not (low_open or high_open):
        return f"de {low} à {high}"
    parts = []
    if low is not None:
        parts.append(f"{'plus de' if low_open else 'au moins'} {low}")
    if high is not None:
        parts.append(f"{'moins de' if high_open else 'au plus'} {high}")
    return ", ".join(parts) or None


class _FrenchHelp(click.Command):
    """The help option's French text, shared by commands and groups."""

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP_TEXT
        return option


class Command(_FrenchHelp):
    """A command whose help is French: metavars, the help option, ``[défaut : …]``."""

    context_class = Context

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _french_metavars(self.params)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the options in French, with their defaults."""
        _format_options(self, ctx, formatter)


class Group(_FrenchHelp, click.Group):
    """A group with the same French help, whose ``main`` reports usage errors in French."""

    context_class = Context
    command_class = Command

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("subcommand_metavar", "COMMANDE [ARGUMENTS]...")
        super().__init__(*args, **kwargs)
        _french_metavars(self.params)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the options in French, then the commands."""
        _format_options(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        """Run the command line; click's usage errors are said in French."""
        if not standalone_mode:  # the caller handles click's exceptions itself
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except errors.UsageError as exc:
            _report_usage_error(exc)
        except errors.ClickException as exc:
            click.echo(f"Erreur : {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Interrompu.", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _french_metavars(params: list[click.Parameter]) -> None:
    for param in params:
        if isinstance(param, click.Option) and param.metavar is None and not param.is_flag:
            metavar = METAVARS.get(param.type.name)
            if metavar:
                param.metavar = metavar


def _format_options(command: click.Command, ctx: click.Context, formatter: click.HelpFormatter) -> None:
    rows = []
    for param in command.get_params(ctx):
        if isinstance(param, click.Option) and not param.hidden:
            record = param.get_help_record(ctx)
            if record is not None:
                rows.append((record[0], _option_help(param, ctx)))
    if rows:
        with formatter.section("Options"):
            formatter.write_dl(rows)


def _option_help(option: click.Option, ctx: click.Context) -> str:
    """The option's help and, in brackets, its default and range in French."""
    extra: dict[str, Any] = dict(option.get_help_extra(ctx))
    items = []
    if "envvars" in extra:
        items.append("variable : " + ", ".join(extra["envvars"]))
    if "default" in extra:
        items.append(f"défaut : {extra['default']}")
    if "range" in extra:
        items.append(french_range(option.type) or str(extra["range"]))
    if "required" in extra:
        items.append("obligatoire")
    help_text = option.help or ""
    if items:
        help_text = f"{help_text}  [{' ; '.join(items)}]" if help_text else f"[{' ; '.join(items)}]"
    return help_text


def _hint(param: click.Parameter | None) -> str:
    if param is None:
        return "paramètre"
    if isinstance(param, click.Option):
        return " / ".join(param.opts)
    return (param.metavar or (param.name or "").upper()).rstrip(".")


def _suggest(possibilities: Sequence[str] | None) -> str:
    return f" (vouliez-vous dire {' ou '.join(possibilities)} ?)" if possibilities else ""


def usage_message(exc: errors.UsageError) -> str:
    """The French message of a usage error, built from what the exception carries."""
    no_such_command = getattr(errors, "NoSuchCommand", None)
    if isinstance(exc, errors.NoSuchOption):
        return f"option inconnue : {exc.option_name}{_suggest(exc.possibilities)}"
    if no_such_command is not None and isinstance(exc, no_such_command):
        return f"commande inconnue : {exc.command_name}{_suggest(exc.possibilities)}"
    if isinstance(exc, errors.MissingParameter):
        if isinstance(exc.param, click.Option):
            return f"option manquante : {_hint(exc.param)}"
        return f"argument manquant : {_hint(exc.param)}"
    if isinstance(exc, errors.BadParameter):
        return f"valeur invalide pour {_hint(exc.param)} : {_value_message(exc)}"
    if isinstance(exc, errors.BadOptionUsage):
        if "requires" in exc.message:
            return f"l'option {exc.option_name} attend une valeur"
        if "does not take a value" in exc.message:
            return f"l'option {exc.option_name} ne prend pas de valeur"
    extra = _EXTRA_ARGS_RE.match(exc.message)
    if extra:
        many = exc.message.startswith("Got unexpected extra arguments")
        return f"argument{'s' if many else ''} en trop : {extra['args']}"
    if exc.message == "Missing command.":
        return "commande manquante"
    command = re.match(r"^No such command '(.*)'\.$", exc.message)  # click < 8.4
    if command:
        return f"commande inconnue : {command[1]}"
    return exc.message


def _value_message(exc: errors.BadParameter) -> str:
    """Why a value was refused, from the parameter's type (click's sentence as a last resort)."""
    kind = exc.param.type if exc.param is not None else None
    if isinstance(kind, click.Path):
        return _path_message(kind, exc.message)
    found = _QUOTED_RE.match(exc.message)
    value = found["value"] if found else None
    if value is None:
        return exc.message
    if isinstance(kind, click.Choice):
        return f"« {value} » n'est pas une valeur possible (choix : {', '.join(map(str, kind.choices))})."
    if isinstance(kind, (click.IntRange, click.FloatRange)) and "is not in the range" in exc.message:
        bounds = french_range(kind) or ""
        if bounds.startswith("de "):
            return f"{value} n'est pas compris entre {bounds[3:].replace(' à ', ' et ')}."
        return f"{value} n'est pas dans l'intervalle permis ({bounds})."
    if kind is not None and kind.name in ("integer", "integer range"):
        return f"« {value} » n'est pas un nombre entier."
    if kind is not None and kind.name in ("float", "float range"):
        return f"« {value} » n'est pas un nombre."
    return exc.message


def _path_message(kind: click.Path, message: str) -> str:
    # click: "{Name} '{filename}' does not exist." (the name is the type's: file, directory, path)
    found = re.search(r"'(?P<value>.*)' (?:does|is)", message, re.DOTALL)
    if found is None:
        return message
    what = {"file": "le fichier", "directory": "le dossier"}.get(kind.name, "le chemin")
    for english, french in (("does not exist", "n'existe pas"), ("is a file", "est un fichier"),
                            ("is a directory", "est un dossier"), ("is not readable", "n'est pas lisible"),
                            ("is not writable", "n'est pas accessible en écriture"),
                            ("is not executable", "n'est pas exécutable")):
        if message.endswith(english + "."):
            return f"{what} « {found['value']} » {french}."
    return message


def _report_usage_error(exc: errors.UsageError) -> NoReturn:
    no_args = getattr(errors, "NoArgsIsHelpError", None)
    if no_args is not None and isinstance(exc, no_args):  # `kb` alone: the help, on stderr
        exc.show()
        sys.exit(exc.exit_code)
    ctx = exc.ctx
    if ctx is not None:
        click.echo(ctx.get_usage(), err=True)
        names = ctx.help_option_names
        if ctx.command.get_help_option(ctx) is not None and names:
            option = "--help" if "--help" in names else names[0]
            click.echo(f"Essayez « {ctx.command_path} {option} » pour l'aide.", err=True)
        click.echo("", err=True)
    click.echo(f"Erreur : {usage_message(exc)}", err=True)
    sys.exit(exc.exit_code)

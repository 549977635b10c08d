"""The web package's command of ``kb`` (``kb serve``), contributed through the ``kb.commands``
entry points of pyproject.toml: the core's command group loads it, it never imports the web
package. The demo (``kb serve --demo``) indexes the demo corpus with ``kb index`` found in the
same group, so the web package does not import the indexer either."""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

import click

from kb.cli import CommandError, Context, Rule, command, pass_ctx
from kb.cli.errors import os_reason, unopenable
from kb.cli.render import safe
from kb.settings import check_base_url
from webui.links import server_url
from webui.server import DEFAULT_PROCESSES, PortUnavailable, ServerStartError, serve

# The demo corpus of a source checkout, when no installed ``corpus`` package holds one.
CHECKOUT_CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "documents"


def demo_corpus() -> Path:
    """The demo documents: those of the installed ``corpus`` package (package data), else
    those of the source checkout this module comes from."""
    try:
        found = files("corpus") / "documents"
        if found.is_dir():
            return Path(str(found)).resolve()
    except (ModuleNotFoundError, TypeError):  # not installed; TypeError: not a package
        pass
    return CHECKOUT_CORPUS


def _port_taken(exc: BaseException, ctx: click.Context) -> str:
    return (f"impossible d'écouter sur {ctx.params['host']}:{ctx.params['port']} ({os_reason(exc)}). "
            "Le port est-il déjà pris ? Essayez --port.")


# Checked before the core's rules (a KBError ends with its own message, exit status 1).
SERVE_ERRORS = (
    Rule(PortUnavailable, 1, _port_taken),
    Rule(OSError, 1, unopenable),  # the base itself (its folder unreadable...), with one process
    Rule(ServerStartError, 1, lambda exc, ctx: "un processus serveur s'est arrêté au démarrage (voir son erreur "
                                               "ci-dessus)."),
)


def _check_base_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if not value:
        return None
    try:
        return check_base_url(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@command("serve", errors=SERVE_ERRORS)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Adresse d'écoute (127.0.0.1 : cet ordinateur seulement ; 0.0.0.0 : tout le réseau).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port d'écoute.")
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Requêtes traitées en parallèle par processus.")
@click.option("--processes", type=click.IntRange(1, 32), default=DEFAULT_PROCESSES, show_default=True,
              help="Processus serveurs, chacun sur un cœur : plus de lecteurs servis à la fois, "
                   "au prix de la mémoire de chacun (~150 Mo pour 100 000 documents).")
@click.option("--base-url", envvar="KB_BASE_URL", callback=_check_base_url,
              help="Adresse publique du site (ex. https://kb.example.org) : début des liens absolus des "
                   "flux, exports pour lettre d'information, liens canoniques et de l'API. Par défaut, "
                   "le réglage de la base (kb config base-url), sinon l'adresse d'écoute (--host, "
                   "--port) ; jamais l'en-tête Host des requêtes. Variable : KB_BASE_URL.")
@click.option("--demo", is_flag=True, help="Indexer d'abord le corpus de démonstration si la base est vide.")
@pass_ctx
def serve_cmd(obj: Context, host: str, port: int, threads: int, processes: int, base_url: str | None,
              demo: bool) -> None:
    """Servir l'interface web et l'API JSON (serveur de production waitress).

    Les documents ajoutés par kb index pendant que le serveur tourne apparaissent sans
    redémarrage.
    """
    ctx = click.get_current_context()
    if demo:
        _index_demo(ctx, obj)
    else:
        obj.require_base()
    if base_url:
        from_env = ctx.get_parameter_source("base_url") == click.core.ParameterSource.ENVIRONMENT
        origin = "variable KB_BASE_URL" if from_env else "--base-url"
    else:
        base_url, origin = obj.public_address()
    config = {"KB_HOME": str(obj.home), "KB_SYNONYMS": str(obj.synonyms) if obj.synonyms else None,
              "BASE_URL": base_url or "", "SERVER_URL": server_url(host, port)}
    # The web app reads the KB_* variables after the config it is given, which would put the
    # environment back above an option (KB_BASE_URL above --base-url, KB_HOME above --home):
    # the values are resolved here, once, and only the config carries them to the app.
    for name in ("KB_HOME", "KB_SYNONYMS", "KB_BASE_URL"):
        os.environ.pop(name, None)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    click.echo(f"Passerelles : http://{shown}:{port}/ "
               + (f"({processes} processus, " if processes > 1 else "(") + "Ctrl-C pour arrêter)")
    click.echo(f"Liens absolus (flux, lettres d'information) : {safe(base_url or config['SERVER_URL'])}/ "
               + (f"({origin})" if base_url else "(adresse de cet ordinateur : donnez l'adresse publique avec "
                                                 "kb config base-url URL ou --base-url)"))
    try:
        serve(config, host=host, port=port, threads=threads, processes=processes)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the way a server is meant to stop
        click.echo("Serveur arrêté.")


def _index_demo(ctx: click.Context, obj: Context) -> None:
    """Index the demo corpus into an empty base, with ``kb index`` as a person would."""
    with obj.open(create=True) as kb:
        empty = kb.stats().documents == 0
    if not empty:
        return
    parent = ctx.parent
    index = (parent.command.get_command(parent, "index")
             if parent is not None and isinstance(parent.command, click.Group) else None)
    if index is None:
        raise CommandError("kb serve --demo indexe le corpus avec kb index, absent de cette installation : "
                           "réinstallez Passerelles (pip install -e . dans le dossier du projet).", 1)
    corpus = demo_corpus()
    click.echo(f"Base vide : indexation du corpus de démonstration ({corpus})…")
    try:
        # Through the command's own invoke, as typed: its error rules (a full disk, Ctrl-C)
        # apply, and a stand-in for an indexer that could not be loaded says so.
        with index.make_context("index", [str(corpus)], parent=ctx) as sub:
            index.invoke(sub)
    except click.exceptions.Exit:  # kb index ends with its status: its report said what failed,
        pass  # and the demo serves what was indexed

"""The core's own commands: they read or maintain a base and need nothing but ``kb``.

Each one opens the base, asks the core, closes it, then hands what it got to a renderer of
``kb.cli.render``; errors are raised and mapped in ``kb.cli.errors``.
"""

from __future__ import annotations

import click

from kb.cli import render
from kb.cli.context import Context, pass_ctx
from kb.cli.errors import CommandError
from kb.cli.group import main
from kb.model import SearchRequest
from kb.permalink import document_url
from kb.settings import KNOWN, check_base_url, read_settings, write_setting


@main.command("search")
@click.argument("query", nargs=-1, metavar="[REQUÊTE]...")
@click.option("--type", "types", multiple=True, help="Type de document (ex. « fiche d'expérience »). Répétable.")
@click.option("--theme", "themes", multiple=True, help="Thème (ex. « santé »). Répétable.")
@click.option("--year", "years", multiple=True, help="Année (ex. 2017). Répétable.")
@click.option("--org", "orgs", multiple=True, help="Organisation ou sigle cité (ex. ANRU). Répétable.")
@click.option("--format", "formats", multiple=True, help="Format (pdf, html, docx, odt, markdown, text).")
@click.option("--collection", "collections", multiple=True, help="Collection (centre ou source). Répétable.")
@click.option("--sort", type=click.Choice(["pertinence", "date"]), default="pertinence", show_default=True,
              help="Ordre des résultats.")
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True, help="Nombre de résultats.")
@click.option("--page", type=click.IntRange(1, 100000), default=1, show_default=True, help="Page de résultats.")
@click.option("--json", "as_json", is_flag=True, help="Résultats en JSON.")
@pass_ctx
def search_cmd(obj: Context, query: tuple[str, ...], types: tuple[str, ...], themes: tuple[str, ...],
               years: tuple[str, ...], orgs: tuple[str, ...], formats: tuple[str, ...],
               collections: tuple[str, ...], sort: str, limit: int, page: int, as_json: bool) -> None:
    """Chercher REQUÊTE dans la base.

    \b
    Syntaxe : mots (tous requis), "expression exacte", OU / OR, ET / AND,
    SAUF / NOT ou -mot pour exclure, préfixe*, champ:valeur avec les champs
    titre, type, theme, annee, auteur, format, org, territoire, langue, collection.
    Exemples : kb search "participation des habitants"
               kb search 'renouvellement urbain' --type "fiche d'expérience"
               kb search 'theme:santé annee:2021 ASV OU CLS'
    Les accents, majuscules, pluriels et sigles (CGET/ANCT, QPV) sont pris en compte.
    """
    filters = {k: v for k, v in (("type", types), ("themes", themes), ("year", years),
                                  ("organisations", orgs), ("format", formats), ("collection", collections)) if v}
    request = SearchRequest(query=" ".join(query), filters=filters, page=page, page_size=limit,
                            sort="date" if sort == "date" else "relevance", facets=not as_json)
    with obj.open() as kb:
        result = kb.search(request)
    if as_json:
        render.print_json(render.search_json(result))
    else:
        render.print_results(result)


@main.command("show")
@click.argument("ref", metavar="ID|CHEMIN")
@click.option("--json", "as_json", is_flag=True, help="Métadonnées et texte intégral en JSON.")
@pass_ctx
def show_cmd(obj: Context, ref: str, as_json: bool) -> None:
    """Afficher un document (par identifiant ou chemin) : métadonnées, documents similaires et texte."""
    with obj.open() as kb:
        doc = kb.document(ref)
        similar = kb.similar(doc.id, 5)
    # The link kb serve gives, when a public address is known: without one, no link (an
    # address of this computer pasted into a newsletter would be dead for every reader).
    base, _ = obj.public_address()
    link = document_url(base, doc.id, doc.title) if base else None
    if as_json:
        render.print_json(render.document_json(doc, similar, link))
    else:
        render.print_document(doc, similar, link)


@main.command("config")
@click.argument("key", required=False, metavar="[RÉGLAGE]")
@click.argument("value", required=False, metavar="[VALEUR]")
@click.option("--unset", is_flag=True, help="Retirer le réglage (retour à la valeur par défaut).")
@pass_ctx
def config_cmd(obj: Context, key: str | None, value: str | None, unset: bool) -> None:
    """Lire ou modifier les réglages de la base.

    \b
    Réglages :
      base-url   adresse publique du site (ex. https://kb.example.org) : début des liens
                 absolus de kb serve (flux, lettres d'information, API) et de kb show.
                 --base-url et la variable KB_BASE_URL l'emportent sur ce réglage.
    \b
    Exemples :
      kb config                                   tous les réglages
      kb config base-url                          la valeur d'un réglage
      kb config base-url https://kb.example.org   la modifier
      kb config base-url --unset                  la retirer
    """
    obj.require_base()
    if key is not None and key not in KNOWN:
        raise CommandError(f"réglage inconnu : {key} (réglages possibles : {', '.join(sorted(KNOWN))})", 2)
    if key is None:
        if unset or value is not None:
            raise CommandError("indiquez le réglage à modifier, ex. kb config base-url https://kb.example.org", 2)
        render.print_settings(read_settings(obj.home), sorted(KNOWN))
        return
    if unset and value is not None:
        raise CommandError("--unset ne prend pas de valeur", 2)
    if value is None and not unset:
        current = read_settings(obj.home).get(key)
        if current is None:
            click.echo(f"{key} : non défini", err=True)
            click.get_current_context().exit(1)
        click.echo(render.safe(current))
        return
    if value is not None:
        try:
            value = check_base_url(value)
        except ValueError as exc:
            raise CommandError(str(exc), 2) from exc
    write_setting(obj.home, key, value)
    click.echo(f"{key} = {render.safe(value)}" if value is not None else f"{key} retiré.")


@main.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Statistiques en JSON.")
@pass_ctx
def stats_cmd(obj: Context, as_json: bool) -> None:
    """Compter les documents de la base, par type et par format."""
    with obj.open() as kb:
        stats = kb.stats()
    if as_json:
        render.print_json(render.stats_json(stats))
    else:
        render.print_stats(stats)


@main.command("rm")
@click.argument("refs", nargs=-1, required=True, metavar="ID|CHEMIN...")
@pass_ctx
def rm_cmd(obj: Context, refs: tuple[str, ...]) -> None:
    """Retirer des documents de la base (par identifiant ou chemin).

    Le fichier source n'est pas touché ; s'il est encore dans un dossier indexé,
    le prochain kb index le reprendra.
    """
    with obj.open() as kb:
        ids = [kb.resolve(ref).id for ref in refs]
        with kb.writing():
            kb.remove(ids)
            kb.collect_garbage()
    click.echo(f"{len(ids)} document(s) retiré(s).")


@main.command("rebuild")
@pass_ctx
def rebuild_cmd(obj: Context) -> None:
    """Reconstruire l'index à partir du catalogue seul (sans relire les fichiers sources)."""
    with obj.open() as kb:
        with kb.writing():
            count = kb.rebuild()
    click.echo(f"Index reconstruit : {count} documents.")


@main.command("check")
@click.option("--deep", is_flag=True, help="Vérifier aussi l'empreinte de chaque original conservé (plus lent).")
@click.option("--json", "as_json", is_flag=True, help="Rapport en JSON.")
@pass_ctx
def check_cmd(obj: Context, deep: bool, as_json: bool) -> None:
    """Vérifier que catalogue, dépôt des originaux et index concordent (code 1 sinon)."""
    with obj.open() as kb:
        report = kb.check(deep=deep)
    if as_json:
        render.print_json(render.check_json(report))
    else:
        render.print_check(report)
    click.get_current_context().exit(0 if report.ok else 1)

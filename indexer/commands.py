"""The indexer's commands of ``kb`` (``kb index``, ``kb fiche``), contributed through the
``kb.commands`` entry points of pyproject.toml: the core's command group loads them, it never
imports the indexer."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from indexer.collections import CollectionError, Collections
from indexer.extract.base import ExtractionError, Limits
from indexer.ingest import BATCH_DOCS, OcrMissing, Options, index_paths, ocr_state
from indexer.plan import scan
from indexer.render import print_plan, print_report
from indexer.sheets import validate_sheet
from kb.cli import Context, Rule, command, pass_ctx
from kb.cli.errors import home_of, os_reason
from kb.cli.render import ProgressBar, safe
from kb.errors import KBError, StorageFull, os_cause
from kb.knowledgebase import KnowledgeBase, base_exists


def _unwritable(exc: BaseException, ctx: click.Context) -> str:
    return (f"écriture impossible dans {home_of(ctx)} : {os_reason(exc)}. Ce qui a été validé reste "
            "intact ; corrigez le problème (place disque, droits) puis relancez kb index pour finir.")


# Checked in this order, before the core's rules: a full disk (StorageFull) is an OSError
# that carries its own message.
INDEX_ERRORS = (
    Rule(OcrMissing, 2),
    Rule(CollectionError, 2, lambda exc, ctx: f"--collection : {exc}"),
    Rule(StorageFull, 1),
    Rule(OSError, 1, _unwritable),
    Rule(KeyboardInterrupt, 130,
         lambda exc, ctx: "indexation interrompue. Ce qui a été validé est conservé ; relancez kb index pour finir."),
)


@command("index", errors=INDEX_ERRORS)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path), metavar="CHEMIN...")
@click.option("--prune", is_flag=True, help="Retirer de la base les documents dont le fichier a disparu.")
@click.option("--dry-run", is_flag=True, help="Montrer ce qui serait fait, sans rien écrire.")
@click.option("--json", "as_json", is_flag=True, help="Afficher le bilan en JSON (une ligne).")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Nombre de processus d'extraction (défaut : un par cœur).")
@click.option("--timeout", type=click.FloatRange(1, 3600), default=120.0, show_default=True,
              help="Durée maximale d'extraction d'un fichier, en secondes.")
@click.option("--memory-mb", type=click.IntRange(512, 1_000_000), default=2048, show_default=True,
              help="Mémoire maximale d'un processus d'extraction, en Mo (Linux, macOS).")
@click.option("--max-file-mb", type=click.IntRange(1, 100_000), default=200, show_default=True,
              help="Taille maximale d'un fichier, en Mo.")
@click.option("--max-pages", type=click.IntRange(1, 1_000_000), default=5000, show_default=True,
              help="Nombre maximal de pages d'un PDF.")
@click.option("--max-unzipped-mb", type=click.IntRange(1, 100_000), default=500, show_default=True,
              help="Taille décompressée maximale d'un document Word ou OpenDocument, en Mo (bombes zip).")
@click.option("--max-chars", type=click.IntRange(1000, 1_000_000_000), default=20_000_000, show_default=True,
              help="Longueur maximale du texte gardé d'un document, en caractères (au-delà, il est tronqué).")
@click.option("--retry-failed", is_flag=True,
              help="Relire aussi les fichiers en échec qui n'ont pas changé (après avoir relevé une limite).")
@click.option("--follow-links", is_flag=True,
              help="Suivre aussi les liens symboliques vers des fichiers hors des dossiers indexés "
                   "(par défaut ils sont signalés et ignorés).")
@click.option("--force", is_flag=True,
              help="Relire l'empreinte de chaque fichier, même quand sa taille et sa date n'ont pas "
                   "changé (une modification qui les garde est sinon invisible). Plus lent.")
@click.option("--ocr", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              help="Lire par OCR (Tesseract, en français) les pages scannées sans texte et les images : "
                   "auto quand Tesseract est installé, always pour l'exiger, never pour s'en passer.")
@click.option("--batch", type=click.IntRange(1, 100000), default=None,
              help="Documents écrits par validation (5000 par défaut, ou 30 s) : un arrêt brutal ne "
                   "perd que le lot en cours.")
@click.option("--collection", default=None, metavar="NOM",
              help="Collection (centre ou source) de tous les documents de CHEMIN. Sans cette option, un "
                   "fichier .collection dans un dossier (son nom sur la première ligne) vaut pour tout ce "
                   "qu'il contient ; un document garde sinon sa collection d'avant.")
@pass_ctx
def index_cmd(obj: Context, paths: tuple[Path, ...], prune: bool, dry_run: bool, as_json: bool,
              workers: int | None, timeout: float, memory_mb: int, max_file_mb: int, max_pages: int,
              max_unzipped_mb: int, max_chars: int, retry_failed: bool, follow_links: bool,
              force: bool, ocr: str, batch: int | None, collection: str | None) -> None:
    """Indexer les documents des dossiers ou fichiers CHEMIN.

    Seuls les fichiers nouveaux ou modifiés sont relus ; un fichier déplacé garde son
    identifiant. Un fichier illisible est signalé avec sa raison et le reste continue.
    Les dossiers cachés (.git…) et le dossier de la base sont ignorés, ainsi que les liens
    symboliques vers des fichiers hors des dossiers indexés (sauf --follow-links). Code de
    sortie : 0 si tout va bien, 1 si des fichiers ont échoué (les autres sont indexés), 2 en
    cas d'erreur d'usage.
    """
    ocr_state(ocr)
    rules = Collections(collection)
    limits = Limits(max_file_bytes=max_file_mb * 1_000_000, max_pages=max_pages, max_text_chars=max_chars,
                    max_unzipped_bytes=max_unzipped_mb * 1_000_000, timeout_s=timeout)
    if dry_run and not base_exists(obj.home):
        # A simulation writes nothing, not even an empty base: its plan is made against an
        # empty base in a scratch folder (everything is to add).
        with tempfile.TemporaryDirectory(prefix="kb-simulation-") as scratch:
            empty = Context(Path(scratch), obj.synonyms, obj.thesaurus).open(create=True)
            try:
                plan = scan(paths, empty, retry_failed, follow_links, limits, force, collections=rules)
            finally:
                empty.close()
        print_plan(plan, prune, as_json)
        return
    with obj.open(create=True) as kb:
        if dry_run:
            plan = scan(paths, kb, retry_failed, follow_links, limits, force, collections=rules)
            print_plan(plan, prune, as_json)
            return
        options = Options(workers=workers or 0, limits=limits, memory_bytes=memory_mb * 1024 * 1024, prune=prune,
                          thesaurus=obj.thesaurus, synonyms=obj.synonyms, batch_docs=batch or BATCH_DOCS,
                          retry_failed=retry_failed, follow_links=follow_links, force=force, ocr=ocr,
                          collection=rules.given)
        with ProgressBar("Indexation", enabled=False if as_json else None) as bar:
            try:
                report = index_paths(kb, paths, options, bar.start if bar.enabled else None)
            except KeyboardInterrupt:
                bar.close()  # the message that follows starts on a line of its own
                _settle_after_interrupt(kb)
                raise
    print_report(report, as_json)
    click.get_current_context().exit(1 if report.failed else 0)


def _settle_after_interrupt(kb: KnowledgeBase) -> None:
    """Finish the batch Ctrl-C cut in half, so the base is consistent right away (a second
    Ctrl-C only leaves that work to the next run)."""
    try:
        with kb.writing():
            pass  # taking the lock replays pending rows
    except (KBError, OSError, KeyboardInterrupt):
        pass


@command("fiche")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
                metavar="FICHIER...")
def sheet_cmd(paths: tuple[Path, ...]) -> None:
    """Vérifier qu'une fiche d'expérience suit le modèle (docs/modele-fiche-experience.md) :
    sections manquantes ou vides, clés inconnues de l'en-tête. Code de sortie 1 si une fiche
    est incomplète."""
    incomplete = False
    for path in paths:
        try:
            problems = validate_sheet(path)
        # An unreadable sheet is a remark about that sheet: the others are still checked.
        except ExtractionError as exc:
            problems = [f"fichier illisible : {exc.reason}"]
        except OSError as exc:
            problems = [f"fichier illisible : {os_cause(exc)}"]
        incomplete = incomplete or bool(problems)
        click.echo(f"{safe(str(path))} : " + ("conforme au modèle" if not problems else f"{len(problems)} remarque(s)"))
        for problem in problems:
            click.echo(f"  - {safe(problem)}")
    click.get_current_context().exit(1 if incomplete else 0)

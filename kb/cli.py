"""The ``kb`` command: the composition root, the only module that wires core, indexer and web.

Messages are French; errors end with what to do next; exit status 0 = all good, 1 = some
files failed or a check found problems, 2 = usage error.
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from kb.errors import DamagedBase, KBError, LockedError, MissingBase, NotFound
from kb.french_click import VERSION_TEXT, Group
from kb.knowledgebase import KnowledgeBase, base_exists
from kb.model import OCR, OCR_INCOMPLETE, SCANNED_NO_OCR, SearchRequest
from kb.names import printable
from kb.practice import PRACTICE_FIELDS
from kb.settings import BASE_URL, KNOWN, read_settings, write_setting
from kb.synonyms import load_synonyms

# C0/C1 controls (escape sequences included) must never reach the terminal from a document.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MARK_RE = re.compile(r"<mark>(.*?)</mark>")


def safe(text: object) -> str:
    """Text for the terminal: no control sequence, and a file name that is not UTF-8 shown
    with its odd bytes as \\xNN (it would otherwise end the command with an encoding error)."""
    return _CONTROL_RE.sub("", printable(str(text)))


def to_json(data: object) -> str:
    """One line of JSON whose strings are all valid Unicode (see ``safe``)."""
    return json.dumps(_printable(data), ensure_ascii=False)


def _printable(data: object) -> object:
    if isinstance(data, str):
        return printable(data)
    if isinstance(data, dict):
        return {_printable(k): _printable(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_printable(v) for v in data]
    return data


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"Erreur : {message}", err=True)
    sys.exit(code)


class Context:
    def __init__(self, home: Path, synonyms: Path | None, thesaurus: Path | None) -> None:
        self.home = home
        self.synonyms = synonyms
        self.thesaurus = thesaurus

    def open(self, create: bool = False) -> KnowledgeBase:
        """The base at ``home``; only ``create`` (kb index, the demo) makes one where there is
        none, so that a reader pointed at the wrong folder says so instead of answering from an
        empty base."""
        try:
            base = KnowledgeBase(self.home, load_synonyms(self.synonyms), create=create)
            base.repair()  # an index a new version outdated is rebuilt before any command reads it
            return base
        except MissingBase as exc:
            missing_base(exc)
        except DamagedBase as exc:
            fail(str(exc), 1)
        except KBError as exc:
            fail(str(exc), 2)
        except OSError as exc:
            fail(f"impossible d'ouvrir la base {self.home} : {exc.strerror or exc}", 1)


def missing_base(exc: MissingBase) -> NoReturn:
    fail(f"{exc}. Pour la créer, indexez un dossier : kb index DOSSIER ; pour lire une autre base : "
         "kb --home DOSSIER … ou la variable KB_HOME.", 2)


pass_ctx = click.make_pass_decorator(Context)


class _Group(Group):
    """Any error the core raises on purpose (a full disk, a damaged index...) ends a command
    with its French message, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KBError as exc:
            fail(str(exc), 1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), envvar="KB_HOME", default="kb-data",
              show_default=True, help="Dossier de la base (index, catalogue, dépôt des originaux). Variable : KB_HOME.")
@click.option("--synonyms", type=click.Path(exists=True, dir_okay=False, path_type=Path), envvar="KB_SYNONYMS",
              help="Fichier YAML de synonymes et sigles (défaut : celui fourni). Variable : KB_SYNONYMS.")
@click.option("--thesaurus", type=click.Path(exists=True, dir_okay=False, path_type=Path), envvar="KB_THESAURUS",
              help="Fichier YAML des thèmes et mots déclencheurs (défaut : celui fourni). Variable : KB_THESAURUS.")
@click.version_option(package_name="passerelles", message="Passerelles %(version)s",
                      help=VERSION_TEXT)
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


@main.command("index")
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
    from indexer.collections import CollectionError, Collections
    from indexer.extract.base import Limits
    from indexer.ingest import BATCH_DOCS, OcrMissing, Options, index_paths, ocr_state
    from indexer.plan import scan

    try:
        ocr_state(ocr)
        rules = Collections(collection)
    except OcrMissing as exc:
        fail(str(exc), 2)
    except CollectionError as exc:
        fail(f"--collection : {exc}", 2)

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
        _print_plan(plan, prune, as_json)
        return
    kb = obj.open(create=True)
    try:
        if dry_run:
            plan = scan(paths, kb, retry_failed, follow_links, limits, force, collections=rules)
            _print_plan(plan, prune, as_json)
            return
        options = Options(workers=workers or 0, limits=limits, memory_bytes=memory_mb * 1024 * 1024, prune=prune,
                          thesaurus=obj.thesaurus, synonyms=obj.synonyms, batch_docs=batch or BATCH_DOCS,
                          retry_failed=retry_failed, follow_links=follow_links, force=force, ocr=ocr,
                          collection=rules.given)
        progress = None if as_json or not sys.stderr.isatty() else _progress_bar
        try:
            report = index_paths(kb, paths, options, progress)
        except KBError as exc:
            fail(str(exc), 1)
        except OSError as exc:
            fail(f"écriture impossible dans {obj.home} : {exc.strerror or exc}. Ce qui a été validé reste "
                 "intact ; corrigez le problème (place disque, droits) puis relancez kb index pour finir.", 1)
        except KeyboardInterrupt:
            _close_bar()
            _settle_after_interrupt(kb)
            fail("indexation interrompue. Ce qui a été validé est conservé ; relancez kb index pour finir.", 130)
    finally:
        _close_bar()
        kb.close()
    if as_json:
        click.echo(to_json(report.to_dict()))
    else:
        _print_report(report)
    sys.exit(1 if report.failed else 0)


_bar: Any = None


def _settle_after_interrupt(kb: KnowledgeBase) -> None:
    """Finish the batch Ctrl-C cut in half, so the base is consistent right away (a second
    Ctrl-C only leaves that work to the next run)."""
    try:
        with kb.writing():
            pass  # taking the lock replays pending rows
    except (KBError, OSError, KeyboardInterrupt):
        pass


def _progress_bar(total: int) -> Callable[[int], None]:
    global _bar
    _bar = click.progressbar(length=total, label="Indexation", file=sys.stderr, show_pos=True, show_eta=True)
    _bar.__enter__()
    return lambda n: _bar.update(n)


def _close_bar() -> None:
    global _bar
    if _bar is not None:
        _bar.__exit__(None, None, None)
        _bar = None


def _print_plan(plan: Any, prune: bool, as_json: bool) -> None:
    data: dict[str, Any] = {
        "add": [str(i.path) for i in plan.work if i.action == "add"],
        "update": [str(i.path) for i in plan.work if i.action == "update"],
        "move": [str(i.path) for i in plan.work if i.action == "move"],
        "relabel": [str(i.path) for i in plan.work if i.action == "relabel"],
        "unchanged": len(plan.unchanged),
        "remove": ([e.path for e in plan.gone] if prune else []) + [e.path for e in plan.refused],
        "gone": [e.path for e in plan.gone],
        "skipped": [{"path": str(p), "reason": r} for p, r in plan.skipped],
        "failed": [{"path": str(p), "reason": r} for p, r in plan.failed + plan.failed_before],
    }
    if as_json:
        click.echo(to_json(data))
        return
    click.echo("Simulation (rien n'est écrit) :")
    for key, label in (("add", "à ajouter"), ("update", "à mettre à jour"), ("move", "déplacés"),
                       ("relabel", "changés de collection"), ("remove", "à retirer")):
        click.echo(f"  {len(data[key])} {label}")
        for path in data[key][:50]:
            click.echo(f"    {safe(path)}")
    click.echo(f"  {data['unchanged']} inchangés")
    if data["gone"] and not prune:
        click.echo(f"  {len(data['gone'])} disparus (ajoutez --prune pour les retirer)")
    _print_reasons("ignorés", data["skipped"])
    _print_reasons("en échec", data["failed"])


def _print_reasons(label: str, rows: list[dict[str, str]]) -> None:
    if rows:
        click.echo(f"  {len(rows)} {label} :")
        for row in rows:
            click.echo(f"    {safe(row['path'])} — {safe(row['reason'])}")


def _print_report(report: Any) -> None:
    d = report.to_dict()
    click.echo(f"{d['indexed']} indexés, {d['unchanged']} inchangés, {d['removed']} retirés, "
               f"{len(d['skipped'])} ignorés, {len(d['failed'])} en échec.")
    _print_reasons("ignorés", d["skipped"])
    _print_reasons("en échec", d["failed"])
    _print_reasons("avertissements", d["warnings"])


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
    kb = obj.open()
    try:
        result = kb.search(request)
    finally:
        kb.close()
    if as_json:
        hits = [{"id": h.id, "title": h.title, "type": h.type, "date": h.date, "path": h.path, "page": h.page,
                 "collection": h.collection, "score": h.score, "snippet": h.snippet,
                 "relatives": [{"id": i, "title": t, "label": label} for i, t, label in h.relatives]}
                for h in result.hits]
        payload: dict[str, Any] = {"total": result.total, "hits": hits}
        if result.suggestion:
            payload["suggestion"] = result.suggestion
        if result.corrected:
            payload["corrected"] = result.corrected
        click.echo(to_json(payload))
        return
    _print_results(result)


def _print_results(result: Any) -> None:
    tty = sys.stdout.isatty()
    if result.corrected:
        click.echo(f"Orthographe corrigée : résultats pour « {safe(result.query)} » et pour « {safe(result.corrected)} ».")
    elif result.suggestion:
        click.echo(f"Essayez plutôt : {safe(result.suggestion)}")
    if result.total == 0:
        click.echo("Aucun résultat. Essayez moins de mots, un synonyme ou retirez un filtre.")
        return
    plural = "s" if result.total > 1 else ""
    note = " (aucun document ne contient tous les mots : résultats avec une partie d'entre eux)" if result.relaxed else ""
    click.echo(f"{result.total} résultat{plural}{note} — {result.elapsed_ms:.0f} ms")
    start = (result.page - 1) * result.page_size
    for rank, hit in enumerate(result.hits, start + 1):
        meta = ", ".join(x for x in (hit.type, hit.date or "", hit.collection or "") if x)
        where = f" (p. {', '.join(map(str, hit.pages[:8]))})" if hit.pages else ""
        click.echo("")
        click.echo(f"{rank}. " + click.style(safe(hit.title), bold=True) + f"  [{safe(meta)}]  id {hit.id}")
        click.echo(f"   {safe(hit.path)}{where}")
        click.echo(f"   {styled_snippet(hit.snippet, tty)}")


def styled_snippet(snippet: str, tty: bool) -> str:
    """A snippet (HTML with <mark>) for the terminal: matches in bold colour on a terminal,
    plain text in a pipe (no « » around them, which French text already uses as quotes).
    Each piece is made safe before styling, or ``safe`` would strip the escape character of
    the styling itself and leave « [33m[1m » on screen."""
    pieces = []
    for n, piece in enumerate(_MARK_RE.split(snippet)):
        text = safe(html.unescape(piece))
        pieces.append(click.style(text, bold=True, fg="yellow") if n % 2 and tty and text else text)
    return "".join(pieces)


@main.command("fiche")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
                metavar="FICHIER...")
def sheet_cmd(paths: tuple[Path, ...]) -> None:
    """Vérifier qu'une fiche d'expérience suit le modèle (docs/modele-fiche-experience.md) :
    sections manquantes ou vides, clés inconnues de l'en-tête. Code de sortie 1 si une fiche
    est incomplète."""
    from indexer.extract.base import ExtractionError
    from indexer.sheets import validate_sheet

    incomplete = False
    for path in paths:
        try:
            problems = validate_sheet(path)
        except ExtractionError as exc:
            problems = [f"fichier illisible : {exc.reason}"]
        except OSError as exc:
            problems = [f"fichier illisible : {exc.strerror or exc}"]
        incomplete = incomplete or bool(problems)
        click.echo(f"{safe(str(path))} : " + ("conforme au modèle" if not problems else f"{len(problems)} remarque(s)"))
        for problem in problems:
            click.echo(f"  - {safe(problem)}")
    sys.exit(1 if incomplete else 0)


@main.command("show")
@click.argument("ref", metavar="ID|CHEMIN")
@click.option("--json", "as_json", is_flag=True, help="Métadonnées et texte intégral en JSON.")
@pass_ctx
def show_cmd(obj: Context, ref: str, as_json: bool) -> None:
    """Afficher un document (par identifiant ou chemin) : métadonnées, documents similaires et texte."""
    kb = obj.open()
    try:
        doc = kb.document(ref)
        similar = kb.similar(doc.id, 5)
    except NotFound as exc:
        fail(str(exc), 1)
    finally:
        kb.close()
    link = _permalink(obj, doc.id, doc.title)
    if as_json:
        data = doc.to_dict()
        data["year"] = doc.year
        # What re-publishing needs (Licence Ouverte asks for the source), under stable names.
        data["source"] = doc.url
        data["permalink"] = link
        data["similar"] = [{"id": h.id, "title": h.title} for h in similar]
        click.echo(to_json(data))
        return
    rows = [("Titre", doc.title), ("Identifiant", doc.id), ("Collection", doc.collection or ""),
            ("Type", doc.type), ("Date", doc.date),
            ("Thèmes", ", ".join(doc.themes)), ("Organisations", ", ".join(doc.organisations)),
            ("Territoire", doc.territory), ("Auteur", doc.author), ("Mots-clés", ", ".join(doc.keywords)),
            ("Licence", doc.licence), ("Source", doc.url), ("Langue", doc.language),
            ("Format", doc.format), ("Pages", doc.page_count), ("Mots", doc.word_count),
            ("Texte", _text_origin(doc.flags)),
            *((PRACTICE_FIELDS[k], ", ".join(v)) for k, v in doc.practice.items() if k in PRACTICE_FIELDS),
            ("Sections", ", ".join(s.title for s in doc.sections or ())),
            ("Fichier", doc.path), *doc.extra.items(), ("Lien", link), ("Résumé", doc.summary)]
    for label, value in rows:
        if value not in (None, ""):
            click.echo(f"{safe(label):14} {safe(value)}")
    if doc.relatives:
        click.echo("")
        click.echo("Autres versions et formats")
        for rid, title, label in doc.relatives:
            click.echo(f"  - {safe(title)} — {safe(label)}  (id {rid})")
    if similar:
        click.echo("")
        click.echo("Documents similaires")
        for hit in similar:
            click.echo(f"  - {safe(hit.title)}  (id {hit.id})")
    click.echo("")
    click.echo(safe(doc.text.replace("\f", "\n")) if doc.text else "(aucun texte extrait)")


def _text_origin(flags: tuple[str, ...]) -> str | None:
    """Where a scanned document's text comes from, in words."""
    if SCANNED_NO_OCR in flags:
        return "scanné — OCR non disponible (pages scannées non cherchables)"
    if OCR_INCOMPLETE in flags:
        return "reconnu en partie par OCR (limite de temps atteinte : le prochain kb index reprend la suite)"
    if OCR in flags:
        return "reconnu par OCR (Tesseract) : peut contenir des erreurs de lecture"
    return None


def _permalink(obj: Context, doc_id: str, title: str) -> str | None:
    """The document's public link, when a public address is known (KB_BASE_URL, else the
    base's setting): the one kb serve gives. Without one, no link: an address of this
    computer pasted into a newsletter would be dead for every reader."""
    from webui.links import document_url

    base, _ = _stored_or_env_base_url(obj)
    return document_url(base, doc_id, title) if base else None


def _stored_or_env_base_url(obj: Context) -> tuple[str | None, str]:
    """The public address from KB_BASE_URL, else from the base's setting, and where it came from."""
    from webui.links import check_base_url

    env = os.environ.get("KB_BASE_URL", "").strip()
    if env:
        try:
            return check_base_url(env), "variable KB_BASE_URL"
        except ValueError as exc:
            fail(f"KB_BASE_URL : {exc}", 2)
    stored = read_settings(obj.home).get(BASE_URL)
    if stored:
        return stored, "réglage de la base (kb config base-url)"
    return None, ""


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
    from webui.links import check_base_url

    if not base_exists(obj.home):
        missing_base(MissingBase(Path(os.path.abspath(obj.home))))
    if key is not None and key not in KNOWN:
        fail(f"réglage inconnu : {key} (réglages possibles : {', '.join(sorted(KNOWN))})", 2)
    if key is None:
        if unset or value is not None:
            fail("indiquez le réglage à modifier, ex. kb config base-url https://kb.example.org", 2)
        settings = read_settings(obj.home)
        for name in sorted(KNOWN):
            click.echo(f"{name} = {safe(settings.get(name, '(non défini)'))}")
        return
    if unset and value is not None:
        fail("--unset ne prend pas de valeur", 2)
    if value is None and not unset:
        current = read_settings(obj.home).get(key)
        if current is None:
            click.echo(f"{key} : non défini", err=True)
            sys.exit(1)
        click.echo(safe(current))
        return
    if value is not None:
        try:
            value = check_base_url(value)
        except ValueError as exc:
            fail(str(exc), 2)
    write_setting(obj.home, key, value)
    click.echo(f"{key} = {safe(value)}" if value is not None else f"{key} retiré.")


@main.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Statistiques en JSON.")
@pass_ctx
def stats_cmd(obj: Context, as_json: bool) -> None:
    """Compter les documents de la base, par type et par format."""
    kb = obj.open()
    try:
        stats = kb.stats()
    finally:
        kb.close()
    data = {"documents": stats.documents, "failed": stats.failed, "by_type": stats.by_type,
            "by_format": stats.by_format, "store_files": stats.store_files, "index_documents": stats.index_documents,
            "ocr": stats.ocr, "scanned_no_ocr": stats.scanned_no_ocr}
    if as_json:
        click.echo(to_json(data))
        return
    click.echo(f"{stats.documents} documents indexés, {stats.failed} en échec, "
               f"{stats.store_files} originaux conservés.")
    if stats.ocr or stats.scanned_no_ocr:
        click.echo(f"{stats.ocr} documents lus en partie par OCR, "
                   f"{stats.scanned_no_ocr} scannés — OCR non disponible (pages non cherchables).")
    for title, counts in (("Par type", stats.by_type), ("Par format", stats.by_format)):
        click.echo(f"{title} :")
        for key, count in counts.items():
            click.echo(f"  {count:6}  {safe(key) or '(inconnu)'}")


@main.command("rm")
@click.argument("refs", nargs=-1, required=True, metavar="ID|CHEMIN...")
@pass_ctx
def rm_cmd(obj: Context, refs: tuple[str, ...]) -> None:
    """Retirer des documents de la base (par identifiant ou chemin).

    Le fichier source n'est pas touché ; s'il est encore dans un dossier indexé,
    le prochain kb index le reprendra.
    """
    kb = obj.open()
    try:
        ids = []
        for ref in refs:
            try:
                ids.append(kb.resolve(ref).id)
            except NotFound as exc:
                fail(str(exc), 1)
        with kb.writing():
            kb.remove(ids)
            kb.collect_garbage()
    except LockedError as exc:
        fail(str(exc), 1)
    finally:
        kb.close()
    click.echo(f"{len(ids)} document(s) retiré(s).")


@main.command("rebuild")
@pass_ctx
def rebuild_cmd(obj: Context) -> None:
    """Reconstruire l'index à partir du catalogue seul (sans relire les fichiers sources)."""
    kb = obj.open()
    try:
        with kb.writing():
            count = kb.rebuild()
    except LockedError as exc:
        fail(str(exc), 1)
    finally:
        kb.close()
    click.echo(f"Index reconstruit : {count} documents.")


@main.command("check")
@click.option("--deep", is_flag=True, help="Vérifier aussi l'empreinte de chaque original conservé (plus lent).")
@click.option("--json", "as_json", is_flag=True, help="Rapport en JSON.")
@pass_ctx
def check_cmd(obj: Context, deep: bool, as_json: bool) -> None:
    """Vérifier que catalogue, dépôt des originaux et index concordent (code 1 sinon)."""
    kb = obj.open()
    try:
        report = kb.check(deep=deep)
    finally:
        kb.close()
    if as_json:
        click.echo(to_json({"ok": report.ok, "documents": report.documents, "problems": report.problems,
                            "warnings": report.warnings}))
    else:
        for line in report.problems:
            click.echo(f"PROBLÈME : {safe(line)}")
        for line in report.warnings:
            click.echo(f"Avertissement : {safe(line)}")
        if report.ok:
            click.echo(f"Base cohérente : {report.documents} documents.")
        else:
            click.echo("Base incohérente : lancez kb index (reprise automatique) ou kb rebuild.")
    sys.exit(0 if report.ok else 1)


def _check_base_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from webui.links import check_base_url

    if not value:
        return None
    try:
        return check_base_url(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


DEMO_CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "documents"
# Two server processes answered 2.5-3 times as many requests as one on a 2-core machine
# (bench.load at 100k documents, newsletter mix); more would mostly cost memory there.
SERVE_PROCESSES = min(2, os.cpu_count() or 1)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Adresse d'écoute (127.0.0.1 : cet ordinateur seulement ; 0.0.0.0 : tout le réseau).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port d'écoute.")
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Requêtes traitées en parallèle par processus.")
@click.option("--processes", type=click.IntRange(1, 32), default=SERVE_PROCESSES, show_default=True,
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
    if demo:
        _index_demo(obj)
    elif not base_exists(obj.home):
        missing_base(MissingBase(Path(os.path.abspath(obj.home))))
    from webui.links import server_url
    from webui.server import PortUnavailable, ServerStartError, serve

    ctx = click.get_current_context()
    if base_url:
        origin = ("variable KB_BASE_URL" if ctx.get_parameter_source("base_url") == click.core.ParameterSource.ENVIRONMENT
                  else "--base-url")
    else:
        base_url, origin = _stored_or_env_base_url(obj)
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
    except PortUnavailable as exc:
        fail(f"impossible d'écouter sur {host}:{port} ({exc.strerror or exc}). "
             "Le port est-il déjà pris ? Essayez --port.", 1)
    except OSError as exc:  # the base itself (its folder unreadable...), with one process
        fail(f"impossible d'ouvrir la base {obj.home} : {exc.strerror or exc}", 1)
    except ServerStartError:
        fail("un processus serveur s'est arrêté au démarrage (voir son erreur ci-dessus).", 1)
    except KBError as exc:
        fail(str(exc), 1)
    except KeyboardInterrupt:
        click.echo("Serveur arrêté.")


def _index_demo(obj: Context) -> None:
    from indexer.ingest import Options, index_paths

    kb = obj.open(create=True)
    try:
        if kb.stats().documents == 0:
            click.echo(f"Base vide : indexation du corpus de démonstration ({DEMO_CORPUS})…")
            report = index_paths(kb, [DEMO_CORPUS], Options(thesaurus=obj.thesaurus, synonyms=obj.synonyms))
            _print_report(report)
    except LockedError as exc:
        fail(str(exc), 1)
    finally:
        kb.close()


if __name__ == "__main__":  # pragma: no cover
    main(prog_name="kb")  # python -m kb.cli: messages name the command people type

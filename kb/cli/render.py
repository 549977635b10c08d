"""What ``kb`` prints: results, documents, statistics, checks, and a progress bar.

Renderers take the core's dataclasses and write French text (or one line of JSON) to the
terminal; commands decide what to show, these functions decide how. Every text that comes
from a document goes through ``safe`` first.
"""

from __future__ import annotations

import html
import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any

import click

from kb.model import OCR, OCR_INCOMPLETE, SCANNED_NO_OCR, Document, Hit, SearchPage
from kb.names import printable
from kb.practice import PRACTICE_FIELDS
from kb.reports import CheckReport, Stats

# C0/C1 controls (escape sequences included) must never reach the terminal from a document.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MARK_RE = re.compile(r"<mark>(.*?)</mark>")
# In a one-line value (a file name, a title, a reason) line ends and tabs are controls too: a
# name holding « \n    autre.pdf — … » forged a line of the report. So are the bidirectional
# controls (U+202E turns « fdp.exe » around) and the Unicode line and paragraph separators.
_ONE_LINE_RE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _shown(match: re.Match[str]) -> str:
    """A control shown visibly, never obeyed: \\n, \\x1b, \\u202e. Above ASCII always \\uNNNN,
    since \\x80-\\xff stand for the undecodable bytes of a name (kb.names.printable)."""
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x80 else f"\\u{ord(char):04x}")


def safe(text: object) -> str:
    """A one-line value for the terminal (a name, a title, a reason): every control character
    and bidirectional control shown escaped (``\\n``, ``\\u202e``), so that it stays one line
    that reads as it is; a file name that is not UTF-8 shown with its odd bytes as \\xNN (it
    would otherwise end the command with an encoding error)."""
    return _ONE_LINE_RE.sub(_shown, printable(str(text)))


def safe_text(text: object) -> str:
    """A document's text for the terminal: its lines and tabs kept, any other control
    character (the debris of escape sequences) dropped."""
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


def print_json(data: object) -> None:
    """Print ``data`` as one line of JSON (``to_json``)."""
    click.echo(to_json(data))


def print_reasons(label: str, rows: list[dict[str, str]]) -> None:
    """``N label :`` then one line per file with its reason (nothing when there is none)."""
    if rows:
        click.echo(f"  {len(rows)} {label} :")
        for row in rows:
            click.echo(f"    {safe(row['path'])} — {safe(row['reason'])}")


class ProgressBar:
    """A progress bar on stderr, drawn only where a person watches it (a terminal).

    ``start`` is the ``progress`` callable the core and the indexer take: called with the
    total, it returns the callable advanced by each step. ``close`` ends the bar (a message
    printed after it starts on a line of its own); closing twice is harmless."""

    def __init__(self, label: str, enabled: bool | None = None) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._bar: Any = None

    def start(self, total: int) -> Callable[[int], None]:
        """Show a bar for ``total`` steps on stderr; returns the function that advances it."""
        self.close()
        self._bar = click.progressbar(length=total, label=self.label, file=sys.stderr, show_pos=True,
                                      show_eta=True)
        self._bar.__enter__()
        bar = self._bar
        return lambda n: bar.update(n)

    def close(self) -> None:
        """Remove the bar, if one is shown."""
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


# -- search -----------------------------------------------------------------------------------

def search_json(page: SearchPage) -> dict[str, Any]:
    """The JSON contract of ``kb search --json``."""
    hits = [{"id": h.id, "title": h.title, "type": h.type, "date": h.date, "path": h.path, "page": h.page,
             "collection": h.collection, "score": h.score, "snippet": h.snippet,
             "relatives": [{"id": i, "title": t, "label": label} for i, t, label in h.relatives]}
            for h in page.hits]
    payload: dict[str, Any] = {"total": page.total, "hits": hits}
    if page.suggestion:
        payload["suggestion"] = page.suggestion
    if page.corrected:
        payload["corrected"] = page.corrected
    return payload


def print_results(page: SearchPage, tty: bool | None = None) -> None:
    """A page of results for a person: matches in bold colour on a terminal (``tty``)."""
    tty = sys.stdout.isatty() if tty is None else tty
    if page.corrected:
        click.echo(f"Orthographe corrigée : résultats pour « {safe(page.query)} » et pour « {safe(page.corrected)} ».")
    elif page.suggestion:
        click.echo(f"Essayez plutôt : {safe(page.suggestion)}")
    if page.total == 0:
        click.echo("Aucun résultat. Essayez moins de mots, un synonyme ou retirez un filtre.")
        return
    plural = "s" if page.total > 1 else ""
    note = " (aucun document ne contient tous les mots : résultats avec une partie d'entre eux)" if page.relaxed else ""
    click.echo(f"{page.total} résultat{plural}{note} — {page.elapsed_ms:.0f} ms")
    start = (page.page - 1) * page.page_size
    for rank, hit in enumerate(page.hits, start + 1):
        meta = ", ".join(x for x in (hit.type, hit.date or "", hit.collection or "") if x)
        where = f" (p. {', '.join(map(str, hit.pages[:8]))})" if hit.pages else ""
        click.echo("")
        click.echo(f"{rank}. " + click.style(safe(hit.title), bold=True) + f"  [{safe(meta)}]  id {hit.id}")
        click.echo(f"   {safe(hit.path)}{where}")
        click.echo(f"   {styled_snippet(hit.snippet, tty)}")


def styled_snippet(snippet: str, tty: bool) -> str:
    """A snippet (HTML with <mark>) for the terminal: matches in bold colour on a terminal,
    plain text in a pipe (no « » around them, which French text already uses as quotes).
    Each piece is made safe before styling, or ``safe_text`` would strip the escape character of
    the styling itself and leave « [33m[1m » on screen."""
    pieces = []
    for n, piece in enumerate(_MARK_RE.split(snippet)):
        text = safe_text(html.unescape(piece))
        pieces.append(click.style(text, bold=True, fg="yellow") if n % 2 and tty and text else text)
    return "".join(pieces)


# -- one document -----------------------------------------------------------------------------

def document_json(doc: Document, similar: Iterable[Hit], link: str | None) -> dict[str, Any]:
    """The JSON contract of ``kb show --json``."""
    data = doc.to_dict()
    data["year"] = doc.year
    # What re-publishing needs (Licence Ouverte asks for the source), under stable names.
    data["source"] = doc.url
    data["permalink"] = link
    data["similar"] = [{"id": h.id, "title": h.title} for h in similar]
    return data


def print_document(doc: Document, similar: tuple[Hit, ...], link: str | None) -> None:
    """A document's record, its other versions, similar documents, then its text."""
    rows = [("Titre", doc.title), ("Identifiant", doc.id), ("Collection", doc.collection or ""),
            ("Type", doc.type), ("Date", doc.date),
            ("Thèmes", ", ".join(doc.themes)), ("Organisations", ", ".join(doc.organisations)),
            ("Territoire", doc.territory), ("Auteur", doc.author), ("Mots-clés", ", ".join(doc.keywords)),
            ("Licence", doc.licence), ("Source", doc.url), ("Langue", doc.language),
            ("Format", doc.format), ("Pages", doc.page_count), ("Mots", doc.word_count),
            ("Texte", text_origin(doc.flags)),
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
    click.echo(safe_text(doc.text.replace("\f", "\n")) if doc.text else "(aucun texte extrait)")


def text_origin(flags: tuple[str, ...]) -> str | None:
    """Where a scanned document's text comes from, in words."""
    if SCANNED_NO_OCR in flags:
        return "scanné — OCR non disponible (pages scannées non cherchables)"
    if OCR_INCOMPLETE in flags:
        return "reconnu en partie par OCR (limite de temps atteinte : le prochain kb index reprend la suite)"
    if OCR in flags:
        return "reconnu par OCR (Tesseract) : peut contenir des erreurs de lecture"
    return None


# -- the base ---------------------------------------------------------------------------------

def stats_json(stats: Stats) -> dict[str, Any]:
    """The JSON contract of ``kb stats --json``."""
    return {"documents": stats.documents, "failed": stats.failed, "by_type": stats.by_type,
            "by_format": stats.by_format, "store_files": stats.store_files, "index_documents": stats.index_documents,
            "ocr": stats.ocr, "scanned_no_ocr": stats.scanned_no_ocr}


def print_stats(stats: Stats) -> None:
    """Print the counts of ``kb stats``."""
    click.echo(f"{stats.documents} documents indexés, {stats.failed} en échec, "
               f"{stats.store_files} originaux conservés.")
    if stats.ocr or stats.scanned_no_ocr:
        click.echo(f"{stats.ocr} documents lus en partie par OCR, "
                   f"{stats.scanned_no_ocr} scannés — OCR non disponible (pages non cherchables).")
    counts: Mapping[str, int]
    for title, counts in (("Par type", stats.by_type), ("Par format", stats.by_format)):
        click.echo(f"{title} :")
        for key, count in counts.items():
            click.echo(f"  {count:6}  {safe(key) or '(inconnu)'}")


def check_json(report: CheckReport) -> dict[str, Any]:
    """The JSON contract of ``kb check --json``."""
    return {"ok": report.ok, "documents": report.documents, "problems": report.problems,
            "warnings": report.warnings}


def print_check(report: CheckReport) -> None:
    """Print the problems and warnings of ``kb check``."""
    for line in report.problems:
        click.echo(f"PROBLÈME : {safe(line)}")
    for line in report.warnings:
        click.echo(f"Avertissement : {safe(line)}")
    if report.ok:
        click.echo(f"Base cohérente : {report.documents} documents.")
    else:
        click.echo("Base incohérente : lancez kb index (reprise automatique) ou kb rebuild.")


def print_settings(settings: Mapping[str, str], names: Iterable[str]) -> None:
    """Print each setting of ``names`` with its value, or that it is not set."""
    for name in names:
        click.echo(f"{name} = {safe(settings.get(name, '(non défini)'))}")

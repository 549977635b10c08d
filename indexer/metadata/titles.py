"""Titles and summaries: reject the junk formats declare, fall back to what a reader sees."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from indexer.metadata._text import match_form
from indexer.metadata.dates import parse_date

MAX_TITLE = 200
MAX_SUMMARY = 300

# Titles that office suites and converters write by themselves.
_JUNK_TITLE = re.compile(
    r"^(microsoft (word|powerpoint|excel)\s*-|untitled|sans titre|document\s*\d*$|doc\d+$|"
    r"presentation\s*\d*$|presentation powerpoint$|diapositive\s*\d*$|titre$|title$|nouveau document|new document|"
    r"slide\s*\d*$|page\s*\d+$|powerpoint presentation$|\(?anonymous\)?$|unknown$|none$|null$)"
)
_FILE_LIKE = re.compile(r"^[\w\-. ()]+\.(pdf|docx?|odt|rtf|txt|md|html?|pptx?|xlsx?|indd|qxp|pub)$", re.I)
_NO_SPACES_NAME = re.compile(r"^[\w\-.]*_[\w\-.]*$")
_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TAGS = re.compile(r"<[^>]{1,200}>")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")
_ENTITIES = {"&nbsp;": " ", "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'"}
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[«\"(A-ZÀ-ÝÉ0-9])")


def clean_inline(text: str) -> str:
    """Plain text of a Markdown/HTML-ish line: no links syntax, tags, emphasis or entities."""
    text = _MARKDOWN_LINK.sub(r"\1", text)
    text = _TAGS.sub(" ", text)
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    text = _EMPHASIS.sub("", text)
    return " ".join(text.split())


def good_title(value: object, filename: str = "") -> str | None:
    """``value`` cleaned when it reads like a real title; None for generated junk such as
    "Microsoft Word - rapport.doc", "Document1", "untitled" or a bare file name."""
    if value is None:
        return None
    text = clean_inline(str(value)).strip(" #-–—:|")
    if len(text) < 3 or not any(c.isalpha() for c in text):
        return None
    folded = match_form(text)
    if _JUNK_TITLE.match(folded) or _FILE_LIKE.match(text):
        return None
    # The file name itself ("rapport.pdf") is junk; a title equal to the stem ("AIGLE" for
    # aigle.md) is a real short title.
    if filename and folded == match_form(filename):
        return None
    if _NO_SPACES_NAME.match(text):
        return None
    return text[:MAX_TITLE].rstrip()


def humanise_filename(filename: str) -> str:
    """"charte_partenariale-2017.pdf" → "Charte partenariale 2017"."""
    # Only the last suffix is the extension: "rapport.final.v2.docx" keeps "final v2".
    stem = Path(Path(filename).name).stem or filename
    words = re.sub(r"[_\-.\s]+", " ", stem).strip()
    return (words[:1].upper() + words[1:]) if words else filename


_DATE_LINE = re.compile(r"^[\w\s.,/-]{0,40}$")


def _looks_like_heading(line: str) -> bool:
    """A line that could be a title: not too short ("Retour sur"), not a date ("21 mars 2017")."""
    if not 12 <= len(line) <= 150 or sum(c.isalpha() for c in line) < 6:
        return False
    return not (_DATE_LINE.match(line) and parse_date(line) and len(line.split()) <= 5)


def title_from_content(headings: Iterable[str], text: str) -> str | None:
    """First heading, else the first short line that reads like a title."""
    for heading in headings:
        if title := good_title(heading):
            return title
    for line in text[:3000].splitlines():
        line = clean_inline(line.strip(" \t#>*-|"))
        if not line:
            continue
        if _looks_like_heading(line) and (title := good_title(line)):
            return title
        if len(line) > 150:
            break
    return None


# Headings that name a kind of document, not one document: every minute of a folder starts
# with « Compte rendu ». Such a label is completed by the line after it, which says which one.
# (A rule on the document alone, rather than a pass over each folder: it gives the same title
# whatever else the folder holds, so an incremental run never has to re-title older files.)
_GENERIC_LABEL = re.compile(
    r"^(compte[- ]rendu|cr|releve de decisions|releve de conclusions|proces[- ]verbal|pv|ordre du jour|"
    r"convocation|invitation|note|note d'information|note de synthese|synthese|fiche|fiche d'experience|"
    r"fiche action|fiche projet|rapport|bilan|communique|communique de presse|lettre d'information|"
    r"newsletter|edito|editorial|programme|sommaire|introduction|preambule|annexe|document de travail|"
    r"presentation|memo|courrier)(\s*(n\s*[°o]|no\.?|numero)?\s*\d{0,4})?$"
)


def is_generic_label(title: str) -> bool:
    """True for a title that only names a kind of document (« Compte rendu », « Fiche n° 7 »)."""
    return bool(_GENERIC_LABEL.match(match_form(title).replace("’", "'").strip(" .:-–—")))


def specific_title(label: str, text: str) -> str | None:
    """``label`` completed by the first title-like line after it in ``text``: « Compte rendu »
    then « Comité de pilotage du contrat de ville » → « Compte rendu : Comité de pilotage du
    contrat de ville ». None when no such line follows."""
    lines = [clean_inline(line.strip(" \t#>*-|")) for line in text[:3000].splitlines()]
    lines = [line for line in lines if line]
    folded_label = match_form(label)
    start = next((i + 1 for i, line in enumerate(lines) if match_form(line) == folded_label), 0)
    for line in lines[start:start + 3]:
        if match_form(line) == folded_label or is_generic_label(line):
            continue
        # A heading, not prose: short, letters, no sentence end.
        if 6 <= len(line) <= 150 and sum(c.isalpha() for c in line) >= 6 and not line.endswith((".", ";", ",")):
            label = label.strip(" :.-–—")
            # « Compte rendu du comité… » reads as one phrase; « Compte rendu : Comité… » as two.
            glue = " " if line.split()[0].lower() in ("du", "de", "des") or line[:2].lower() in ("d'", "d’") else " : "
            return f"{label}{glue}{line}"[:MAX_TITLE].rstrip()
        break
    return None


def _prose_blocks(text: str) -> Iterable[str]:
    """Paragraphs of running prose: blocks split on blank lines, heading-like leading lines
    dropped (PDF pages often start with a title and a running header)."""
    for block in re.split(r"\n\s*\n", text[:20000]):
        lines = [clean_inline(line.strip()) for line in block.splitlines()]
        lines = [ln for ln in lines if ln and not ln.startswith(("#", "|", "---", "![", "{%", "- ", "* "))]
        while lines and len(lines[0]) < 50 and not lines[0].endswith((".", "!", "?", "…", ":", ",", ";")):
            lines.pop(0)
        if not lines:
            continue
        paragraph = " ".join(lines)
        letters = sum(c.isalpha() for c in paragraph)
        # Prose has sentence punctuation; a long unpunctuated line is a title or a caption.
        prose = any(p in paragraph for p in ".!?…;") or len(paragraph) >= 200
        if prose and len(paragraph) >= 60 and letters >= 0.6 * len(paragraph) and len(paragraph.split()) >= 8:
            yield paragraph


def shorten(text: str, limit: int = MAX_SUMMARY) -> str:
    """One or two sentences of ``text``, within ``limit`` characters (cut on a word + "…")."""
    text = " ".join(text.split())
    sentences = _SENTENCE_END.split(text)
    summary = sentences[0]
    if len(sentences) > 1 and len(summary) < 120 and len(summary) + 1 + len(sentences[1]) <= limit:
        summary += " " + sentences[1]
    if len(summary) > limit:
        summary = summary[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
    return summary


def make_summary(description: str | None, text: str, title: str = "") -> str:
    """Declared description if any, else the first paragraph of prose, shortened."""
    if description and (cleaned := clean_inline(description)) and len(cleaned) >= 20:
        return shorten(cleaned)
    for paragraph in _prose_blocks(text):
        if title and match_form(paragraph) == match_form(title):
            continue
        return shorten(paragraph)
    return ""

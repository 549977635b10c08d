"""Build the Passerelles demo corpus from its sources.

Each ``src/<slug>.md`` holds one document as Markdown with a YAML front matter (format, title,
date, type, themes, territoire, author, expectations, optional sidecar). This script renders every
source into its target format under ``documents/<type folder>/<slug>.<ext>``, writes the sidecars,
then writes ``expected.toml`` (the golden relevance file) and checks the result by extracting the
text of every generated file again.

    /work/main/.venv/bin/python corpus/build.py

The output is deterministic: fixed metadata dates, fixed ZIP timestamps, no clock reads, so a rebuild
of unchanged sources gives byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
import sys
import tomllib
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent
SRC = ROOT / "src"
OUT = ROOT / "documents"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
ZIP_DATE = (2020, 1, 1, 0, 0, 0)  # fixed ZIP entry time: reproducible DOCX/ODT archives

TYPE_DIRS = {
    "charte": "chartes",
    "cadre de référence": "cadres-de-reference",
    "fiche d'expérience": "fiches-experience",
    "compte rendu": "comptes-rendus",
    "étude/rapport": "etudes-rapports",
    "communiqué/actualité": "actualites",
    "lettre d'information": "lettres-information",
    "autre": "autres",
}
EXTENSIONS = {"pdf": "pdf", "html": "html", "docx": "docx", "odt": "odt", "md": "md", "txt": "txt"}
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre"]
SITES = {  # site name shown in HTML headers, per author
    "Passages": "Passages — centre de ressources de l'Arc Atlantique",
    "Ressources Ville Antilles": "Ressources Ville Antilles",
    "Trait d'Union": "Trait d'Union — CRPV Nord-Est",
    "Ville de Villemarne": "Villemarne.fr",
    "Ressources Ville Loire-Bretagne": "Ressources Ville Loire-Bretagne",
    "Ville & Quartiers": "Ville & Quartiers Centre-Loire",
    "Préfecture": "Les services de l'État dans le Val-Marsac",
}


# --------------------------------------------------------------------------- sources

@dataclass
class Block:
    kind: str  # "h" (level), "p", "ul", "ol"
    text: str = ""
    level: int = 0
    items: list[str] = field(default_factory=list)


@dataclass
class Source:
    meta: dict
    body: str
    blocks: list[Block]

    @property
    def slug(self) -> str:
        return self.meta["slug"]

    @property
    def fmt(self) -> str:
        return self.meta["format"]

    @property
    def relpath(self) -> str:
        folder = TYPE_DIRS[self.meta["type"]]
        return f"documents/{folder}/{self.slug}.{EXTENSIONS[self.fmt]}"

    @property
    def date(self) -> dt.date:
        value = self.meta["date"]
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))

    @property
    def shown_title(self) -> str:
        """The title a search result should show: the sidecar's when there is one."""
        sidecar = self.meta.get("sidecar")
        return sidecar["titre"] if sidecar and sidecar.get("titre") else self.meta["title"]


def read_source(path: Path) -> Source:
    text = path.read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?)\n---\n(.*)", text, re.S)
    if not match:
        raise SystemExit(f"{path.name}: front matter manquant")
    meta = yaml.safe_load(match.group(1))
    if meta["slug"] != path.stem:
        raise SystemExit(f"{path.name}: slug {meta['slug']!r} différent du nom de fichier")
    if meta["type"] not in TYPE_DIRS or meta["format"] not in EXTENSIONS:
        raise SystemExit(f"{path.name}: type ou format inconnu")
    body = match.group(2).strip() + "\n"
    return Source(meta, body, parse_blocks(body))


def parse_blocks(body: str) -> list[Block]:
    """The small Markdown subset the sources use: headings, paragraphs, - and 1. lists."""
    blocks: list[Block] = []
    for chunk in re.split(r"\n\s*\n", body.strip()):
        lines = chunk.strip().splitlines()
        if lines[0].startswith("#"):
            hashes, _, title = lines[0].partition(" ")
            blocks.append(Block("h", title.strip(), level=len(hashes)))
            lines = lines[1:]
            if not lines:
                continue
        if all(re.match(r"[-*] ", ln) for ln in lines):
            blocks.append(Block("ul", items=[ln[2:].strip() for ln in lines]))
        elif all(re.match(r"\d+\. ", ln) for ln in lines):
            blocks.append(Block("ol", items=[ln.split(" ", 1)[1].strip() for ln in lines]))
        else:
            blocks.append(Block("p", " ".join(ln.strip() for ln in lines)))
    return blocks


def runs(text: str) -> list[tuple[str, bool, bool]]:
    """Split inline **bold** and *italic* markup into (text, bold, italic) runs."""
    out = []
    for part in re.split(r"(\*\*[^*]+\*\*|\*[^*]+\*)", text):
        if not part:
            continue
        if part.startswith("**"):
            out.append((part[2:-2], True, False))
        elif part.startswith("*") and part.endswith("*") and len(part) > 1:
            out.append((part[1:-1], False, True))
        else:
            out.append((part, False, False))
    return out


def plain(text: str) -> str:
    return "".join(t for t, _, _ in runs(text))


def fr_date(day: dt.date) -> str:
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {MONTHS[day.month - 1]} {day.year}"


def site_name(author: str) -> str:
    for key, name in SITES.items():
        if key in author:
            return name
    return author


# --------------------------------------------------------------------------- renderers

def render_pdf(src: Source, dest: Path) -> None:
    from fpdf import FPDF

    meta = src.meta
    author_line = meta["author"]

    class Doc(FPDF):
        def footer(self) -> None:
            self.set_y(-14)
            self.set_font("DejaVu", "", 8)
            self.set_text_color(110)
            self.cell(0, 8, f"{author_line} — page {self.page_no()}/{{nb}}", align="C")
            self.set_text_color(0)

    pdf = Doc(format="A4")
    for style, name in (("", "DejaVuSans.ttf"), ("B", "DejaVuSans-Bold.ttf"),
                        ("I", "DejaVuSans-Oblique.ttf"), ("BI", "DejaVuSans-BoldOblique.ttf")):
        pdf.add_font("DejaVu", style, str(FONT_DIR / name))
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(True, margin=22)
    pdf.set_title(meta.get("pdf_title", meta["title"]))
    pdf.set_author(meta.get("pdf_author", meta["author"]))
    pdf.set_subject(meta.get("summary", ""))
    pdf.set_keywords(", ".join(meta.get("themes", [])))
    pdf.set_creator("Passerelles — corpus/build.py")
    pdf.set_lang("fr-FR")
    created = dt.datetime.combine(src.date, dt.time(9, 0), tzinfo=dt.timezone.utc)
    pdf.set_creation_date(created)
    pdf.add_page()

    if meta.get("cover"):
        pdf.set_font("DejaVu", "", 11)
        pdf.ln(40)
        pdf.multi_cell(0, 7, meta["author"], align="C")
        pdf.ln(20)
        pdf.set_font("DejaVu", "B", 22)
        pdf.multi_cell(0, 11, meta["title"], align="C")
        pdf.ln(20)
        pdf.set_font("DejaVu", "", 12)
        pdf.multi_cell(0, 7, f"Rapport final — {MONTHS[src.date.month - 1]} {src.date.year}", align="C")
        pdf.add_page()
        pdf.insert_toc_placeholder(_render_toc, pages=1)
    else:
        pdf.set_font("DejaVu", "B", 17)
        pdf.multi_cell(0, 9, meta["title"], align="L")
        pdf.ln(2)
        pdf.set_font("DejaVu", "I", 9)
        pdf.set_text_color(90)
        pdf.multi_cell(0, 5, f"{meta['author']} · {meta['territoire']}", align="L")
        pdf.set_text_color(0)
        pdf.ln(4)

    for block in src.blocks:
        if block.kind == "h":
            size = {1: 16, 2: 13.5, 3: 11.5}.get(block.level, 11)
            if pdf.get_y() > pdf.h - 48:  # keep a heading with its first lines
                pdf.add_page()
            pdf.ln(3)
            pdf.start_section(block.text, level=max(block.level - 2, 0))
            pdf.set_font("DejaVu", "B", size)
            pdf.multi_cell(0, size * 0.55, block.text, align="L")
            pdf.ln(1.5)
            continue
        pdf.set_font("DejaVu", "", 10.5)
        if block.kind == "p":
            pdf.multi_cell(0, 5.6, _pdf_markup(block.text), markdown=True, align="L")
            pdf.ln(2.2)
        else:
            for number, item in enumerate(block.items, 1):
                bullet = "•" if block.kind == "ul" else f"{number}."
                pdf.set_x(pdf.l_margin + 3)
                pdf.cell(6, 5.6, bullet)
                pdf.multi_cell(0, 5.6, _pdf_markup(item), markdown=True, align="L")
                pdf.ln(0.8)
            pdf.ln(1.6)
    pdf.output(str(dest))


def _pdf_markup(text: str) -> str:
    # fpdf2's markdown: **bold**, __italic__; "--" would mean underline, so none must remain.
    assert "--" not in text and "__" not in text, text
    return re.sub(r"(?<!\*)\*([^*]+)\*(?!\*)", r"__\1__", text)


def _render_toc(pdf, outline) -> None:
    pdf.set_x(pdf.l_margin)
    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(0, 9, "Sommaire", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for section in outline:
        if section.level > 1:
            continue
        pdf.set_font("DejaVu", "B" if section.level == 0 else "", 10.5 if section.level == 0 else 9.5)
        indent = 6 * section.level
        pdf.set_x(pdf.l_margin + indent)
        width = pdf.epw - indent - 12
        pdf.cell(width, 6.5, section.name)
        pdf.cell(12, 6.5, str(section.page_number), align="R", new_x="LMARGIN", new_y="NEXT")


def render_docx(src: Source, dest: Path) -> None:
    import docx

    meta = src.meta
    document = docx.Document()
    created = dt.datetime.combine(src.date, dt.time(9, 0))
    props = document.core_properties
    props.title = meta["title"]
    props.author = meta["author"]
    props.last_modified_by = meta["author"]
    props.subject = meta.get("summary", "")
    props.keywords = "; ".join(meta.get("themes", []))
    props.category = meta["type"]
    props.language = "fr-FR"
    props.created = created
    props.modified = created
    props.revision = 1
    props.comments = ""
    document.add_heading(meta["title"], level=0)
    for block in src.blocks:
        if block.kind == "h":
            document.add_heading(block.text, level=max(block.level - 1, 1))
        elif block.kind == "p":
            _docx_runs(document.add_paragraph(), block.text)
        else:
            style = "List Bullet" if block.kind == "ul" else "List Number"
            for item in block.items:
                _docx_runs(document.add_paragraph(style=style), item)
    document.save(dest)
    normalise_zip(dest)


def _docx_runs(paragraph, text: str) -> None:
    for chunk, bold, italic in runs(text):
        run = paragraph.add_run(chunk)
        run.bold = bold or None
        run.italic = italic or None


def render_odt(src: Source, dest: Path) -> None:
    from odf import dc, meta as odfmeta
    from odf.opendocument import OpenDocumentText
    from odf.style import ParagraphProperties, Style, TextProperties
    from odf.text import H, List, ListItem, P, Span

    meta = src.meta
    doc = OpenDocumentText()
    stamp = f"{src.date.isoformat()}T09:00:00"
    doc.meta.addElement(dc.Title(text=meta["title"]))
    doc.meta.addElement(dc.Creator(text=meta["author"]))
    doc.meta.addElement(odfmeta.InitialCreator(text=meta["author"]))
    doc.meta.addElement(dc.Description(text=meta.get("summary", "")))
    doc.meta.addElement(dc.Subject(text=meta["type"]))
    doc.meta.addElement(dc.Language(text="fr-FR"))
    doc.meta.addElement(odfmeta.CreationDate(text=stamp))
    doc.meta.addElement(dc.Date(text=stamp))
    for theme in meta.get("themes", []):
        doc.meta.addElement(odfmeta.Keyword(text=theme))

    title_style = Style(name="Title", displayname="Title", family="paragraph")
    title_style.addElement(TextProperties(fontsize="20pt", fontweight="bold"))
    doc.styles.addElement(title_style)
    headings = {}
    for level, size in ((1, "16pt"), (2, "13pt"), (3, "12pt")):
        style = Style(name=f"Heading_20_{level}", displayname=f"Heading {level}",
                      family="paragraph", defaultoutlinelevel=str(level))
        style.addElement(TextProperties(fontsize=size, fontweight="bold"))
        style.addElement(ParagraphProperties(margintop="0.4cm", marginbottom="0.2cm"))
        doc.styles.addElement(style)
        headings[level] = style
    bold = Style(name="Strong_20_Emphasis", displayname="Strong Emphasis", family="text")
    bold.addElement(TextProperties(fontweight="bold"))
    italic = Style(name="Emphasis", displayname="Emphasis", family="text")
    italic.addElement(TextProperties(fontstyle="italic"))
    doc.styles.addElement(bold)
    doc.styles.addElement(italic)

    def para(text: str) -> P:
        element = P()
        for chunk, is_bold, is_italic in runs(text):
            if is_bold or is_italic:
                element.addElement(Span(stylename=bold if is_bold else italic, text=chunk))
            else:
                element.addText(chunk)
        return element

    doc.text.addElement(P(stylename=title_style, text=meta["title"]))
    for block in src.blocks:
        if block.kind == "h":
            level = max(block.level - 1, 1)
            doc.text.addElement(H(outlinelevel=level, stylename=headings[level], text=block.text))
        elif block.kind == "p":
            doc.text.addElement(para(block.text))
        else:
            listing = List()
            for item in block.items:
                entry = ListItem()
                entry.addElement(para(item))
                listing.addElement(entry)
            doc.text.addElement(listing)
    doc.save(str(dest))
    normalise_zip(dest)


HTML_PAGE = """<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} | {site}</title>
<meta name="description" content="{summary}">
<meta name="author" content="{author}">
<meta name="keywords" content="{keywords}">
<meta property="og:type" content="article">
<meta property="og:title" content="{title}">
<meta property="og:description" content="{summary}">
<meta property="og:url" content="{url}">
<meta property="og:site_name" content="{site}">
<meta property="og:locale" content="fr_FR">
<meta property="article:published_time" content="{iso}T09:00:00{offset}">
<meta property="article:section" content="{type}">
{tags}
<link rel="canonical" href="{url}">
<link rel="stylesheet" href="/assets/css/site.css">
<script>
  window.dataLayer = window.dataLayer || [];
  function consentement(choix) {{ document.cookie = "consentement=" + choix + ";path=/;max-age=15552000"; }}
</script>
</head>
<body class="page-ressource">
<a class="evitement" href="#contenu">Aller au contenu</a>
<header class="entete-site">
  <p class="logo"><a href="/">{site}</a></p>
  <form class="recherche" role="search" action="/recherche"><label for="q">Rechercher</label> <input id="q" name="q" type="search"> <button>OK</button></form>
</header>
<nav class="menu-principal" aria-label="Menu principal">
  <ul>
    <li><a href="/">Accueil</a></li>
    <li><a href="/le-centre">Le centre</a></li>
    <li><a href="/ressources">Ressources</a></li>
    <li><a href="/agenda">Agenda</a></li>
    <li><a href="/formations">Formations</a></li>
    <li><a href="/contact">Contact</a></li>
  </ul>
</nav>
<nav class="ariane" aria-label="Fil d'Ariane"><a href="/">Accueil</a> › <a href="/ressources">Ressources</a> › <span>{type_label}</span></nav>
<main id="contenu">
<article>
<header>
  <p class="surtitre">{type_label}</p>
  <h1>{title}</h1>
  <p class="infos">Publié le <time datetime="{iso}">{date_fr}</time> · Territoire : {territoire}</p>
  <p class="chapo">{summary}</p>
</header>
{body}
<footer class="pied-article"><p>Thèmes : {themes}</p><p>Auteur : {author}</p></footer>
</article>
<aside class="encart-lettre"><h2>Restez informé</h2><p>Recevez chaque mois notre lettre d'information.</p><p><a href="/lettre">S'abonner</a></p></aside>
</main>
<footer class="pied-site">
  <p>{site}</p>
  <ul><li><a href="/mentions-legales">Mentions légales</a></li><li><a href="/accessibilite">Accessibilité : partiellement conforme</a></li><li><a href="/plan-du-site">Plan du site</a></li></ul>
</footer>
<script>
  document.querySelectorAll("a[href^='http']").forEach(function (lien) {{ lien.rel = "noopener"; }});
</script>
</body>
</html>
"""


def render_html(src: Source, dest: Path) -> None:
    meta = src.meta
    esc = lambda s: html.escape(str(s), quote=False).replace('"', "&quot;")  # noqa: E731
    site = site_name(meta["author"])
    parts = []
    for block in src.blocks:
        if block.kind == "h":
            parts.append(f"<h{block.level}>{esc(block.text)}</h{block.level}>")
        elif block.kind == "p":
            parts.append(f"<p>{_html_inline(block.text)}</p>")
        else:
            tag = "ul" if block.kind == "ul" else "ol"
            items = "\n".join(f"  <li>{_html_inline(i)}</li>" for i in block.items)
            parts.append(f"<{tag}>\n{items}\n</{tag}>")
    page = HTML_PAGE.format(
        title=esc(meta["title"]), site=esc(site), summary=esc(meta.get("summary", "")),
        author=esc(meta["author"]), keywords=esc(", ".join(meta.get("themes", []))),
        url=esc(meta["url"]), iso=src.date.isoformat(),
        date_fr=fr_date(src.date),
        offset="+02:00" if 4 <= src.date.month <= 10 else "+01:00",  # Paris summer time, roughly
        type=esc(meta["type"]), type_label=esc(meta["type"].capitalize()),
        territoire=esc(meta["territoire"]), themes=esc(", ".join(meta.get("themes", []))),
        tags="\n".join(f'<meta property="article:tag" content="{esc(t)}">' for t in meta.get("themes", [])),
        body="\n".join(parts),
    )
    dest.write_text(page, encoding="utf-8")


def _html_inline(text: str) -> str:
    out = []
    for chunk, bold, italic in runs(text):
        chunk = html.escape(chunk, quote=False)
        out.append(f"<strong>{chunk}</strong>" if bold else f"<em>{chunk}</em>" if italic else chunk)
    return "".join(out)


def render_md(src: Source, dest: Path) -> None:
    meta = src.meta
    text = src.body if src.body.startswith("# ") else f"# {meta['title']}\n\n{src.body}"
    if meta.get("keep_front_matter"):
        front = {"title": meta["title"], "date": src.date, "type": meta["type"],
                 "themes": list(meta.get("themes", [])), "territoire": meta["territoire"],
                 "auteur": meta["author"]}
        if meta.get("licence"):
            front["licence"] = meta["licence"]
        dumped = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=200)
        text = f"---\n{dumped}---\n\n{text}"
    dest.write_text(text, encoding="utf-8")


def render_txt(src: Source, dest: Path) -> None:
    meta = src.meta
    lines = [meta["title"], "=" * len(meta["title"]), ""]
    for block in src.blocks:
        if block.kind == "h":
            lines += [block.text, "-" * len(block.text), ""]
        elif block.kind == "p":
            lines += [plain(block.text), ""]
        else:
            for number, item in enumerate(block.items, 1):
                lines.append(("- " if block.kind == "ul" else f"{number}. ") + plain(item))
            lines.append("")
    newline = "\r\n" if meta.get("newline") == "crlf" else "\n"
    text = newline.join(lines).rstrip() + newline
    dest.write_bytes(text.encode(meta.get("encoding", "utf-8"), errors="strict"))


RENDERERS = {"pdf": render_pdf, "docx": render_docx, "odt": render_odt,
             "html": render_html, "md": render_md, "txt": render_txt}


def normalise_zip(path: Path) -> None:
    """Rewrite a ZIP (DOCX/ODT) with fixed entry dates, keeping order and compression."""
    with zipfile.ZipFile(path) as old:
        entries = [(info, old.read(info.filename)) for info in old.infolist()]
    with zipfile.ZipFile(path, "w") as new:
        for info, data in entries:
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            fixed.compress_type = info.compress_type
            fixed.external_attr = 0o644 << 16
            new.writestr(fixed, data)


def write_sidecar(src: Source, dest: Path) -> None:
    sidecar = dict(src.meta["sidecar"])
    text = yaml.safe_dump(sidecar, allow_unicode=True, sort_keys=False, width=200)
    dest.with_name(dest.name + ".meta.yaml").write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- checks

class _HTMLText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def extract_text(src: Source, path: Path) -> tuple[str, list[str]]:
    """Re-extract a generated file the simple way: whole text and, for PDF, page texts."""
    if src.fmt == "pdf":
        from pypdf import PdfReader

        pages = [page.extract_text() or "" for page in PdfReader(path).pages]
        return "\n".join(pages), pages
    if src.fmt == "docx":
        import docx

        return "\n".join(p.text for p in docx.Document(path).paragraphs), []
    if src.fmt == "odt":
        with zipfile.ZipFile(path) as archive:
            xml = archive.read("content.xml").decode("utf-8")
        return html.unescape(re.sub(r"<[^>]+>", " ", xml)), []
    if src.fmt == "html":
        parser = _HTMLText()
        parser.feed(path.read_text(encoding="utf-8"))
        return " ".join(parser.parts), []
    return path.read_bytes().decode(src.meta.get("encoding", "utf-8")), []


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def check_and_collect(sources: list[Source]) -> tuple[dict[str, str], dict[str, dict]]:
    """Verify each generated file against its source; return texts and page queries."""
    texts: dict[str, str] = {}
    pages_info: dict[str, dict] = {}
    problems = []
    for src in sources:
        path = ROOT / src.relpath
        text, pages = extract_text(src, path)
        texts[src.relpath] = squash(text)
        phrase = src.meta["expect"]["contains"]
        if phrase not in texts[src.relpath]:
            problems.append(f"{src.relpath}: « {phrase} » introuvable dans le texte extrait")
        if src.fmt == "pdf":
            for word in ("œuvre", "é", "è", "à", "ç"):
                if word in src.body and word not in text:
                    problems.append(f"{src.relpath}: « {word} » perdu à l'extraction")
        term = src.meta["expect"].get("page_term")
        if term:
            found = [n for n, page in enumerate(pages, 1) if term in page]
            if len(pages) < 5 or len(found) != 1 or found[0] < 3:
                problems.append(f"{src.relpath}: terme de page {term!r} sur les pages {found}")
            else:
                pages_info[src.relpath] = {"query": src.meta["expect"]["page_query"], "page": found[0],
                                           "pages": len(pages), "all": found}
    if problems:
        raise SystemExit("Vérification en échec :\n  " + "\n  ".join(problems))
    return texts, pages_info


def resolve_checks(sources: list[Source], texts: dict[str, str]) -> list[dict]:
    """Turn src/checks.yaml (slugs + properties) into path lists, verifying each property."""
    by_slug = {s.slug: s for s in sources}
    checks = yaml.safe_load((SRC / "checks.yaml").read_text(encoding="utf-8"))
    out = []
    for check in checks:
        paths = []
        for slug in check["expect"]:
            path = by_slug[slug].relpath
            text = texts[path]
            for needle in check.get("require", {}).get("contains", []):
                if not re.search(needle, text):
                    raise SystemExit(f"{check['query']}: {slug} ne contient pas /{needle}/")
            for needle in check.get("require", {}).get("lacks", []):
                if re.search(needle, text):
                    raise SystemExit(f"{check['query']}: {slug} contient /{needle}/")
            if check.get("type") and by_slug[slug].meta["type"] != check["type"]:
                raise SystemExit(f"{check['query']}: {slug} n'est pas du type {check['type']}")
            paths.append(path)
        entry = {"query": check["query"]}
        if check.get("type"):
            entry["type"] = check["type"]
        entry["expect"] = sorted(paths)
        if check.get("top"):
            entry["top"] = check["top"]
        entry["note"] = check["note"]
        out.append(entry)
    return out


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        if value and len(json.dumps(value, ensure_ascii=False)) > 90:
            return "[\n" + "".join(f"  {toml_value(v)},\n" for v in value) + "]"
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(value)


def write_expected(sources: list[Source], pages_info: dict[str, dict], checks: list[dict]) -> None:
    lines = [
        "# Passerelles — résultats attendus du corpus de démonstration (test de référence).",
        "# Fichier produit par corpus/build.py à partir des sources corpus/src/*.md et de",
        "# corpus/src/checks.yaml : ne pas modifier à la main, modifier les sources puis reconstruire.",
        "#",
        "# Une table par document, de clé = chemin relatif à corpus/ :",
        "#   title    titre que la recherche doit afficher (celui du fichier .meta.yaml s'il existe)",
        "#   type     type de document attendu (libellés de kb : charte, cadre de référence, …)",
        "#   contains expression que le texte extrait doit contenir (espaces normalisés)",
        "#   queries  requêtes qui doivent classer le document dans les 3 premiers résultats",
        "#   page_queries (PDF paginé) requête et numéro de page (1 = première) où elle doit pointer",
        "# [[checks]] : requêtes de recette ; `expect` doit figurer dans les résultats (dans les",
        "# `top` premiers si `top` est donné), filtrés par `type` si `type` est donné.",
        "",
    ]
    for src in sorted(sources, key=lambda s: s.relpath):
        expect = src.meta["expect"]
        lines.append(f"[{json.dumps(src.relpath, ensure_ascii=False)}]")
        lines.append(f"title = {toml_value(src.shown_title)}")
        lines.append(f"type = {toml_value(src.meta['type'])}")
        lines.append(f"contains = {toml_value(expect['contains'])}")
        lines.append(f"queries = {toml_value(list(expect['queries']))}")
        if src.relpath in pages_info:
            info = pages_info[src.relpath]
            lines.append(f"page_queries = {toml_value({'query': info['query'], 'page': info['page']})}")
        lines.append("")
    for check in checks:
        lines.append("[[checks]]")
        lines += [f"{key} = {toml_value(value)}" for key, value in check.items()]
        lines.append("")
    target = ROOT / "expected.toml"
    target.write_text("\n".join(lines), encoding="utf-8")
    tomllib.loads(target.read_text(encoding="utf-8"))  # must stay valid TOML


# --------------------------------------------------------------------------- main

def main() -> int:
    sources = [read_source(path) for path in sorted(SRC.glob("*.md"))]
    if OUT.exists():
        shutil.rmtree(OUT)
    for src in sources:
        dest = ROOT / src.relpath
        dest.parent.mkdir(parents=True, exist_ok=True)
        RENDERERS[src.fmt](src, dest)
        if src.meta.get("sidecar"):
            write_sidecar(src, dest)
    # Hand-made files that exercise duplicates and versions (an exact copy of a charter in a
    # shared folder, an older edition of another): copied as they are.
    shutil.copytree(ROOT / "extra", OUT, dirs_exist_ok=True)
    texts, pages_info = check_and_collect(sources)
    checks = resolve_checks(sources, texts)
    write_expected(sources, pages_info, checks)
    for path, info in pages_info.items():
        print(f"{path}: {info['pages']} pages, « {info['query']} » page {info['all']}")
    print(f"{len(sources)} documents générés dans {OUT.relative_to(ROOT.parent)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())

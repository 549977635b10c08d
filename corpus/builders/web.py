"""HTML rendering: a full page of a resource-centre site around the article (menus, footer, scripts)."""

from __future__ import annotations

import html
from pathlib import Path

from corpus.builders.source import Source, fr_date, runs

SITES = {  # site name shown in HTML headers, per author
    "Passages": "Passages — centre de ressources de l'Arc Atlantique",
    "Ressources Ville Antilles": "Ressources Ville Antilles",
    "Trait d'Union": "Trait d'Union — CRPV Nord-Est",
    "Ville de Villemarne": "Villemarne.fr",
    "Ressources Ville Loire-Bretagne": "Ressources Ville Loire-Bretagne",
    "Ville & Quartiers": "Ville & Quartiers Centre-Loire",
    "Préfecture": "Les services de l'État dans le Val-Marsac",
}

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


def site_name(author: str) -> str:
    """The site an author publishes on, as its pages name it."""
    for key, name in SITES.items():
        if key in author:
            return name
    return author


def _esc(value: str) -> str:
    return html.escape(str(value), quote=False).replace('"', "&quot;")


def render_html(src: Source, dest: Path) -> None:
    """Write ``src`` as a complete HTML page of its author's site."""
    meta = src.meta
    site = site_name(meta["author"])
    parts = []
    for block in src.blocks:
        if block.kind == "h":
            parts.append(f"<h{block.level}>{_esc(block.text)}</h{block.level}>")
        elif block.kind == "p":
            parts.append(f"<p>{_html_inline(block.text)}</p>")
        else:
            tag = "ul" if block.kind == "ul" else "ol"
            items = "\n".join(f"  <li>{_html_inline(i)}</li>" for i in block.items)
            parts.append(f"<{tag}>\n{items}\n</{tag}>")
    themes = meta.get("themes", [])
    page = HTML_PAGE.format(
        title=_esc(meta["title"]), site=_esc(site), summary=_esc(meta.get("summary", "")),
        author=_esc(meta["author"]), keywords=_esc(", ".join(themes)),
        url=_esc(meta["url"]), iso=src.date.isoformat(),
        date_fr=fr_date(src.date),
        offset="+02:00" if 4 <= src.date.month <= 10 else "+01:00",  # Paris summer time, roughly
        type=_esc(meta["type"]), type_label=_esc(meta["type"].capitalize()),
        territoire=_esc(meta["territoire"]), themes=_esc(", ".join(themes)),
        tags="\n".join(f'<meta property="article:tag" content="{_esc(t)}">' for t in themes),
        body="\n".join(parts),
    )
    dest.write_text(page, encoding="utf-8")


def _html_inline(text: str) -> str:
    out = []
    for chunk, bold, italic in runs(text):
        chunk = html.escape(chunk, quote=False)
        out.append(f"<strong>{chunk}</strong>" if bold else f"<em>{chunk}</em>" if italic else chunk)
    return "".join(out)

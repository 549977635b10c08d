"""Document type: one of DOC_TYPES, from a declared value or from the title and first lines."""

from __future__ import annotations

import re
from collections.abc import Iterable

from indexer.metadata._text import match_form

DOC_TYPES: tuple[str, ...] = (
    "charte",
    "cadre de référence",
    "fiche d'expérience",
    "compte rendu",
    "étude/rapport",
    "communiqué/actualité",
    "lettre d'information",
    "autre",
)
DEFAULT_TYPE = "autre"

# Each rule runs on folded text (no accents, lower case, ’ → '). Within one piece of text the
# earliest match wins: "Compte rendu de l'étude" is a compte rendu, "Étude : compte rendu des
# ateliers" is a study.
_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("compte rendu", re.compile(
        r"\bcomptes?[\s-]+rendus?\b|\bcompte de reunion\b|\breleves? de (decisions|conclusions)\b"
        r"|\bproces[\s-]+verba(l|ux)\b|\bverbatim\b|\bcr (de la |du |d')?(reunion|seance|comite|atelier|pleniere)")),
    ("fiche d'expérience", re.compile(
        r"\bfiches? (d'|de )?(experiences?|capitalisation|action|projet|initiative)s?\b"
        r"|\bretours? d'experiences?\b|\bexperiences? (de terrain|locales?|inspirantes?)\b"
        r"|\bbonnes? pratiques?\b|\binitiatives? (locales?|inspirantes?)\b|\bcapitalisation\b")),
    ("charte", re.compile(r"\bchartes?\b|\bmanifeste\b|\bcode de (deontologie|conduite)\b")),
    ("cadre de référence", re.compile(
        r"\bcadres? de reference\b|\breferentiels?\b|\bcahiers? des charges\b|\bstandards?\b"
        r"|\bdoctrine\b|\bcirculaire\b|\bcadre (national|strategique|d'intervention|d'action)\b"
        r"|\bguide methodologique\b|\bprotocole\b|\bconvention[\s-]cadre\b")),
    ("lettre d'information", re.compile(
        r"\blettres? d'(information|info|actualites?)\b|\bnewsletters?\b|\bbulletins?\b"
        r"|\blettre (n|no|numero)\s*°?\s*\d+|\bla lettre (du|de|des)\b")),
    ("communiqué/actualité", re.compile(
        r"\bcommuniques?\b|\bdossiers? de presse\b|\bactualites?\b|\bbreves?\b|\bpress release\b"
        r"|\binvitation\b")),
    ("étude/rapport", re.compile(
        r"\brapports?\b|\betudes?\b|\bdiagnostics?\b|\bbilans?\b|\bevaluations?\b|\bsyntheses?\b"
        r"|\benquetes?\b|\blivres? blancs?\b|\bobservatoire\b|\banalyses?\b|\breport\b|\bworking paper\b"
        r"|\bmemoire\b|\bthese\b|\bnote (d'analyse|de synthese|de cadrage)\b")),
]
# Short forms only trusted in file names, where capitals survive: "SPP-22-0447_CR_Réunion".
_FILENAME_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("compte rendu", re.compile(r"(?:^|[\W_])(CR|PV|CRR)(?:[\W_]|$)")),
    ("fiche d'expérience", re.compile(r"(?:^|[\W_])(REX|FE)(?:[\W_]|$)")),
    ("lettre d'information", re.compile(r"(?:^|[\W_])(NL)(?:[\W_]|\d|$)")),
]

_ALIASES = {
    "charte": "charte", "chartes": "charte", "charte partenariale": "charte", "manifeste": "charte",
    "cadre": "cadre de référence", "cadre de reference": "cadre de référence", "referentiel": "cadre de référence",
    "standard": "cadre de référence", "guide": "cadre de référence",
    "fiche": "fiche d'expérience", "fiche experience": "fiche d'expérience", "fiche d'experience": "fiche d'expérience",
    "fiche de experience": "fiche d'expérience", "experience": "fiche d'expérience", "rex": "fiche d'expérience",
    "retour d'experience": "fiche d'expérience", "fiche action": "fiche d'expérience",
    "cr": "compte rendu", "compte rendu": "compte rendu", "compte-rendu": "compte rendu", "pv": "compte rendu",
    "proces verbal": "compte rendu", "releve de decisions": "compte rendu", "minutes": "compte rendu",
    "etude": "étude/rapport", "rapport": "étude/rapport", "etude/rapport": "étude/rapport",
    "etude rapport": "étude/rapport",
    "diagnostic": "étude/rapport", "bilan": "étude/rapport", "evaluation": "étude/rapport", "report": "étude/rapport",
    "communique": "communiqué/actualité", "actualite": "communiqué/actualité", "actu": "communiqué/actualité",
    "communique/actualite": "communiqué/actualité", "news": "communiqué/actualité", "presse": "communiqué/actualité",
    "communique de presse": "communiqué/actualité", "breve": "communiqué/actualité",
    "lettre": "lettre d'information", "lettre d'information": "lettre d'information",
    "lettre d'info": "lettre d'information",
    "newsletter": "lettre d'information", "bulletin": "lettre d'information",
    "lettre information": "lettre d'information", "lettres information": "lettre d'information",
    "autre": "autre", "other": "autre", "divers": "autre",
}


def _earliest(text: str) -> str | None:
    """The type whose rule matches earliest in ``text`` (folded)."""
    found = [(m.start(), i, label) for i, (label, rule) in enumerate(_RULES) if (m := rule.search(text))]
    return min(found)[2] if found else None


def normalise_type(value: object) -> str:
    """Map a user-given type ("fiche-experience", "CR", "Rapport") to one of DOC_TYPES;
    unknown values give "autre"."""
    text = match_form(str(value or "")).strip()
    if not text:
        return DEFAULT_TYPE
    key = re.sub(r"[\s_\-]+", " ", text).strip(" .")
    for candidate in (key, key.rstrip("s"), key.replace(" ", "-")):
        if candidate in _ALIASES:
            return _ALIASES[candidate]
    for label in DOC_TYPES:
        if match_form(label) == key:
            return label
    return _earliest(key) or DEFAULT_TYPE


def _first_lines(text: str, count: int = 3, max_len: int = 120) -> str:
    """The cover lines: the first few short lines before the first paragraph of prose.

    Deeper lines are not read: a news item or a report mentions charters and studies in
    its body without being one.
    """
    lines: list[str] = []
    for line in text[:1500].splitlines():
        line = line.strip(" \t#*>-|")
        if not line:
            continue
        if len(line) > max_len:
            break
        lines.append(line)
        if len(lines) >= count:
            break
    return "\n".join(lines)


def detect_type(title: str | None, headings: Iterable[str] = (), text: str = "", filename: str = "") -> str:
    """Infer the type from, in order of trust: the title, the file name, the first headings,
    the first short lines of the text. "autre" when none of them names a type."""
    # "_" is a word character: "charte_partenariale" must read as two words.
    spaced_name = re.sub(r"[_.]+", " ", filename)
    for piece in (title or "", spaced_name):
        if piece and (label := _earliest(match_form(piece))):
            return label
    for label, rule in _FILENAME_RULES:
        if rule.search(filename):
            return label
    for piece in ("\n".join(list(headings)[:5]), _first_lines(text)):
        if piece and (label := _earliest(match_form(piece))):
            return label
    return DEFAULT_TYPE

"""French text analysis shared by indexing and querying: tokens, folding, elisions, stop words,
stemming, and synonym matching. Pure Python; the index module adapts it to Whoosh.

Order matters: text is folded (case, accents, œ/æ) *before* stemming, otherwise "sécurité"
and a typed "securite" stem apart.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import NamedTuple

import snowballstemmer

# Dotted acronyms ("Q.P.V.") first so they stay one token; then runs of letters/digits.
# Apostrophes (' and ’) and hyphens are not word characters, so elisions split off.
_TOKEN_RE = re.compile(r"(?:[^\W\d_]\.){2,}(?![^\W\d_])|\w+")

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ﬁ": "fi", "ﬂ": "fl"})

# Elided articles and pronouns (l', d', qu', n', s', j', c', m', t', jusqu'...) become tokens of
# their own after splitting on apostrophes; they carry no meaning.
ELISIONS = frozenset("l d qu n s j c m t jusqu lorsqu puisqu quoiqu presqu".split())

# Folded French stop words. Whoosh's list lacks "les"; this one is built for folded text.
# "ete" stays a word: folded, the participle "été" is also the noun (summer, "Quartiers d'été").
STOP_WORDS = frozenset(
    """
    a au aux avec ce ces cet cette dans de des du elle elles en et eux il ils je la le les leur
    leurs lui ma mais me meme mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se
    ses son sur ta te tes toi ton tu un une vos votre vous y d l n s j c m t qu
    etre etait etaient sont est ai as avons avez ont aurait sera seront
    ceci cela celui celle ceux celles dont donc or ni car si sans sous entre vers chez
    plus tres tout tous toute toutes autre autres aussi comme afin ainsi alors
    lors puis deja encore bien peu cette ici la-bas
    """.split()
) | ELISIONS

# Snowball over-stems some words central to the domain (habitants -> "habit", like clothes);
# these folded forms get a stem of our own. Irregular plurals join their singular.
STEM_OVERRIDES = {
    "habitant": "habitant", "habitants": "habitant", "habitante": "habitant", "habitantes": "habitant",
    "habitation": "habitation", "habitations": "habitation",
    "travaux": "travail",
    "cite": "cite", "cites": "cite",
    "ville": "ville", "villes": "ville",
}

_stemmer = snowballstemmer.stemmer("french")


class Token(NamedTuple):
    """An indexable term and where it came from in the original text.

    A named tuple, not a frozen dataclass: indexing builds one per word of every document,
    and a tuple is built in less than half the time (a sixth of the analysis CPU)."""

    term: str
    pos: int
    start: int
    end: int


def fold(text: str) -> str:
    """Lower-case and strip accents, œ/æ ligatures included ("Œuvre" -> "oeuvre")."""
    text = text.translate(_LIGATURES).lower()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_LIGATURES)


# Snowball's French rules for these endings are written with their accents ("-ité", "-ière",
# "-ée"): on folded text they never fired, so "sécurité" and "sécurités" stemmed apart from
# "securite" typed without accents, "routière" apart from "routier". A folded word gets its
# accents back on these unambiguous endings before stemming (both the indexed and the typed
# form are folded first, so they always agree).
_ACCENTED_ENDINGS = (("ieres", "ières"), ("iere", "ière"), ("ites", "ités"), ("ite", "ité"),
                     ("ees", "ées"), ("ee", "ée"), ("erent", "èrent"))


def stem(folded: str) -> str:
    """Stem one folded word (Snowball French with domain overrides, accented endings restored,
    and two endings Snowball leaves apart joined: "emplois"/"emploi", "publique"/"public")."""
    override = STEM_OVERRIDES.get(folded)
    if override is not None:
        return override
    if folded.isdigit() or len(folded) <= 3:
        return folded
    word = folded
    for plain, accented in _ACCENTED_ENDINGS:
        if word.endswith(plain) and len(word) > len(plain) + 2:
            word = word[: -len(plain)] + accented
            break
    stemmed = str(_stemmer.stemWord(word))
    if not stemmed.isascii():
        stemmed = fold(stemmed)
    # Snowball keeps a plural "s" after a vowel (emplois, élus, lois) and "-iqu" of the feminine.
    if len(stemmed) > 3 and stemmed[-1] == "s" and stemmed[-2] in "aiou":
        stemmed = stemmed[:-1]
    if stemmed.endswith("iqu"):
        stemmed = stemmed[:-3] + "ic"
    return stemmed


class Analyzer:
    """Turns text into terms. One instance caches the work per distinct surface word,
    which is what makes indexing fast: real text repeats its words."""

    def __init__(self, stemming: bool = True, stop_words: frozenset[str] = STOP_WORDS) -> None:
        self.stemming = stemming
        self.stop_words = stop_words
        self._cache: dict[str, str | None] = {}

    def term(self, word: str) -> str | None:
        """The term for one surface word, or None for a stop word."""
        cached = self._cache.get(word, "\0")
        if cached != "\0":
            return cached
        folded = fold(word).replace(".", "")
        if folded in self.stop_words or not folded:
            result = None
        else:
            result = stem(folded) if self.stemming else folded
        if len(self._cache) > 500_000:
            self._cache.clear()
        self._cache[word] = result
        return result

    def tokens(self, text: str) -> Iterator[Token]:
        """Terms of ``text`` with consecutive positions (stop words leave no gap) and offsets."""
        pos = 0
        term_of = self.term
        for match in _TOKEN_RE.finditer(text):
            term = term_of(match.group())
            if term is None:
                continue
            yield Token(term, pos, match.start(), match.end())
            pos += 1

    def occurrences(self, text: str, wanted: frozenset[str]) -> list[tuple[int, int, str]]:
        """(start, end, term) of each word of ``text`` whose term is in ``wanted``: ``tokens``
        filtered, without a token per word (snippets scan every hit's text for a few terms)."""
        cache = self._cache
        term_of = self.term
        out: list[tuple[int, int, str]] = []
        for match in _TOKEN_RE.finditer(text):
            word = match.group()
            term = cache.get(word, "\0")
            if term == "\0":
                term = term_of(word)
            if term in wanted:
                out.append((match.start(), match.end(), term))
        return out

    def terms(self, text: str) -> list[str]:
        """The terms of ``text`` alone (what indexing needs): same as ``tokens`` without
        building a token per word, ~2x faster on the extraction workers' analysis."""
        cache = self._cache
        term_of = self.term
        out: list[str] = []
        for word in _TOKEN_RE.findall(text):
            term = cache.get(word, "\0")
            if term == "\0":
                term = term_of(word)
            if term is not None:
                out.append(term)
        return out

    def terms_and_words(self, text: str) -> tuple[list[str], set[str]]:
        """``self.terms(text)``, and the distinct words of ``text`` as written that gave
        them (stop words left out): indexing reads a body once for its terms and for the
        words its segment's word list gains."""
        cache = self._cache
        term_of = self.term
        out: list[str] = []
        written: set[str] = set()
        for word in _TOKEN_RE.findall(text):
            term = cache.get(word, "\0")
            if term == "\0":
                term = term_of(word)
            if term is not None:
                out.append(term)
                written.add(word)
        return out, written

    def term_unstemmed(self, word: str) -> str | None:
        """The folded form of a word, or None for a stop word (for spelling suggestions)."""
        folded = fold(word).replace(".", "")
        return None if not folded or folded in self.stop_words else folded


# Interrogatives people type in questions ("comment publier un jeu de données ?"): they carry
# no topic, so queries drop them (documents keep them: "un commentaire", "quel" in a title).
QUESTION_WORDS = frozenset(
    "comment quel quelle quels quelles pourquoi combien quand ou lequel laquelle lesquels lesquelles quoi".split())

# The words that frame a question rather than name its subject (folded): modal and all-purpose
# verbs ("peut-on", "faut-il", "que faire", "à quoi sert", "en quoi consiste", "existe-t-il"),
# politeness, "etc.", "différents". A question is searched for its other words.
QUESTION_FRAMES = QUESTION_WORDS | frozenset(
    """
    peut peuvent pouvoir pourrait pourraient puis pouvons pouvez peux
    doit doivent devoir dois devons devez devrait devraient
    faut falloir faudrait fallait faire fait fais font
    sert servent servir consiste consistent consister existe existent exister agit
    veut veux voudrais voudrait souhaite souhaiterais savoir possible
    bonjour merci svp etc differents differentes divers diverses
    """.split())

# Nouns that frame a question only right after an interrogative or "différents": "quelles sont
# les règles", "quels sont les différents types de…" (elsewhere they are subjects: "règles
# d'urbanisme").
FRAME_NOUNS = frozenset("regles types sortes formes".split())
_FRAME_LEAD = QUESTION_WORDS | frozenset("differents differentes sont".split())


def topical(surface: list[str], stop_words: frozenset[str] = STOP_WORDS) -> list[str]:
    """The words of a typed query that name its subject: question frames left out. When only
    frames remain, every word is kept (someone searching "faire" means it)."""
    kept: list[str] = []
    previous = ""
    for word in surface:
        folded = fold(word)
        framing = folded in QUESTION_FRAMES or (folded in FRAME_NOUNS and previous in _FRAME_LEAD)
        if not framing:
            kept.append(word)
        if folded not in stop_words or folded in _FRAME_LEAD:
            previous = folded
    return kept if any(fold(w) not in stop_words for w in kept) else surface


def words(text: str) -> list[str]:
    """Surface words of a text, as the tokenizer sees them (no folding)."""
    return _TOKEN_RE.findall(text)

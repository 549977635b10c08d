"""Language of a text from the share of each language's commonest words (fr, en, de, es, it).

Stop words make up 30-50 % of running text in these languages and barely overlap, so their
ratio tells languages apart on a few hundred words without a model or a dependency.
"""

from __future__ import annotations

import re
from collections import Counter

from indexer.metadata._text import match_form

_STOP_WORDS: dict[str, frozenset[str]] = {
    "fr": frozenset(
        "le la les un une des du de et est sont dans pour par sur au aux avec ce cette ces qui que "
        "qu il elle ils elles nous vous ne pas plus ou leur leurs son sa ses se on etre ont mais "
        "comme tout sont entre aussi lors".split()
    ),
    "en": frozenset(
        "the of and to in is are was were for on with as by that this these it its be been from at "
        "an or not which have has had their they we but also can".split()
    ),
    "de": frozenset(
        "der die das und ist sind ein eine einer nicht mit von zu den dem des im auf fur sich auch "
        "es wird werden wie bei oder aus nach wir sie".split()
    ),
    "es": frozenset(
        "el la los las un una y es son en por para con del al que se su sus como mas pero esta este "
        "entre sobre tambien fue ha lo".split()
    ),
    "it": frozenset(
        "il lo la gli le un una e di da in con per su del della dei delle che non si sono anche come "
        "piu ma nel nella questo questa alla ha".split()
    ),
}
_WORD = re.compile(r"[a-z]+")
SAMPLE_CHARS = 20000
MIN_WORDS = 8
# Below this many words a detection is never confident enough to overrule a declaration.
FULL_CONFIDENCE_WORDS = 60
# The winner must cover this share of words and lead the runner-up by this factor.
MIN_RATIO = 0.12
MIN_LEAD = 1.5


def detect_language(text: str) -> tuple[str | None, float]:
    """Best language and a confidence in [0, 1]; (None, 0.0) when the text is too short."""
    words = _WORD.findall(match_form(text[:SAMPLE_CHARS]).replace("'", " "))
    if len(words) < MIN_WORDS:
        return None, 0.0
    # Each distinct word looked up once per language, not each occurrence.
    counts = Counter(words)
    ratios = {lang: sum(n for w, n in counts.items() if w in stops) / len(words)
              for lang, stops in _STOP_WORDS.items()}
    ranked = sorted(ratios.items(), key=lambda item: item[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top < MIN_RATIO or top < MIN_LEAD * second:
        return best, 0.3
    return best, min(1.0, top / 0.3, len(words) / FULL_CONFIDENCE_WORDS)


def normalise_language(value: object) -> str | None:
    """ISO 639-1 code of a declared language: "fr-FR", "fra", "Français", "english" → fr/en."""
    text = match_form(str(value or "")).strip().replace("_", "-")
    if not text:
        return None
    names = {
        "francais": "fr", "french": "fr", "fra": "fr", "fre": "fr", "anglais": "en", "english": "en",
        "eng": "en", "allemand": "de", "german": "de", "deutsch": "de", "deu": "de", "ger": "de",
        "espagnol": "es", "spanish": "es", "espanol": "es", "spa": "es", "italien": "it",
        "italian": "it", "italiano": "it", "ita": "it",
    }
    if text in names:
        return names[text]
    code = text.split("-")[0]
    return code if re.fullmatch(r"[a-z]{2}", code) else None


def choose_language(declared: object, text: str) -> str | None:
    """The declared language when it agrees with the text or the text is unclear; the
    detected one when the text clearly says otherwise (templates often declare "fr" for
    everything, and Word keeps the author's default language)."""
    declared_code = normalise_language(declared)
    detected, confidence = detect_language(text)
    if declared_code is None:
        return detected
    if detected is None or detected == declared_code or confidence < 0.6:
        return declared_code
    return detected

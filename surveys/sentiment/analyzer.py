"""`analyze`: label, compound score, language, flags and confidence of residents' comments, in batches."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache

from surveys.sentiment.data import Lexicon, data_version, lexicon, tokens
from surveys.sentiment.language import identify
from surveys.sentiment.model import FLAG_VALENCE, FLAGS, Sentiment, label_of
from surveys.sentiment.scorer import DomainVader, compound, emoji_sum, generic_sum
from surveys.sentiment.vader import plain

__all__ = ["analyze", "VERSION", "MODES", "MAX_CHARS"]

#: The analyser's rules; VERSION adds a hash of the data files, so stored scores know when to be redone.
ENGINE_VERSION = "1"
MODES = ("domain", "general")
#: Characters of a comment that are read (a 100 KB paste is scored on its start, in bounded time).
MAX_CHARS = 5_000
#: Reliability of the English scorer (VADER with the domain layer).
_ENGLISH_CONFIDENCE = 0.9
_JUNK = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]+")
#: Arabic short vowels, shadda and tatweel: optional in writing, so lexicons list words without them.
_ASCII_LETTERS = re.compile("[a-z]")
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")


def _version() -> str:
    return f"{ENGINE_VERSION}+{data_version()}"


VERSION = _version()


@cache
def _english() -> DomainVader:
    lex = lexicon("en")
    if lex is None:
        raise RuntimeError("surveys/data/sentiment/en.toml is missing")
    return DomainVader(lex)


def _clean(text: object) -> str:
    """The text to read: a string, without control characters or replacement marks, at most MAX_CHARS."""
    value = text if isinstance(text, str) else "" if text is None else str(text)
    value = _JUNK.sub(" ", value[:MAX_CHARS])
    if not value.isascii():
        # Composed accents (Vietnamese typed in decomposed form) and no optional Arabic marks.
        value = _ARABIC_MARKS.sub("", unicodedata.normalize("NFC", value))
    return value


def _flags(lowered: str, lex: Lexicon | None, english: Lexicon) -> dict[str, int]:
    """The flags the text raises (by its language's patterns and English's: residents mix them), where each matched."""
    raised: dict[str, int] = {}
    readers = [lex] if lex is not None and lex is not english else []
    # English patterns read English comments, and others with English in them (its marker words).
    if lex is None or lex is english or (_ASCII_LETTERS.search(lowered)
                                         and not english.markers.isdisjoint(tokens(lowered))):
        readers.insert(0, english)
    for data in readers:
        present = data.starts_in(lowered)
        for name, patterns in data.flags:
            if name in raised:
                continue
            for pattern, starts in patterns:
                # A pattern whose every match starts with one of `starts` needs one of them in the text.
                if (starts is None or not starts.isdisjoint(present)) and (match := pattern.search(lowered)):
                    raised[name] = match.start()
                    break
    return dict(sorted(raised.items(), key=lambda item: FLAGS.index(item[0])))


def _flag_sum(raised: dict[str, int], lowered: str, lex: Lexicon) -> float:
    """The flags' valence, each weighted like a word of its clause: 0.5 before the last contrast word, 1.5 after."""
    found = list(lex.contrast_pattern.finditer(lowered)) if raised and lex.contrast_pattern is not None else []
    pivot = found[-1] if found else None
    total = 0.0
    for name, at in raised.items():
        weight = 1.0 if pivot is None else 0.5 if at < pivot.start() else 1.5 if at >= pivot.end() else 1.0
        total += FLAG_VALENCE[name] * weight
    return total


def _one(text: str, mode: str) -> Sentiment:
    cleaned = _clean(text)
    if not cleaned.strip():
        return Sentiment("neutral", 0.0, "und", (), 0.0)
    language, certainty = identify(cleaned)
    if mode == "general":
        score = plain().polarity_scores(cleaned)["compound"]
        return Sentiment(label_of(score), score, language, (), round(0.6 * max(certainty, 0.5), 3))
    english = _english()
    lex = lexicon(language) if language != "und" else None
    fixed = english.fix(cleaned) if language in ("en", "und") else cleaned
    lowered = fixed.lower()
    raised = _flags(lowered, lex, english.lex)
    if language in ("en", "und") or lex is None:
        total = english.valence_sum(fixed)
        reliability = _ENGLISH_CONFIDENCE if language == "en" else 0.5
    else:
        total = generic_sum(lex, cleaned)
        reliability = lex.confidence
    total += emoji_sum(cleaned) + _flag_sum(raised, lowered, lex if lex is not None else english.lex)
    score = round(compound(total), 4)
    confidence = reliability * (certainty if language != "und" else 1.0)
    return Sentiment(label_of(score), score, language, tuple(raised), round(confidence, 3))


def analyze(texts: Iterable[str], mode: str = "domain") -> list[Sentiment]:
    """The sentiment of each text, in order.

    Parameters
    ----------
    texts : iterable of str
        Residents' comments, in any of the resident languages; empty strings,
        whitespace, emoji only and junk are fine.
    mode : {"domain", "general"}
        ``domain`` (default) reads 311 comments: VADER with the domain layer for
        English, per-language lexicons and rules for the others, flags.
        ``general`` is plain nltk VADER (no flags).

    Returns
    -------
    list of Sentiment

    Examples
    --------
    >>> [s.label for s in analyze(["They closed my ticket but nothing was fixed", "Thank you, fixed fast!"])]
    ['negative', 'positive']
    >>> analyze(["They closed my ticket but nothing was fixed"])[0].flags
    ('closed_not_fixed',)
    >>> analyze([""])[0]
    Sentiment(label='neutral', compound=0.0, language='und', flags=(), confidence=0.0)
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    return [_one(text, mode) for text in texts]

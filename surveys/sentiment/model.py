"""What the analyser says about one text."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Sentiment", "FLAGS", "FLAG_VALENCE", "LABELS", "label_of"]

#: Actionable signals, in the order they are reported.
FLAGS = ("closed_not_fixed", "still_waiting", "repeat_contact", "staff_courtesy_positive",
         "staff_courtesy_negative", "safety_risk")
#: How far each flag moves a text's valence sum (VADER's scale): a comment that says the request was
#: closed but not fixed is negative even when its words are not.
FLAG_VALENCE = {"closed_not_fixed": -2.5, "still_waiting": -2.0, "repeat_contact": -1.0,
                "staff_courtesy_positive": 2.0, "staff_courtesy_negative": -2.0, "safety_risk": -0.5}
LABELS = ("positive", "neutral", "negative")
#: VADER's thresholds on the compound score.
THRESHOLD = 0.05


def label_of(compound: float) -> str:
    """The label of a compound score, with VADER's ±0.05 thresholds.

    >>> label_of(0.3), label_of(0.0), label_of(-0.05)
    ('positive', 'neutral', 'negative')
    """
    if compound >= THRESHOLD:
        return "positive"
    if compound <= -THRESHOLD:
        return "negative"
    return "neutral"


@dataclass(frozen=True, slots=True)
class Sentiment:
    """The sentiment of one text: label, compound score, language, flags and how far to trust it."""

    label: str
    compound: float
    #: ISO 639-1 code, or "und" when the text has no language (empty, emoji only, junk).
    language: str
    #: Names from FLAGS, in that order.
    flags: tuple[str, ...] = ()
    #: 0..1: the language's scorer reliability times the certainty of the language identification.
    confidence: float = 1.0

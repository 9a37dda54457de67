"""nltk's VADER reading the lexicon file the vaderSentiment wheel ships: nothing is fetched at run time."""

from __future__ import annotations

import os
from functools import cache

import nltk
import vaderSentiment
from nltk.sentiment.vader import SentimentIntensityAnalyzer

__all__ = ["plain", "lexicon_resource", "LEXICON_FILE"]

#: The lexicon file inside the vaderSentiment package.
LEXICON_FILE = os.path.join(os.path.dirname(vaderSentiment.__file__), "vader_lexicon.txt")


def lexicon_resource() -> str:
    """The lexicon as nltk.data.load names it (nltk refuses file: paths outside nltk.data.path)."""
    folder = os.path.dirname(LEXICON_FILE)
    if folder not in nltk.data.path:
        nltk.data.path.append(folder)
    return "vader_lexicon.txt"


@cache
def plain() -> SentimentIntensityAnalyzer:
    """nltk's VADER as published (the ``general`` mode).

    >>> plain().polarity_scores("The crew was great!")["compound"] > 0.5
    True
    """
    return SentimentIntensityAnalyzer(lexicon_file=lexicon_resource())

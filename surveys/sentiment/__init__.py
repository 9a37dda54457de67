"""Sentiment, flags and language of residents' comments (pure; nltk VADER plus a 311 domain layer).

>>> from surveys.sentiment import analyze
>>> analyze(["Still waiting, nobody came."])[0].label
'negative'
"""

from surveys.sentiment.analyzer import MODES, VERSION, analyze
from surveys.sentiment.language import SUPPORTED as LANGUAGES
from surveys.sentiment.model import FLAGS, Sentiment

__all__ = ["analyze", "Sentiment", "FLAGS", "VERSION", "LANGUAGES", "MODES"]

"""Valence sums: nltk's VADER with the 311 domain layer (English), and the same rules on any lexicon.

Both follow VADER: word valences on -4..+4, boosters before a word, a negator in
the three words before it flips it (x -0.74), the clause after the last contrast
word counts 1.5x and the one before it 0.5x, exclamation marks add emphasis,
and the sum is squashed to a compound score in -1..1. The domain layer adds
phrases (outcome cues such as "still there" or "picked up"), takes sentiment
away from topic words ("dead animal", "abandoned vehicle"), fixes common typos,
reads emoji and adds the valence of the flags a text raises.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter

from nltk.sentiment.vader import SentimentIntensityAnalyzer, SentiText

from surveys.sentiment.data import _TOKEN, Lexicon, common
from surveys.sentiment.vader import lexicon_resource

__all__ = ["DomainVader", "FastSentiText", "generic_sum", "emoji_sum", "compound", "NEGATION_SCALAR"]

#: VADER's factor for a negated word.
NEGATION_SCALAR = -0.74
#: How many words before a sentiment word a negator reaches (VADER looks at three).
NEGATION_REACH = 3
#: Characters before a match a negator may end at, where words are not separated (zh, km).
CHAR_REACH = 4
_EXCLAMATION = 0.292
_DETERMINERS = frozenset({"a", "an", "the", "my", "our", "their", "his", "her", "that", "this", "those", "these",
                          "some", "two", "three", "several", "one"})
_NOT_NOUNS = frozenset({"again", "now", "still", "too", "already", "and", "but", "or", "since", "for", "after", "by",
                        "as", "because", "so", "yet", "then", "when", "while", "at", "in", "on", "is", "was"})


def compound(total: float, alpha: float = 15.0) -> float:
    """VADER's normalisation of a valence sum to -1..1.

    >>> round(compound(2.0), 4), compound(0.0)
    (0.4588, 0.0)
    """
    score = total / math.sqrt(total * total + alpha)
    return max(-1.0, min(1.0, score))


def emoji_sum(text: str) -> float:
    """The valence of the emoji in `text` (each occurrence counts, at most three of a kind)."""
    table = common()["emoji"]
    if text.isascii():
        return 0.0
    return sum(valence * min(text.count(emoji), 3) for emoji, valence in table.items() if emoji in text)


def _contrast(lowered: list[str], contrast: tuple[tuple[str, ...], ...]) -> int | None:
    """The position of the last contrast word (its last token), or None."""
    last = None
    present = set(lowered)
    for words in contrast:
        if words[0] not in present:
            continue
        n = len(words)
        for i in range(len(lowered) - n + 1):
            if tuple(lowered[i:i + n]) == words and (last is None or i + n - 1 > last):
                last = i + n - 1
    return last


def _weigh(sentiments: list[float], pivot: int | None) -> None:
    """Clause dominance: the clause after the contrast word counts 1.5x, the one before 0.5x."""
    if pivot is None:
        return
    for i, value in enumerate(sentiments):
        if value:
            sentiments[i] = value * (0.5 if i < pivot else 1.5 if i > pivot else 1.0)


def _emphasis(total: float, text: str) -> float:
    """VADER's exclamation-mark emphasis, in the direction of the sum."""
    marks = min(text.count("!"), 4)
    if not total or not marks:
        return total
    return total + math.copysign(marks * _EXCLAMATION, total)


def _phrase(lex: Lexicon, lowered: list[str], i: int) -> tuple[int, float] | None:
    """The longest phrase of `lex` starting at token i: (its length, its valence)."""
    for words, valence in lex.phrases.get(lowered[i], ()):
        n = len(words)
        if tuple(lowered[i:i + n]) == words:
            return n, valence
    return None


#: Punctuation that ends a clause: negation does not reach across it.
_CLAUSE_BREAK = re.compile(r"[,.;:!?\u060c\u061b\u061f\u0964\u3001\u3002\uff0c\uff01\uff1f\uff1b\u17d4\u17d5]")


def clauses(text: str) -> tuple[list[str], list[int]]:
    """The lower-cased word tokens of `text` and the number of the clause each is in.

    >>> clauses("No tardaron, gracias.")
    (['no', 'tardaron', 'gracias'], [0, 0, 1])
    """
    words: list[str] = []
    clause: list[int] = []
    current, last = 0, 0
    lowered = text.lower()
    for match in _TOKEN.finditer(lowered):
        if words and _CLAUSE_BREAK.search(lowered, last, match.start()):
            current += 1
        words.append(match.group(0))
        clause.append(current)
        last = match.end()
    return words, clause


def _boost(value: float, before: str | None, boosters: dict[str, float]) -> float:
    boost = boosters.get(before) if before else None
    return value + math.copysign(boost, value) if boost else value


def generic_sum(lex: Lexicon, text: str) -> float:
    """The valence sum of `text` with a language's lexicon and VADER's rules (emphasis included)."""
    if lex.segmentation == "chars":
        return _emphasis(_chars_sum(lex, text.lower()), text)
    words, clause = clauses(text)
    lowered = [lex.typos.get(t, t) for t in words]
    sentiments = [0.0] * len(lowered)
    negators, boosters = lex.negators, lex.boosters
    i = 0
    while i < len(lowered):
        found = _phrase(lex, lowered, i)
        if found:
            span, value = found
            negatable = lowered[i] not in negators  # "no lo arreglaron" says its own negation
        else:
            span, value, negatable = 1, lex.valence(lowered[i]) or 0.0, True
        if value:
            value = _boost(value, lowered[i - 1] if i else None, boosters)
            # A negator reaches back three words, within the clause: "No tardaron, gracias" thanks.
            start = max(0, i - NEGATION_REACH)
            if negatable and any(word in negators for j, word in enumerate(lowered[start:i], start)
                                 if clause[j] == clause[i]):
                value *= NEGATION_SCALAR
            sentiments[i] = value
        i += span
    _weigh(sentiments, _contrast(lowered, lex.contrast))
    return _emphasis(sum(sentiments), text)


def _chars_sum(lex: Lexicon, lowered: str) -> float:
    """`generic_sum` for scripts without spaces: entries found as substrings, longest first."""
    if lex.pattern is None:
        return 0.0
    matches = [(m.start(), m.end(), *lex.entries[m.group(0)]) for m in lex.pattern.finditer(lowered)]
    sentiments: list[float] = []
    pivot = None
    for k, (start, _end, kind, value) in enumerate(matches):
        if kind == "contrast":
            pivot = k
        if kind != "word" or not value:
            sentiments.append(0.0)
            continue
        for j in range(k - 1, max(-1, k - NEGATION_REACH - 1), -1):
            p_start, p_end, p_kind, p_value = matches[j]
            if start - p_end > CHAR_REACH or _CLAUSE_BREAK.search(lowered, p_end, start):
                break
            if p_kind == "booster" and j == k - 1:
                value += math.copysign(p_value, value)
            if p_kind == "negator":
                value *= NEGATION_SCALAR
                break
        sentiments.append(value)
    _weigh(sentiments, pivot)
    return sum(sentiments)


_PUNCTUATION = frozenset(string.punctuation)


class FastSentiText(SentiText):
    """nltk's SentiText, with the same words, found without building every word-punctuation pair.

    nltk maps "cat," and ",cat" to "cat" through a dict of every word of the text joined
    with every punctuation mark of VADER's list, both ways round: most of VADER's time
    on a short comment. The words it keeps are those of ``text.split()`` longer than one
    character, with a run of punctuation before or after (one of the list's, and only on
    one side) dropped when what remains is a word of the text without punctuation.
    """

    def _words_and_emoticons(self) -> list[str]:
        words_only = {w for w in self.REGEX_REMOVE_PUNCTUATION.sub("", self.text).split() if len(w) > 1}
        punctuation = set(self.PUNC_LIST)
        kept = []
        for we in self.text.split():
            if len(we) > 1:
                kept.append(self._bare(we, words_only, punctuation))
        return kept

    @staticmethod
    def _bare(we: str, words_only: set[str], punctuation: set[str]) -> str:
        if we[-1] in _PUNCTUATION:  # "cat," (nltk's dict lets the form with punctuation after win)
            head = we.rstrip(string.punctuation)
            if we[len(head):] in punctuation and head in words_only:
                return head
        if we[0] in _PUNCTUATION:  # ",cat"
            tail = we.lstrip(string.punctuation)
            if we[:len(we) - len(tail)] in punctuation and tail in words_only:
                return tail
        return we


class DomainVader(SentimentIntensityAnalyzer):
    """nltk's VADER with a domain layer: the English lexicon's words, phrases, typos and contrast words."""

    def __init__(self, lex: Lexicon):
        super().__init__(lexicon_file=lexicon_resource())
        self.lex = lex
        for word, valence in lex.words.items():
            if valence:
                self.lexicon[word] = valence
            else:  # a topic word ("dead", "abandoned", "illegal"): no sentiment in a 311 comment
                self.lexicon.pop(word, None)
        # The domain's negators too ("nobody", "no one"): VADER's list lacks them.
        self.constants.NEGATE = set(self.constants.NEGATE) | set(lex.negators)
        self._problem = (re.compile(
            r"(?:^|\b(?:" + "|".join(sorted(_DETERMINERS)) + r")\s+)(" + "|".join(map(re.escape, sorted(lex.problems)))
            + r")\s+(?!(?:" + "|".join(sorted(_NOT_NOUNS)) + r")\b)[a-z]") if lex.problems else None)
        self._typo = (re.compile(r"(?<![\w'])(" + "|".join(map(re.escape, sorted(lex.typos, key=len, reverse=True)))
                                 + r")(?![\w'])", re.IGNORECASE) if lex.typos else None)

    def _attributive(self, text: str) -> Counter:
        """Problem words naming the thing reported ("the broken swing", "a leaking hydrant"), by word.

        Before a noun, after a determiner or at the start, such a word describes the thing;
        after "is", "still" and the like ("still broken") it says how things are.
        """
        if self._problem is None:
            return Counter()
        return Counter(m.group(1) for m in self._problem.finditer(text.lower()))

    def fix(self, text: str) -> str:
        """`text` with the lexicon's typo fixes ("thx" -> "thanks")."""
        if self._typo is None:
            return text
        return self._typo.sub(lambda m: self.lex.typos[m.group(0).lower()], text)

    def valence_sum(self, text: str) -> float:
        """VADER's valence sum of `text` (emphasis included) with the domain's phrases and contrast words."""
        sentitext = FastSentiText(text, self.constants.PUNC_LIST, self.constants.REGEX_REMOVE_PUNCTUATION)
        words = sentitext.words_and_emoticons
        lowered = [w.lower() for w in words]
        sentiments: list[float] = []
        boosters = self.constants.BOOSTER_DICT
        attributive = self._attributive(text)
        i = 0
        while i < len(words):
            found = _phrase(self.lex, lowered, i)
            if found:
                span, value = found
                if any(self.constants.negated([w]) for w in lowered[max(0, i - NEGATION_REACH):i]):
                    value *= NEGATION_SCALAR
                sentiments.append(value)
                sentiments.extend([0.0] * (span - 1))
                i += span
                continue
            item = lowered[i]
            if item in boosters or (item == "kind" and i + 1 < len(words) and lowered[i + 1] == "of"):
                sentiments.append(0.0)
            elif attributive[item] > 0:
                attributive[item] -= 1
                sentiments.append(0.0)
            else:
                sentiments = self.sentiment_valence(0, sentitext, words[i], i, sentiments)
                if sentiments[-1] > 0 and any(w in self.lex.limiters for w in lowered[max(0, i - 2):i]):
                    sentiments[-1] *= NEGATION_SCALAR  # "only cleaned half": a partial job
            i += 1
        _weigh(sentiments, _contrast(lowered, self.lex.contrast))
        total = float(sum(sentiments))
        return math.copysign(abs(total) + self._punctuation_emphasis(total, text), total) if total else total

"""Themes: the key phrases residents' comments in one slice say more than the rest.

A slice is any set of comments a CX officer looks at (a department, a service,
a touchpoint, a period); the background is the rest to compare it with.

Candidate phrases are the words, pairs and triples of adjacent words of the
comments, lower-cased, that run between punctuation, numbers and stopwords
(`stopwordsiso` for the comment's language and for English, plus a 311
stoplist: city, please, thank, request ...). A few stopwords carry the
complaint: they may start a phrase ("still waiting", "never came", "not
fixed") or end it ("pick up", "call back") but are never a theme alone. Pairs
and triples must be collocations of the slice (nltk's likelihood ratio, p <
0.05, said together more than chance), and a collocation replaces the shorter
phrases inside it when it accounts for at least half their mentions: "missed
pickup" is listed, not also "missed" and "pickup". Chinese and Japanese,
written without spaces, are read as character pairs. The slice is masked with
`surveys.pii.mask_pii` before it is read, so no name, address or phone number
becomes a theme or an example.

Counts are of comments, not of repetitions: a comment saying "missed pickup"
three times mentions it once.

Distinctiveness is the weighted log-odds z-score of Monroe, Colaresi and
Quinn (2008, "Fightin' Words"), with an informative Dirichlet prior: for a
phrase mentioned by y_s of the slice's n_s comments and y_b of the
background's n_b, with prior counts a_w = 0.1 (y_s + y_b) and
a_0 = 0.1 (n_s + n_b),

    delta = log((y_s + a_w) / (n_s + a_0 - y_s - a_w)) - log((y_b + a_w) / (n_b + a_0 - y_b - a_w))
    z     = delta / sqrt(sum of the reciprocals of those four counts)

Monroe et al. keep only the two mention counts in the variance, which assumes
rare words; a theme can be in half the comments, so all four count here. The
prior pulls phrases few comments mention toward the pooled rate and z divides
by the uncertainty that remains, so a rare phrase does not outrank a frequent
one on a lucky ratio: with 1,000 comments on each side, 3 mentions against 0
score z = 1.3 and 30 against 10 score z = 2.8. With a background, only
phrases the slice says more than it does (z > 0) are themes. Without one, the
slice is compared with a uniform distribution: a background as large as the
slice in which every word, pair and triple the slice uses is mentioned equally
often (as often as their average), so that distinctiveness ranks phrases by
how much more than an average phrase the slice says them.

The ranking weighs distinctiveness up by negativity, the share of the phrase's
comments with compound <= -0.05:

    score = z * (1 + negativity)   if z >= 0,   z / (1 + negativity) otherwise

so a phrase whose comments are all negative counts twice as much as an equally
distinctive neutral one. Ties are broken by phrase.

Examples
--------
>>> slice_ = [Comment("Missed pickup again!", compound=-0.6)] * 3 + [Comment("The crew was polite.", compound=0.5)]
>>> background = [Comment("The crew was polite.", compound=0.5)] * 5
>>> [(t.phrase, t.count, t.negativity) for t in extract_themes(slice_, background)]
[('missed pickup', 3, 1.0)]
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from itertools import chain

from surveys.pii import PLACEHOLDERS, mask_pii

__all__ = ["Comment", "Theme", "extract_themes", "MAX_CHARS", "NEGATIVE"]

#: Characters of a comment that are read (a 100 KB paste counts by its start, in bounded time).
MAX_CHARS = 5_000
#: A comment is negative at or below this compound score (VADER's convention).
NEGATIVE = -0.05
#: Weight of the informative prior, as a share of the pooled counts.
PRIOR = 0.1
#: Likelihood ratios of a collocation: chi-squared at p < 0.05, 1 degree of freedom (pairs) and 4 (triples).
BIGRAM_LR = 3.84
TRIGRAM_LR = 9.49
#: A longer phrase replaces a shorter one inside it when it accounts for this share of its mentions.
ABSORB = 0.5
EXAMPLES = 3
EXAMPLE_CHARS = 300
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Comment:
    """A resident's comment with its language, sentiment and day."""

    text: str
    language: str = "en"  # ISO 639-1 (a tag such as "zh-Hans" or "en-US" counts by its language)
    compound: float = 0.0  # sentiment -1..1 (from surveys.sentiment)
    when: date | None = None  # the day it was written (for emerging themes)


@dataclass(frozen=True)
class Theme:
    """A key phrase of a slice's comments, how distinctive and how negative it is, and whether it grows."""

    phrase: str  # "missed pickup", "still waiting"
    count: int  # comments of the slice mentioning it
    share: float  # count / comments in the slice
    distinctiveness: float  # weighted log-odds z-score against the background (module docstring)
    negativity: float  # share of its comments with compound <= -0.05
    mean_compound: float
    score: float  # distinctiveness weighted up by negativity (module docstring)
    examples: tuple[str, ...]  # up to 3 of its comments, most negative first, personal data masked
    growth: float | None  # mentions in the last 7 days / the 7 before, each +1; None without dates
    emerging: bool  # growth >= 2 and at least 3 mentions in the last 7 days


#: A word ("pothole", str) or a pair or triple of words (tuple).
Gram = str | tuple[str, ...]

# Stopwords that carry a complaint: they may start a phrase ("still waiting", "nunca vinieron", "nikt nie").
_LEADS = frozenset({
    "no", "not", "never", "nobody", "nothing", "none", "noone", "without", "still", "twice", "nor", "nunca",
    "todavía", "aún", "nadie", "nada", "sin", "jamais", "toujours", "personne", "rien", "sans", "pas", "não",
    "ainda", "ninguém", "sem", "nie", "nikt", "nadal", "wciąż", "nigdy", "не", "никто", "ещё", "еще", "никогда",
    "không", "chưa", "vẫn", "pa", "poko", "toujou", "hindi", "wala", "weli", "لا", "لم",
})
# Particles that end phrasal verbs: "pick up", "call back", "tree down", "shut off".
_TAILS = frozenset({"up", "down", "back", "off", "out", "over", "away"})
_LEAD, _TAIL = 1, 2
_ROLES = {**dict.fromkeys(_LEADS, _LEAD), **dict.fromkeys(_TAILS, _TAIL)}
# Words stopwords-iso lists for English that residents' comments use with meaning.
_NOT_STOPWORDS = frozenset({
    "fire", "fix", "home", "problem", "problems", "room", "free", "open", "opened", "website", "web", "webpage",
    "site", "bill", "help", "call", "came", "come", "long", "longer", "poorly", "promptly", "quickly", "stop",
    "text", "line", "case", "cases", "order", "area", "areas", "side", "front", "full", "empty", "clear", "big",
    "small", "low", "high", "miss", "turned", "working", "work", "worked", "early", "later", "soon", "serious",
    "seriously", "important", "immediately",
})
# 311 boilerplate, in the city's languages.
_DOMAIN_STOPWORDS = frozenset({
    "city", "please", "pls", "plz", "thank", "thanks", "thx", "ty", "thankyou", "request", "requests", "requested",
    "sr", "hi", "hello", "dear", "regards", "sir", "madam", "ok", "okay", "yes", "lol", "na", "gracias", "favor",
    "merci", "obrigado", "obrigada", "mèsi", "mesi", "спасибо", "dziękuję", "cảm", "ơn", "谢谢", "감사합니다", "شكرا",
    "ciudad", "ville", "cidade", "vil", "miasto", "город", "solicitud", "demande", "pedido", "salamat",
    "mahadsanid", "ধন্যবাদ", "អរគុណ", "شکریہ", "شكرًا", "감사",
})
# Stopwords for the city's languages stopwords-iso lacks (ht, km) or lists too few of (English's are always added).
_MORE_STOPWORDS = {
    "ht": frozenset({
        "mwen", "ou", "li", "nou", "yo", "la", "a", "ak", "nan", "pou", "se", "te", "ap", "gen", "sa", "ki", "yon",
        "de", "men", "lè", "si", "konsa", "tou", "sou", "pi", "kòm", "kote", "anpil", "fè", "e", "oswa", "ka",
        "kap", "pral", "deja", "ankò", "sèlman", "kounye", "paske", "epi", "lan", "sila", "bay", "di", "vin",
    }),
    "km": frozenset({
        "និង", "ជា", "នៅ", "ដែល", "បាន", "ទេ", "មិន", "ខ្ញុំ", "គឺ", "នេះ", "នោះ", "ពី", "ក្នុង", "របស់", "ហើយ",
        "ឲ្យ", "អោយ", "ទៅ", "មក", "ក៏", "ដល់", "គេ", "យើង", "វា",
    }),
    "tl": frozenset({
        "yung", "po", "lang", "mo", "rin", "naman", "kasi", "talaga", "ba", "nga", "yun", "iyon", "ito", "dito",
        "doon", "kayo", "sila", "siya", "natin", "tayo",
    }),
    # stopwords-iso's Urdu list is mis-encoded: these are the common words as residents type them.
    "ur": frozenset({
        "نہیں", "میں", "سے", "بہت", "ابھی", "کا", "کو", "نے", "وہ", "بھی", "تھا", "گیا", "رہا", "کر", "ہم", "آپ",
        "جو", "کہ", "پر", "ہے", "ہیں", "کی", "کے", "اور", "یہ", "تو", "تھی", "گئی", "ہو", "رہی",
    }),
    "so": frozenset({"laakiin", "hadda", "loo", "mar", "iyo", "la", "aan", "ma", "wax", "waxaa", "ah", "ee"}),
    "ar": frozenset({"أحد", "بس"}),
    "bn": frozenset({"এখনো", "পড়ে"}),
    "zh": frozenset({"已经"}),
}
# Characters of Chinese and Japanese that make a character pair meaningless ("满了", "的车").
_CJK_FUNCTION = frozenset("的了是在我你他她它们这那有和也就都吗呢吧啊着过个么之与及或被把给很还又のはがをにでともへやかなだ")

# Where phrases break, as a token of its own (no word contains a control character).
_BREAK_MARK = "\x01"
# Combining marks \w does not match, so that Vietnamese, Indic, Thai and Khmer words stay whole.
_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
    "\u0900-\u0963\u0966-\u0dff\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17d3\u1dc0-\u1dff\u200c\u200d"
)
# A word, captured without an elided article or pronoun ("l'eau", "j'ai", "I'm"), or a run of punctuation,
# captured as an empty word: phrases break there.
_WORD = rf"(?:[^\W\d_]{{1,2}}'(?=\w))?([\w{_MARKS}]+(?:'[\w{_MARKS}]+)*)"
_PUNCTUATION = rf"[.!?;:,()\[\]{{}}<>\"“”«»¿¡…|/\\–—。！？；：，、·{_BREAK_MARK}]+"
# The stdlib runs the pattern, not nltk's RegexpTokenizer (which needs no downloaded data either): nltk >= 3.10
# runs tokenizer patterns on the `regex` engine under a time-out guard, four times slower here (0.6 s against
# 0.15 s for 20,000 comments), and this pattern cannot backtrack.
_TOKENS = re.compile(f"{_WORD}|{_PUNCTUATION}")
_NOISE = re.compile(
    "|".join(re.escape(p) for p in PLACEHOLDERS.values()) + r"|https?://\S+|www\.\S+|\S+@\S+", re.IGNORECASE
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_DIGIT = re.compile(r"\d")


@cache
def _stopwords(language: str) -> frozenset[str]:
    """Stopwords of comments in `language`: its stopwords-iso list and English's, less those that carry meaning."""
    import stopwordsiso  # lazy: the lists load when themes are first asked for, not when vocapp starts

    words = set(stopwordsiso.stopwords("en")) | _MORE_STOPWORDS.get(language, frozenset())
    if language != "en" and stopwordsiso.has_lang(language):
        words |= stopwordsiso.stopwords(language)
    return frozenset((words - _NOT_STOPWORDS - _LEADS - _TAILS) | _DOMAIN_STOPWORDS)


def _language(code: object) -> str:
    if not isinstance(code, str):
        return "en"
    return code.replace("_", "-").split("-")[0].lower() or "en"


def _pairs(match: re.Match[str]) -> str:
    """A run of Chinese or Japanese as its overlapping character pairs, each a phrase of its own."""
    run = match.group()
    pairs = [run[i:i + 2] for i in range(len(run) - 1)
             if run[i] not in _CJK_FUNCTION and run[i + 1] not in _CJK_FUNCTION]
    return f" {_BREAK_MARK} " + f" {_BREAK_MARK} ".join(pairs) + f" {_BREAK_MARK} "


def _runs(text: str, stopwords: frozenset[str]) -> tuple[list[list[str]], int]:
    """The runs of lower-cased words of a comment that phrases are made of, and the number of words read.

    Runs break at punctuation, masked data, links, stopwords, numbers and one-letter words.
    """
    text = text[:MAX_CHARS].lower()
    if "[" in text or "@" in text or "http" in text or "www" in text:
        text = _NOISE.sub(f" {_BREAK_MARK} ", text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text).replace("’", "'")
        if _CJK.search(text):
            text = _CJK.sub(_pairs, text)
    tokens = _TOKENS.findall(text)
    numbers = _DIGIT.search(text) is not None
    runs: list[list[str]] = []
    run: list[str] = []
    for token in tokens:
        if len(token) > 1 and token not in stopwords and not (numbers and _DIGIT.search(token)):
            run.append(token)
        elif run:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    return runs, len(tokens) - tokens.count("")


def _grams(runs: list[list[str]]) -> set[Gram]:
    """Every word, pair and triple of adjacent words of a comment's runs (the phrase rules come later)."""
    found: set[Gram] = set()
    for run in runs:
        found.update(run)
        if len(run) > 1:
            found.update(zip(run, run[1:], strict=False))
            if len(run) > 2:
                found.update(zip(run, run[1:], run[2:], strict=False))
    return found


def _is_phrase(gram: Gram) -> bool:
    """Whether a word, pair or triple may be a theme: complaint words lead, particles end, one word has content."""
    if isinstance(gram, str):
        return gram not in _ROLES
    roles = [_ROLES.get(word, 0) for word in gram]
    return roles[0] != _TAIL and roles[-1] != _LEAD and 0 in roles


def _parts(gram: Gram) -> list[Gram]:
    """The shorter phrases inside a pair or triple."""
    if isinstance(gram, str):
        return []
    return [*gram, *(gram[i:i + 2] for i in range(len(gram) - 1))] if len(gram) > 2 else list(gram)


def _phrase(gram: Gram) -> str:
    return gram if isinstance(gram, str) else " ".join(gram)


class _Collocations:
    """nltk's likelihood-ratio test of the slice's pairs and triples of words.

    Counts are of words within runs and N is of all the words read: exact for every
    candidate, except that a triple's "w1 _ w3" count misses a stopword in the middle.
    """

    def __init__(self, runs: list[list[str]], words_read: int):
        # Lazy: importing nltk takes a second or more, which nothing that imports this module should pay for.
        from nltk.collocations import (
            BigramAssocMeasures,
            BigramCollocationFinder,
            TrigramAssocMeasures,
            TrigramCollocationFinder,
        )
        from nltk.probability import FreqDist

        pairs = [run for run in runs if len(run) > 1]
        triples = [run for run in pairs if len(run) > 2]
        # Counted into plain Counters: FreqDist's own __setitem__ makes counting into it three times slower.
        counts = [
            Counter(chain.from_iterable(runs)),
            Counter(chain.from_iterable(zip(run, run[1:], strict=False) for run in pairs)),
            Counter(chain.from_iterable(zip(run, run[2:], strict=False) for run in triples)),
            Counter(chain.from_iterable(zip(run, run[1:], run[2:], strict=False) for run in triples)),
        ]
        unigrams, bigrams, gapped, trigrams = map(FreqDist, counts)
        self._pairs = BigramCollocationFinder(unigrams, bigrams)
        self._triples = TrigramCollocationFinder(unigrams, bigrams, gapped, trigrams)
        self._n = self._pairs.N = self._triples.N = max(words_read, unigrams.N(), 1)
        self._pair_ratio = BigramAssocMeasures.likelihood_ratio
        self._triple_ratio = TrigramAssocMeasures.likelihood_ratio

    def __contains__(self, gram: tuple[str, ...]) -> bool:
        words = self._pairs.word_fd
        # Likelihood ratios are two-sided: words said together less often than chance are no collocation.
        if len(gram) == 2:
            if self._pairs.ngram_fd[gram] <= words[gram[0]] * words[gram[1]] / self._n:
                return False
            return self._pairs.score_ngram(self._pair_ratio, *gram) >= BIGRAM_LR
        if self._triples.ngram_fd[gram] <= words[gram[0]] * words[gram[1]] * words[gram[2]] / self._n**2:
            return False
        return self._triples.score_ngram(self._triple_ratio, *gram) >= TRIGRAM_LR


def _z(y_s: float, n_s: float, y_b: float, n_b: float) -> float:
    """Weighted log-odds z-score of a phrase in the slice against the background (module docstring)."""
    a_w = PRIOR * (y_s + y_b)
    a_0 = PRIOR * (n_s + n_b)
    # A phrase in every comment of both sides leaves no "other" comments: half a comment keeps the logs finite.
    cells = (y_s + a_w, max(n_s + a_0 - y_s - a_w, 0.5), y_b + a_w, max(n_b + a_0 - y_b - a_w, 0.5))
    delta = math.log(cells[0] / cells[1]) - math.log(cells[2] / cells[3])
    return delta / math.sqrt(sum(1 / c for c in cells))


def _score(z: float, negativity: float) -> float:
    return z * (1 + negativity) if z >= 0 else z / (1 + negativity)


def _compound(value: object) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return 0.0
    return value if math.isfinite(value) else 0.0


def _day(value: object) -> date | None:
    """The day of a date or datetime (the two do not compare), None for anything else."""
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _text(comment: Comment) -> str:
    return comment.text if isinstance(comment.text, str) else ""


def _example(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1].rstrip() + "…"


def _examples(texts: list[str], where: list[int], compounds: list[float]) -> tuple[str, ...]:
    """Up to three different comments, most negative first (then in order)."""
    examples: list[str] = []
    for i in sorted(where, key=lambda i: (compounds[i], i)):
        example = _example(texts[i])
        if example and example not in examples:
            examples.append(example)
            if len(examples) == EXAMPLES:
                break
    return tuple(examples)


def _growth(days: list[date], today: date) -> tuple[float, bool]:
    """(mentions in the 7 days to `today` + 1) / (mentions in the 7 before + 1), and whether that is emerging."""
    last = sum(1 for d in days if today - WEEK < d <= today)
    before = sum(1 for d in days if today - 2 * WEEK < d <= today - WEEK)
    growth = (last + 1) / (before + 1)
    return growth, growth >= 2 and last >= 3


def _background_counts(background: Sequence[Comment], candidates: set[Gram]) -> Counter[Gram]:
    """Comments of the background mentioning each candidate."""
    counts: Counter[Gram] = Counter()
    for comment in background:
        runs, _ = _runs(_text(comment), _stopwords(_language(comment.language)))
        counts.update(_grams(runs) & candidates)
    return counts


def extract_themes(comments: Sequence[Comment], background: Sequence[Comment] = (), *, top: int = 10,
                   min_count: int = 3, today: date | None = None) -> list[Theme]:
    """Return the key phrases of `comments`, most distinctive and negative first.

    Parameters
    ----------
    comments : sequence of Comment
        The slice: a department's, a service's, a touchpoint's or a period's comments.
    background : sequence of Comment, optional
        The rest to compare with. Without it the slice is compared with a uniform
        distribution over its own phrases (see the module docstring).
    top : int, default 10
        How many themes to return at most.
    min_count : int, default 3
        Comments of the slice that must mention a phrase for it to be a theme.
    today : date, optional
        The last day of the last week for growth; by default the latest day of the slice's comments.

    Returns
    -------
    list of Theme
        At most `top` themes by descending score, ties by phrase; empty when no
        phrase is mentioned by `min_count` comments.

    Examples
    --------
    >>> from datetime import date
    >>> waiting = [Comment("Still waiting, nobody came.", compound=-0.5, when=date(2024, 5, d))
    ...            for d in (20, 27, 28, 29)]
    >>> missed = [Comment("Missed pickup.", compound=-0.3, when=date(2024, 5, d)) for d in (1, 2, 3)]
    >>> themes = extract_themes(waiting + missed, today=date(2024, 5, 31))
    >>> [(t.phrase, t.count, t.growth, t.emerging) for t in themes]
    [('nobody came', 4, 2.0, True), ('still waiting', 4, 2.0, True), ('missed pickup', 3, 1.0, False)]
    >>> extract_themes([])
    []
    """
    if not comments or top <= 0:
        return []
    min_count = max(1, int(min_count))
    texts = [mask_pii(_text(c)[:MAX_CHARS]) for c in comments]
    # Each comment's words, pairs and triples, kept for the second look at the candidates' comments.
    grams: list[set[Gram]] = []
    counts: Counter[Gram] = Counter()
    runs: list[list[str]] = []
    words_read = 0
    for comment, text in zip(comments, texts, strict=True):
        comment_runs, n = _runs(text, _stopwords(_language(comment.language)))
        runs.extend(comment_runs)
        words_read += n
        grams.append(_grams(comment_runs))
        counts.update(grams[-1])
    frequent = [gram for gram, n in counts.items() if n >= min_count and _is_phrase(gram)]
    if not frequent:
        return []
    collocations = _Collocations(runs, words_read)
    candidates = {gram for gram in frequent if isinstance(gram, str) or gram in collocations}

    n_s = len(comments)
    if background:
        in_background = _background_counts(background, candidates)
        z = {gram: _z(counts[gram], n_s, in_background[gram], len(background)) for gram in candidates}
        candidates = {gram for gram in candidates if z[gram] > 0}
    else:
        average = counts.total() / len(counts)
        z = {gram: _z(counts[gram], n_s, average, n_s) for gram in candidates}
    candidates -= {part for gram in candidates for part in _parts(gram)
                   if part in candidates and counts[gram] >= ABSORB * counts[part]}
    if not candidates:
        return []

    postings: dict[Gram, list[int]] = {gram: [] for gram in candidates}
    for i, comment_grams in enumerate(grams):
        for gram in comment_grams & candidates:
            postings[gram].append(i)
    compounds = [_compound(c.compound) for c in comments]
    negative = [value <= NEGATIVE for value in compounds]
    ranked = []
    for gram, where in postings.items():
        negativity = sum(map(negative.__getitem__, where)) / len(where)
        ranked.append((-_score(z[gram], negativity), _phrase(gram), gram, negativity))
    ranked.sort(key=lambda r: r[:2])

    days = [_day(c.when) for c in comments]
    dated = any(d is not None for d in days)
    today = _day(today)
    if today is None and dated:
        today = max(d for d in days if d is not None)
    themes = []
    for minus_score, phrase, gram, negativity in ranked[:top]:
        where = postings[gram]
        growth, emerging = (None, False)
        if dated and today is not None:
            growth, emerging = _growth([d for i in where if (d := days[i]) is not None], today)
        themes.append(Theme(
            phrase=phrase, count=len(where), share=len(where) / n_s, distinctiveness=z[gram], negativity=negativity,
            mean_compound=math.fsum(map(compounds.__getitem__, where)) / len(where), score=-minus_score,
            examples=_examples(texts, where, compounds), growth=growth, emerging=emerging,
        ))
    return themes

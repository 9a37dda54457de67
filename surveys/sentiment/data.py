"""The analyser's data: per-language lexicons and rules, read from surveys/data/sentiment/*.toml.

Each language's file holds its sentiment words (stems end in ``*``), phrases
(outcome cues and idioms), negators, contrast words, boosters, the markers
that tell it apart in language identification and the regular expressions of
its flags; ``common.toml`` holds what every language shares (emoji).
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from re import _constants as _sre  # the regex parser: what a pattern must start with
from re import _parser as _sre_parser

from surveys.sentiment.model import FLAGS

__all__ = ["Lexicon", "lexicon", "lexicons", "common", "data_version", "tokens", "DATA_DIR", "LexiconError"]

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "sentiment"


class LexiconError(ValueError):
    """A language's data file is unusable (the message names the file and the entry)."""


def _marks() -> str:
    """A character class body of the combining marks (Bengali vowel signs, Arabic harakat...)."""
    ranges, start, prev = [], None, None
    for point in range(0x10000):  # the Basic Multilingual Plane holds every script residents write in
        if unicodedata.category(chr(point)) in ("Mn", "Mc", "Me"):
            if start is None:
                start = point
            elif point != prev + 1:
                ranges.append((start, prev))
                start = point
            prev = point
    if start is not None:
        ranges.append((start, prev))
    return "".join(f"\\u{a:04x}-\\u{b:04x}" if a != b else f"\\u{a:04x}" for a, b in ranges if b <= 0xFFFF)


#: A word: letters, digits and the combining marks \w leaves out (a Bengali word keeps its vowel signs).
_TOKEN = re.compile(f"[\\w{_marks()}]+")


def tokens(text: str) -> list[str]:
    """The lower-cased word tokens of `text`.

    >>> tokens("Still NOT fixed, 3 weeks!")
    ['still', 'not', 'fixed', '3', 'weeks']
    """
    return _TOKEN.findall(text.lower())


@dataclass
class Lexicon:
    """One language's scoring data."""

    code: str
    name: str
    version: int
    confidence: float
    segmentation: str
    words: dict[str, float] = field(default_factory=dict)
    #: Stem length -> stem -> valence (a token matches the longest stem it starts with).
    stems: dict[int, dict[str, float]] = field(default_factory=dict)
    #: First token -> [(tokens, valence)], longest first.
    phrases: dict[str, list[tuple[tuple[str, ...], float]]] = field(default_factory=dict)
    negators: frozenset[str] = frozenset()
    #: Contrast words, as token tuples ("sin embargo" is two).
    contrast: tuple[tuple[str, ...], ...] = ()
    #: The contrast words found in lower-cased text (whole words, or substrings with "chars").
    contrast_pattern: re.Pattern | None = None
    boosters: dict[str, float] = field(default_factory=dict)
    markers: frozenset[str] = frozenset()
    #: (flag, [(pattern, the strings a match must start with, or None when unknown)]), in FLAGS order.
    flags: list[tuple[str, list[tuple[re.Pattern, frozenset[str] | None]]]] = field(default_factory=list)
    #: Every pattern's start strings, found at each position of a text in one pass (longest first).
    starts: re.Pattern | None = None
    #: A start string found -> the start strings it begins with (found "nobody": "no" is there too).
    prefixes: dict[str, frozenset[str]] = field(default_factory=dict)

    def starts_in(self, lowered: str) -> set[str]:
        """The flag patterns' start strings that occur in `lowered`."""
        found: set[str] = set()
        if self.starts is not None:
            for match in self.starts.finditer(lowered):
                found |= self.prefixes[match.group(1)]
        return found
    #: Words naming the reported problem ("broken", "leaking"): no sentiment where they describe a thing.
    problems: frozenset[str] = frozenset()
    #: Words that make an outcome partial ("only cleaned half").
    limiters: frozenset[str] = frozenset()
    #: Spelling fixes applied to tokens first ("thx" -> "thanks"), English mostly.
    typos: dict[str, str] = field(default_factory=dict)
    #: With segmentation "chars": every entry, longest first, as one alternation.
    pattern: re.Pattern | None = None
    #: With segmentation "chars": entry -> ("word"|"negator"|"booster"|"contrast", valence).
    entries: dict[str, tuple[str, float]] = field(default_factory=dict)

    def valence(self, token: str) -> float | None:
        """The valence of a word token: the word's own, else its longest stem's, else None."""
        found = self.words.get(token)
        if found is not None:
            return found
        for length, stems in self.stems.items():
            if len(token) >= length:
                found = stems.get(token[:length])
                if found is not None:
                    return found
        return None


def _load(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise LexiconError(f"{path}: {exc}") from exc


def _number(path: Path, table: str, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LexiconError(f"{path}: [{table}] {key!r} must be a number, not {value!r}")
    return float(value)


#: A letter of a regular expression that is not part of an escape (\\S, \\b...).
_UNESCAPED_LETTER = re.compile(r"(?<!\\)[^\W\d_]")
#: Top-level keys, also taken from inside a table (TOML puts a key written after ``[phrases]`` in it).
_TOP = ("language", "name", "version", "confidence", "segmentation", "negators", "contrast", "markers", "problems",
        "limiters")


def _hoist(raw: dict) -> dict:
    """`raw` with top-level keys written inside a table moved back to the top."""
    for table in ("words", "phrases", "boosters", "flags", "typos"):
        inner = raw.get(table)
        if isinstance(inner, dict):
            for key in _TOP:
                if key in inner and key not in raw:
                    raw[key] = inner.pop(key)
    return raw


def _build(path: Path) -> Lexicon:
    raw = _hoist(_load(path))
    code = raw.get("language") or path.stem
    segmentation = raw.get("segmentation", "words")
    if segmentation not in ("words", "chars"):
        raise LexiconError(f"{path}: segmentation must be 'words' or 'chars', not {segmentation!r}")
    lex = Lexicon(code=code, name=raw.get("name", code), version=int(raw.get("version", 1)),
                  confidence=float(raw.get("confidence", 0.6)), segmentation=segmentation)
    lex.negators = frozenset(str(n).lower() for n in raw.get("negators", ()))
    lex.contrast = tuple(tuple(tokens(c)) or (str(c).lower(),) for c in raw.get("contrast", ()))
    if lex.contrast:
        spelled = sorted({str(c).lower().strip() for c in raw.get("contrast", ())} - {""}, key=lambda c: (-len(c), c))
        body = "|".join(map(re.escape, spelled))
        lex.contrast_pattern = re.compile(body if segmentation == "chars" else rf"(?<!\w)(?:{body})(?!\w)")
    lex.boosters = {str(k).lower(): _number(path, "boosters", k, v) for k, v in raw.get("boosters", {}).items()}
    lex.markers = frozenset(str(m).lower() for m in raw.get("markers", ()))
    lex.problems = frozenset(str(m).lower() for m in raw.get("problems", ()))
    lex.limiters = frozenset(str(m).lower() for m in raw.get("limiters", ()))
    lex.typos = {str(k).lower(): str(v).lower() for k, v in raw.get("typos", {}).items()}
    for key, value in raw.get("words", {}).items():
        word, valence = str(key).lower().strip(), _number(path, "words", key, value)
        if word.endswith("*") and len(word) > 1 and segmentation == "words":
            lex.stems.setdefault(len(word) - 1, {})[word[:-1]] = valence
        else:
            lex.words[word.rstrip("*")] = valence
    lex.stems = dict(sorted(lex.stems.items(), reverse=True))  # longest stems first
    phrases = []
    for key, value in raw.get("phrases", {}).items():
        phrases.append((str(key).lower().strip(), _number(path, "phrases", key, value)))
    if segmentation == "words":
        for text, valence in phrases:
            words = tuple(tokens(text))
            if words:
                lex.phrases.setdefault(words[0], []).append((words, valence))
        for options in lex.phrases.values():
            options.sort(key=lambda item: -len(item[0]))
    else:
        entries: dict[str, tuple[str, float]] = {}
        for word, valence in lex.words.items():
            entries[word] = ("word", valence)
        for text, valence in phrases:
            entries[text] = ("word", valence)
        for word in lex.negators:
            entries.setdefault(word, ("negator", 0.0))
        for word, boost in lex.boosters.items():
            entries.setdefault(word, ("booster", boost))
        for words in lex.contrast:
            entries.setdefault("".join(words), ("contrast", 0.0))
        lex.entries = {k: v for k, v in entries.items() if k}
        if lex.entries:
            lex.pattern = re.compile("|".join(map(re.escape, sorted(lex.entries, key=lambda e: (-len(e), e)))))
    for name, patterns in raw.get("flags", {}).items():
        if name not in FLAGS:
            raise LexiconError(f"{path}: unknown flag {name!r} (known: {', '.join(FLAGS)})")
        patterns = [patterns] if isinstance(patterns, str) else list(patterns)
        compiled = []
        for pattern in patterns:
            # Flags are searched in lower-cased text: a lower-cased pattern finds what re.IGNORECASE would,
            # in half the time (case-insensitive matching defeats the regex engine's prefix scans).
            pattern = _UNESCAPED_LETTER.sub(lambda m: m.group(0).lower(), pattern)
            try:
                starts = literal_starts(pattern)
                compiled.append((re.compile(pattern), frozenset(starts) if starts else None))
            except re.error as exc:
                raise LexiconError(f"{path}: [flags] {name}: {exc} in {pattern!r}") from exc
        if compiled:
            lex.flags.append((name, compiled))
    lex.flags.sort(key=lambda item: FLAGS.index(item[0]))
    every = sorted({s for _, patterns in lex.flags for _, starts in patterns for s in starts or ()},
                   key=lambda s: (-len(s), s))
    if every:
        lex.starts = re.compile("(?=(" + "|".join(map(re.escape, every)) + "))")
        lex.prefixes = {s: frozenset(t for t in every if s.startswith(t)) for s in every}
    return lex


def literal_starts(pattern: str) -> tuple[str, ...] | None:
    """Strings every match of `pattern` starts with (lower-cased), or None when some match need not.

    A regular expression search tries every position of the text; most comments raise
    no flag, and checking first that one of these strings occurs (``in``, at memory
    speed) skips the search for them.

    >>> literal_starts(r"\\b(closed|resolved)\\b.{0,9}still|\\bnot yet")
    ('closed', 'not yet', 'resolved')
    >>> literal_starts(r"\\b\\d+ weeks") is None
    True
    """
    try:
        parsed = _sre_parser.parse(pattern)
    except re.error:
        return None
    found = _starts(list(parsed))
    return tuple(sorted(found)) if found else None


def _starts(items: list) -> set[str] | None:
    i = 0  # zero-width starts (\b, ^, look-behinds) say nothing of the first character
    while i < len(items) and items[i][0] in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
        i += 1
    if i == len(items):
        return None
    op, av = items[i]
    if op is _sre.LITERAL:
        text = ""
        while i < len(items) and items[i][0] is _sre.LITERAL:
            text += chr(items[i][1])
            i += 1
        return {text.lower()}
    if op is _sre.IN and len(av) <= 8 and all(kind is _sre.LITERAL for kind, _ in av):
        return {chr(code).lower() for _, code in av}
    if op is _sre.SUBPATTERN:
        inner = _starts(list(av[-1]))
        if inner is None:
            return None
        rest = _starts(items[i + 1:]) if all(s == "" for s in inner) else None
        return rest if rest is not None and all(s == "" for s in inner) else inner
    if op is _sre.BRANCH:
        union: set[str] = set()
        for branch in av[1]:
            found = _starts(list(branch))
            if not found or "" in found:
                return None
            union |= found
        return union
    return None


@cache
def lexicon(code: str) -> Lexicon | None:
    """The lexicon of language `code`, or None when there is no data file for it."""
    path = DATA_DIR / f"{code}.toml"
    return _build(path) if path.is_file() else None


@cache
def lexicons() -> dict[str, Lexicon]:
    """Every language's lexicon, by code."""
    return {path.stem: lexicon(path.stem) for path in sorted(DATA_DIR.glob("*.toml")) if path.stem != "common"}


@cache
def common() -> dict:
    """What every language shares: ``emoji`` (emoji -> valence)."""
    path = DATA_DIR / "common.toml"
    raw = _load(path) if path.is_file() else {}
    return {"emoji": {str(k): _number(path, "emoji", k, v) for k, v in raw.get("emoji", {}).items()}}


@cache
def data_version() -> str:
    """A short hash of every data file: changes whenever the data does."""
    digest = hashlib.sha256()
    for path in sorted(DATA_DIR.glob("*.toml")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]

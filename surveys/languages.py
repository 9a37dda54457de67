"""The languages residents can answer in.

Codes are BCP 47 tags as used in HTML ``lang`` attributes.

Examples
--------
>>> get("ar").rtl
True
>>> best_match(["es-MX", "en"])
'es'
>>> best_match(["zh-TW"])
'zh-Hant'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Language", "LANGUAGES", "CODES", "DEFAULT", "get", "is_supported", "best_match", "normalize"]


@dataclass(frozen=True)
class Language:
    """A resident language: its code, its own name, its English name and direction."""

    code: str
    native: str
    english: str
    rtl: bool = False

    @property
    def dir(self) -> str:
        return "rtl" if self.rtl else "ltr"


#: English first, then the city's other resident languages.
LANGUAGES: tuple[Language, ...] = (
    Language("en", "English", "English"),
    Language("es", "Español", "Spanish"),
    Language("zh-Hans", "简体中文", "Chinese (Simplified)"),
    Language("zh-Hant", "繁體中文", "Chinese (Traditional)"),
    Language("vi", "Tiếng Việt", "Vietnamese"),
    Language("ru", "Русский", "Russian"),
    Language("ar", "العربية", "Arabic", rtl=True),
    Language("ht", "Kreyòl ayisyen", "Haitian Creole"),
    Language("fr", "Français", "French"),
    Language("pt", "Português", "Portuguese"),
    Language("ko", "한국어", "Korean"),
    Language("bn", "বাংলা", "Bengali"),
    Language("pl", "Polski", "Polish"),
    Language("ur", "اردو", "Urdu", rtl=True),
    Language("tl", "Tagalog", "Tagalog"),
    Language("km", "ខ្មែរ", "Khmer"),
    Language("so", "Soomaali", "Somali"),
)
CODES: tuple[str, ...] = tuple(lang.code for lang in LANGUAGES)
DEFAULT = "en"

_BY_CODE = {lang.code: lang for lang in LANGUAGES}
_BY_LOWER = {code.lower(): code for code in CODES}
# Regional and legacy tags that mean one of ours.
_ALIASES = {
    "zh": "zh-Hans", "zh-cn": "zh-Hans", "zh-sg": "zh-Hans", "zh-hans-cn": "zh-Hans",
    "zh-tw": "zh-Hant", "zh-hk": "zh-Hant", "zh-mo": "zh-Hant", "zh-hant-tw": "zh-Hant",
    "fil": "tl", "kh": "km", "cn": "zh-Hans",
}


def normalize(tag: str | None) -> str | None:
    """Return our code for a language tag (any case, region, or "_" separator), or None.

    >>> normalize("ES_mx"), normalize("zh_TW"), normalize("xx")
    ('es', 'zh-Hant', None)
    """
    if not tag:
        return None
    tag = tag.strip().replace("_", "-").lower()
    if tag in _BY_LOWER:
        return _BY_LOWER[tag]
    if tag in _ALIASES:
        return _ALIASES[tag]
    base = tag.split("-")[0]
    return _BY_LOWER.get(base) or _ALIASES.get(base)


def is_supported(code: str) -> bool:
    """True for one of the LANGUAGES codes exactly."""
    return code in _BY_CODE


def get(code: str) -> Language:
    """The Language for a code or tag, English when unknown."""
    return _BY_CODE[normalize(code) or DEFAULT]


def best_match(tags: Iterable[str]) -> str:
    """The first of `tags` (in preference order) that we support, else English."""
    for tag in tags:
        code = normalize(tag)
        if code:
            return code
    return DEFAULT

"""Resident-facing translations: Flask-Babel, with catalogs compiled in memory from the .po files.

Compiling at first use keeps generated .mo files out of the repository and
needs no build step; a catalog is a few kilobytes and is compiled once per
process.
"""

from __future__ import annotations

from functools import cache, cached_property
from io import BytesIO
from pathlib import Path

import flask_babel
from babel import support
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from flask import Flask, g, has_app_context

from surveys.languages import CODES, DEFAULT, get

__all__ = [
    "init_app", "catalog", "current_language", "use_language", "babel_locale", "update_catalogs",
    "untranslated", "TRANSLATIONS",
]

TRANSLATIONS = Path(__file__).resolve().parent / "translations"

#: Our language codes whose Babel (CLDR) locale id differs.
_BABEL_IDS = {"zh-Hans": "zh_Hans", "zh-Hant": "zh_Hant", "tl": "fil"}


def babel_locale(code: str) -> str:
    """The Babel locale id of a resident language code."""
    return _BABEL_IDS.get(code, code)


@cache
def catalog(code: str) -> support.NullTranslations:
    """The compiled message catalog of a language (identity for English or a missing catalog)."""
    path = _po_path(code)
    if code == DEFAULT or not path.exists():
        return support.NullTranslations()
    with path.open("rb") as fh:
        messages = read_po(fh, locale=babel_locale(code))
    buffer = BytesIO()
    write_mo(buffer, messages, use_fuzzy=False)
    buffer.seek(0)
    return support.Translations(buffer)


def current_language() -> str:
    """The language of this request's resident page (English for staff pages)."""
    return g.get("resident_language", DEFAULT) if has_app_context() else DEFAULT


def use_language(code: str) -> str:
    """Make `code` this request's language; returns the code actually used."""
    code = get(code).code
    g.resident_language = code
    flask_babel.refresh()
    return code


def _po_path(code: str) -> Path:
    return TRANSLATIONS / code / "LC_MESSAGES" / "messages.po"


def update_catalogs() -> dict[str, int]:
    """Merge messages.pot into every language's catalog; returns untranslated counts per language.

    (pybabel update cannot, because our directories are BCP 47 tags such as zh-Hans.)
    """
    with (TRANSLATIONS / "messages.pot").open("rb") as fh:
        template = read_po(fh)
    for code in CODES:
        if code == DEFAULT:
            continue
        path = _po_path(code)
        with path.open("rb") as fh:
            messages = read_po(fh, locale=babel_locale(code))
        messages.update(template, update_header_comment=False)
        with path.open("wb") as fh:
            write_po(fh, messages, width=0, omit_header=False, ignore_obsolete=True)
    catalog.cache_clear()
    return untranslated()


def untranslated() -> dict[str, int]:
    """How many messages each language's catalog lacks (fuzzy counts as missing)."""
    missing = {}
    for code in CODES:
        if code == DEFAULT:
            continue
        with _po_path(code).open("rb") as fh:
            messages = read_po(fh, locale=babel_locale(code))
        missing[code] = sum(1 for m in messages if m.id and (not m.string or m.fuzzy))
    return missing


class _CatalogDomain(flask_babel.Domain):
    def get_translations(self):
        return catalog(current_language())


class _Babel(flask_babel.Babel):
    @cached_property
    def domain_instance(self):
        return _CatalogDomain()


babel = _Babel()


def init_app(app: Flask) -> None:
    """Attach Flask-Babel with vocapp's catalogs and language selection."""
    babel.init_app(app, locale_selector=lambda: babel_locale(current_language()))

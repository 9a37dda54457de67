"""Resident-facing texts are translated into every resident language, placeholders intact."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from surveys.languages import CODES
from vocapp.i18n import TRANSLATIONS, babel_locale, catalog

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def source_messages() -> set[str]:
    """Every message the resident pages use, extracted from the code as `vocapp translations update` does."""
    method_map = [("vocapp/respond/**.py", "python"), ("vocapp/labels.py", "python"),
                  ("vocapp/templates/respond/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT), method_map, keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.fixture(scope="module")
def messages():
    return source_messages()


@pytest.mark.parametrize("code", [c for c in CODES if c != "en"])
def test_catalog_translates_every_resident_message(messages, code):
    with (TRANSLATIONS / code / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        po = read_po(fh, locale=babel_locale(code))
    translated = {m.id: m.string for m in po if m.id and m.string and not m.fuzzy}
    missing = sorted(messages - set(translated))
    assert not missing, f"{code} lacks: {missing} (run `vocapp translations update`, then translate)"
    for msgid in messages:
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(translated[msgid])), (code, msgid)


@pytest.mark.parametrize("code", [c for c in CODES if c != "en"])
def test_catalog_compiles_and_translates(code):
    assert catalog(code).gettext("Send my answers") != "Send my answers"


def test_extraction_finds_the_resident_texts(messages):
    assert {"Send my answers", "Very satisfied", "Please answer this question."} <= messages

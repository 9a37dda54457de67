"""SMS text rules: segment counting at the boundaries, and fitting invitations into one segment."""

from __future__ import annotations

import unicodedata

import pytest

from vocapp.delivery.base import InvalidMessage
from vocapp.delivery.sms import GSM_BASIC, GSM_EXTENDED, check_number, fit_one_segment, is_gsm, segments


def test_the_alphabet_tables_have_their_published_sizes():
    assert len(GSM_BASIC) == 127  # 128 code points less ESC
    assert len(GSM_EXTENDED) == 10
    assert not GSM_BASIC & GSM_EXTENDED


@pytest.mark.parametrize(("body", "expected"), [
    ("", (1, "GSM-7")),
    ("a" * 160, (1, "GSM-7")),
    ("a" * 161, (2, "GSM-7")),
    ("a" * 306, (2, "GSM-7")),
    ("a" * 307, (3, "GSM-7")),
    ("{" * 80, (1, "GSM-7")),
    ("a" * 159 + "€", (2, "GSM-7")),  # 161 septets
    # 152 septets then an escaped pair: the pair moves whole to segment 2, not split 153 | 1.
    ("a" * 152 + "[" + "a" * 152, (3, "GSM-7")),
    ("a" * 151 + "[" + "a" * 153, (2, "GSM-7")),
    ("ü" * 160, (1, "GSM-7")),
    ("a" * 69 + "ç", (1, "UCS-2")),  # lower-case ç is not in GSM 03.38 (only Ç)
    ("中" * 70, (1, "UCS-2")),
    ("中" * 71, (2, "UCS-2")),
    ("中" * 134, (2, "UCS-2")),
    ("中" * 135, (3, "UCS-2")),
    ("😀" * 35, (1, "UCS-2")),  # each emoji is a surrogate pair: two UCS-2 units
    ("😀" * 36, (2, "UCS-2")),
    ("a" * 66 + "😀" + "a" * 66, (3, "UCS-2")),  # the pair is not split across segments
    ("a" * 65 + "😀" + "a" * 67, (2, "UCS-2")),
])
def test_segment_counts(body, expected):
    assert segments(body) == expected


def test_one_non_gsm_character_switches_the_whole_text():
    body = "City 311: how did we do? Reply STOP to opt out. " * 3
    assert segments(body) == (1, "GSM-7")
    assert segments(body.replace("'", "’") + "’") == (3, "UCS-2")
    assert not is_gsm("“quoted”")


def test_fit_keeps_a_text_that_already_fits():
    assert fit_one_segment("A ", "b", " C") == "A b C"


def test_fit_cuts_at_a_word_boundary_with_a_gsm_ellipsis():
    before, after = "City 311: how did we do on ", "? https://311.example.gov/s/Zk3Q STOP to opt out"
    text = fit_one_segment(before, "graffiti removal at " + "the old railway bridge " * 5, after)
    assert segments(text) == (1, "GSM-7")
    assert text.startswith(before) and text.endswith("...? https://311.example.gov/s/Zk3Q STOP to opt out")
    assert "…" not in text
    middle = text[len(before):-len("..." + after)]
    assert middle.split()[-1] in {"the", "old", "railway", "bridge", "at"}  # whole words only
    assert len(text) > 150  # it used the room


def test_fit_prefers_gsm_when_cutting_removes_the_only_unicode_character():
    before, after = "Survey: ", " https://311.example.gov/s/Zk3Q"
    optional = "pothole " * 14 + "near the café"  # "é" is GSM, so use a character that is not: ć
    optional = optional.replace("café", "ćafe")
    text = fit_one_segment(before, optional, after)
    assert segments(text) == (1, "GSM-7")
    assert text.endswith("... https://311.example.gov/s/Zk3Q")


@pytest.mark.parametrize(("before", "optional", "after"), [
    ("您的请求：", "北京市朝阳区建国门外大街一号附近的路灯不亮了已经好几天了请尽快修理谢谢", "。调查：https://311.example.gov/s/Zk3Q"),
    ("សំណើ៖ ", "ភ្លើងបំភ្លឺផ្លូវនៅជិតសាលារៀនមិនដំណើរការទេ ហើយត្រូវការជួសជុលជាបន្ទាន់", " https://311.example.gov/s/Zk3Q"),
])
def test_fit_cuts_scripts_without_spaces_between_characters(before, optional, after):
    text = fit_one_segment(before, optional, after)
    assert segments(text) == (1, "UCS-2")
    assert text.startswith(before) and text.endswith("…" + after)
    kept = text[len(before):-len("…" + after)]
    assert optional.startswith(kept) and kept
    assert not unicodedata.category(optional[len(kept)]).startswith("M")  # no mark torn from its letter


def test_fit_drops_the_optional_part_when_nothing_of_it_fits():
    before, after = "x" * 153, " STOP"
    assert fit_one_segment(before, "anything", after) == before + after


def test_fit_with_two_segments_allowed():
    text = fit_one_segment("Hello ", "word " * 100, "!", max_segments=2)
    assert segments(text) == (2, "GSM-7")
    assert len(text) > 250


@pytest.mark.parametrize("number", ["+15550100311", "+442071838750", "+8613800138000"])
def test_e164_numbers_pass(number):
    assert check_number(number) == number


@pytest.mark.parametrize("number", ["15550100311", "+0123456789", "+1 555 010 0311", "+1555", "+1555010031\n",
                                    "+1234567890123456", ""])
def test_other_numbers_are_invalid(number):
    with pytest.raises(InvalidMessage, match="invalid number"):
        check_number(number)

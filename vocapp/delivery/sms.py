"""SMS text rules: E.164 numbers, GSM-7 versus UCS-2, segment counts, and fitting a text into one segment."""

from __future__ import annotations

import re
import unicodedata

from vocapp.delivery.base import InvalidMessage

__all__ = ["GSM_BASIC", "GSM_EXTENDED", "check_number", "fit_one_segment", "is_gsm", "segments"]

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")

#: The GSM 03.38 default alphabet (without ESC, which introduces the extension table).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: The extension table: each of these is sent as ESC + char and so takes two septets.
GSM_EXTENDED = frozenset("\f^{}\\[~]|€")

# Capacity of one segment alone and of each segment of a concatenated message, whose user data header
# takes 6 bytes (7 septets or 3 UCS-2 code units).
_GSM_SINGLE, _GSM_MULTI = 160, 153
_UCS2_SINGLE, _UCS2_MULTI = 70, 67
_ELLIPSIS_GSM, _ELLIPSIS_UCS2 = "...", "…"  # "…" is not in GSM-7: using it would switch the text to UCS-2


def check_number(number: str) -> str:
    """Return ``number`` if it is in E.164 form (``+`` and 7 to 15 digits), else raise `InvalidMessage`.

    Examples
    --------
    >>> check_number("+15550100311")
    '+15550100311'
    >>> check_number("555-0100")
    Traceback (most recent call last):
    ...
    vocapp.delivery.base.InvalidMessage: invalid number (not E.164)
    """
    if not _E164.fullmatch(number):
        raise InvalidMessage("invalid number (not E.164)")
    return number


def is_gsm(text: str) -> bool:
    """Whether ``text`` can be sent in the GSM-7 alphabet.

    Examples
    --------
    >>> is_gsm("¿Cómo lo hicimos?")  # "ó" is not in GSM-7 (only "ò" is)
    False
    >>> is_gsm("Reply STOP to opt out [€2]")
    True
    """
    return all(c in GSM_BASIC or c in GSM_EXTENDED for c in text)


def _units(text: str) -> tuple[list[int], str, int, int]:
    """The size of each character in the text's encoding, the encoding's name and its segment capacities."""
    if is_gsm(text):
        return [2 if c in GSM_EXTENDED else 1 for c in text], "GSM-7", _GSM_SINGLE, _GSM_MULTI
    # UCS-2 as phones actually send it: UTF-16, so a character outside the BMP (an emoji) takes two units.
    return [2 if ord(c) > 0xFFFF else 1 for c in text], "UCS-2", _UCS2_SINGLE, _UCS2_MULTI


def segments(body: str) -> tuple[int, str]:
    """Return how many SMS segments ``body`` takes and its encoding, ``"GSM-7"`` or ``"UCS-2"``.

    An escaped GSM character or a UTF-16 surrogate pair is never split across
    two segments, which is why a long text can take one segment more than its
    length divided by the capacity suggests. An empty body takes one segment.

    Examples
    --------
    >>> segments("Hello from City 311")
    (1, 'GSM-7')
    >>> segments("x" * 160), segments("x" * 161)
    ((1, 'GSM-7'), (2, 'GSM-7'))
    >>> segments("€" * 80), segments("€" * 81)  # the extension table counts double
    ((1, 'GSM-7'), (2, 'GSM-7'))
    >>> segments("ñ" * 160)  # in the GSM alphabet
    (1, 'GSM-7')
    >>> segments("á" * 70), segments("á" * 71)  # not in it: the whole text goes UCS-2
    ((1, 'UCS-2'), (2, 'UCS-2'))
    >>> segments("شكرا لكم " * 15)
    (3, 'UCS-2')
    """
    sizes, encoding, single, multi = _units(body)
    if sum(sizes) <= single:
        return 1, encoding
    count, used = 1, 0
    for size in sizes:
        if used + size > multi:
            count, used = count + 1, 0
        used += size
    return count, encoding


def _fits(text: str, max_segments: int) -> bool:
    return segments(text)[0] <= max_segments


def _cut_points(optional: str) -> tuple[list[int], list[int]]:
    """Prefix lengths of ``optional`` that end a word, and every other length that does not split a character from its marks."""
    words = [i for i in range(len(optional) - 1, 0, -1) if optional[i].isspace() and not optional[i - 1].isspace()]
    # Never separate a base character from its combining marks (Arabic harakat, Khmer and Devanagari vowels).
    chars = [i for i in range(len(optional) - 1, 0, -1) if not unicodedata.category(optional[i]).startswith("M")]
    return words, chars


def fit_one_segment(before: str, optional: str, after: str = "", *, max_segments: int = 1) -> str:
    """Return ``before + optional + after``, shortening the optional part until the text fits ``max_segments`` segments.

    The optional part (a service name, a request description) is cut at a
    word boundary when a whole word still fits, else between characters
    (scripts without spaces), and gets an ellipsis: ``...`` in a GSM-7 text,
    ``…`` in a UCS-2 one, so the ellipsis itself never changes the encoding.
    When not even one character fits the optional part is dropped; ``before``
    and ``after`` are never cut, so the result can still exceed the limit.

    Examples
    --------
    >>> link = " https://311.example.gov/s/Xy7kP2 Reply STOP to opt out"
    >>> fit_one_segment("City 311: how did we do on ", "your pothole repair?", link)
    'City 311: how did we do on your pothole repair? https://311.example.gov/s/Xy7kP2 Reply STOP to opt out'
    >>> text = fit_one_segment("City 311: how did we do on ", "Street light out at the corner of Main St and 5th Ave near the school?", link)
    >>> text
    'City 311: how did we do on Street light out at the corner of Main St and... https://311.example.gov/s/Xy7kP2 Reply STOP to opt out'
    >>> segments(text)
    (1, 'GSM-7')
    >>> fit_one_segment("X" * 150, "something long", "Y" * 20) == "X" * 150 + "Y" * 20  # required parts too long
    True
    >>> fit_one_segment("سؤال عن ", "طلب إصلاح الإنارة في الشارع الرئيسي قرب المدرسة الابتدائية", " https://311.example.gov/s/Xy7kP2")
    'سؤال عن طلب إصلاح الإنارة في الشارع… https://311.example.gov/s/Xy7kP2'
    """
    full = before + optional + after
    if _fits(full, max_segments):
        return full
    words, chars = _cut_points(optional)
    for cut_points in (words, chars):
        for cut in cut_points:
            prefix = optional[:cut].rstrip(" ,;:-–—")
            if not prefix:
                continue
            plain = before + prefix + after
            ellipsis = _ELLIPSIS_GSM if is_gsm(plain) else _ELLIPSIS_UCS2
            candidate = before + prefix + ellipsis + after
            if _fits(candidate, max_segments):
                return candidate
    return before + after

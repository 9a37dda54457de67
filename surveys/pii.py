"""Masking personal data in residents' comments before they are shown or exported.

`mask_pii` replaces email addresses, phone numbers, street addresses and the
names people give when they introduce themselves with ``[email]``,
``[phone]``, ``[address]`` and ``[name]``. It is a set of precompiled regular
expressions tuned to keep what comments are full of and is not personal:
years, ZIP codes, request numbers (``1-870332239``, ``SR#12345``), counts of
days and bins, street names without a house number.

It masks what it recognises, not everything: a bare name with no
introduction ("Maria called") stays. When in doubt between a name and an
ordinary word it keeps the word ("I'm happy", "this is ridiculous").

Examples
--------
>>> mask_pii("I'm Ana Ruiz, call 213-555-0142 or ana@example.com about 221 Baker Street.")
"I'm [name], call [phone] or [email] about [address]."
>>> mask_pii("I'm happy: SR#12345 fixed in 2024, ZIP 90012.")
"I'm happy: SR#12345 fixed in 2024, ZIP 90012."
"""

from __future__ import annotations

import re

__all__ = ["mask_pii", "PLACEHOLDERS"]

#: What each kind of personal data is replaced with.
PLACEHOLDERS = {"email": "[email]", "phone": "[phone]", "address": "[address]", "name": "[name]"}

# Python's re has no \p{Lu}: spell out the upper-case letters of the Latin, Greek and
# Cyrillic blocks (and Vietnamese's Latin Extended Additional), where names have case.
_UPPER = "".join(ch for ch in map(chr, [*range(0x41, 0x530), *range(0x1E00, 0x1F00)]) if ch.isupper() or ch.istitle())
_UP = f"[{re.escape(_UPPER)}]"
_WORD = r"[^\W\d_][\w'’-]*"

# The look-behinds keep the scans linear: a match may only start where a run of address characters starts.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}\b")
_SPELLED_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]+\s*[\[(]\s*at\s*[\])]\s*[\w-]+(?:\s*[\[(]\s*dot\s*[\])]\s*[\w-]+)+", re.IGNORECASE
)

_EXTENSION = r"(?:\s*(?:x|ext\.?|extension)\s*\d{1,5})?"
# North American numbering: area code and exchange start with 2-9, which keeps "100-200-3000"
# and "1-870332239" (request numbers) out; "#" or "-" before the digits means a reference number.
_US_PHONE = re.compile(
    r"(?<![\w#+-])(?:\+?1[\s.-]?)?(?:\([2-9]\d{2}\)\s?|[2-9]\d{2}[\s.-]?)[2-9]\d{2}[\s.-]?\d{4}(?!\d)" + _EXTENSION,
    re.IGNORECASE,
)
# Seven digits are a phone number only when the comment says so ("call me at 555-0142").
_LOCAL_PHONE = re.compile(
    r"(?P<cue>(?i:\b(?:call|phone|cell|tel|telephone|text|mobile|number)\b)[^\d\n]{0,12}?)"
    r"(?<![\w#-])[2-9]\d{2}[\s.-]\d{4}(?![\d-])"
)
# International numbers need their "+" (or "00") prefix; the digit count is checked afterwards (E.164: at most 15).
# Each group takes all the digits it can (possessive): trying every split of a long run of digits is quadratic.
_INTL_PHONE = re.compile(
    r"(?<![\w#+])(?P<number>(?:\+|00)[1-9]\d{0,2}(?:[\s.-]?\(?\d{1,4}+\)?){2,6})(?!\d)" + _EXTENSION, re.IGNORECASE
)
_DIGIT = re.compile(r"\d")

_SUFFIXES = (
    "St|Street|Ave|Av|Avenue|Blvd|Boulevard|Rd|Road|Dr|Drive|Ln|Lane|Way|Ct|Court|Pl|Place|Terrace|Terr|Ter|"
    "Hwy|Highway|Pkwy|Parkway|Cir|Circle|Sq|Square|Trl|Trail|Pike|Aly|Alley|Plaza|Plz|Loop|Expy|Expressway|"
    "Fwy|Freeway|Crescent|Cres|Row|Walk"
)
# Words that precede the street's name (Spanish, French, Portuguese, Vietnamese, Polish ...).
_PREFIXES = r"Calle|Avenida|Avda|Camino|Paseo|Carrera|Rue|Avenue|Boulevard|Chemin|All[ée]e|Rua|Travessa|Đường|Phố|Ulica"
_HOUSE = r"(?<![\w#$.,/-])\d{1,6}(?:-\d{1,5})?[A-Za-z]?\s+"
_DIRECTION = r"(?:(?i:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\.?\s+)?"
_NAME_PART = rf"(?:{_UP}[\w'’-]*|\d{{1,4}}(?:st|nd|rd|th))"
# A lower-case street name only before an unambiguous suffix, and never a count ("3 days street").
_LOWER_NAME = (r"(?!(?:minutes?|hours?|days?|weeks?|months?|years?|times?|blocks?|miles?|lanes?|way|ways|one|two|"
               r"the|a|an|on|in|at|of|to|my|our|dead)\b)[a-z\u00df-\u00ff]+")
# Keep an abbreviation's period only inside a sentence ("St. again"), not when it ends one ("Ave. Call").
_ABBREVIATION_DOT = r"(?:\.(?=\s+[a-z\d]|,))?"
_UNIT = r"(?:,?\s+(?i:apt|apartment|unit|suite|ste)\.?\s*#?\w{1,6}|\s*#\d{1,6}[A-Za-z]?)?"
_AFTER = rf"(?:\s+(?:N|S|E|W|NE|NW|SE|SW)\b)?{_ABBREVIATION_DOT}{_UNIT}"
_ADDRESS = re.compile(
    rf"{_HOUSE}{_DIRECTION}(?:{_NAME_PART}(?:\s+{_NAME_PART}){{0,3}}\s+(?i:{_SUFFIXES})\b"
    rf"|{_LOWER_NAME}\s+(?i:street|st|avenue|ave|blvd|boulevard)\b){_AFTER}"
    rf"|{_HOUSE}(?i:{_PREFIXES})\.?\s+(?:(?i:de|del|de la|des|du|do|da|dos|das|di|la|le|les)\s+)?"
    rf"(?:{_NAME_PART}(?:\s+{_NAME_PART}){{0,2}}|{_LOWER_NAME}){_UNIT}"
)
_PO_BOX = re.compile(r"\b(?i:P\.?\s?O\.?\s*Box)\s+\d{1,8}\b")

# Introductions after which a name is certain: the name may be lower-case and up to three words long.
_SURE = (
    r"my\s+name\s+is|my\s+name['’]s|me\s+llamo|mi\s+nombre\s+es|je\s+m['’]\s?appelle|meu\s+nome\s+é|me\s+chamo|"
    r"mwen\s+rele|non\s+mwen\s+se|nazywam\s+się|mam\s+na\s+imię|tên\s+tôi\s+là|tôi\s+tên\s+là|меня\s+зовут|"
    r"мо[её]\s+имя|ang\s+pangalan\s+ko\s+ay|magacaygu\s+waa"
)
# Introductions as often followed by an adjective: only capitalised words count (up to three), never in Title Case.
_MAYBE = r"i\s+am|i['’]m|this\s+is"
_INTRO = re.compile(rf"(?<!\w)(?P<trigger>(?i:{_SURE}|{_MAYBE}))(?P<space>\s+)(?P<words>{_WORD}(?:\s+{_WORD}){{0,2}})")
_SURE_TRIGGER = re.compile(rf"(?i:{_SURE})\Z")
_WORDS = re.compile(_WORD)
_NEXT_TWO = re.compile(rf"\s+({_WORD})\s+({_WORD})")
# Scripts without case: the next tokens after the introduction are the name.
_ARABIC_BENGALI = r"[\u0600-\u06ff\u0980-\u09ff]+"
_CASELESS = re.compile(
    rf"(?P<trigger>اسمي|اسمی|میرا\s+نام|আমার\s+নাম)(?P<space>\s*)(?P<words>{_ARABIC_BENGALI}(?:\s+{_ARABIC_BENGALI})?)"
    r"|(?P<trigger2>(?:제|내|저의)\s+이름은)(?P<space2>\s*)(?P<words2>[\uac00-\ud7af]+)"
    # 叫 also means "to call": not when a particle or a pronoun follows ("我叫了三次", I called three times).
    r"|(?P<trigger3>我叫|我的名字是|我的名字叫|我名叫|私の名前は|わたしの名前は)(?P<space3>\s*)"
    r"(?P<words3>(?![了过着他她它你人车])[\u4e00-\u9fff\u30a0-\u30ff]{1,3})"
    r"|(?P<trigger4>ខ្ញុំឈ្មោះ)(?P<space4>\s*)(?P<words4>[\u1780-\u17d3]{1,12})"
)

# The first letters of those introductions: a cheap test that spares most comments the scan.
_CASELESS_HINT = re.compile("[\u0627\u0645\u0622\u0986\uc81c\ub0b4\uc800\u6211\u79c1\u308f\u1781]")

# Capitalised words that follow "I am" / "this is" without being names (and lower-case words after "my name is").
_NOT_NAMES = frozenset({
    'i', "i'm", 'im', 'a', 'an', 'the', 'not', 'no', 'so', 'very', 'really', 'just', 'also', 'still', 'here',
    'there', 'now', 'back', 'home', 'out', 'on', 'in', 'at', 'of', 'to', 'from', 'for', 'with', 'by', 'and', 'or',
    'but', 'as', 'is', 'was', 'be', 'being', 'been', 'that', 'this', 'it', 'its', 'my', 'your', 'our', 'their',
    'his', 'her', 'sure', 'sorry', 'happy', 'glad', 'upset', 'sad', 'angry', 'mad', 'tired', 'sick',
    'disappointed', 'frustrated', 'furious', 'concerned', 'worried', 'writing', 'calling', 'emailing', 'reaching',
    'contacting', 'trying', 'going', 'asking', 'done', 'fed', 'afraid', 'unhappy', 'satisfied', 'dissatisfied',
    'pleased', 'grateful', 'thankful', 'confused', 'shocked', 'disgusted', 'appalled', 'annoyed', 'livid',
    'outraged', 'amazed', 'impressed', 'american', 'african', 'asian', 'black', 'white', 'hispanic', 'latino',
    'latina', 'latinx', 'mexican', 'chinese', 'korean', 'vietnamese', 'filipino', 'armenian', 'russian', 'spanish',
    'english', 'french', 'haitian', 'somali', 'cambodian', 'polish', 'arabic', 'muslim', 'christian', 'jewish',
    'catholic', 'democrat', 'republican', 'resident', 'homeowner', 'owner', 'tenant', 'renter', 'neighbor',
    'neighbour', 'senior', 'veteran', 'disabled', 'elderly', 'old', 'new', 'ridiculous', 'unacceptable',
    'terrible', 'awful', 'horrible', 'absurd', 'insane', 'crazy', 'outrageous', 'disgusting', 'pathetic',
    'embarrassing', 'frustrating', 'annoying', 'dangerous', 'urgent', 'important', 'serious', 'great', 'good',
    'bad', 'fine', 'ok', 'okay', 'why', 'what', 'how', 'where', 'when', 'who', 'which', 'because', 'typical',
    'ongoing', 'getting', 'taking', 'making', 'having', 'again', 'monday', 'tuesday', 'wednesday', 'thursday',
    'friday', 'saturday', 'sunday', 'january', 'february', 'march', 'july', 'september', 'october', 'november',
    'december', 'el', 'la', 'los', 'las', 'un', 'una', 'le', 'les', 'de', 'del', 'des', 'du', 'um', 'uma', 'o',
    'os', 'lo', 'se',
})


def _capitalised(word: str, allow_shouting: bool) -> bool:
    return word[0].isupper() and (allow_shouting or len(word) == 1 or not word.isupper())


def _name(match: re.Match[str]) -> str:
    trigger = match.group("trigger")
    sure = _SURE_TRIGGER.search(trigger) is not None
    last = trigger.split()[-1]
    if not sure and last != trigger and last[0].isupper():
        return match.group()  # "I Am" / "This Is": title-cased text, where capitals say nothing
    words = list(_WORDS.finditer(match.group("words")))
    taken = 0
    for i, word in enumerate(words):
        text = word.group()
        shouting = len(text) > 1 and text.isupper()
        # Only the first word can be an adjective ("I'm Sorry"); after a name, "White" or "Young" is a surname.
        # After "my name is" even the first is a name when capitalised ("An"). In capitals, any word is suspect.
        suspect = shouting or (i == 0 and (not sure or text.islower()))
        if suspect and text.lower().strip("'’-") in _NOT_NAMES:
            break
        if _capitalised(text, allow_shouting=sure):
            taken += 1
        elif sure and i == 0 and text.islower():
            taken = 1  # "my name is john": lower case, so only one word can be trusted
            break
        else:
            break
    if not taken:
        return match.group()
    offset = match.start("words")
    end = offset + words[taken - 1].end()
    if not sure:
        following = _NEXT_TWO.match(match.string, end)
        if following and all(_capitalised(w, allow_shouting=False) for w in following.groups()):
            return match.group()  # "I'm Very Upset With The Service"
    return match.string[match.start():offset] + PLACEHOLDERS["name"] + match.string[end:match.end()]


def _caseless_name(match: re.Match[str]) -> str:
    for suffix in ("", "2", "3", "4"):
        if match.group("trigger" + suffix) is not None:
            return match.group("trigger" + suffix) + match.group("space" + suffix) + PLACEHOLDERS["name"]
    return match.group()  # pragma: no cover - one alternative always matched


def _intl_phone(match: re.Match[str]) -> str:
    number = match.group("number")
    digits = len(_DIGIT.findall(number)) - (2 if number.startswith("00") else 0)
    return PLACEHOLDERS["phone"] if 8 <= digits <= 15 else match.group()


def mask_pii(text: str) -> str:
    """Return `text` with email addresses, phone numbers, street addresses and introduced names masked.

    Parameters
    ----------
    text : str
        A resident's comment, any length, any script.

    Returns
    -------
    str
        The comment with ``[email]``, ``[phone]``, ``[address]`` and ``[name]`` in place of
        personal data; unchanged when there is none. Masking twice changes nothing more.

    Raises
    ------
    TypeError
        If `text` is not a str.

    Examples
    --------
    >>> mask_pii("Hola, me llamo José García, vivo en 12 Calle Ocho.")
    'Hola, me llamo [name], vivo en [address].'
    >>> mask_pii("Call +1 (213) 555-0142 or +44 20 7946 0958, request 1-870332239.")
    'Call [phone] or [phone], request 1-870332239.'
    >>> mask_pii("This is Kim. I'm not happy, this is ridiculous.")
    "This is [name]. I'm not happy, this is ridiculous."
    """
    if not isinstance(text, str):
        raise TypeError(f"mask_pii expects a str, got {type(text).__name__}")
    if not text:
        return text
    # Emails first: their digits and dots would otherwise look like phones or addresses.
    # The cheap membership tests skip the scans most comments do not need.
    if "@" in text:
        text = _EMAIL.sub(PLACEHOLDERS["email"], text)
    if "[" in text or "(" in text:
        text = _SPELLED_EMAIL.sub(PLACEHOLDERS["email"], text)
    if _DIGIT.search(text):
        text = _US_PHONE.sub(PLACEHOLDERS["phone"], text)
        text = _LOCAL_PHONE.sub(lambda m: m.group("cue") + PLACEHOLDERS["phone"], text)
        if "+" in text or "00" in text:
            text = _INTL_PHONE.sub(_intl_phone, text)
        text = _ADDRESS.sub(PLACEHOLDERS["address"], text)
        text = _PO_BOX.sub(PLACEHOLDERS["address"], text)
    text = _INTRO.sub(_name, text)
    if _CASELESS_HINT.search(text):
        text = _CASELESS.sub(_caseless_name, text)
    return text

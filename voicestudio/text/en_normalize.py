"""English text normalisation: numbers, money, times, units and abbreviations into words.

The output keeps letters, spaces, apostrophes and the v2 punctuation, which is what the
English G2P reads. The rules follow the GPT-SoVITS v2 English cleaner (its checkpoints were
trained on that spelling), with one deliberate change: common titles (Dr., St., Mr. …) are
read as words, so that "Dr. Smith" is not pronounced "drive Smith".

Known upstream behaviour kept for now: a clock time gets "a.m."/"p.m." from its hour, so
"9:30 a.m." reads "nine thirty a.m. a.m." (see the fixture test's notes).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import inflect

from voicestudio.text.symbols import PUNCTUATION


@cache
def _inflect() -> inflect.engine:
    return inflect.engine()


# Only sentence-final CJK marks become English punctuation; other marks (; : ，) are dropped
# below, as in the cleaner the checkpoints were trained with (a comma there would add pauses
# the models never learnt). Curly apostrophes are straightened so "it’s" stays one word.
_MARKS = {"。": ".", "！": "!", "？": "?", "’": "'"}
_UNIT_NAMES = {
    "m": ("meter", "meters"), "km": ("kilometer", "kilometers"),
    "km/h": ("kilometer per hour", "kilometers per hour"), "ft": ("feet", "feet"),
    "L": ("liter", "liters"), "tbsp": ("tablespoon", "tablespoons"),
    "tsp": ("teaspoon", "teaspoons"), "h": ("hour", "hours"), "min": ("minute", "minutes"),
    "s": ("second", "seconds"), "°C": ("degree celsius", "degrees celsius"),
    "°F": ("degree fahrenheit", "degrees fahrenheit"),
}
# Titles and street words that are only ever read one way before a name.
_TITLES = {
    "Dr": "Doctor", "Mr": "Mister", "Mrs": "Missus", "Ms": "Miz", "Prof": "Professor",
    "St": "Saint", "Jr": "Junior", "Sr": "Senior", "Mt": "Mount", "Gen": "General",
    "Capt": "Captain", "Lt": "Lieutenant", "Sgt": "Sergeant", "Rev": "Reverend",
}
# Month abbreviations before a day number: "Jan. 5th" reads "January fifth".
_MONTHS = {
    "Jan": "January", "Feb": "February", "Mar": "March", "Apr": "April", "Jun": "June",
    "Jul": "July", "Aug": "August", "Sep": "September", "Sept": "September",
    "Oct": "October", "Nov": "November", "Dec": "December",
}
_MONTH = re.compile(r"\b(" + "|".join(_MONTHS) + r")\.(?=\s*[0-9])")
_TITLE = re.compile(r"\b(" + "|".join(_TITLES) + r")\.(?=\s*[A-Z0-9\u4e00-\u9fff])")
# "12 Baker St." at the end of an address reads Street, not Saint.
_STREET = re.compile(r"(?<=[a-z]) St\.")

_LIST_ORDINAL = re.compile(r"\b([0-9]+)\. ")
_ARITHMETIC_OPERAND = (
    r"((-?)((\d+)(\.\d+)?[⁰¹²³⁴⁵⁶⁷⁸⁹ˣʸⁿ]*)|(\.\d+[⁰¹²³⁴⁵⁶⁷⁸⁹ˣʸⁿ]*)|([A-Za-z][⁰¹²³⁴⁵⁶⁷⁸⁹ˣʸⁿ]*))"
)
_ARITHMETIC = re.compile(_ARITHMETIC_OPERAND + r"\s+([\+\-\×÷=])\s+" + _ARITHMETIC_OPERAND)
_ARITHMETIC_WORDS = {"+": " plus ", "-": " minus ", "×": " times ", "÷": " divided by ",
                     "=": " Equals "}
_NEGATIVE = re.compile(r"(?:^|\s+)(-)(\d+)")
_GROUPED_NUMBER = re.compile(r"([0-9][0-9\,]+[0-9])")
# A clock time, with the a.m./p.m. the writer may have added (read once, never twice).
_TIME = re.compile(
    r"\b([01]?[0-9]|2[0-3]):([0-5][0-9])(?![0-9])(?:\s*([AaPp])\.?\s?[Mm](?![A-Za-z])\.?)?"
)
# What is left of "a:b" after clock times is a ratio or score: "3:1" reads "three to one".
_RATIO = re.compile(r"\b([0-9]+):([0-9]+)\b")
_MEASURE = re.compile(r"\b([0-9]+(\.[0-9]+)?(m|km|km/h|ft|L|tbsp|tsp|h|min|s|°C|°F))\b")
_POUNDS = (re.compile(r"£([0-9\.\,]*[0-9]+)"), re.compile(r"([0-9\.\,]*[0-9]+)£"))
_DOLLARS = (re.compile(r"\$([0-9\.\,]*[0-9]+)"), re.compile(r"([(0-9\.\,]*[0-9]+)\$"))
_EUROS = (re.compile(r"€([0-9\.\,]*[0-9]+)"), re.compile(r"([0-9\.\,]*[0-9]+)\s?€"))
# Full-width letters and digits (ＡＢＣ１２３) are the same words typed on a CJK keyboard.
_FULLWIDTH_ALNUM = {
    code + 0xFEE0: code for code in range(ord("0"), ord("z") + 1) if chr(code).isalnum()
}
_DECIMAL = re.compile(r"([0-9]+\.\s*[0-9]+)")
_FRACTION = re.compile(r"([0-9]+/[0-9]+)")
_ORDINAL = re.compile(r"[0-9]+(st|nd|rd|th)")
_INTEGER = re.compile(r"[0-9]+")
_PUNCT_CLASS = "".join(re.escape(p) for p in PUNCTUATION)
_REPEATED_MARKS = re.compile(f"([{_PUNCT_CLASS}\\s])([{_PUNCT_CLASS}])+")


def _list_ordinal(m: re.Match[str]) -> str:
    return _inflect().ordinal(m.group(1)) + ", "


def _arithmetic(m: re.Match[str]) -> str:
    return m.group(1) + _ARITHMETIC_WORDS[m.group(8)] + m.group(9)


def _negative(m: re.Match[str]) -> str:
    return f"negative {m.group(2)}"


def _clock(m: re.Match[str]) -> str:
    """'9:30 a.m.' -> 'nine thirty a.m.'. Upstream appends its own guess after the writer's
    period ("a.m. a.m."); we read the period that was written and guess only when none was."""
    hours, minutes = int(m.group(1)), int(m.group(2))
    written = m.group(3)
    if written:
        period = "a.m." if written.lower() == "a" else "p.m."
    else:
        period = "a.m." if hours < 12 else "p.m."
    hours = hours - 12 if hours > 12 else hours
    hour_words = _inflect().number_to_words(hours)
    if minutes == 0:
        return f"{hour_words} o'clock {period}"
    minute_words = _inflect().number_to_words(minutes)
    if minutes < 10:  # "14:05" is "two oh five", not "two five"
        minute_words = f"oh {minute_words}"
    return f"{hour_words} {minute_words} {period}"


def _measure(m: re.Match[str]) -> str:
    unit = m.group(3)
    amount = int(m.group(1).replace(unit, "").replace(".", ""))
    plural = not (m.group(2) is None and amount == 1)
    return m.group(1).replace(unit, " " + _UNIT_NAMES[unit][int(plural)])


def _money(amount: str, unit: tuple[str, str], cents: tuple[str, str], zero: str) -> str:
    parts = amount.split(".")
    if len(parts) > 2:
        return f"{amount} {unit[1]}"
    whole = int(parts[0]) if parts[0] else 0
    small = int(parts[1].ljust(2, "0")) if len(parts) > 1 and parts[1] else 0
    whole_words = f"{whole} {unit[0] if whole == 1 else unit[1]}"
    small_words = f"{small} {cents[0] if small == 1 else cents[1]}"
    if whole and small:
        return f"{whole_words} and {small_words}"
    if whole:
        return whole_words
    if small:
        return small_words
    return zero


def _pounds(m: re.Match[str]) -> str:
    return _money(m.group(1), ("pound", "pounds"), ("penny", "pence"), "zero pounds")


def _dollars(m: re.Match[str]) -> str:
    return _money(m.group(1), ("dollar", "dollars"), ("cent", "cents"), "zero dollars")


def _euros(m: re.Match[str]) -> str:
    return _money(m.group(1), ("euro", "euros"), ("cent", "cents"), "zero euros")


def _decimal(m: re.Match[str]) -> str:
    whole, fraction = m.group(1).split(".")
    return whole + " point " + " ".join(fraction)


def _fraction(m: re.Match[str]) -> str:
    numerator, denominator = (int(x) for x in m.group(0).split("/"))
    top = _inflect().number_to_words(numerator)
    if denominator == 1:
        return top
    if denominator == 2:
        return f"{top} {'half' if numerator == 1 else 'halves'}"
    bottom = _inflect().ordinal(_inflect().number_to_words(denominator))
    return f"{top} {bottom}{'s' if numerator > 1 else ''}"


def _ordinal(m: re.Match[str]) -> str:
    return _inflect().number_to_words(m.group(0))


def _integer(m: re.Match[str]) -> str:
    """Numbers between 1000 and 3000 read as years (nineteen ninety-nine), others as counts."""
    number = int(m.group(0))
    words = _inflect().number_to_words
    if 1000 < number < 3000:
        if number == 2000:
            return "two thousand"
        if 2000 < number < 2010:
            return "two thousand " + words(number % 100)
        if number % 100 == 0:
            return words(number // 100) + " hundred"
        return words(number, andword="", zero="oh", group=2).replace(", ", " ")
    return words(number, andword="")


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def expand_titles(text: str) -> str:
    """'Dr. Smith' -> 'Doctor Smith'; 'Baker St.' -> 'Baker Street'; 'Jan. 5' -> 'January 5'."""
    text = _STREET.sub(" Street", text)
    text = _MONTH.sub(lambda m: _MONTHS[m.group(1)], text)
    return _TITLE.sub(lambda m: _TITLES[m.group(1)], text)


def expand_numbers(text: str) -> str:
    """Digits, money, times, units and ordinals as English words."""
    text = _LIST_ORDINAL.sub(_list_ordinal, text)
    while _ARITHMETIC.search(text):
        text = _ARITHMETIC.sub(_arithmetic, text)
    text = _NEGATIVE.sub(_negative, text)
    text = _GROUPED_NUMBER.sub(lambda m: m.group(1).replace(",", ""), text)
    text = _TIME.sub(_clock, text)
    text = _RATIO.sub(r"\1 to \2", text)
    text = _MEASURE.sub(_measure, text)
    for pattern in _POUNDS:
        text = pattern.sub(_pounds, text)
    for pattern in _DOLLARS:
        text = pattern.sub(_dollars, text)
    for pattern in _EUROS:
        text = pattern.sub(_euros, text)
    text = _DECIMAL.sub(_decimal, text)
    text = _FRACTION.sub(_fraction, text)
    text = _ORDINAL.sub(_ordinal, text)
    return _INTEGER.sub(_integer, text)


def _spell_capitals(text: str) -> str:
    """'NASA' -> 'N A S A', 'PyTorch' -> 'Py Torch': an inner capital starts a new token."""
    return re.sub(r"(?<!^)(?<![\s])([A-Z])", r" \1", text)


def normalize_en(text: str) -> str:
    """Text as the English G2P expects it: words, apostrophes and v2 punctuation."""
    text = text.translate(_FULLWIDTH_ALNUM)
    for written, mark in _MARKS.items():
        text = text.replace(written, mark)
    text = expand_titles(text)
    text = expand_numbers(text)
    text = _strip_accents(text)
    text = text.replace("%", " percent")
    text = re.sub(r"[^ A-Za-z'.,?!\-]", "", text)
    text = re.sub(r"(?i)i\.e\.", "that is", text)
    text = re.sub(r"(?i)e\.g\.", "for example", text)
    text = _spell_capitals(text)
    return _REPEATED_MARKS.sub(r"\1", text)

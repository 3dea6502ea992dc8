"""English text normalisation: numbers, money, dates, units and abbreviations into words.

The output keeps letters, spaces, apostrophes and the v2 punctuation, which is what the
English G2P reads. The rules start from the GPT-SoVITS v2 English cleaner (its checkpoints
were trained on that spelling) and depart from it wherever a listener would hear a broken
sentence; what a careful narrator says is the target. The departures, each a rule the
fixture test checks on any sentence (``tests/text/upstream_departures.py``):

- titles and abbreviations are read as words ("Dr. Smith" is "Doctor Smith", not "drive");
- dotted initials are letters without pauses ("U.S.A." -> "U S A", "a.m." -> "A M"), and a
  clock time keeps the a.m./p.m. that was written instead of adding its own guess;
- money with a scale word reads the scale before the currency ("three point two billion
  dollars"), decades are plurals ("nineteen sixties"), ranges read "to", a minus is read,
  phone numbers go digit by digit, and numbers never contain a pause comma;
- Roman numerals after a chapter word or a ruler's name are numbers ("Louis the fourteenth").
"""

from __future__ import annotations

import re
import unicodedata

from voicestudio.text.en_numbers import (
    pluralise_number_words,
    read_amount,
    read_count,
    read_digits,
    read_ordinal,
    read_year,
)
from voicestudio.text.roman_numerals import roman_value
from voicestudio.text.symbols import PUNCTUATION

# Only sentence-final CJK marks become English punctuation; other marks (; : ，) are dropped
# below, as in the cleaner the checkpoints were trained with (a comma there would add pauses
# the models never learnt). Curly apostrophes are straightened so "it’s" stays one word.
_MARKS = {"。": ".", "！": "!", "？": "?", "’": "'", "−": "-", "\u2011": "-"}
# Full-width letters and digits (ＡＢＣ１２３) are the same words typed on a CJK keyboard.
_FULLWIDTH_ALNUM = {
    code + 0xFEE0: code for code in range(ord("0"), ord("z") + 1) if chr(code).isalnum()
}
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_DASH = r"\s?[–—]\s?|-"

# --- abbreviations ------------------------------------------------------------------------

# Titles read one way before a name ("Dr. Smith"); after a name they may mean else.
_TITLES = {
    "Dr": "Doctor", "Mr": "Mister", "Mrs": "Missus", "Ms": "Miz", "Prof": "Professor",
    "Mt": "Mount", "Gen": "General", "Capt": "Captain", "Lt": "Lieutenant",
    "Sgt": "Sergeant", "Rev": "Reverend", "Gov": "Governor", "Sen": "Senator",
    "Rep": "Representative", "Pres": "President", "Ft": "Fort",
}
_TITLE = re.compile(r"\b(" + "|".join(_TITLES) + r")\.(?=\s*[A-Z0-9\u4e00-\u9fff])")
# Abbreviations read one way wherever they stand; the ones that can end a sentence keep
# its full stop there ("... and so on, etc." ends with a falling tone).
_SENTENCE_FINAL_WORDS = {
    "etc": "et cetera", "Jr": "Junior", "Sr": "Senior", "Inc": "Incorporated",
    "Ltd": "Limited", "Corp": "Corporation", "Co": "Company", "Ave": "Avenue", "Rd": "Road",
    "Blvd": "Boulevard", "Dept": "Department",
}
_WORDS = {
    "vs": "versus", "approx": "approximately", "Fig": "Figure", "Vol": "Volume",
    "Ch": "Chapter", "pp": "pages", **_SENTENCE_FINAL_WORDS,
}
_WORD = re.compile(r"\b(" + "|".join(_WORDS) + r")\.(\s*$|\s+(?=[A-Z]))?")
_LATIN = {"e.g.": "for example", "i.e.": "that is", "cf.": "compare"}
_LATIN_RE = re.compile(r"(?i)\b(e\.\s?g\.|i\.\s?e\.|cf\.)")
# Titles written without a full stop (British style) before a name: "Mrs Smith".
_BARE_TITLE = re.compile(r"\b(Mr|Mrs|Ms|Dr)\s+(?=[A-Z][a-z])")
_CIRCA = re.compile(r"\bc(?:a)?\.\s?(?=\d)")
_NUMBER_SIGN = re.compile(r"\b[Nn]o\.\s?(?=\d)|(?<![\u4e00-\u9fff])#(?=\d)")
# Month abbreviations before a day number: "Jan. 5th" reads "January fifth".
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)
_MONTHS = {
    "Jan": "January", "Feb": "February", "Mar": "March", "Apr": "April", "Jun": "June",
    "Jul": "July", "Aug": "August", "Sep": "September", "Sept": "September",
    "Oct": "October", "Nov": "November", "Dec": "December",
}
_MONTH = re.compile(r"\b(" + "|".join(_MONTHS) + r")\.(?=\s*[0-9])")
# "St." is Saint before a name and Street after one, unless a new sentence starts after it.
_SENTENCE_STARTERS = "He|She|It|They|We|I|You|The|A|An|This|That|There|Then|But|And|So"
_STREET_NUMBER = re.compile(
    r"(\d+(?:st|nd|rd|th)?\s+(?:[A-Z][a-z]+\s+)*)St\.(\s*$|\s+(?=[A-Z]))?"
)
_SAINT = re.compile(r"\bSt\.?\s+(?=[A-Z])(?!(?:" + _SENTENCE_STARTERS + r")\b)")
_STREET = re.compile(r"\bSt\.(\s*$|\s+(?=[A-Z]))?")
# Dotted initials: "U.S.A." and "a.m." are letters said without a pause between them.
_INITIALS = re.compile(r"(?<![A-Za-z.])((?:[A-Za-z]\.){2,})(\s*$)?")
_CLOCK_PERIOD = re.compile(r"(?<=\d)\s?([AaPp])\.?\s?[Mm]\b\.?(\s*$)?")


def _word(m: re.Match[str]) -> str:
    ends_sentence = m.group(2) is not None and m.group(1) in _SENTENCE_FINAL_WORDS
    return _WORDS[m.group(1)] + ("." + m.group(2) if ends_sentence else (m.group(2) or ""))


def _street(sentence_end: str | None) -> str:
    """'St.' as Street, keeping the full stop when it also ends the sentence."""
    return "Street" + ("." + sentence_end if sentence_end is not None else "")


def _initials(m: re.Match[str]) -> str:
    letters = " ".join(m.group(1).replace(".", "").upper())
    return letters + ("." if m.group(2) is not None else "")


def _clock_period(m: re.Match[str]) -> str:
    return f" {m.group(1).upper()} M" + ("." if m.group(2) is not None else "")


def expand_titles(text: str) -> str:
    """Titles, street words, months and other abbreviations as the words a narrator says."""
    text = _LATIN_RE.sub(lambda m: _LATIN[m.group(1).lower().replace(" ", "")], text)
    text = _STREET_NUMBER.sub(lambda m: m.group(1) + _street(m.group(2)), text)
    text = _SAINT.sub("Saint ", text)
    text = _STREET.sub(lambda m: _street(m.group(1)), text)
    text = _MONTH.sub(lambda m: _MONTHS[m.group(1)], text)
    text = _TITLE.sub(lambda m: _TITLES[m.group(1)], text)
    text = _BARE_TITLE.sub(lambda m: _TITLES[m.group(1)] + " ", text)
    text = _CIRCA.sub("circa ", text)
    text = _WORD.sub(_word, text)
    text = _NUMBER_SIGN.sub("number ", text)
    text = _CLOCK_PERIOD.sub(_clock_period, text)
    return _INITIALS.sub(_initials, text)


# --- numbers -------------------------------------------------------------------------------

_ARITHMETIC_OPERAND = (
    r"((-?)((\d+)(\.\d+)?[⁰¹²³⁴⁵⁶⁷⁸⁹ˣʸⁿ]*)|(\.\d+[⁰¹²³⁴⁵⁶⁷⁸⁹ˣʸⁿ]*)|([A-Za-z][⁰¹²³⁴⁵⁶⁷⁸⁹ˣʸⁿ]*))"
)
_ARITHMETIC = re.compile(_ARITHMETIC_OPERAND + r"\s+([\+\-\×÷=])\s+" + _ARITHMETIC_OPERAND)
_ARITHMETIC_WORDS = {"+": " plus ", "-": " minus ", "×": " times ", "÷": " divided by ",
                     "=": " equals "}
# Telephone numbers are said digit by digit, group by group.
_PHONE = re.compile(
    r"(?<![\d-])\+\d{1,3}(?:[ -]\d{2,4}){2,4}(?![\d-])"
    r"|(?<![\d-])(?:\+\d{1,3}[ -])?(?:\(\d{3}\)\s?|\d{3}[-. ])\d{3}[-.]\d{4}(?![\d-])"
    r"|(?<![\d-])\d{3}-\d{4}(?![\d-])"
)
_DIALLED = re.compile(r"(?i)\b((?:call|dial|ring|text)\s+)(\d{3,6})\b(?![.,]\d)")
_FEET_INCHES = re.compile(r"\b(\d+)['′](\d{1,2})(?:\"|″|'')")
_LONG_DIGITS = re.compile(r"(?<![\d.,])(?<!\d[.,])(?:0\d{2,}|\d{7,})(?![\d]|[.,]\d)")
_SCALES = {"thousand": "thousand", "million": "million", "billion": "billion",
           "trillion": "trillion", "k": "thousand", "K": "thousand", "m": "million",
           "M": "million", "mn": "million", "bn": "billion", "b": "billion", "tn": "trillion"}
# Sign, amount, optional scale ("$3.2 billion", "€4.50", "¥1,250", "$5m").
_CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"), "€": ("euro", "euros", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"), "¥": ("yen", "yen", "", ""),
    "₩": ("won", "won", "", ""), "₹": ("rupee", "rupees", "paisa", "paise"),
}
_CURRENCY_CLASS = "".join(re.escape(c) for c in _CURRENCIES)
_SCALE = r"(?:\s?(thousand|million|billion|trillion)\b|(k|K|m|M|mn|bn|b|tn)\b)"
_MONEY_BEFORE = re.compile(rf"(-?)([{_CURRENCY_CLASS}])\s?({_NUM}){_SCALE}?")
_MONEY_AFTER = re.compile(rf"(?<![A-Za-z0-9_.,])({_NUM})\s?([{_CURRENCY_CLASS}])")
_PERCENT = re.compile(rf"(-?)({_NUM})((?:{_DASH})(?:{_NUM}))?\s?([%‰])")
_TIME = re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?(?![\d:])( [AP] M)?")
# What is left of "a:b" after clock times is a ratio or score: "3:1" reads "three to one".
_RATIO = re.compile(r"\b(\d+):(\d+)\b")
_DECADE = re.compile(r"['’]?\b(\d{2}|[12]\d{3})'?s\b")
UNIT_NAMES = {
    "km/h": ("kilometer per hour", "kilometers per hour"), "kph": ("kilometer per hour",
    "kilometers per hour"), "mph": ("mile per hour", "miles per hour"),
    "m/s": ("meter per second", "meters per second"), "km": ("kilometer", "kilometers"),
    "cm": ("centimeter", "centimeters"), "mm": ("millimeter", "millimeters"),
    "m": ("meter", "meters"), "mi": ("mile", "miles"), "ft": ("foot", "feet"),
    "kg": ("kilogram", "kilograms"), "mg": ("milligram", "milligrams"), "g": ("gram", "grams"),
    "lb": ("pound", "pounds"), "lbs": ("pounds", "pounds"), "oz": ("ounce", "ounces"),
    "ml": ("milliliter", "milliliters"), "mL": ("milliliter", "milliliters"),
    "L": ("liter", "liters"), "tbsp": ("tablespoon", "tablespoons"),
    "tsp": ("teaspoon", "teaspoons"), "h": ("hour", "hours"), "hr": ("hour", "hours"),
    "hrs": ("hours", "hours"), "min": ("minute", "minutes"), "s": ("second", "seconds"),
    "sec": ("second", "seconds"), "ms": ("millisecond", "milliseconds"),
    "°C": ("degree Celsius", "degrees Celsius"), "℃": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"), "°": ("degree", "degrees"),
    "KB": ("kilobyte", "kilobytes"), "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"), "TB": ("terabyte", "terabytes"), "Hz": ("hertz", "hertz"),
    "kHz": ("kilohertz", "kilohertz"), "MHz": ("megahertz", "megahertz"),
    "GHz": ("gigahertz", "gigahertz"), "kW": ("kilowatt", "kilowatts"), "W": ("watt", "watts"),
}
_UNIT_ALTERNATIVES = "|".join(
    re.escape(u).replace("°", "° ?") for u in sorted(UNIT_NAMES, key=len, reverse=True)
)
_MEASURE = re.compile(
    rf"(?<![A-Za-z0-9_.,])(-?)({_NUM})((?:{_DASH})(?:{_NUM}))?\s?({_UNIT_ALTERNATIVES})(?![A-Za-z0-9/])"
)
_RANGE = re.compile(rf"(?<![A-Za-z0-9_.,-])({_NUM})(?:{_DASH})({_NUM})(?![A-Za-z0-9_])")
_NEGATIVE = re.compile(r"(?<![A-Za-z0-9_.,)])-(?=\.?\d)")
_MONTH_DAY = re.compile(
    r"\b(" + "|".join(_MONTH_NAMES) + r")\s+(\d{1,2})(?:st|nd|rd|th)?\b(?![:.]\d)"
)
_ISO_DATE = re.compile(r"(?<![\d-])([12]\d{3})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?![\d-])")
_DAY_MONTH = re.compile(
    r"\b([Tt]he\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(" + "|".join(_MONTH_NAMES) + r")\b"
)
_COUNTED_WORDS = (
    "Chapter|Book|Part|Volume|Act|Scene|Section|Article|Appendix|Phase|Stage|Round|Level|"
    "Season|Episode|Class|Type|Title|Canto|Psalm|Grade|Tier|War|Schedule|Lesson|Unit|Item|Bowl"
)
_COUNTED_ROMAN = re.compile(rf"\b({_COUNTED_WORDS})\s+([IVXLCDM]+)\b(?![a-z'])")
_RULERS = "King|Queen|Pope|Emperor|Empress|Tsar|Czar|Prince|Princess|Saint|Duke|Sultan"
_NOT_NAMES = frozenset(
    "The A An In On At Of And Or But For To With By From As My His Her Its Our Their This "
    "That No Not Is Was Be".split()
)
_REGNAL = re.compile(r"\b(?:(" + _RULERS + r")\s+)?([A-Z][a-z]+)\s+([IVXL]+)\b(?![a-z'])")
_FRACTION = re.compile(r"(?<![\d/])(\d+)/(\d+)(?![\d/])")
_ORDINAL = re.compile(r"\b(\d+)(st|nd|rd|th)\b")
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_DECIMAL = re.compile(r"(\d*)\.(\d+)")
_INTEGER = re.compile(r"\d+")
_SYMBOL_WORDS = {"&": " and ", "+": " plus ", "=": " equals ", "@": " at ", "×": " times ",
                 "²": " squared", "³": " cubed"}
_SYMBOL = re.compile("|".join(re.escape(s) for s in _SYMBOL_WORDS))
_WEB_ADDRESS = re.compile(
    r"(?i)\b(?:https?://)?(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*@)?(?:[a-z0-9-]+\.)+"
    r"(?:com|org|net|edu|gov|io|cn|uk|de|fr|jp|info|co)\b(?:/[\w/-]*)?"
)
_SEPARATORS = re.compile(r"[()\[\]{}\"“”/\\*_<>|~^]")
_PUNCT_CLASS = "".join(re.escape(p) for p in PUNCTUATION)
_REPEATED_MARKS = re.compile(f"([{_PUNCT_CLASS}\\s])([{_PUNCT_CLASS}])+")


def _arithmetic(m: re.Match[str]) -> str:
    return m.group(1) + _ARITHMETIC_WORDS[m.group(8)] + m.group(9)


def _phone(m: re.Match[str]) -> str:
    groups = re.findall(r"\+?\d+", m.group(0))
    return ", ".join(("plus " if g.startswith("+") else "") + read_digits(g) for g in groups)


def _feet_inches(m: re.Match[str]) -> str:
    feet, inches = int(m.group(1)), int(m.group(2))
    return (f"{read_count(feet)} {'foot' if feet == 1 else 'feet'} "
            f"{read_count(inches)} {'inch' if inches == 1 else 'inches'}")


def _range_words(first: str, second: str) -> str:
    """'1914', '1918' -> years; '10', '20' -> counts; joined by 'to' as a narrator says it."""
    def one(amount: str) -> str:
        if re.fullmatch(r"1\d{3}|20\d{2}", amount):
            return read_year(int(amount))
        return read_amount(amount)
    return f"{one(first)} to {one(second)}"


def _quantity(sign: str, amount: str, range_tail: str | None) -> tuple[str, bool]:
    """Words of '-5', '3.2' or '5-10' and whether what follows is plural."""
    words = ("minus " if sign else "") + read_amount(amount)
    if range_tail:
        second = re.sub(_DASH, "", range_tail, count=1)
        return f"{words} to {read_amount(second)}", True
    return words, amount not in ("1", "1.0")


def _money(m: re.Match[str]) -> str:
    sign, currency, amount = m.group(1), m.group(2), m.group(3)
    unit, units, cent, cents = _CURRENCIES[currency]
    scale = m.group(4) or (_SCALES[m.group(5)] if m.group(5) else None)
    minus = "minus " if sign else ""
    if scale:
        return f"{minus}{read_amount(amount)} {_SCALES.get(scale, scale)} {units}"
    whole, _, fraction = amount.replace(",", "").partition(".")
    whole_number = int(whole) if whole else 0
    if fraction and (not cent or len(fraction) > 2):
        return f"{minus}{read_amount(amount)} {units}"
    small = int(fraction.ljust(2, "0")) if fraction else 0
    parts = []
    if whole_number or not small:
        parts.append(f"{read_count(whole_number)} {unit if whole_number == 1 else units}")
    if small:
        parts.append(f"{read_count(small)} {cent if small == 1 else cents}")
    return minus + " and ".join(parts)


def _money_after(m: re.Match[str]) -> str:
    units = _CURRENCIES[m.group(2)][1]
    return f"{read_amount(m.group(1))} {units}"


def _percent(m: re.Match[str]) -> str:
    per = " percent" if m.group(4) == "%" else " per mille"
    return _quantity(m.group(1), m.group(2), m.group(3))[0] + per


def _clock(m: re.Match[str]) -> str:
    """'9:30' -> 'nine thirty', '14:05' -> 'fourteen oh five', '5:00' -> "five o'clock".

    No a.m./p.m. is added: a narrator reads the time that was written.
    """
    hours, minutes, period = int(m.group(1)), int(m.group(2)), m.group(4) or ""
    words = read_count(hours)
    if minutes == 0:
        words += "" if period else " o'clock"
    elif minutes < 10:
        words += f" oh {read_count(minutes)}"
    else:
        words += f" {read_count(minutes)}"
    if m.group(3) and int(m.group(3)):
        words += f" and {read_count(int(m.group(3)))} seconds"
    return words + period


def _decade(m: re.Match[str]) -> str:
    number = int(m.group(1))
    if number % 10:
        return m.group(0)
    words = read_year(number) if number >= 1000 else read_count(number)
    return pluralise_number_words(words)


def _measure(m: re.Match[str]) -> str:
    words, plural = _quantity(m.group(1), m.group(2), m.group(3))
    if re.search(r"\b[Aa]n? $", m.string[:m.start()]):
        plural = False  # "a 5 km walk" is a five kilometer walk
    unit = m.group(4).replace(" ", "")
    return f"{words} {UNIT_NAMES[unit][int(plural)]}"


def _month_day(m: re.Match[str]) -> str:
    day = int(m.group(2))
    return f"{m.group(1)} {read_ordinal(day)}" if 1 <= day <= 31 else m.group(0)


def _iso_date(m: re.Match[str]) -> str:
    month = _MONTH_NAMES[int(m.group(2)) - 1]
    return f"{month} {read_ordinal(int(m.group(3)))}, {read_year(int(m.group(1)))}"


def _day_month(m: re.Match[str]) -> str:
    day = int(m.group(2))
    article = m.group(1) or "the "
    return f"{article}{read_ordinal(day)} of {m.group(3)}" if 1 <= day <= 31 else m.group(0)


def _counted_roman(m: re.Match[str]) -> str:
    value = roman_value(m.group(2))
    if value is None or (len(m.group(2)) == 1 and m.group(2) not in "IVX"):
        return m.group(0)  # "Type C", "Section D" are letters, not 100 and 500
    return f"{m.group(1)} {read_count(value)}"


def _regnal(m: re.Match[str]) -> str:
    """'Louis XIV' -> 'Louis the fourteenth'; single I only after a ruler's title."""
    ruler, name, numeral = m.group(1), m.group(2), m.group(3)
    value = roman_value(numeral)
    if value is None or name in _NOT_NAMES or (numeral in ("I", "X") and not ruler):
        return m.group(0)
    prefix = f"{ruler} " if ruler else ""
    return f"{prefix}{name} the {read_ordinal(value)}"


def _fraction(m: re.Match[str]) -> str:
    numerator, denominator = int(m.group(1)), int(m.group(2))
    top = read_count(numerator)
    if denominator == 1:
        return top
    if denominator == 2:
        return f"{top} {'half' if numerator == 1 else 'halves'}"
    if denominator == 4:
        return f"{top} {'quarter' if numerator == 1 else 'quarters'}"
    bottom = read_ordinal(denominator)
    return f"{top} {bottom}{'s' if numerator > 1 else ''}"


def _integer(m: re.Match[str]) -> str:
    """Numbers between 1000 and 3000 read as years (nineteen ninety-nine), others as counts."""
    return read_year(int(m.group(0)))


def expand_numbers(text: str) -> str:
    """Digits, money, times, units, dates and ordinals as English words."""
    while _ARITHMETIC.search(text):
        text = _ARITHMETIC.sub(_arithmetic, text)
    text = _ISO_DATE.sub(_iso_date, text)
    text = _PHONE.sub(_phone, text)
    text = _DIALLED.sub(lambda m: m.group(1) + read_digits(m.group(2)), text)
    text = _FEET_INCHES.sub(_feet_inches, text)
    text = _LONG_DIGITS.sub(lambda m: read_digits(m.group(0)), text)
    text = _MONEY_BEFORE.sub(_money, text)
    text = _MONEY_AFTER.sub(_money_after, text)
    text = _PERCENT.sub(_percent, text)
    text = _TIME.sub(_clock, text)
    text = _RATIO.sub(lambda m: f"{read_count(int(m.group(1)))} to {read_count(int(m.group(2)))}",
                      text)
    text = _DECADE.sub(_decade, text)
    text = _MEASURE.sub(_measure, text)
    text = _MONTH_DAY.sub(_month_day, text)
    text = _DAY_MONTH.sub(_day_month, text)
    text = _RANGE.sub(lambda m: _range_words(m.group(1), m.group(2)), text)
    text = _NEGATIVE.sub("minus ", text)
    text = _COUNTED_ROMAN.sub(_counted_roman, text)
    text = _REGNAL.sub(_regnal, text)
    text = _FRACTION.sub(_fraction, text)
    text = _ORDINAL.sub(lambda m: read_ordinal(int(m.group(1))), text)
    text = _GROUPED.sub(lambda m: read_amount(m.group(0)), text)
    text = _DECIMAL.sub(lambda m: read_amount(m.group(0)), text)
    return _INTEGER.sub(_integer, text)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def _spell_capitals(text: str) -> str:
    """'NASA' -> 'N A S A', 'PyTorch' -> 'Py Torch': an inner capital starts a new token."""
    return re.sub(r"(?<!^)(?<![\s])([A-Z])", r" \1", text)


def _web_address(m: re.Match[str]) -> str:
    """'www.example.com' -> 'www dot example dot com' (a bare dot would be a pause)."""
    address = re.sub(r"^https?://", "", m.group(0))
    return address.replace(".", " dot ").replace("/", " slash ").replace("@", " at ")


def normalize_en(text: str) -> str:
    """Text as the English G2P expects it: words, apostrophes and v2 punctuation."""
    text = text.translate(_FULLWIDTH_ALNUM)
    text = _WEB_ADDRESS.sub(_web_address, text)
    for written, mark in _MARKS.items():
        text = text.replace(written, mark)
    text = expand_titles(text)
    text = expand_numbers(text)
    text = _strip_accents(text)
    text = text.replace("%", " percent")
    text = _SYMBOL.sub(lambda m: _SYMBOL_WORDS[m.group(0)], text)
    # Brackets, quotes and slashes separate words; other characters (Chinese in an English
    # reading, emoji) are dropped without a space, as the cleaner the models learnt from did.
    text = _SEPARATORS.sub(" ", text)
    text = re.sub(r"[^ A-Za-z'.,?!\-]", "", text)
    text = re.sub(r" +([.,?!])", r"\1", re.sub(r" {2,}", " ", text)).strip()
    text = _spell_capitals(text)
    return _REPEATED_MARKS.sub(r"\1", text)

"""Where our frontend deliberately reads differently from upstream GPT-SoVITS v2, as rules.

Imported by name (not a conftest) by the fixture test. A fixture sentence whose phones differ
from upstream's counts as accounted for only when every stretch where the two normalised
texts differ is explained by one of these rules, and our G2P turns upstream's normalised
text into upstream's phones (so the only difference is the reading, never the phone stage).
The rules look at the input sentence and at the differing words, never at which sentence
it is, so they judge any fixture folder of this format the same way.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

from voicestudio.text.en_normalize import UNIT_NAMES
from voicestudio.text.en_numbers import (
    pluralise_number_words,
    read_count,
    read_ordinal,
)
from voicestudio.text.roman_numerals import roman_value

# Dotted initials ("a.m.", "U.S.A.") are one token, so that their dots do not pair up with
# other full stops when the two readings are aligned.
_TOKEN = re.compile(r"(?:[A-Za-z]\.){2,}|[A-Za-z']+|[\u4e00-\u9fff]|\S")
_EN_NUMBER_WORDS = frozenset(
    "zero oh one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
    "eighty ninety hundred thousand million billion trillion point".split()
)
_ZH_NUMERALS = frozenset("零一二三四五六七八九十百千万亿两幺点")
_EN_DIGIT_NAMES = frozenset("zero oh one two three four five six seven eight nine".split())
_ZH_NUMBER = r"[零一二三四五六七八九十百千万亿两点]+"
_ZH_DIGITS = r"[零一二三四五六七八九幺]+"
_ZH_CURRENCY = r"(?:元|美元|欧元|英镑|韩元)"
_EN_CURRENCY = r"(?:dollars?|cents?|euros?|pounds?|pence|penny|yen|won|rupees?)"
_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
)
# Unit words we read, longest first ("degrees Celsius" before "degrees").
_EN_UNIT_WORDS = sorted({w for pair in UNIT_NAMES.values() for w in pair}, key=len, reverse=True)
_DEGREE_WORDS = r"(?:摄氏|华氏)?度|degrees? (?:Celsius|Fahrenheit)"
_ZH_UNIT_WORDS = "毫秒?|千米每小时|米每秒|千瓦时?|毫克|毫升|分钟|赫兹|克|升|小时"


def _is_numeral(token: str) -> bool:
    return token.lower() in _EN_NUMBER_WORDS or token in _ZH_NUMERALS or token == "-"


def _join(tokens: list[str]) -> str:
    """Tokens as text: a space only before an English word that follows a word or a mark."""
    text = ""
    for token in tokens:
        if text and token[0].isascii() and token[0].isalpha() and (
            text[-1].isascii() and (text[-1].isalpha() or text[-1] in ",.!?'")
        ):
            text += " "
        text += token
    return text


Span = tuple[int, int, int, int]  # upstream tokens [i1, i2), our tokens [j1, j2)


def _spans(a: list[str], b: list[str]) -> list[Span]:
    """Differing token spans; one about numbers grows over the number words next to it
    ("twelve fifty" vs "one thousand two hundred fifty" is one span)."""
    spans: list[Span] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        numeric = any(_is_numeral(t) for t in a[i1:i2] + b[j1:j2])
        while numeric and i1 > 0 and j1 > 0 and a[i1 - 1] == b[j1 - 1] and _is_numeral(a[i1 - 1]):
            i1, j1 = i1 - 1, j1 - 1
        while numeric and i2 < len(a) and j2 < len(b) and a[i2] == b[j2] and _is_numeral(a[i2]):
            i2, j2 = i2 + 1, j2 + 1
        spans = _merge_if(spans, (i1, i2, j1, j2), gap=0)
    return spans


def _merge_if(spans: list[Span], span: Span, gap: int) -> list[Span]:
    """Append ``span``, joining it to the last one when at most ``gap`` tokens lie between."""
    if spans and (span[0] - spans[-1][1] <= gap or span[2] - spans[-1][3] <= gap):
        last = spans.pop()
        span = (min(last[0], span[0]), max(last[1], span[1]),
                min(last[2], span[2]), max(last[3], span[3]))
    return [*spans, span]


def differing_stretches(upstream: str, ours: str, gap: int = 0) -> list[tuple[str, str]]:
    """(upstream words, our words) for every stretch where the two readings differ;
    ``gap`` joins stretches with that many equal tokens between them."""
    a, b = _TOKEN.findall(upstream), _TOKEN.findall(ours)
    spans: list[Span] = []
    for span in _spans(a, b):
        spans = _merge_if(spans, span, gap)
    return [(_join(a[i1:i2]), _join(b[j1:j2])) for i1, i2, j1, j2 in spans]


@dataclass(frozen=True)
class Departure:
    """One way upstream reads a kind of text wrongly, and what we say instead."""

    name: str
    trigger: re.Pattern[str]  # the kind of input text this is about
    accepts: Callable[[str, str], bool]  # (upstream words, our words) of one stretch


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z']+", text)


def _squash(text: str) -> str:
    return re.sub(r"[\s,']", "", text).lower()


def _only_number_words(text: str) -> bool:
    return bool(_words(text)) and all(w.lower() in _EN_NUMBER_WORDS for w in _words(text))


def _full(pattern: str, text: str) -> bool:
    return re.fullmatch(pattern, text) is not None


def _without_currency(text: str) -> str:
    return re.sub(_EN_CURRENCY + "|" + _ZH_CURRENCY, "", text)


def _roman_read(up: str, ours: str) -> bool:
    value = roman_value(up.replace(" ", ""))
    return value is not None and ours in (read_count(value), f"the {read_ordinal(value)}")


def _unit_spelt(up: str, ours: str) -> bool:
    """'three point twokg' vs 'three point two kilograms': the same amount, then a unit
    abbreviation upstream leaves as letters where we say the unit's name."""
    unit = next((u for u in _EN_UNIT_WORDS if ours.endswith(u)), None)
    if unit is None:
        return _full(rf"(?:{_ZH_NUMBER})?(?:{_ZH_UNIT_WORDS})", ours) and _full(
            rf"(?:{_ZH_DIGITS}|{_ZH_NUMBER})?[A-Za-z米秒每 ]*", up
        )
    amount = _squash(ours[: -len(unit)])
    return any(
        _full(r"[A-Za-z/ ]+", up[-size:]) and _squash(up[:-size]) == amount
        for size in range(1, min(len(up), 5) + 1)
    )


def _money_with_scale(up: str, ours: str) -> bool:
    scaled = re.fullmatch(
        rf"(?:minus )?[a-z -]+ (thousand|million|billion|trillion) {_EN_CURRENCY}", ours
    )
    return scaled is not None and re.search(_EN_CURRENCY + r"|meters", up) is not None


DEPARTURES: tuple[Departure, ...] = (
    Departure(
        "only the letter case differs (the G2P reads both alike)",
        re.compile(r"."),
        lambda up, ours: up != ours and up.lower() == ours.lower(),
    ),
    Departure(
        "upstream glues the words on both sides of characters it drops",
        re.compile(r"."),
        lambda up, ours: up != ours and _squash(up) == _squash(ours),
    ),
    Departure(
        "upstream reads a.m./p.m. as the article 'a' with pauses, repeats a written one and "
        "adds its own guess to a bare time",
        re.compile(r"\d\s*[AaPp]\.?\s?[Mm]\b|\d:\d\d"),
        lambda up, ours: _full(r"[ap]\. ?m\.( ?[ap]\. ?m\.)?", up)
        and _full(r"([AP] M)?\.?", ours),
    ),
    Departure(
        "upstream reads a 24-hour time on a 12-hour clock",
        re.compile(r"\b(1[3-9]|2[0-3]):\d\d"),
        lambda up, ours: _only_number_words(re.sub(r"[ap]\.m\.", "", up))
        and _only_number_words(ours),
    ),
    Departure(
        "upstream leaves titles and abbreviations unread (Dr. -> 'drive', Jan., etc.)",
        re.compile(r"\b[A-Za-z]{1,5}\."),
        lambda up, ours: _full(r"[A-Za-z]{1,5}\.?", up)
        and _full(r"[A-Za-z]{2,}( [A-Za-z]+)?\.?", ours)
        and len(ours) > len(up) and up[0].lower() == ours[0].lower(),
    ),
    Departure(
        "upstream pauses between the letters of dotted initials (U.S.A., p.m.)",
        re.compile(r"\b(?:[A-Za-z]\.){2,}"),
        lambda up, ours: "." in up and re.sub(r"[.\s]", "", up).lower()
        == re.sub(r"[.\s]", "", ours).lower(),
    ),
    Departure(
        "upstream reads a phone number or a long digit string as a count",
        re.compile(
            r"(?<!\d)(?:\d{3}-\d{4}|\d{7,}|0\d{2,})(?!\d)|\+\d{1,3}[ -]\d|(?i:call|dial)\s+\d{3}"
        ),
        lambda up, ours: _only_number_words(up)
        and all(w in _EN_DIGIT_NAMES or w == "plus" for w in _words(ours)),
    ),
    Departure(
        "upstream reads the dash of a phone number as minus",
        re.compile(r"\d{3,4}-\d{7,8}"),
        lambda up, ours: (up, ours) == ("减", ","),
    ),
    Departure(
        "upstream reads a number written with thousands separators (1,250) as a year",
        re.compile(r"(?<![\d,])[12],\d{3}(?![\d,])"),
        lambda up, ours: _only_number_words(up) and _only_number_words(_without_currency(ours))
        and "thousand" in ours and "thousand" not in up,
    ),
    Departure(
        "upstream pauses inside large numbers (one thousand, two hundred)",
        re.compile(r"\d{4,}"),
        lambda up, ours: "," in up and up.replace(",", "") == ours,
    ),
    Departure(
        "upstream drops the minus sign or reads it 'negative'",
        re.compile(r"(?<![A-Za-z0-9.])[-−]\s?\d"),
        lambda up, ours: _squash(re.sub("negative|-", "", up)) == _squash(
            re.sub(r"minus|负|零下|-", "", ours)
        ) and re.search("minus|负|零下", ours) is not None,
    ),
    Departure(
        "upstream reads a range dash as nothing, a hyphen or an ellipsis",
        re.compile(r"\d\s?[-–—~～]\s?\d"),
        lambda up, ours: _squash(re.sub(rf"\bto\b|到|-|{_DEGREE_WORDS}", "", ours))
        == _squash(re.sub(r"[-…减]|零下", "", up)),
    ),
    Departure(
        "upstream reads money with a scale word as cents ('two dollars and fifty cents "
        "million')",
        re.compile(r"\d\s?(?:thousand|million|billion|trillion|k|m|bn)\b"),
        _money_with_scale,
    ),
    Departure(
        "upstream reads a decade as seconds ('nineteen sixty seconds')",
        re.compile(r"\d0'?s\b"),
        lambda up, ours: up.endswith(" seconds")
        and ours == pluralise_number_words(up.removesuffix(" seconds").lstrip("'")),
    ),
    Departure(
        "upstream reads an ISO date as numbers with dashes",
        re.compile(r"\d{4}-\d{2}-\d{2}"),
        lambda up, ours: _only_number_words(up) and _full(rf"(?:{_MONTHS}) [a-z-]+, [a-z -]+",
                                                          ours),
    ),
    Departure(
        "upstream reads a day next to a month as a count (July four, four July)",
        re.compile(rf"\b(?:{_MONTHS})\.?\s+\d|\d\s+(?:of\s+)?(?:{_MONTHS})"),
        lambda up, ours: _only_number_words(up)
        and _full(r"(?:the )?(?:[a-z]+-)?[a-z]+(?:st|nd|rd|th)(?: of)?", ours),
    ),
    Departure(
        "upstream reads a Roman numeral as letters (Louis X I V, Chapter X I I)",
        re.compile(r"\b[IVXLC]+\b"),
        _roman_read,
    ),
    Departure(
        "upstream says fourths for quarters",
        re.compile(r"\d/4\b"),
        lambda up, ours: up.replace("fourth", "quarter") == ours,
    ),
    Departure(
        "upstream drops signs it does not read (‰, ², ³, # before a number)",
        re.compile(r"\d\s?‰|[²³]|#\d"),
        lambda up, ours: bool(re.search("千分之|per mille|squared|cubed|第", ours))
        and _squash(re.sub("千分之|per mille|squared|cubed|第", "", ours)) == _squash(up),
    ),
    Departure(
        "upstream reads feet and inches (5'11\") as bare numbers",
        re.compile(r"\d['′]\d"),
        lambda up, ours: _squash(re.sub(r"\b(?:feet|foot|inch|inches)\b", "", ours))
        == _squash(up),
    ),
    Departure(
        "upstream reads the dots of a web address as pauses",
        re.compile(r"(?i)[a-z0-9-]\.(?:com|org|net|edu|gov|io|cn|uk|de|fr|jp|info|co)\b"),
        lambda up, ours: (up, ours) in ((".", "dot"), ("/", "slash"), ("@", "at")),
    ),
    Departure(
        "upstream drops the ampersand",
        re.compile(r"&"),
        lambda up, ours: (up, ours) == ("", "and"),
    ),
    Departure(
        "upstream drops the degree sign (℃, °C) or reads only its letter",
        re.compile(r"\d\s?(?:℃|°\s?[CF]?)"),
        lambda up, ours: _squash(re.sub(_DEGREE_WORDS, "", ours))
        == _squash(re.sub(r"\b[CF]\b", "", up)),
    ),
    Departure(
        "upstream leaves a unit abbreviation after a number unread (km, kg, ms, km/h)",
        re.compile(r"\d\s?°?\s?[A-Za-z/]{1,4}(?![A-Za-z])"),
        _unit_spelt,
    ),
    Departure(
        "upstream reads numbers and money inside a Mandarin sentence in English",
        re.compile(r"[\u4e00-\u9fff]"),
        lambda up, ours: bool(_words(up))
        and all(w.lower() in _EN_NUMBER_WORDS or _full(_EN_CURRENCY, w) for w in _words(up))
        and _full(rf"{_ZH_NUMBER}(?:到{_ZH_NUMBER})?{_ZH_CURRENCY}?", ours),
    ),
    Departure(
        "upstream drops a currency sign or reads it as a pause",
        re.compile(r"[$€£¥￥₩]\s?\d"),
        lambda up, ours: re.sub(r"[.…]", "", _squash(_without_currency(ours)))
        == _squash(re.sub(r"(点[一二三四五六七八九]*)零+$", r"\1", re.sub(r"[.…]", "", up))),
    ),
    Departure(
        "upstream says 两 for an ordinal or a date (第两名, 两月)",
        re.compile(r"第\s*\d|\d\s*[月日号]|\d世纪"),
        lambda up, ours: "两" in up and ours == up.replace("两", "二"),
    ),
    Departure(
        "upstream says 二 where speakers say 两 (2次 -> 二次, 2000人 -> 二千人)",
        re.compile(r"(?<![\d.])2(?:次|遍|倍|种|样|份|\d{3}|\d{4}|\d{8})"),
        lambda up, ours: "二" in up and ours == up.replace("二", "两", 1),
    ),
    Departure(
        "upstream says 二点 for two o'clock",
        re.compile(r"(?<!\d)0?2(:\d\d|点)"),
        lambda up, ours: "二点" in up and ours == up.replace("二点", "两点", 1),
    ),
    Departure(
        "upstream drops the colon of a score (3:2 -> 三二)",
        re.compile(r"\d:\d"),
        lambda up, ours: (up, ours) == ("", "比")
        or (ours.replace("比", "") == up and "比" in ours and _full(_ZH_NUMBER, up)),
    ),
    Departure(
        "upstream reads a number digit by digit where it is a quantity (range, thousands "
        "separators, year range, decade)",
        re.compile(r"\d\s?[-~～–—]\s?\d|\d,\d{3}|\d0年代"),
        lambda up, ours: up != ours
        and _full(rf"[幺零一二三四五六七八九,]*[…减]?(?:到?{_ZH_NUMBER})?{_ZH_CURRENCY}?", up)
        and _full(rf"[零一二三四五六七八九十百千万亿两点年到]+{_ZH_CURRENCY}?", ours),
    ),
)


def _explain_each(text: str, stretches: list[tuple[str, str]]) -> list[str] | None:
    names = []
    for up, our in stretches:
        rule = next(
            (r for r in DEPARTURES if r.trigger.search(text) and r.accepts(up, our)), None
        )
        if rule is None:
            return None
        names.append(rule.name)
    return names


def explain(text: str, upstream: str, ours: str) -> list[str] | None:
    """Names of the rules that explain every difference, or None if one is unexplained.

    Stretches are tried one by one, then with neighbours one word apart joined (a
    reading such as "three dollars and twenty cents billion" differs in two places).
    """
    for gap in (0, 1):
        names = _explain_each(text, differing_stretches(upstream, ours, gap))
        if names is not None:
            return names
    return None

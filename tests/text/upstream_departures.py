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

_TOKEN = re.compile(r"[A-Za-z']+|[\u4e00-\u9fff]|\S")
_EN_NUMBER_WORDS = frozenset(
    "zero oh one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
    "eighty ninety hundred thousand million billion trillion point".split()
)
_ZH_NUMERALS = frozenset("零一二三四五六七八九十百千万亿两幺点")
_EN_DIGIT_NAMES = frozenset("zero oh one two three four five six seven eight nine".split())
_ZH_NUMBER = r"[零一二三四五六七八九十百千万亿两点]+"
_ZH_DIGITS = r"[零一二三四五六七八九幺]+"


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


def differing_stretches(upstream: str, ours: str) -> list[tuple[str, str]]:
    """(upstream words, our words) for every stretch where the two readings differ.

    A stretch about numbers grows over the number words next to it ("twelve fifty" vs "one
    thousand two hundred fifty" is one stretch, although "fifty" is common to both).
    """
    a, b = _TOKEN.findall(upstream), _TOKEN.findall(ours)
    stretches = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        numeric = any(_is_numeral(t) for t in a[i1:i2] + b[j1:j2])
        while numeric and i1 > 0 and j1 > 0 and a[i1 - 1] == b[j1 - 1] and _is_numeral(a[i1 - 1]):
            i1, j1 = i1 - 1, j1 - 1
        while numeric and i2 < len(a) and j2 < len(b) and a[i2] == b[j2] and _is_numeral(a[i2]):
            i2, j2 = i2 + 1, j2 + 1
        if stretches and stretches[-1][1] >= i1:  # grown into the previous stretch
            i1, j1 = stretches[-1][0], stretches[-1][2]
            stretches.pop()
        stretches.append((i1, i2, j1, j2))
    return [(_join(a[i1:i2]), _join(b[j1:j2])) for i1, i2, j1, j2 in stretches]


@dataclass(frozen=True)
class Departure:
    """One way upstream reads a kind of text wrongly, and what we say instead."""

    name: str
    trigger: re.Pattern[str]  # the kind of input text this is about
    accepts: Callable[[str, str], bool]  # (upstream words, our words) of one stretch


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z']+", text)


def _squash(text: str) -> str:
    return re.sub(r"[\s,]", "", text)


def _only_number_words(text: str) -> bool:
    return bool(_words(text)) and all(w.lower() in _EN_NUMBER_WORDS for w in _words(text))


def _match(pattern: str) -> Callable[[str], bool]:
    compiled = re.compile(pattern)
    return lambda text: compiled.fullmatch(text) is not None


_ZH_NUMBER_ONLY = _match(_ZH_NUMBER)
# What we read after a number; the first character alone when upstream kept the second
# ("米秒" for ms: the stretch is then just 米 -> 毫).
_ZH_UNIT_WORDS = "毫秒?|千米每小时|米每秒|千瓦时?|毫克|毫升|分钟|赫兹|克|升|小时"
_CURRENCY_WORDS = r"(?:dollars?|cents?|euros?|pounds?|pence|penny|yen)"
_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
)

DEPARTURES: tuple[Departure, ...] = (
    Departure(
        "upstream reads a.m./p.m. as the article 'a' with pauses, repeats a written one and "
        "adds its own guess to a bare time",
        re.compile(r"\d\s*[AaPp]\.?\s?[Mm]\b|\d:\d\d"),
        lambda up, ours: re.fullmatch(r"[ap]\. ?m\.( ?[ap]\. ?m\.)?", up) is not None
        and re.fullmatch(r"([AP] M)?", ours) is not None,
    ),
    Departure(
        "upstream reads a 24-hour time on a 12-hour clock",
        re.compile(r"\b(1[3-9]|2[0-3]):\d\d"),
        lambda up, ours: _only_number_words(up) and _only_number_words(ours),
    ),
    Departure(
        "upstream leaves titles and abbreviations unread (Dr. -> 'drive', Jan.)",
        re.compile(r"\b[A-Za-z]{1,4}\."),
        lambda up, ours: re.fullmatch(r"[A-Za-z]{1,4}\.", up) is not None
        and re.fullmatch(r"[A-Za-z]{3,}( [A-Za-z]+)?\.?", ours) is not None
        and up[0].lower() == ours[0].lower(),
    ),
    Departure(
        "upstream pauses between the letters of dotted initials (U.S.A.)",
        re.compile(r"\b(?:[A-Za-z]\.){2,}"),
        lambda up, ours: up == "." and ours == "",
    ),
    Departure(
        "upstream reads a phone number or a long digit string as a count",
        re.compile(r"(?<!\d)(?:\d{3}-\d{4}|\d{7,})(?!\d)"),
        lambda up, ours: _only_number_words(up)
        and all(w in _EN_DIGIT_NAMES for w in _words(ours)),
    ),
    Departure(
        "upstream reads a number written with thousands separators (1,250) as a year",
        re.compile(r"\b[12],\d{3}\b(?!,)"),
        lambda up, ours: _only_number_words(up) and _only_number_words(ours)
        and "thousand" in ours and "thousand" not in up,
    ),
    Departure(
        "upstream pauses inside large numbers (one thousand, two hundred)",
        re.compile(r"\d{4,}"),
        lambda up, ours: "," in up and up.replace(",", "") == ours,
    ),
    Departure(
        "upstream glues the words on both sides of characters it drops",
        re.compile(r"."),
        lambda up, ours: up != ours and _squash(up) == _squash(ours),
    ),
    Departure(
        "upstream drops the minus sign or reads it 'negative'",
        re.compile(r"(?<![\w.])[-−]\d"),
        lambda up, ours: ours in ("minus " + up, up.replace("negative", "minus"))
        or ours == "负" + up or ours == "零下" + up,
    ),
    Departure(
        "upstream reads a range dash as nothing, a hyphen or an ellipsis",
        re.compile(r"\d\s?[-–—~～]\s?\d"),
        lambda up, ours: _squash(re.sub(r"\b to \b|到", "", ours))
        == _squash(re.sub(r"[-…]", "", up)),
    ),
    Departure(
        "upstream reads a day after a month as a count (July four)",
        re.compile(rf"\b(?:{_MONTHS})\.?\s+\d"),
        lambda up, ours: _only_number_words(up)
        and re.fullmatch(r"(?:[a-z]+-)?[a-z]+(?:st|nd|rd|th)", ours) is not None,
    ),
    Departure(
        "upstream drops the degree sign (℃, °C) or reads only its letter",
        re.compile(r"\d\s?(?:℃|°\s?[CF]?)"),
        lambda up, ours: _squash(re.sub(r"(摄氏|华氏)?度|degrees? (Celsius|Fahrenheit)", "",
                                        ours))
        == _squash(re.sub(r"\b[CF]\b", "", up)),
    ),
    Departure(
        "upstream reads numbers and money inside a Mandarin sentence in English",
        re.compile(r"[\u4e00-\u9fff]"),
        lambda up, ours: bool(_words(up))
        and all(w.lower() in _EN_NUMBER_WORDS or re.fullmatch(_CURRENCY_WORDS, w)
                for w in _words(up))
        and re.fullmatch(rf"{_ZH_NUMBER}(?:到{_ZH_NUMBER})?(?:元|美元|欧元|英镑)?", ours)
        is not None,
    ),
    Departure(
        "upstream reads an amount of yen or yuan without its currency in English",
        re.compile(r"[¥￥]\s?\d"),
        lambda up, ours: _squash(re.sub(r"yen", "", ours)) == _squash(up),
    ),
    Departure(
        "upstream says 两 for an ordinal or a date (第两名, 两月)",
        re.compile(r"第\s*\d|\d\s*[月日号]|\d世纪"),
        lambda up, ours: "两" in up and ours == up.replace("两", "二"),
    ),
    Departure(
        "upstream says 二 before measure words it does not list (2次 -> 二次)",
        re.compile(r"(?<![\d.])2(?:次|遍|倍|种|样|份)"),
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
        or (ours.replace("比", "") == up and "比" in ours and _ZH_NUMBER_ONLY(up)),
    ),
    Departure(
        "upstream reads a number digit by digit where it is a quantity (range, thousands "
        "separators, decade)",
        re.compile(r"\d[-~～–—]\d|\d,\d{3}|\d0年代"),
        lambda up, ours: re.fullmatch(rf"[幺零一二三四五六七八九,]*…?(?:到?{_ZH_NUMBER})?", up)
        is not None
        and re.fullmatch(rf"{_ZH_NUMBER}(?:到{_ZH_NUMBER})?", ours) is not None
        and up != ours,
    ),
    Departure(
        "upstream does not read a unit abbreviation after a number (ms, km/h)",
        re.compile(r"\d\s?(?:ms|km/h|m/s|kWh|kW|mg|mL|min|Hz|g|L|h)(?![A-Za-z])"),
        lambda up, ours: re.fullmatch(rf"(?:{_ZH_DIGITS}|{_ZH_NUMBER})?[A-Za-z米秒每 ]*", up)
        is not None
        and re.fullmatch(rf"(?:{_ZH_NUMBER})?(?:{_ZH_UNIT_WORDS})", ours) is not None,
    ),
)


def explain(text: str, upstream: str, ours: str) -> list[str] | None:
    """Names of the rules that explain every difference, or None if one is unexplained."""
    names = []
    for up, our in differing_stretches(upstream, ours):
        rule = next(
            (r for r in DEPARTURES if r.trigger.search(text) and r.accepts(up, our)), None
        )
        if rule is None:
            return None
        names.append(rule.name)
    return names

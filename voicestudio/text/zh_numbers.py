"""Reading Arabic numerals aloud in Mandarin: cardinals, digit strings and decimals.

Dates, phone numbers and ordinary quantities read numbers differently (二零二四 vs 两千零二十四
vs 幺三八…), so the normaliser picks one of these helpers per context.
"""

from __future__ import annotations

from voicestudio.errors import UserInputError

DIGIT_WORDS = "零一二三四五六七八九"
# Positional units by number of trailing digits; larger groups nest (十万, 千亿).
_UNITS = ((8, "亿"), (4, "万"), (3, "千"), (2, "百"), (1, "十"))


def read_digits(digits: str, phone_style: bool = False) -> str:
    """Digit by digit (years, codes); phone_style reads 1 as 幺 the way people say numbers."""
    words = "".join(DIGIT_WORDS[int(d)] for d in digits)
    return words.replace("一", "幺") if phone_style else words


def _cardinal_parts(digits: str, keep_zero: bool = True) -> list[str]:
    stripped = digits.lstrip("0")
    if not stripped:
        return []
    if len(stripped) == 1:
        if keep_zero and len(stripped) < len(digits):
            return [DIGIT_WORDS[0], DIGIT_WORDS[int(stripped)]]
        return [DIGIT_WORDS[int(stripped)]]
    size, unit = next((size, unit) for size, unit in _UNITS if size < len(stripped))
    head, tail = digits[:-size], digits[-size:]
    return _cardinal_parts(head) + [unit] + _cardinal_parts(tail)


def read_cardinal(digits: str) -> str:
    """An integer as a quantity: 2024 -> 二千零二十四, 15 -> 十五 (not 一十五)."""
    if not digits:
        return ""
    stripped = digits.lstrip("0")
    if not stripped:
        return DIGIT_WORDS[0]
    parts = _cardinal_parts(stripped)
    if len(parts) >= 2 and parts[0] == "一" and parts[1] == "十":
        parts = parts[1:]
    return "".join(parts)


def read_number(text: str) -> str:
    """A decimal such as '159.2' -> 一百五十九点二; repeated trailing zeros collapse to one."""
    integer, _, decimal = text.partition(".")
    if "." in decimal:
        raise UserInputError(f"'{text}' is not a number: it has more than one decimal point.")
    words = read_cardinal(integer)
    if decimal.endswith("0"):  # 3.20 keeps one zero (三点二零), 3.0 reads 三点零
        decimal = decimal.rstrip("0") + "0"
    if decimal:
        words = (words or DIGIT_WORDS[0]) + "点" + read_digits(decimal)
    return words

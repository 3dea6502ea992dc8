"""Reading numbers aloud in English: counts, years, decades, ordinals, decimals and digits.

A narrator reads the same digits differently by what they count: 1984 as a year is
"nineteen eighty-four", 1,984 shares is "one thousand nine hundred eighty-four", a phone
number is read digit by digit. The normaliser picks one of these readers per context.
None of them returns commas: inflect's "one thousand, two hundred" would become a pause
phone in the middle of a number.
"""

from __future__ import annotations

from functools import cache

import inflect

_DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@cache
def _inflect() -> inflect.engine:
    return inflect.engine()


def read_count(number: int) -> str:
    """An integer as a quantity: 1250 -> 'one thousand two hundred fifty'."""
    words = _inflect().number_to_words(number, andword="")
    return str(words).replace(",", "")


def read_amount(text: str) -> str:
    """A written amount ('1,250', '3.5', '.5') as a quantity, never as a year."""
    whole, _, fraction = text.replace(",", "").partition(".")
    words = read_count(int(whole)) if whole else "zero"
    if fraction:
        words += " point " + read_digits(fraction)
    return words


def read_digits(digits: str) -> str:
    """Digit by digit: '555' -> 'five five five' (phone numbers, decimals after the point)."""
    return " ".join(_DIGIT_NAMES[int(d)] for d in digits if d.isdigit())


def read_year(number: int) -> str:
    """1999 -> 'nineteen ninety-nine', 2005 -> 'two thousand five', 1900 -> 'nineteen hundred'."""
    if not 1000 < number < 3000:
        return read_count(number)
    if number % 1000 == 0:
        return read_count(number)
    if 2000 < number < 2010:
        return "two thousand " + read_count(number % 100)
    if number % 100 == 0:
        return read_count(number // 100) + " hundred"
    words = _inflect().number_to_words(number, andword="", zero="oh", group=2)
    return str(words).replace(", ", " ")


def read_ordinal(number: int) -> str:
    """21 -> 'twenty-first'."""
    return str(_inflect().ordinal(read_count(number)))


def pluralise_number_words(words: str) -> str:
    """'nineteen sixty' -> 'nineteen sixties' (decades: the 1960s, the '90s)."""
    head, _, last = words.rpartition(" ")
    plural = last[:-1] + "ies" if last.endswith("y") else last + "s"
    return f"{head} {plural}" if head else plural

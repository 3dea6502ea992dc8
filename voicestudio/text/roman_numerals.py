"""Roman numerals as numbers: 'XIV' -> 14, for chapter headings and regnal names."""

from __future__ import annotations

import re

_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
# Only well-formed numerals: "IIII" or "VX" are not numbers but words or initials.
_WELL_FORMED = re.compile(r"M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})")


def roman_value(numeral: str) -> int | None:
    """The value of a well-formed upper-case Roman numeral, or None for anything else."""
    if not numeral or not _WELL_FORMED.fullmatch(numeral):
        return None
    total = 0
    for char, following in zip(numeral, numeral[1:] + " ", strict=True):
        value = _VALUES[char]
        total += -value if following != " " and _VALUES[following] > value else value
    return total

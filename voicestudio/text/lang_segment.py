"""Split mixed Chinese/English text into language runs.

A Latin letter starts or continues an English run; a Chinese character (or any other
letter) a Chinese run. Digits, spaces and punctuation belong to the run before them, so
"iPhone 15" stays English, "下午3点，" stays Chinese, and a sentence's final mark stays with
its last words; marks at the very start join the first run. A currency sign with its amount
("$5", "¥100") is an English run of its own: the English normaliser reads money; only the
full-width ￥ of Chinese keyboards stays Chinese ("￥100" -> 一百元).
Unlike upstream's statistical language detector this never labels Chinese as Japanese and
never moves "5℃" out of the Chinese sentence it belongs to; likewise a metric unit right
after a number in Chinese text ("跑了5km") stays Chinese and reads 五千米.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

ZH = "zh"
EN = "en"
_AMOUNT = re.compile(r"\d[\d,]*(\.\d+)?")
# Unit abbreviations the Mandarin normaliser reads (km -> 千米); "ms" is not one of them.
_ZH_UNITS = frozenset("cm2 cm3 cm db kg km m2 m3 ml m mm s".split())
_UNIT_RUN = re.compile(r"([A-Za-z]+[23]?)(?![A-Za-z])")
_MARKS = " ,.;:!?，。；：！？"


@dataclass(frozen=True)
class LangSegment:
    """A run of one language: ``text == original[start:end]``."""

    lang: str
    text: str
    start: int
    end: int


def _script(char: str) -> str | None:
    """'en' for Latin letters, 'zh' for other letters (Han), None for everything else."""
    if char.isascii():
        return EN if char.isalpha() else None
    if "\uff21" <= char <= "\uff3a" or "\uff41" <= char <= "\uff5a":  # full-width Latin
        return EN
    if char.isalpha() and "\u00c0" <= char <= "\u024f":  # accented Latin (café)
        return EN
    return ZH if char.isalpha() else None


def _money_end(text: str, index: int) -> int | None:
    """End of a 'sign + amount' such as '$3.50' starting at ``index``, if there is one."""
    if unicodedata.category(text[index]) != "Sc" or text[index] == "￥":
        return None  # full-width ￥ is typed in Chinese text and read 元 by the zh normaliser
    amount = _AMOUNT.match(text, index + 1)
    return amount.end() if amount else None


def _keep_units_in_chinese(text: str, runs: list[list]) -> list[list]:
    """Fold 'digits + unit' English runs back into the Chinese run before them."""
    merged: list[list] = []
    for run in runs:
        lang, start, end = run
        after_number = start > 0 and text[start - 1].isdigit()
        if lang == EN and merged and merged[-1][0] == ZH and after_number:
            unit = _UNIT_RUN.match(text, start)
            rest = text[unit.end():end] if unit else "x"
            if unit and unit.group(1) in _ZH_UNITS and not rest.strip(_MARKS):
                merged[-1][2] = end
                continue
        if merged and lang == merged[-1][0]:
            merged[-1][2] = end
        else:
            merged.append(list(run))
    return merged


def split_languages(text: str, default: str = ZH) -> list[LangSegment]:
    """Language runs of ``text``; text without letters is one run in ``default``."""
    runs: list[list] = []  # [lang, start, end]
    money_until = -1
    for index, char in enumerate(text):
        if index < money_until:
            continue
        money_end = _money_end(text, index)
        if money_end is not None and not (runs and runs[-1][0] == EN):
            runs.append([EN, index, money_end])
            runs.append([None, money_end, money_end])  # what follows joins the next run
            money_until = money_end
            continue
        script = _script(char)
        if runs and runs[-1][0] is None and runs[-1][1] == runs[-1][2]:
            runs.pop()  # an empty placeholder after a money run
            runs.append([None, index, index + 1] if script is None else [script, index, index + 1])
            continue
        if runs and (script is None or script == runs[-1][0]):
            runs[-1][2] = index + 1
        elif script is None:
            runs.append([None, index, index + 1])
        elif runs and runs[-1][0] is None:  # leading marks join the first real run
            runs[-1][0] = script
            runs[-1][2] = index + 1
        else:
            runs.append([script, index, index + 1])
    runs = _keep_units_in_chinese(text, [r for r in runs if r[2] > r[1]])
    return [LangSegment(lang or default, text[s:e], s, e) for lang, s, e in runs]


def segments_for_mode(text: str, mode: str) -> list[LangSegment]:
    """Segments as a synthesis mode reads them: 'zh'/'auto' mixed, 'en' or 'all_zh' whole."""
    if mode == EN:
        return [LangSegment(EN, text, 0, len(text))]
    if mode == "all_zh":
        return [LangSegment(ZH, text, 0, len(text))]
    return split_languages(text)

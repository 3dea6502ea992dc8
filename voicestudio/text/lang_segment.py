"""Split mixed Chinese/English text into language runs.

A Latin letter starts or continues an English run; a Chinese character (or any other
letter) a Chinese run. Digits, spaces and punctuation belong to the run before them, so
"下午3点，" stays Chinese and a sentence's final mark stays with its last words; marks at
the very start join the first run. Unlike upstream's statistical language detector this
never labels Chinese as Japanese, and it keeps what a Mandarin sentence says in Mandarin:

- a number that ends an English run inside Chinese text is read in Mandarin
  ("我用iPhone 15拍的" -> "iPhone" + "15拍的", read 十五);
- a currency sign with its amount ("$5", "¥1,250") is read in the language of the words
  around it: Mandarin in "花了$5，很便宜" (五美元), English in "I paid $5 for it";
- a unit right after a number in Chinese text stays Chinese ("跑了5km" -> 五千米,
  "38.5°C" -> 三十八点五度, "200ms" -> 二百毫秒).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from voicestudio.text.zh_normalize import UNIT_ABBREVIATIONS

ZH = "zh"
EN = "en"
_MONEY = "money"  # decided by the words around it, see _place_money
_AMOUNT = re.compile(r"\d[\d,]*(\.\d+)?")
_UNIT_RUN = re.compile(r"([A-Za-z]+(?:/[A-Za-z]+)?[23]?)(?![A-Za-z])")
_NUMBER_BEFORE = re.compile(r"\d\s?°?\s?$")
_TRAILING_NUMBER = re.compile(r"(?<![A-Za-z])[-+]?\d[\d,.:]*[%‰]?[\s,.;:!?，。；：！？、]*$")
_NUMBER_ITSELF = re.compile(r"^[-+]?\d(?:[\d,.:]*\d)?[%‰]?")
_LEADING_NUMBER = re.compile(r"\s*\d[\d,.]*")
_SENTENCE_END = re.compile(r"[.!?。！？]")


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
    if unicodedata.category(text[index]) != "Sc":
        return None
    amount = _AMOUNT.match(text, index + 1 + (text[index + 1:index + 2] == " "))
    return amount.end() if amount else None


def _unit_end(text: str, index: int, runs: list[list]) -> int | None:
    """End of a unit abbreviation at ``index`` that follows a number in a Chinese run."""
    if not runs or runs[-1][0] != ZH or not _NUMBER_BEFORE.search(text, 0, index):
        return None
    unit = _UNIT_RUN.match(text, index)
    if unit is None:
        return None
    after_degree = text[:index].rstrip().endswith("°")
    known = unit.group(1) in UNIT_ABBREVIATIONS or (after_degree and unit.group(1) in "CF")
    return unit.end() if known else None


def _script_runs(text: str) -> list[list]:
    """[lang, start, end] runs by script; money is its own run, units stay Chinese."""
    runs: list[list] = []
    index = 0
    while index < len(text):
        money_end = _money_end(text, index)
        if money_end is not None:
            runs.append([_MONEY, index, money_end])
            index = money_end
            continue
        unit_end = _unit_end(text, index, runs)
        if unit_end is not None:
            runs[-1][2] = index = unit_end
            continue
        script = _script(text[index])
        last = runs[-1] if runs else None
        if last and last[0] != _MONEY and (script is None or script == last[0]):
            last[2] = index + 1
        elif last and last[0] is None:  # leading marks join the first real run
            last[0], last[2] = script, index + 1
        else:
            runs.append([script, index, index + 1])
        index += 1
    return runs


def _letter_near(text: str, start: int, end: int, forward: bool) -> str | None:
    """Script of the nearest letter after ``start`` (or before ``end``) in the same sentence."""
    span = range(start, end) if forward else range(end - 1, start - 1, -1)
    for index in span:
        if _SENTENCE_END.match(text[index]) and not text[index - 1:index].isdigit():
            return None
        script = _script(text[index])
        if script is not None:
            return script
    return None


def _place_money(text: str, runs: list[list]) -> None:
    """Money reads in the language of the next word, else of the word before it."""
    for run in runs:
        if run[0] == _MONEY:
            after = _letter_near(text, run[2], len(text), forward=True)
            before = _letter_near(text, 0, run[1], forward=False)
            run[0] = after or before or EN


def _numbers_read_in_mandarin(text: str, runs: list[list]) -> list[list]:
    """Move a number that ends an English run into the Chinese run after it (or, at the
    end of the text, into Chinese when Chinese came before); likewise a number that starts
    the text before English and then Chinese ("5G手机" reads 五G)."""
    result: list[list] = []
    for position, run in enumerate(runs):
        lang, start, end = run
        following = runs[position + 1][0] if position + 1 < len(runs) else None
        if lang == EN and position == 0 and following == ZH:
            leading = _LEADING_NUMBER.match(text, start, end)
            if leading and leading.end() < end:
                result.append([ZH, start, leading.end()])
                start = leading.end()
        in_chinese = following == ZH or (
            following is None and any(r[0] == ZH for r in runs[:position])
        )
        number = _TRAILING_NUMBER.search(text, start, end) if lang == EN and in_chinese else None
        marks = _NUMBER_ITSELF.sub("", number.group(0), count=1) if number else ""
        if number and following == ZH and _SENTENCE_END.search(marks):
            number = None  # "The year is 2024. 然后…": the English sentence keeps its number
        if number and number.start() > start:
            result.append([EN, start, number.start()])
            result.append([ZH, number.start(), end])
        else:
            result.append([lang, start, end])
    return result


def _merge(runs: list[list], default: str) -> list[list]:
    merged: list[list] = []
    for lang, start, end in runs:
        if end <= start:
            continue
        if lang is None:  # marks only: they belong to the run before (or the default)
            lang = merged[-1][0] if merged else default
        if merged and merged[-1][0] == lang:
            merged[-1][2] = end
        else:
            merged.append([lang, start, end])
    return merged


def split_languages(text: str, default: str = ZH) -> list[LangSegment]:
    """Language runs of ``text``; text without letters is one run in ``default``."""
    runs = _script_runs(text)
    _place_money(text, runs)
    runs = _merge(_numbers_read_in_mandarin(text, _merge(runs, default)), default)
    return [LangSegment(lang, text[s:e], s, e) for lang, s, e in runs]


def segments_for_mode(text: str, mode: str) -> list[LangSegment]:
    """Segments as a synthesis mode reads them: 'zh'/'auto' mixed, 'en' or 'all_zh' whole."""
    if mode == EN:
        return [LangSegment(EN, text, 0, len(text))]
    if mode == "all_zh":
        return [LangSegment(ZH, text, 0, len(text))]
    return split_languages(text)

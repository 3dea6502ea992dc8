"""Did the speaker read the prompt? Compare what speech recognition heard with the prompt.

The comparison is word by word (character by character for Mandarin) after the same
normalisation the frontend applies, so "2" and "two" or 後 and 后 are the same word. Each
difference is one of:

* ``skipped``: a prompt word that was not said,
* ``added``: a word said that the prompt does not have,
* ``accent``: a word said differently but recognisably the same word — for Mandarin the
  same syllable with another tone, or with only its initial or only its final changed
  (福建 said as "hu jian"); for English a recognised word spelled mostly like the prompt's;
* ``wrong``: a different word.

A character that only sounds the same (the recogniser picked a homophone) is no difference.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from voicestudio.text.zh_normalize import normalize_zh, to_simplified

_EN_WORD = re.compile(r"[a-z']+")
_HAN = re.compile(r"[\u4e00-\u9fff]")
# English words at least this alike in spelling count as the same word said differently.
_EN_ACCENT_SIMILARITY = 0.6
# A run of words heard with other word boundaries ("canoe slid" heard as "can use lid") is
# the same speech when its letters are this alike: a recogniser's split, not a new word.
_EN_RUN_SIMILARITY = 0.75


class WordDifference(StrEnum):
    SKIPPED = "skipped"
    ADDED = "added"
    ACCENT = "accent"
    WRONG = "wrong"


@dataclass(frozen=True)
class Difference:
    kind: WordDifference
    expected: str  # the prompt's word ('' for an added word)
    heard: str  # the recognised word ('' for a skipped word)


def _tokens(text: str, lang: str) -> list[str]:
    if lang == "zh":
        return _HAN.findall(normalize_zh(to_simplified(text)))
    from voicestudio.text.en_normalize import normalize_en

    return _EN_WORD.findall(normalize_en(text).lower())


@cache
def _syllable(char: str) -> tuple[str, str, str]:
    """(initial, final, tone) of one character, as written in pinyin (y and w as initials)."""
    from pypinyin import Style, lazy_pinyin

    def spell(style: Style) -> str:
        return lazy_pinyin(char, style=style, strict=False, neutral_tone_with_five=True)[0]

    tone3 = spell(Style.TONE3)
    return spell(Style.INITIALS), spell(Style.FINALS), tone3[-1:] if tone3[-1:].isdigit() else ""


def _zh_pair(expected: str, heard: str) -> WordDifference | None:
    a, b = _syllable(expected), _syllable(heard)
    if a == b:
        return None  # a homophone: the recogniser's choice of character
    same_initial, same_final = a[0] == b[0], a[1] == b[1]
    return WordDifference.ACCENT if same_initial or same_final else WordDifference.WRONG


def _en_pair(expected: str, heard: str) -> WordDifference | None:
    ratio = difflib.SequenceMatcher(None, expected, heard).ratio()
    return WordDifference.ACCENT if ratio >= _EN_ACCENT_SIMILARITY else WordDifference.WRONG


def _en_run(expected: list[str], heard: list[str]) -> list[Difference] | None:
    """The same letters split into other words: one pronunciation difference (or none)."""
    a, b = "".join(expected), "".join(heard)
    if difflib.SequenceMatcher(None, a, b).ratio() < _EN_RUN_SIMILARITY:
        return None
    if a == b:
        return []
    return [Difference(WordDifference.ACCENT, " ".join(expected), " ".join(heard))]


def compare_reading(prompt: str, heard: str, lang: str) -> list[Difference]:
    """Every difference between the prompt and what was recognised, in reading order."""
    expected, said = _tokens(prompt, lang), _tokens(heard, lang)
    pair = _zh_pair if lang == "zh" else _en_pair
    differences: list[Difference] = []
    matcher = difflib.SequenceMatcher(None, expected, said, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        a, b = expected[i1:i2], said[j1:j2]
        if lang != "zh" and a and b and len(a) != len(b):
            run = _en_run(a, b)
            if run is not None:
                differences += run
                continue
        for x, y in zip(a, b, strict=False):
            kind = pair(x, y)
            if kind is not None:
                differences.append(Difference(kind, x, y))
        differences += [Difference(WordDifference.SKIPPED, x, "") for x in a[len(b):]]
        differences += [Difference(WordDifference.ADDED, "", y) for y in b[len(a):]]
    return differences

"""Punctuation for Mandarin: map the many written marks onto the six v2 punctuation phones.

The models know only ``! ? … , . -``; pauses and intonation come from these, so every other
mark is either mapped to the nearest one or dropped.
"""

from __future__ import annotations

import re

from voicestudio.text.symbols import PUNCTUATION

_MARK_TO_PHONE = {
    "：": ",", "；": ",", "，": ",", "。": ".", "！": "!", "？": "?", "\n": ".", "·": ",",
    "、": ",", "...": "…", "$": ".", "/": ",", "—": "-", "~": "…", "～": "…",
}
_MARKS = re.compile("|".join(re.escape(mark) for mark in _MARK_TO_PHONE))
_PUNCT_CLASS = "".join(re.escape(p) for p in PUNCTUATION)
_NOT_SPOKEN = re.compile(r"[^\u4e00-\u9fa5" + _PUNCT_CLASS + r"]+")
_REPEATED = re.compile(f"([{_PUNCT_CLASS}])([{_PUNCT_CLASS}])+")
# Interjections whose usual character has no pinyin reading the models were trained on.
_INTERJECTIONS = {"嗯": "恩", "呣": "母"}


def map_punctuation(text: str) -> str:
    """Written marks replaced by v2 punctuation phones."""
    for written, spoken in _INTERJECTIONS.items():
        text = text.replace(written, spoken)
    return _MARKS.sub(lambda m: _MARK_TO_PHONE[m.group()], text)


def keep_spoken_characters(text: str) -> str:
    """Only Chinese characters and v2 punctuation survive; everything else is silent."""
    return _NOT_SPOKEN.sub("", map_punctuation(text))


def collapse_repeated_punctuation(text: str) -> str:
    """'?!' -> '?': a run of marks reads as its first mark (repeats leak the prompt's pauses)."""
    return _REPEATED.sub(r"\1", text)

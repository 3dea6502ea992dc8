"""Mandarin grapheme-to-phoneme: normalised text -> v2 phones and phones-per-character.

Steps per clause: jieba words with part-of-speech tags, regrouping for sandhi, pinyin per
word (pypinyin phrase dictionary or a plugged-in polyphone resolver), tone sandhi, erhua,
then each syllable becomes exactly two v2 phones (an initial, or a pseudo-initial for
zero-initial syllables, and a toned final). ``word2ph`` counts phones per character so the
per-character BERT features can be stretched to phone length.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import jieba
import jieba.posseg

from voicestudio.errors import UserInputError
from voicestudio.text.resources import load_json_resource
from voicestudio.text.symbols import PUNCTUATION
from voicestudio.text.zh_polyphones import PolyphoneResolver, split_pinyin, word_syllables
from voicestudio.text.zh_tone_sandhi import apply_tone_sandhi, merge_for_sandhi

jieba.setLogLevel(logging.CRITICAL)

_PUNCT_CLASS = "".join(re.escape(p) for p in PUNCTUATION)
_CLAUSE_BREAK = re.compile(rf"(?<=[{_PUNCT_CLASS}])\s*")
_LATIN = re.compile("[a-zA-Z]+")
# Spelling of finals after an initial, and of whole syllables without one, as the
# pinyin->phone table lists them.
_FINAL_SPELLING = {"uei": "ui", "iou": "iu", "uen": "un"}
_BARE_SYLLABLE = {"ing": "ying", "i": "yi", "in": "yin", "u": "wu"}
_BARE_PREFIX = {"v": "yu", "e": "e", "i": "y", "u": "w"}
_ERHUA_BLOCKING_POS = {"a", "j", "nr"}


@dataclass(frozen=True)
class ZhPhones:
    """Phones of a normalised Mandarin text and how many phones each character produced."""

    phones: list[str]
    word2ph: list[int]


@cache
def _pinyin_table() -> dict[str, list[str]]:
    return load_json_resource("zh_pinyin_phones.json")


@cache
def _phrase_fixes() -> dict[str, list[str]]:
    """Built-in readings for phrases pypinyin's dictionary gets wrong (湖泊 hu2 po1, …)."""
    return load_json_resource("zh_phrase_fixes.json")["words"]


@cache
def _erhua_words() -> tuple[frozenset[str], frozenset[str]]:
    data = load_json_resource("zh_erhua_words.json")
    return frozenset(data["always_erhua"]), frozenset(data["never_erhua"])


def syllable_phones(initial: str, final: str) -> list[str]:
    """Two v2 phones for one toned syllable ('zh', 'ang3') -> ['zh', 'ang3']."""
    bare_final, tone = final[:-1], final[-1]
    if tone not in "12345":
        raise UserInputError(f"'{initial}{final}' is not pinyin with a tone number 1-5.")
    pinyin = initial + bare_final
    if initial:
        pinyin = initial + _FINAL_SPELLING.get(bare_final, bare_final)
    elif pinyin in _BARE_SYLLABLE:
        pinyin = _BARE_SYLLABLE[pinyin]
    elif pinyin[:1] in _BARE_PREFIX:
        pinyin = _BARE_PREFIX[pinyin[0]] + pinyin[1:]
    entry = _pinyin_table().get(pinyin)
    if entry is None:
        raise UserInputError(f"'{initial}{final}' is not a Mandarin syllable.")
    return [entry[0], entry[1] + tone]


def _apply_erhua(finals: list[str], word: str, pos: str) -> list[str]:
    """儿 after a syllable takes that syllable's tone (玩儿 wán ér2), unless 儿 means 'child'."""
    always, never = _erhua_words()
    if finals and word[-1] == "儿" and finals[-1] == "er1":
        finals[-1] = "er2"
    if word not in always and (word in never or pos in _ERHUA_BLOCKING_POS):
        return finals
    if len(finals) != len(word):
        return finals
    last = len(word) - 1
    if last > 0 and word[last] == "儿" and finals[last] in {"er2", "er5"} \
            and word[-2:] not in never:
        finals[last] = "er" + finals[last - 1][-1]
    return finals


def _per_character(word: str) -> tuple[list[str], list[str]]:
    initials: list[str] = []
    finals: list[str] = []
    for char in word:
        char_initials, char_finals = word_syllables(char)
        initials.append(char_initials[0])
        finals.append(char_finals[0])
    return initials, finals


def _lexicon_spans(clause: str, lexicon: Mapping[str, Sequence[str]]) -> dict[int, str]:
    """Character index -> user pinyin, longest lexicon words first, no overlaps."""
    forced: dict[int, str] = {}
    for word in sorted(lexicon, key=len, reverse=True):
        start = clause.find(word)
        while start != -1:
            span = range(start, start + len(word))
            if not any(i in forced for i in span):
                for i, syllable in zip(span, lexicon[word], strict=True):
                    forced[i] = syllable
            start = clause.find(word, start + 1)
    return forced


class MandarinG2P:
    """Turns normalised Mandarin text into v2 phones; optional polyphone model and lexicon."""

    def __init__(
        self,
        resolver: PolyphoneResolver | None = None,
        lexicon: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.resolver = resolver
        self.lexicon = dict(lexicon or {})

    def __call__(self, norm_text: str) -> ZhPhones:
        phones: list[str] = []
        word2ph: list[int] = []
        for clause in (c for c in _CLAUSE_BREAK.split(norm_text) if c.strip()):
            for initial, final in self._clause_syllables(_LATIN.sub("", clause)):
                if initial == final:  # punctuation passes through as one phone
                    phones.append(initial)
                    word2ph.append(1)
                else:
                    phones.extend(syllable_phones(initial, final))
                    word2ph.append(2)
        return ZhPhones(phones, word2ph)

    def _clause_syllables(self, clause: str) -> list[tuple[str, str]]:
        words = merge_for_sandhi([(w, p) for w, p in jieba.posseg.lcut(clause)])
        model_pinyin = self.resolver.clause_pinyin(clause) if self.resolver else None
        forced = _lexicon_spans(clause, self.lexicon)
        syllables: list[tuple[str, str]] = []
        offset = 0
        for word, pos in words:
            span = range(offset, offset + len(word))
            offset += len(word)
            if pos == "eng":
                continue
            fixed = _phrase_fixes().get(word)
            if fixed is not None or model_pinyin is not None:
                syllables_in = fixed or [model_pinyin[i] for i in span]
                pairs = [split_pinyin(s) for s in syllables_in]
                initials, finals = [p[0] for p in pairs], [p[1] for p in pairs]
            else:
                initials, finals = word_syllables(word)
            if len(initials) != len(word):  # e.g. a symbol run pypinyin returns as one item
                initials, finals = _per_character(word)
            finals = apply_tone_sandhi(word, pos, finals)
            finals = _apply_erhua(finals, word, pos)
            for index, initial, final in zip(span, initials, finals, strict=False):
                if index in forced:
                    initial, final = split_pinyin(forced[index])
                syllables.append((initial, final))
        return syllables

"""Where a polyphonic character's reading is decided (行 xíng/háng, 长 cháng/zhǎng, 了 le/liǎo).

pypinyin already resolves most polyphones from its phrase dictionary (银行 háng, 行走 xíng,
长江 cháng, 长得 zhǎng). A sentence-level model such as G2PW can do better; it plugs in here
by implementing ``PolyphoneResolver`` and being passed to ``MandarinG2P``. The default keeps
pypinyin's phrase-based choice, which is also what the reference fixtures were produced with.
"""

from __future__ import annotations

from typing import Protocol

from pypinyin import Style, lazy_pinyin


class PolyphoneResolver(Protocol):
    """Gives tone-numbered pinyin (``hang2``; neutral ``5``) for every character of a clause."""

    def clause_pinyin(self, clause: str) -> list[str]:
        """One pinyin per character of ``clause``; non-Chinese characters map to themselves."""
        ...


def word_syllables(word: str) -> tuple[list[str], list[str]]:
    """Initials and tone-numbered finals of a word from pypinyin's phrase dictionary."""
    initials = lazy_pinyin(word, neutral_tone_with_five=True, style=Style.INITIALS)
    finals = lazy_pinyin(word, neutral_tone_with_five=True, style=Style.FINALS_TONE3)
    return initials, finals


def split_pinyin(pinyin: str) -> tuple[str, str]:
    """'zhang3' -> ('zh', 'ang3'); lets a resolver's whole-syllable output join the pipeline."""
    from pypinyin.contrib.tone_convert import to_finals_tone3, to_initials

    if not pinyin[:1].isalpha():
        return pinyin, pinyin
    return to_initials(pinyin), to_finals_tone3(pinyin, neutral_tone_with_five=True)

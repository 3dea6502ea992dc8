"""Text pieces ready for S1: sentence chunks with upstream's punctuation rules applied.

GPT-SoVITS prepares each piece before phonemising it: runs of the same kind of mark collapse
to one (a "?!?" run leaks odd pauses), every piece ends with a sentence mark (S1 learnt to
stop at one; without it it runs on), and a text whose first clause is under 4 characters
gets a leading mark so S1 does not swallow the first word. The chunk offsets still point
into the user's original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from voicestudio.text.sentences import DEFAULT_MAX_LENGTH, split_sentences
from voicestudio.text.zh_punctuation import collapse_repeated_punctuation

# Marks upstream treats as the end of a piece.
SPLIT_MARKS = frozenset("，。？！,.?!~:：—…")
_FIRST_CLAUSE = re.compile("[" + "".join(re.escape(m) for m in sorted(SPLIT_MARKS)) + "]")
_SHORT_FIRST_CLAUSE = 4


@dataclass(frozen=True)
class SynthesisPiece:
    """Text to phonemise for one render, and the span of the original it came from."""

    text: str
    start: int
    end: int


def _sentence_mark(mode: str) -> str:
    return "." if mode == "en" else "。"


def close_sentence(text: str, mode: str = "zh") -> str:
    """``text`` ending with a sentence mark: S1 learnt to stop at one (pieces, transcripts)."""
    if text and text[-1] not in SPLIT_MARKS:
        text += _sentence_mark(mode)
    return text


def finish_piece(text: str, mode: str = "zh") -> str:
    """Collapse repeated marks and make sure the piece ends with a sentence mark."""
    return close_sentence(collapse_repeated_punctuation(text.strip()), mode)


def guard_short_start(text: str, mode: str = "zh") -> str:
    """Prefix a mark when the first clause is under 4 characters ('好。' -> '。好。')."""
    if not text or text[0] in SPLIT_MARKS:
        return text
    first = _FIRST_CLAUSE.split(text, maxsplit=1)[0].strip()
    if len(first) < _SHORT_FIRST_CLAUSE:
        return _sentence_mark(mode) + text
    return text


def pieces_for_synthesis(
    text: str, mode: str = "zh", max_length: float = DEFAULT_MAX_LENGTH
) -> list[SynthesisPiece]:
    """Sentence chunks of ``text`` prepared the way S1 expects, each with its source span."""
    pieces: list[SynthesisPiece] = []
    for chunk in split_sentences(text, max_length=max_length):
        if not re.sub(r"\W+", "", chunk.text):
            continue  # only marks: nothing to say
        prepared = guard_short_start(finish_piece(chunk.text, mode), mode)
        pieces.append(SynthesisPiece(prepared, chunk.start, chunk.end))
    return pieces

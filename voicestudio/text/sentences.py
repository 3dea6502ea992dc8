"""Split long text (a chapter, a book) into chunks S1 reads well, with offsets back into it.

S1 drifts, skips or repeats on long inputs, so narration renders one chunk at a time. A
chunk ends at sentence punctuation; a sentence still too long is cut at clause marks, then
at spaces, never inside a number ("3.14", "1,000", "9:30") or an abbreviation ("Dr.",
"U.S.", "e.g."). Each chunk records ``start``/``end`` so the narration editor can highlight
and re-render exactly the characters the user changed: ``original[start:end] == text``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from voicestudio.errors import UserInputError

DEFAULT_MAX_LENGTH = 60.0
DEFAULT_MIN_LENGTH = 3.0
_ENDERS = "。！？!?…；;"
_CLOSERS = "”’\"'）)」』】》"
_CLAUSE_MARKS = "，,、：:—"
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr mt gen capt lt sgt rev vs etc no fig vol ch pp approx "
    "jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun "
    "e.g i.e a.m p.m u.s u.k u.n".split()
)
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")


@dataclass(frozen=True)
class TextChunk:
    """One piece of the original text: ``original[start:end] == text``."""

    text: str
    start: int
    end: int


def spoken_length(text: str) -> float:
    """Rough length in syllables: a Chinese character or digit is one, a Latin letter ~1/3."""
    length = 0.0
    for char in text:
        if "\u4e00" <= char <= "\u9fff" or char.isdigit():
            length += 1.0
        elif char.isascii() and char.isalpha():
            length += 0.35
    return length


def _is_abbreviation_dot(text: str, index: int) -> bool:
    """Whether the '.' at ``index`` belongs to a number, an abbreviation or an initial."""
    before = text[index - 1] if index > 0 else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    if before.isdigit() and after.isdigit():
        return True  # 3.14
    if after.isalnum() and after.isascii() and after.islower():
        return True  # e.g. "fig.3", "a.m" mid-word
    match = _WORD_BEFORE.search(text[:index])
    if not match:
        return False
    word = match.group(1).lower()
    if word in _ABBREVIATIONS or word.rstrip(".") in _ABBREVIATIONS:
        return True
    return len(word) == 1 and match.group(1).isupper()  # an initial: "J. K. Rowling"


def _sentence_ends(text: str) -> list[int]:
    """Positions just after each sentence end (closing quotes included), and after newlines."""
    ends: list[int] = []
    index = 0
    while index < len(text):
        char = text[index]
        is_end = char in _ENDERS or char == "\n" or (
            char == "." and not _is_abbreviation_dot(text, index)
        )
        if is_end:
            index += 1
            while index < len(text) and (text[index] in _ENDERS or text[index] == "."):
                index += 1
            while index < len(text) and text[index] in _CLOSERS:
                index += 1
            ends.append(index)
            continue
        index += 1
    if not ends or ends[-1] != len(text):
        ends.append(len(text))
    return ends


def _trimmed(text: str, start: int, end: int) -> TextChunk | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return TextChunk(text[start:end], start, end) if end > start else None


def _safe_cut(text: str, start: int, end: int, max_length: float) -> int:
    """The last position in [start, end) where a cut stays under max_length and splits no
    number or word; prefers clause marks, then spaces."""
    best_mark = best_space = best_any = None
    for index in range(start + 1, end):
        if spoken_length(text[start:index]) > max_length:
            break
        prev, nxt = text[index - 1], text[index]
        if prev in _CLAUSE_MARKS and not (prev in ",:" and nxt.isdigit()):
            best_mark = index
        elif prev.isspace():
            best_space = index
        elif not (prev.isalnum() and prev.isascii() and nxt.isalnum() and nxt.isascii()) \
                and not (prev.isdigit() or nxt.isdigit()):
            best_any = index
    for cut in (best_mark, best_space, best_any):
        if cut is not None:
            return cut
    return end  # one unbreakable token longer than the limit: keep it whole


def _split_long(text: str, start: int, end: int, max_length: float) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    while spoken_length(text[start:end]) > max_length:
        cut = _safe_cut(text, start, end, max_length)
        if cut >= end:
            break
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def _merge_short(text: str, chunks: list[TextChunk], min_length: float, max_length: float
                 ) -> list[TextChunk]:
    """Fold very short chunks ("嗯。", "Oh!") into the next so S1 never gets a lone word."""
    merged: list[TextChunk] = []
    pending: TextChunk | None = None
    for chunk in chunks:
        if pending is not None:
            joined = TextChunk(text[pending.start:chunk.end], pending.start, chunk.end)
            if spoken_length(joined.text) <= max_length:
                chunk = joined
            else:
                merged.append(pending)
            pending = None
        if spoken_length(chunk.text) < min_length:
            pending = chunk
        else:
            merged.append(chunk)
    if pending is not None:
        if merged and spoken_length(text[merged[-1].start:pending.end]) <= max_length:
            last = merged.pop()
            pending = TextChunk(text[last.start:pending.end], last.start, pending.end)
        merged.append(pending)
    return merged


def split_sentences(
    text: str,
    max_length: float = DEFAULT_MAX_LENGTH,
    min_length: float = DEFAULT_MIN_LENGTH,
) -> list[TextChunk]:
    """Chunks of ``text`` at sentence ends, each under ``max_length`` (see ``spoken_length``)."""
    if max_length <= 0 or min_length < 0:
        raise UserInputError("The chunk length limits must be positive numbers.")
    chunks: list[TextChunk] = []
    start = 0
    for end in _sentence_ends(text):
        for piece_start, piece_end in _split_long(text, start, end, max_length):
            chunk = _trimmed(text, piece_start, piece_end)
            if chunk is not None:
                chunks.append(chunk)
        start = end
    return _merge_short(text, chunks, min_length, max_length)

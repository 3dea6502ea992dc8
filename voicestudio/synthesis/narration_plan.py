"""From a chapter's text to the sentences a narration renders, with pauses and speeds.

A chapter's text is what the narrator typed or imported, plus two markers a person may put
in it: ``[pause 2]`` (two seconds of silence after the sentence before it) and ``[speed 0.9]``
(the paragraph it stands in is read at that speed). Markers are blanked out before the
frontend's splitter runs, so every sentence keeps character offsets into the text exactly as
written and the editor can colour the very characters it came from. The chapter title is
read first, followed by the chapter pause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from voicestudio.errors import UserInputError
from voicestudio.project.narration import Chapter, NarrationSettings
from voicestudio.synthesis.pipeline import SPEED_RANGE
from voicestudio.text.synthesis_text import pieces_for_synthesis

MARKER = re.compile(r"\[(pause|speed)\s+([0-9]+(?:\.[0-9]+)?)\s*s?\]", re.IGNORECASE)
MAX_PAUSE_SECONDS = 10.0
TITLE_START = -1  # offsets of the title sentence: it is not part of the chapter text


@dataclass(frozen=True)
class PlannedSentence:
    words: str  # as written (whitespace collapsed): the sentence's identity in the project
    text: str  # what S1 reads (upstream's punctuation rules applied)
    start: int  # chapter.text[start:end] holds the words; TITLE_START for the title
    end: int
    paragraph: int  # 0 for the title, then 1, 2, ... per paragraph of the text
    speed: float
    pause_after: float  # seconds of silence before the next sentence


@dataclass(frozen=True)
class Marker:
    kind: str  # "pause" or "speed"
    value: float
    start: int
    end: int


def find_markers(text: str) -> list[Marker]:
    """Every pause/speed marker in ``text``; an out-of-range value is a UserInputError."""
    markers = []
    for match in MARKER.finditer(text):
        kind, value = match.group(1).lower(), float(match.group(2))
        if kind == "pause" and not 0 <= value <= MAX_PAUSE_SECONDS:
            raise UserInputError(f"A pause can be 0 to {MAX_PAUSE_SECONDS:g} seconds, not "
                                 f"{value:g} (“{match.group(0)}”).")
        if kind == "speed" and not SPEED_RANGE[0] <= value <= SPEED_RANGE[1]:
            raise UserInputError(f"A speed can be {SPEED_RANGE[0]:g} to {SPEED_RANGE[1]:g}, "
                                 f"not {value:g} (“{match.group(0)}”).")
        markers.append(Marker(kind, value, match.start(), match.end()))
    return markers


def _paragraph_starts(text: str) -> list[int]:
    """Offsets where paragraphs begin: the start and after every run of line breaks."""
    return [0] + [m.end() for m in re.finditer(r"\n\s*", text)]


def plan_chapter(chapter: Chapter, settings: NarrationSettings) -> list[PlannedSentence]:
    """The chapter's sentences in reading order (title first), with their pauses and speeds."""
    text = chapter.text
    markers = find_markers(text)
    blanked = list(text)
    for marker in markers:
        blanked[marker.start:marker.end] = " " * (marker.end - marker.start)
    readable = "".join(blanked)
    starts = _paragraph_starts(text)

    def paragraph_of(offset: int) -> int:
        return sum(1 for start in starts if start <= offset)

    speeds: dict[int, float] = {}
    for marker in markers:
        if marker.kind == "speed":
            speeds[paragraph_of(marker.start)] = marker.value
    sentences: list[PlannedSentence] = []
    title = " ".join(chapter.title.split())
    if title and any(ch.isalnum() for ch in title):
        for piece in pieces_for_synthesis(title, settings.lang):
            sentences.append(PlannedSentence(
                " ".join(title[piece.start:piece.end].split()), piece.text, TITLE_START,
                TITLE_START, 0, settings.speed, settings.sentence_pause))
        if sentences:
            last = sentences[-1]
            sentences[-1] = PlannedSentence(last.words, last.text, last.start, last.end, 0,
                                            last.speed, settings.chapter_pause)
    pieces = pieces_for_synthesis(readable, settings.lang)
    for number, piece in enumerate(pieces):
        paragraph = paragraph_of(piece.start)
        following = pieces[number + 1].start if number + 1 < len(pieces) else len(readable)
        gap = readable[piece.end:following]
        pause = settings.paragraph_pause if "\n" in gap else settings.sentence_pause
        extra = [m.value for m in markers
                 if m.kind == "pause" and piece.end <= m.start < max(following, piece.end + 1)]
        if extra:
            pause = sum(extra)
        sentences.append(PlannedSentence(
            " ".join(readable[piece.start:piece.end].split()), piece.text, piece.start,
            piece.end, paragraph, speeds.get(paragraph, settings.speed), pause))
    return sentences

"""Checks on every recorded take, each with a plain message and a "record again" verdict.

A take fails when a person would want it re-recorded: distorted, too quiet or too loud,
noisy, no speech, cut off at either end, read far faster or slower than the speaker's own
running pace, or (when a speech-recognition model is installed) with words skipped, added or
replaced. How a word was pronounced fails a take only for a voice set to "standard
pronunciation"; with "keep the way they speak" it is noted and the take is kept under the
prompt's standard text. Silence before and after the speech is not a failure: it is trimmed.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

import numpy as np

from voicestudio.audio.quality import (
    LEVEL_FRAME_SECONDS,
    MAX_CLIPPED_FRACTION,
    MIN_SNR_DB,
    MIN_SPEECH_LEVEL_DBFS,
    assess_segment,
    frame_levels_db,
)
from voicestudio.project.voice import ACCENT_KEEP
from voicestudio.text.prompt_match import Difference, WordDifference, compare_reading

# Loud frames above this are close to distorting even when no sample clipped.
MAX_SPEECH_LEVEL_DBFS = -4.0
# Below this the take holds nothing a voice could learn from.
NO_SPEECH_SNR_DB = 8.0
# A frame is speech when it is this far above the noise floor (and within 35 dB of the
# loudest speech), so breaths and room tone are trimmed but soft word endings are not.
_SPEECH_ABOVE_NOISE_DB = 10.0
_SPEECH_RANGE_DB = 35.0
TRIM_PAD_SECONDS = 0.2  # kept around the speech: a model needs the onset and the release
# Speech in the first or last 60 ms: the speaker started before the recording or the
# recording stopped before they finished.
EDGE_SECONDS = 0.06
# Typical unhurried reading (phones a second) and how far a first take may be from it;
# after a few takes the speaker's own running pace is the reference instead.
TYPICAL_PACE = {"zh": 8.0, "en": 12.0}
FIRST_TAKE_PACE_RANGE = (0.45, 2.0)
OWN_PACE_RANGE = (0.7, 1.4)
OWN_PACE_AFTER_TAKES = 3
OWN_PACE_WINDOW = 10


class TakeProblemKind(StrEnum):
    CLIPPING = "clipping"
    TOO_QUIET = "too_quiet"
    TOO_LOUD = "too_loud"
    NOISY = "noisy"
    NO_SPEECH = "no_speech"
    CUT_OFF_START = "cut_off_start"
    CUT_OFF_END = "cut_off_end"
    TOO_FAST = "too_fast"
    TOO_SLOW = "too_slow"
    WORDS_SKIPPED = "words_skipped"
    WORDS_ADDED = "words_added"
    WORDS_WRONG = "words_wrong"
    PRONUNCIATION = "pronunciation"


@dataclass(frozen=True)
class TakeProblem:
    kind: TakeProblemKind
    message: str
    blocks: bool = True  # False: noted, but the take is kept


@dataclass(frozen=True)
class TakeCheck:
    """What the checks found in one take, and where its speech lies."""

    problems: tuple[TakeProblem, ...]
    trim_start: int  # samples: the kept part after trimming the silence
    trim_end: int
    speech_level_dbfs: float
    noise_floor_dbfs: float
    snr_db: float
    pace: float | None  # phones a second of the trimmed speech
    heard: str | None  # what speech recognition heard (None: no model installed)
    differences: tuple[Difference, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return not any(p.blocks for p in self.problems)

    @property
    def failures(self) -> tuple[TakeProblem, ...]:
        return tuple(p for p in self.problems if p.blocks)


class Recognizer(Protocol):
    def transcribe(self, samples: np.ndarray, sample_rate: int, language: str | None = None
                   ) -> object: ...


def _quote(words: Sequence[str]) -> str:
    shown = [f"“{w}”" for w in words[:5]]
    return ", ".join(shown) + (" …" if len(words) > 5 else "")


def _heard_as(diffs: Sequence[Difference]) -> str:
    shown = [f"“{d.expected}” (heard like “{d.heard}”)" for d in diffs[:5]]
    return ", ".join(shown) + (" …" if len(diffs) > 5 else "")


def speech_bounds(samples: np.ndarray, sample_rate: int, noise_db: float, speech_db: float
                  ) -> tuple[int, int] | None:
    """First and last sample of speech (None when nothing rises above the room)."""
    levels = frame_levels_db(samples, sample_rate)
    threshold = max(noise_db + _SPEECH_ABOVE_NOISE_DB, speech_db - _SPEECH_RANGE_DB)
    loud = np.flatnonzero(levels > threshold)
    if loud.size == 0:
        return None
    frame = round(LEVEL_FRAME_SECONDS * sample_rate)
    return int(loud[0] * frame), int(min((loud[-1] + 1) * frame, samples.size))


class TakeChecker:
    """Checks takes of one speaker in one language; remembers their pace as they go."""

    def __init__(self, lang: str, accent: str = ACCENT_KEEP,
                 recognizer: Recognizer | None = None,
                 own_paces: Sequence[float] = ()) -> None:
        self.lang = lang
        self.accent = accent
        self.recognizer = recognizer
        self.own_paces: list[float] = list(own_paces)

    def remember_pace(self, pace: float | None) -> None:
        """An accepted take's pace joins the speaker's running average."""
        if pace is not None:
            self.own_paces.append(pace)

    def check(self, samples: np.ndarray, sample_rate: int, prompt: str, phones: int
              ) -> TakeCheck:
        """Run every check on one take of ``prompt`` (which the frontend reads as ``phones``)."""
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        quality = assess_segment(x, sample_rate)
        problems: list[TakeProblem] = []
        bounds = speech_bounds(x, sample_rate, quality.noise_floor_dbfs,
                               quality.speech_level_dbfs)
        if bounds is None or quality.snr_db < NO_SPEECH_SNR_DB:
            problems.append(TakeProblem(
                TakeProblemKind.NO_SPEECH,
                "No speech was heard. Check that the right microphone is chosen and not "
                "muted, then record again."))
            return TakeCheck(tuple(problems), 0, x.size, quality.speech_level_dbfs,
                             quality.noise_floor_dbfs, quality.snr_db, None, None)
        problems += self._level_problems(quality.clipped_fraction, quality.speech_level_dbfs,
                                         quality.snr_db)
        edge = round(EDGE_SECONDS * sample_rate)
        if bounds[0] < edge:
            problems.append(TakeProblem(
                TakeProblemKind.CUT_OFF_START,
                "The start sounds cut off. After pressing Record, wait a moment before "
                "speaking, then record again."))
        if bounds[1] > x.size - edge:
            problems.append(TakeProblem(
                TakeProblemKind.CUT_OFF_END,
                "The end sounds cut off. Finish the sentence, wait a moment, then press "
                "Stop. Record again."))
        pad = round(TRIM_PAD_SECONDS * sample_rate)
        start, end = max(bounds[0] - pad, 0), min(bounds[1] + pad, x.size)
        pace = phones / max((bounds[1] - bounds[0]) / sample_rate, 1e-3)
        problems += self._pace_problems(pace)
        heard, differences = None, ()
        if self.recognizer is not None:
            transcript = self.recognizer.transcribe(x[start:end], sample_rate, self.lang)
            heard = str(getattr(transcript, "text", ""))
            differences = tuple(compare_reading(prompt, heard, self.lang))
            problems += self._word_problems(differences)
        return TakeCheck(tuple(problems), start, end, quality.speech_level_dbfs,
                         quality.noise_floor_dbfs, quality.snr_db, pace, heard, differences)

    @staticmethod
    def _level_problems(clipped: float, speech_db: float, snr_db: float) -> list[TakeProblem]:
        problems = []
        if clipped > MAX_CLIPPED_FRACTION:
            problems.append(TakeProblem(
                TakeProblemKind.CLIPPING,
                "Too loud: the sound distorted. Move a little further from the microphone "
                "(or turn it down), then record again."))
        elif speech_db > MAX_SPEECH_LEVEL_DBFS:
            problems.append(TakeProblem(
                TakeProblemKind.TOO_LOUD,
                "Very loud, close to distorting. Move back a little, then record again."))
        if speech_db < MIN_SPEECH_LEVEL_DBFS:
            problems.append(TakeProblem(
                TakeProblemKind.TOO_QUIET,
                "Too quiet. Move closer to the microphone or speak up a little, then "
                "record again."))
        elif snr_db < MIN_SNR_DB:
            problems.append(TakeProblem(
                TakeProblemKind.NOISY,
                "There is a lot of background noise compared with the voice (a fridge, a "
                "fan, traffic?). Make the room quieter or move closer, then record again."))
        return problems

    def _pace_problems(self, pace: float) -> list[TakeProblem]:
        if len(self.own_paces) >= OWN_PACE_AFTER_TAKES:
            reference = statistics.fmean(self.own_paces[-OWN_PACE_WINDOW:])
            low, high = OWN_PACE_RANGE
            usual = "your usual pace"
        else:
            reference = TYPICAL_PACE.get(self.lang, 10.0)
            low, high = FIRST_TAKE_PACE_RANGE
            usual = "a relaxed reading pace"
        if pace > high * reference:
            return [TakeProblem(TakeProblemKind.TOO_FAST,
                                f"Much faster than {usual}. Read it again a little slower.")]
        if pace < low * reference:
            return [TakeProblem(TakeProblemKind.TOO_SLOW,
                                f"Much slower than {usual}. Read it again in one go, "
                                "at an easy pace.")]
        return []

    def _word_problems(self, differences: Sequence[Difference]) -> list[TakeProblem]:
        by_kind = {kind: [d for d in differences if d.kind == kind] for kind in WordDifference}
        problems = []
        if skipped := by_kind[WordDifference.SKIPPED]:
            problems.append(TakeProblem(
                TakeProblemKind.WORDS_SKIPPED,
                f"Some words were left out: {_quote([d.expected for d in skipped])}. "
                "Record again, reading every word."))
        if added := by_kind[WordDifference.ADDED]:
            problems.append(TakeProblem(
                TakeProblemKind.WORDS_ADDED,
                f"Words were heard that are not in the sentence: "
                f"{_quote([d.heard for d in added])}. Record again, reading just the "
                "sentence."))
        if wrong := by_kind[WordDifference.WRONG]:
            problems.append(TakeProblem(
                TakeProblemKind.WORDS_WRONG,
                f"Some words sounded like other words: {_heard_as(wrong)}. Record again."))
        if accent := by_kind[WordDifference.ACCENT]:
            if self.accent == ACCENT_KEEP:
                problems.append(TakeProblem(
                    TakeProblemKind.PRONUNCIATION,
                    f"Said in the speaker's own way: {_heard_as(accent)}. Kept with the "
                    "sentence's text, so the voice learns this accent.", blocks=False))
            else:
                problems.append(TakeProblem(
                    TakeProblemKind.PRONUNCIATION,
                    f"Pronounced differently from the standard: {_heard_as(accent)}. "
                    "Record again with the standard pronunciation if you can."))
        return problems

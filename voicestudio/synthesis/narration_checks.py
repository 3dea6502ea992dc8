"""Checking every rendered sentence, so a narrator only listens to what needs an ear.

GPT-SoVITS's best-known failure on long text is the sentence that skips or repeats words, or
trails off into silence. Each sentence's audio is measured against its text:

* its duration must be plausible for the amount of text (a skipped half, a babbling loop);
* no long silence inside it (a stall);
* no chunk of sound that comes again right after itself (S1 looping on a word or phrase):
  frame spectra are compared at every lag, and a run of matching frames as long as the lag
  means the stretch was said twice;
* with a speech recogniser, the transcript must match the text: the word error rate, and
  which words are missing or said twice.

A problem is a sentence a person can read ("a silence of 1.6 s in the middle").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from voicestudio.text.sentences import spoken_length

FRAME_SECONDS = 0.02
SILENCE_BELOW_SPEECH_DB = 35.0  # a frame this far under the sentence's speech level is silent
SILENCE_FLOOR_DBFS = -60.0
LONGEST_INNER_SILENCE = 1.0  # seconds
SECONDS_PER_SYLLABLE = (1 / 12, 1 / 1.5)  # faster than 12 or slower than 1.5 syllables/s
DURATION_SLACK = 1.0  # seconds allowed on top of the slow bound (pauses at commas)
SHORTEST_REPEAT = 0.45  # seconds: a repeated stretch shorter than this is not reported
REPEAT_SIMILARITY = 0.9
REPEAT_SHARE = 0.8  # of the frames over the stretch must match (onsets may not)
REPEAT_VOICED_SHARE = 0.5  # and at least this share must be sound, not shared silence
MAX_WORD_ERROR_RATE = 0.25
_SPEC_FFT = 1024  # 32 ms at 32 kHz: bins of ~31 Hz
REPEAT_HOP_SECONDS = 0.01  # a repeat's true lag is within 5 ms of one tried
SPECTRUM_TOP_HZ = 4000


class Recogniser(Protocol):
    """A speech recogniser (``audio.transcribe.Transcriber``); only ``.text`` is read."""

    def transcribe(self, samples: np.ndarray, sample_rate: int, language: str | None = None):
        ...


@dataclass
class CheckResult:
    problems: list[str] = field(default_factory=list)
    word_error_rate: float | None = None  # None: no recogniser was available
    missing: list[str] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def _frame_levels(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """RMS level of each 20 ms frame in dBFS."""
    size = max(1, round(FRAME_SECONDS * sample_rate))
    n = audio.size // size
    if n == 0:
        return np.zeros(0)
    frames = audio[: n * size].reshape(n, size).astype(np.float64)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    return 20 * np.log10(np.maximum(rms, 1e-10))


def _silent_frames(levels: np.ndarray) -> np.ndarray:
    speech = float(np.percentile(levels, 95)) if levels.size else -200.0
    return (levels < speech - SILENCE_BELOW_SPEECH_DB) | (levels < SILENCE_FLOOR_DBFS)


def duration_problem(seconds: float, text: str) -> str:
    """Why this many seconds cannot be this text read aloud ("" = plausible)."""
    syllables = max(spoken_length(text), 1.0)
    fast, slow = SECONDS_PER_SYLLABLE
    low, high = syllables * fast, syllables * slow + DURATION_SLACK
    if seconds < low:
        return (f"too short for its text ({seconds:.1f} s for about {syllables:.0f} syllables): "
                "words were probably skipped")
    if seconds > high:
        return (f"too long for its text ({seconds:.1f} s for about {syllables:.0f} syllables): "
                "it may ramble or repeat")
    return ""


def silence_problem(audio: np.ndarray, sample_rate: int) -> str:
    levels = _frame_levels(audio, sample_rate)
    if levels.size == 0 or float(levels.max()) < SILENCE_FLOOR_DBFS:
        return "there is no speech in it, only silence"
    silent = _silent_frames(levels)
    voiced = np.flatnonzero(~silent)
    inner = silent[voiced[0]: voiced[-1] + 1]
    longest = run = 0
    for flag in inner:
        run = run + 1 if flag else 0
        longest = max(longest, run)
    seconds = longest * FRAME_SECONDS
    if seconds > LONGEST_INNER_SILENCE:
        return f"a silence of {seconds:.1f} s in the middle"
    return ""


def _spectral_frames(audio: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """(T, bins) standardised log spectra every 10 ms, and which frames are sound."""
    hop = max(1, round(REPEAT_HOP_SECONDS * sample_rate))
    n = (audio.size - _SPEC_FFT) // hop + 1
    if n < 2:
        return np.zeros((0, 1)), np.zeros(0, dtype=bool)
    index = np.arange(_SPEC_FFT)[None, :] + hop * np.arange(n)[:, None]
    raw = audio[index].astype(np.float64)  # (T, 512)
    power = np.abs(np.fft.rfft(raw * np.hanning(_SPEC_FFT)[None, :], axis=1)) ** 2  # (T, FFT/2 + 1)
    top = max(3, round(SPECTRUM_TOP_HZ * _SPEC_FFT / sample_rate))
    # fine bins (~60 Hz) keep the harmonics: two different syllables differ in pitch
    logs = np.log(power[:, 2:top] + 1e-10)
    logs -= logs.mean(axis=0, keepdims=True)
    logs /= np.linalg.norm(logs, axis=1, keepdims=True) + 1e-9
    levels = 10 * np.log10(np.maximum(np.mean(raw**2, axis=1), 1e-20))
    return logs, ~_silent_frames(levels)


def repeat_problem(audio: np.ndarray, sample_rate: int) -> str:
    """Whether a stretch of sound is immediately said again: at some lag, most frames over a
    stretch as long as the lag match the frames one lag later (onsets may differ by the few
    milliseconds the lag grid misses). Tuned to stay quiet on ordinary speech; a loop that
    only resembles its first pass is left to the transcript check."""
    features, sound = _spectral_frames(audio, sample_rate)
    shortest = max(2, round(SHORTEST_REPEAT / REPEAT_HOP_SECONDS))
    total = features.shape[0]
    for lag in range(shortest, total // 2 + 1):
        similar = np.einsum("td,td->t", features[:-lag], features[lag:]) > REPEAT_SIMILARITY
        both_sound = sound[:-lag] & sound[lag:]
        # the gaps between syllables repeat too: silent in both places counts as matching
        matching = (similar & both_sound) | (~sound[:-lag] & ~sound[lag:])
        window = max(shortest, int(0.8 * lag))
        if matching.size < window:
            break
        kernel = np.ones(window)
        share = np.convolve(matching, kernel, "valid") / window
        voiced = np.convolve(similar & both_sound, kernel, "valid") / window
        if np.any((share >= REPEAT_SHARE) & (voiced >= REPEAT_VOICED_SHARE)):
            return (f"a stretch of {lag * REPEAT_HOP_SECONDS:.1f} s is said twice in a "
                    "row")
    return ""


_WORD = re.compile(r"[A-Za-z0-9']+|[\u4e00-\u9fff]")


def words_of(text: str) -> list[str]:
    """Words to compare: Latin words lower-cased, every Chinese character on its own."""
    return [w.lower() for w in _WORD.findall(text)]


def compare_words(expected: Sequence[str], heard: Sequence[str]
                  ) -> tuple[float, list[str], list[str]]:
    """(word error rate, missing words, repeated words) from an edit-distance alignment; an
    inserted word equal to its neighbour in the transcript counts as repeated."""
    n, m = len(expected), len(heard)
    cost = np.zeros((n + 1, m + 1), dtype=np.int32)
    cost[:, 0] = np.arange(n + 1)
    cost[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i, j] = min(cost[i - 1, j] + 1, cost[i, j - 1] + 1,
                             cost[i - 1, j - 1] + (expected[i - 1] != heard[j - 1]))
    missing: list[str] = []
    repeated: list[str] = []
    i, j = n, m
    while i > 0 or j > 0:
        same = i > 0 and j > 0 and expected[i - 1] == heard[j - 1]
        echo = j > 0 and ((j >= 2 and heard[j - 2] == heard[j - 1])
                          or (j < m and heard[j] == heard[j - 1]))
        if same and cost[i, j] == cost[i - 1, j - 1]:
            i, j = i - 1, j - 1
        elif echo and cost[i, j] == cost[i, j - 1] + 1:
            repeated.append(heard[j - 1])
            j -= 1
        elif i > 0 and cost[i, j] == cost[i - 1, j] + 1:
            missing.append(expected[i - 1])
            i -= 1
        elif i > 0 and j > 0 and cost[i, j] == cost[i - 1, j - 1] + 1:
            i, j = i - 1, j - 1
        else:
            j -= 1
    rate = float(cost[n, m]) / max(n, 1)
    return rate, missing[::-1], repeated[::-1]


class SentenceChecker:
    """Runs every check on one sentence's audio; the recogniser is optional."""

    def __init__(self, recogniser: Recogniser | None = None, language: str | None = None,
                 max_word_error_rate: float = MAX_WORD_ERROR_RATE) -> None:
        self.recogniser = recogniser
        self.language = language
        self.max_word_error_rate = max_word_error_rate

    def check(self, audio: np.ndarray, sample_rate: int, text: str) -> CheckResult:
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        result = CheckResult()
        silence = silence_problem(audio, sample_rate)
        if silence.startswith("there is no speech"):
            result.problems.append(silence)
            return result
        for problem in (duration_problem(audio.size / sample_rate, text), silence,
                        repeat_problem(audio, sample_rate)):
            if problem:
                result.problems.append(problem)
        if self.recogniser is not None:
            heard = self.recogniser.transcribe(audio, sample_rate, self.language).text
            rate, missing, repeated = compare_words(words_of(text), words_of(heard))
            result.word_error_rate, result.missing, result.repeated = rate, missing, repeated
            if rate > self.max_word_error_rate:
                detail = []
                if missing:
                    detail.append("missing: " + ", ".join(missing))
                if repeated:
                    detail.append("said twice: " + ", ".join(dict.fromkeys(repeated)))
                result.problems.append(
                    f"the words heard do not match the text ({rate:.0%} word errors"
                    + (f"; {'; '.join(detail)}" if detail else "") + f"; heard “{heard}”)")
        return result

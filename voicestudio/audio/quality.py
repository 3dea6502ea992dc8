"""Per-segment quality checks a person can act on (re-record, trim, delete, fix the text).

Numbers are measured against the recording as it was (``full_scale`` undoes the import
gain): clipping and "too quiet" are properties of the original take, not of our copy.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from voicestudio.audio.speakers import is_other_speaker

# A sample at ≥ 99 % of full scale is treated as clipped (converters flatten just below 1.0).
CLIP_LEVEL = 0.99
# More than 0.1 % clipped samples is audible distortion; clean speech that merely touches
# full scale on a plosive stays far below (Piper output: ~0.001 %).
MAX_CLIPPED_FRACTION = 0.001
# Speech quieter than −40 dBFS (loud frames) leaves too little above the mic's own hiss once
# it is amplified to a normal level.
MIN_SPEECH_LEVEL_DBFS = -40.0
# Loud frames less than 20 dB above the quiet ones: background noise the model would learn.
MIN_SNR_DB = 20.0
# The 2–15 s range GPT-SoVITS trains on best: shorter clips carry too little context,
# longer ones are cut by the S1 context window and slow Whisper alignment.
MIN_SEGMENT_SECONDS = 2.0
MAX_SEGMENT_SECONDS = 15.0
# Below this mean word probability the transcript likely needs correcting.
MIN_TRANSCRIPT_CONFIDENCE = 0.6

LEVEL_FRAME_SECONDS = 0.02
SPEECH_PERCENTILE = 95  # "speech level": the loud frames
NOISE_PERCENTILE = 10  # "noise floor": the quiet frames (pauses, gaps between words)
_FLOOR_DB = -100.0


class QualityFlag(StrEnum):
    CLIPPING = "clipping"
    TOO_QUIET = "too_quiet"
    NOISY = "noisy"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    UNSURE_TRANSCRIPT = "unsure_transcript"
    GARBLED_TRANSCRIPT = "garbled_transcript"
    OTHER_SPEAKER = "other_speaker"
    # Set by the transcript check, not by the audio: see project.segments.update_text.
    PRONUNCIATION = "pronunciation"


FLAG_MESSAGES = {
    QualityFlag.CLIPPING: "The sound is distorted (too loud when recorded).",
    QualityFlag.TOO_QUIET: "The voice is very quiet.",
    QualityFlag.NOISY: "There is a lot of background noise.",
    QualityFlag.TOO_SHORT: "Very short: under 2 seconds.",
    QualityFlag.TOO_LONG: "Very long: over 15 seconds. Consider splitting it.",
    QualityFlag.UNSURE_TRANSCRIPT: "The text may be wrong. Please listen and check it.",
    QualityFlag.GARBLED_TRANSCRIPT: (
        "The text looks like a recognition error (the same words over and over, or the wrong "
        "language). Listen and type what is said, or leave the segment out."),
    QualityFlag.OTHER_SPEAKER: "This may be a different person speaking.",
    QualityFlag.PRONUNCIATION: (
        "A word is said differently from the standard pronunciation. Leave it out if the "
        "voice should learn the standard way."),
}


@dataclass(frozen=True)
class SegmentQuality:
    duration_seconds: float
    clipped_fraction: float
    speech_level_dbfs: float
    noise_floor_dbfs: float
    snr_db: float
    transcript_confidence: float | None
    speaker_similarity: float | None
    flags: tuple[QualityFlag, ...]

    @property
    def messages(self) -> list[str]:
        return [FLAG_MESSAGES[flag] for flag in self.flags]


# Flags about the transcript, not the sound: an import leaves such segments out of training
# until the person checks the text (a wrong text teaches the voice wrong sounds), and a
# corrected text clears them.
TRANSCRIPT_FLAGS = (QualityFlag.UNSURE_TRANSCRIPT, QualityFlag.GARBLED_TRANSCRIPT)
_TOKENS = re.compile(r"[\u3400-\u9fff]|[A-Za-z\u00c0-\u024f']+|\d+")
_HAN = re.compile(r"[\u3400-\u9fff]")
# A recogniser stuck in a loop ("Get 1-2-1-2-1-2…", "Thank you. Thank you. Thank you.") uses
# few distinct words; natural sentences of eight or more tokens rarely fall under half.
MIN_DISTINCT_TOKEN_SHARE = 0.35
MIN_TOKENS_FOR_REPETITION = 6


def is_garbled_transcript(text: str, lang: str | None = None) -> bool:
    """Whether a recogniser's text is a loop of repeated tokens, or in the wrong script.

    Latin text for a Chinese segment, or Chinese characters for an English one, means the
    recogniser heard another language than the voice's (or made up text from noise).
    """
    tokens = [t.lower() for t in _TOKENS.findall(text)]
    han = sum(1 for t in tokens if _HAN.fullmatch(t))
    if lang == "zh" and tokens and han == 0 and len(tokens) >= 2:
        return True
    if lang == "en" and tokens and han > len(tokens) // 2:
        return True
    if len(tokens) < MIN_TOKENS_FOR_REPETITION:
        return False
    return len(set(tokens)) / len(tokens) < MIN_DISTINCT_TOKEN_SHARE


# Below this the recording carries no sound above 8 kHz, where much of what makes a voice
# clear and personal lies (s, f, th, breath); telephone audio is 8 kHz (nothing above 4 kHz).
NARROWBAND_BELOW_HZ = 16000


def narrowband_warning(name: str, sample_rate: int) -> str | None:
    """What a low-rate (telephone-quality) recording will do to the voice, or None."""
    if sample_rate >= NARROWBAND_BELOW_HZ:
        return None
    kind = "telephone quality" if sample_rate <= 8000 else "low quality"
    return (f"‘{name}’ was recorded at {sample_rate} Hz ({kind}): it holds no sound above "
            f"{sample_rate // 2000} kHz, so a voice made from it sounds muffled, like a phone "
            "call, and keeps that sound. Use a better recording of the same person if there "
            "is one.")


def frame_levels_db(samples: np.ndarray, sample_rate: int, full_scale: float = 1.0) -> np.ndarray:
    """RMS of consecutive 20 ms frames in dB relative to ``full_scale`` (floor −100 dB)."""
    x = np.asarray(samples, dtype=np.float64) / full_scale
    size = max(1, round(LEVEL_FRAME_SECONDS * sample_rate))
    n = max(1, x.size // size)
    frames = np.zeros(n * size)
    frames[: min(x.size, n * size)] = x[: n * size]
    power = np.mean(frames.reshape(n, size) ** 2, axis=1)
    return np.maximum(10.0 * np.log10(np.maximum(power, 1e-30)), _FLOOR_DB)


def assess_segment(
    samples: np.ndarray,
    sample_rate: int,
    full_scale: float = 1.0,
    transcript_confidence: float | None = None,
    speaker_similarity: float | None = None,
) -> SegmentQuality:
    """Measure one segment and flag what a person should look at.

    ``full_scale`` is the sample value that was 0 dBFS in the original file (the import
    gain); confidence and similarity come from the transcriber and the speaker check.
    """
    x = np.asarray(samples, dtype=np.float64)
    duration = x.size / sample_rate
    clipped = float(np.mean(np.abs(x) >= CLIP_LEVEL * full_scale)) if x.size else 0.0
    levels = frame_levels_db(x, sample_rate, full_scale)
    speech = float(np.percentile(levels, SPEECH_PERCENTILE))
    noise = float(np.percentile(levels, NOISE_PERCENTILE))
    snr = speech - noise
    checks = [
        (QualityFlag.CLIPPING, clipped > MAX_CLIPPED_FRACTION),
        (QualityFlag.TOO_QUIET, speech < MIN_SPEECH_LEVEL_DBFS),
        (QualityFlag.NOISY, snr < MIN_SNR_DB),
        (QualityFlag.TOO_SHORT, duration < MIN_SEGMENT_SECONDS),
        (QualityFlag.TOO_LONG, duration > MAX_SEGMENT_SECONDS),
        (
            QualityFlag.UNSURE_TRANSCRIPT,
            transcript_confidence is not None and transcript_confidence < MIN_TRANSCRIPT_CONFIDENCE,
        ),
        (
            QualityFlag.OTHER_SPEAKER,
            speaker_similarity is not None and is_other_speaker(speaker_similarity),
        ),
    ]
    return SegmentQuality(
        duration_seconds=duration,
        clipped_fraction=clipped,
        speech_level_dbfs=speech,
        noise_floor_dbfs=noise,
        snr_db=snr if math.isfinite(snr) else 0.0,
        transcript_confidence=transcript_confidence,
        speaker_similarity=speaker_similarity,
        flags=tuple(flag for flag, fired in checks if fired),
    )

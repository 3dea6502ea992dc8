"""Is every segment the same person? Speaker embeddings against the majority.

Old recordings often hold a second voice (the interviewer, a grandchild, the TV). Training
on it blurs the cloned voice, so segments whose voice differs from the majority are flagged
for the person to review. The majority is found first (the segment with the most
same-speaker neighbours and those neighbours), so a large minority cannot drag the centroid
toward itself the way a plain mean of all segments would.

The embeddings come from the GE2E encoder in ``models/speaker_encoder.py`` with resemblyzer's
published weights, installed by the hub as the ``speaker-encoder`` base model. Before a clip
is embedded it is brought to the loudness and the pause lengths those weights were trained on:
quiet clips are raised to -30 dBFS (loud ones are left alone), and pauses are shortened to
at most ~0.2 s, so that a clip's silence does not dilute its voice.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from voicestudio.audio.resample import resample
from voicestudio.errors import CorruptFileError, MissingModelError
from voicestudio.jobs import CancelToken, ProgressCallback, ProgressTracker

if TYPE_CHECKING:
    from voicestudio.audio.voice_activity import VoiceActivityDetector
    from voicestudio.models.speaker_encoder import SpeakerEncoder

EMBEDDING_SAMPLE_RATE = 16000
SPEAKER_ENCODER_ID = "speaker-encoder"
# GE2E (resemblyzer weights) cosine similarity: clips of one voice score ~0.85–0.95,
# different voices ~0.4–0.65 (measured on Piper and espeak-ng voices, and matching its
# published plots); 0.75 sits in the gap between them.
SAME_SPEAKER_SIMILARITY = 0.75
# With fewer segments there is no majority to compare against.
MIN_SEGMENTS_FOR_MAJORITY = 3
TARGET_DBFS = -30.0  # what the encoder was trained on; quieter clips are raised to it
# Pause shortening: speech is what the voice-activity detector finds in 32 ms windows,
# smoothed over ~0.25 s so that a lone click or breath is not speech and a short dip between
# syllables is not a pause, then widened by ~0.1 s on each side, so a pause keeps at most
# ~0.2 s (what a pause between words lasts).
_SMOOTH_WINDOWS = 8
_KEEP_AROUND_SPEECH = 3

SPEAKER_CHECK_MISSING = (
    "The check for a second speaker was skipped: the speaker-check model is not installed. "
    "Install it from Base models (or run `voicestudio models download speaker-encoder`, or "
    "`voicestudio models import-speaker-encoder FILE` with the resemblyzer 0.1.4 wheel) and "
    "add the files again to check them.")


class SpeakerCheckUnavailable(MissingModelError):
    """The speaker-embedding model is not usable; segments stay unchecked, not wrong."""


def is_other_speaker(similarity: float) -> bool:
    """Whether a similarity to the majority voice means "a different person"."""
    return similarity < SAME_SPEAKER_SIMILARITY


class SpeakerEmbedder:
    """Turns clips into unit-length 256-d voice embeddings with one loaded encoder."""

    def __init__(self, encoder: SpeakerEncoder) -> None:
        from voicestudio.audio.voice_activity import VoiceActivityDetector

        self._encoder = encoder
        self._vad = VoiceActivityDetector()

    def embed(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        clip = resample(np.asarray(samples, dtype=np.float32), sample_rate,
                        EMBEDDING_SAMPLE_RATE)
        wav = shorten_pauses(raise_to_target_level(clip), self._vad)
        if wav.size == 0:  # nothing sounded like speech: embed the whole clip
            wav = clip
        return self._encoder.embed(wav)


def speaker_embedder(data_dir: Path) -> SpeakerEmbedder:
    """The embedder with the installed speaker-check model; SpeakerCheckUnavailable saying how
    to install it when it is missing or damaged."""
    from voicestudio.hub.status import model_state, require_file

    try:
        path = require_file(Path(data_dir), SPEAKER_ENCODER_ID)
    except MissingModelError as exc:
        state = model_state(Path(data_dir), SPEAKER_ENCODER_ID).state
        raise SpeakerCheckUnavailable(
            SPEAKER_CHECK_MISSING if state == "missing"
            else f"The check for a second speaker was skipped: {exc}") from exc
    try:
        return SpeakerEmbedder(_encoder_for(str(path.resolve()), path.stat().st_mtime_ns))
    except CorruptFileError as exc:
        raise SpeakerCheckUnavailable(
            f"The check for a second speaker was skipped: {exc} Reinstall the speaker-check "
            "model from Base models, or run `voicestudio models download speaker-encoder "
            "--force`.") from exc


@functools.lru_cache(maxsize=2)
def _encoder_for(path: str, _mtime_ns: int) -> SpeakerEncoder:
    """One loaded encoder per weights file (reloaded when the file is replaced)."""
    from voicestudio.models.speaker_encoder import load_speaker_encoder

    return load_speaker_encoder(path)


def raise_to_target_level(clip: np.ndarray) -> np.ndarray:
    """The clip raised to TARGET_DBFS RMS when quieter; a louder clip is returned unchanged."""
    rms = float(np.sqrt(np.mean(np.square(clip, dtype=np.float64)))) if clip.size else 0.0
    if rms <= 0.0:
        return clip
    gain_db = TARGET_DBFS - 20.0 * np.log10(rms)
    return clip * np.float32(10.0 ** (gain_db / 20.0)) if gain_db > 0 else clip


def shorten_pauses(clip: np.ndarray, vad: VoiceActivityDetector) -> np.ndarray:
    """The 16 kHz clip without the silence beyond ~0.1 s either side of its speech."""
    from voicestudio.audio.voice_activity import SPEECH_THRESHOLD, VAD_WINDOW

    probs = vad.speech_probabilities(clip, EMBEDDING_SAMPLE_RATE)
    if probs.size == 0:
        return clip[:0]
    speech = (probs >= SPEECH_THRESHOLD).astype(np.float64)
    smoothed = np.convolve(speech, np.ones(_SMOOTH_WINDOWS) / _SMOOTH_WINDOWS, mode="same")
    voiced = smoothed >= 0.5
    reach = 2 * _KEEP_AROUND_SPEECH + 1
    kept = np.convolve(voiced.astype(np.int32), np.ones(reach, np.int32), mode="same") > 0
    mask = np.repeat(kept, VAD_WINDOW)[:clip.size]
    return clip[mask]


def majority_similarities(embeddings: np.ndarray) -> np.ndarray | None:
    """Cosine similarity of each embedding to the majority speaker's centroid.

    None when there are too few segments to say who the majority is.
    """
    e = np.asarray(embeddings, dtype=np.float64)
    if e.shape[0] < MIN_SEGMENTS_FOR_MAJORITY:
        return None
    e = e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-9)
    same = (e @ e.T) >= SAME_SPEAKER_SIMILARITY
    seed = int(np.argmax(same.sum(axis=1)))
    centroid = e[same[seed]].mean(axis=0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-9)
    return e @ centroid


def speaker_similarities(
    clips: Sequence[np.ndarray],
    sample_rate: int,
    embedder: SpeakerEmbedder,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> np.ndarray | None:
    """Similarity of each clip's voice to the majority voice (see majority_similarities)."""
    tracker = ProgressTracker(progress, cancel)
    embeddings = []
    for index, clip in enumerate(clips):
        tracker.step(index, len(clips), "Comparing voices")
        embeddings.append(embedder.embed(clip, sample_rate))
    tracker.step(len(clips), len(clips), "Voices compared")
    return majority_similarities(np.array(embeddings)) if embeddings else None

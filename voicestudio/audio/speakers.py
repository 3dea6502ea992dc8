"""Is every segment the same person? Speaker embeddings (resemblyzer) against the majority.

Old recordings often hold a second voice (the interviewer, a grandchild, the TV). Training
on it blurs the cloned voice, so segments whose voice differs from the majority are flagged
for the person to review. The majority is found first (the segment with the most
same-speaker neighbours and those neighbours), so a large minority cannot drag the centroid
toward itself the way a plain mean of all segments would.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from functools import cache

import numpy as np

from voicestudio.audio.resample import resample
from voicestudio.errors import MissingModelError
from voicestudio.jobs import CancelToken, ProgressCallback, ProgressTracker

EMBEDDING_SAMPLE_RATE = 16000
# resemblyzer cosine similarity: clips of one voice score ~0.85–0.95, different voices
# ~0.4–0.65 (measured on Piper and espeak-ng voices, and matching its published plots);
# 0.75 sits in the gap between them.
SAME_SPEAKER_SIMILARITY = 0.75
# With fewer segments there is no majority to compare against.
MIN_SEGMENTS_FOR_MAJORITY = 3


# resemblyzer cannot be a declared dependency: its metadata asks for the `typing` backport
# (Python < 3.5 only) and the `webrtcvad` sdist, which no longer builds, so a plain
# `pip install .` goes without it and the check is skipped with this note.
SPEAKER_CHECK_MISSING = (
    "The check for a second speaker was skipped: its model (the resemblyzer package) is not "
    "installed. Install it with `pip install --no-deps resemblyzer` and add the files again "
    "to check them.")


class SpeakerCheckUnavailable(MissingModelError):
    """The speaker-embedding model is not installed; segments stay unchecked, not wrong."""


def is_other_speaker(similarity: float) -> bool:
    """Whether a similarity to the majority voice means "a different person"."""
    return similarity < SAME_SPEAKER_SIMILARITY


@cache
def _resemblyzer():
    """(encoder, preprocess function), loaded once; the model ships inside the wheel."""
    try:
        with warnings.catch_warnings():
            # resemblyzer 0.1.4 imports scipy.ndimage.morphology, deprecated in SciPy 1.x.
            warnings.simplefilter("ignore", DeprecationWarning)
            from resemblyzer import VoiceEncoder, preprocess_wav

        return VoiceEncoder("cpu", verbose=False), preprocess_wav
    except (ImportError, OSError, RuntimeError) as exc:
        raise SpeakerCheckUnavailable(SPEAKER_CHECK_MISSING) from exc


def speaker_embedding(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Unit-length 256-d voice embedding of one clip."""
    encoder, preprocess_wav = _resemblyzer()
    clip = resample(samples, sample_rate, EMBEDDING_SAMPLE_RATE)
    wav = preprocess_wav(clip)
    if wav.size == 0:  # resemblyzer trimmed everything as silence: embed the raw clip
        wav = clip
    embedding = encoder.embed_utterance(wav)
    return embedding / max(float(np.linalg.norm(embedding)), 1e-9)


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
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> np.ndarray | None:
    """Similarity of each clip's voice to the majority voice (see majority_similarities)."""
    tracker = ProgressTracker(progress, cancel)
    embeddings = []
    for index, clip in enumerate(clips):
        tracker.step(index, len(clips), "Comparing voices")
        embeddings.append(speaker_embedding(clip, sample_rate))
    tracker.step(len(clips), len(clips), "Voices compared")
    return majority_similarities(np.array(embeddings)) if embeddings else None

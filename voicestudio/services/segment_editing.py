"""What the segment editor opens: a take's waveform envelope (cached) and its audio.

Opening a take must be quick even for an hour-long interview, so the editor first shows the
saved envelope (a few megabytes, no decoding) and the take's audio, which playing and
cutting need, is decoded in a background job. The envelope is computed only the first time,
from the same samples the segments are cut from (cleaned when the take was).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voicestudio.audio.envelope import BASE_BLOCK, ENVELOPE_FORMAT, Envelope
from voicestudio.jobs import CancelToken, ProgressCallback, ProgressTracker
from voicestudio.project.segments import SEGMENT_SAMPLE_RATE, Dataset

WAVEFORMS_DIR = "waveforms"


def envelope_path(dataset: Dataset, take_id: str) -> Path:
    return dataset.voice.subfolder("segments") / WAVEFORMS_DIR / f"{take_id}.npz"


def _envelope_source(dataset: Dataset, take_id: str) -> str:
    """What an envelope depends on: a re-imported or differently cleaned take redraws."""
    take = dataset.take(take_id)
    return f"{take.sha256}|{take.cleaning}|{BASE_BLOCK}|{ENVELOPE_FORMAT}"


def cached_envelope(dataset: Dataset, take_id: str) -> Envelope | None:
    """The saved envelope of a take, if it is there and still matches the take."""
    return Envelope.load(envelope_path(dataset, take_id), _envelope_source(dataset, take_id))


@dataclass(frozen=True)
class OpenedTake:
    take_id: str
    samples: np.ndarray  # as the segments are cut from it (32 kHz)
    envelope: Envelope

    @property
    def sample_rate(self) -> int:
        return SEGMENT_SAMPLE_RATE


def open_take(
    dataset: Dataset,
    take_id: str,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> OpenedTake:
    """Decode a take for editing and make sure its envelope is saved (a background job)."""
    tracker = ProgressTracker(progress, cancel)
    tracker.report(0.0, "Reading the recording")
    samples = dataset.take_samples(take_id)
    tracker.report(0.8, "Drawing the waveform")
    envelope = cached_envelope(dataset, take_id)
    if envelope is None:
        envelope = Envelope.compute(samples, SEGMENT_SAMPLE_RATE,
                                    _envelope_source(dataset, take_id))
        envelope.save(envelope_path(dataset, take_id))
    tracker.report(1.0, "Ready")
    return OpenedTake(take_id, samples, envelope)

"""Import a batch of recordings: decode, bring to a common rate and loudness, skip bad files.

One bad file (a damaged voicemail, a silent clip) must never cost the person the rest of the
batch, so each file's problem becomes a line in the report instead of an exception.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from voicestudio.audio.decode import decode_file
from voicestudio.audio.loudness import TARGET_LUFS, integrated_loudness, normalize_loudness
from voicestudio.errors import JobCancelled, VoiceStudioError
from voicestudio.jobs import CancelToken, ProgressCallback, ProgressTracker

log = logging.getLogger(__name__)

# GPT-SoVITS slices and trains at 32 kHz (its slicer decodes at 32 kHz; S2 outputs 32 kHz).
IMPORT_SAMPLE_RATE = 32000


@dataclass(frozen=True)
class ImportedRecording:
    """A decoded, loudness-normalised recording and how it was changed."""

    source: Path
    samples: np.ndarray  # mono float32 at sample_rate, normalised to the target loudness
    sample_rate: int
    original_sample_rate: int
    original_channels: int
    original_loudness_lufs: float
    gain: float  # linear gain applied; samples / gain is the recording as it was

    @property
    def duration_seconds(self) -> float:
        return self.samples.size / self.sample_rate


@dataclass
class ImportReport:
    imported: list[ImportedRecording] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (file, message for a person)


def import_file(
    path: Path | str, sample_rate: int = IMPORT_SAMPLE_RATE, target_lufs: float = TARGET_LUFS
) -> ImportedRecording:
    """Decode one file and normalise its loudness; raises a VoiceStudioError if unusable."""
    decoded = decode_file(path, sample_rate)
    loudness = integrated_loudness(decoded.samples, decoded.sample_rate)
    samples, gain = normalize_loudness(
        decoded.samples, decoded.sample_rate, target_lufs, loudness=loudness, in_place=True
    )  # the decoded signal is ours alone: scaling it in place saves a copy of the recording
    return ImportedRecording(
        source=decoded.source,
        samples=samples,
        sample_rate=decoded.sample_rate,
        original_sample_rate=decoded.original_sample_rate,
        original_channels=decoded.original_channels,
        original_loudness_lufs=loudness,
        gain=gain,
    )


def import_files(
    paths: Iterable[Path | str],
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    sample_rate: int = IMPORT_SAMPLE_RATE,
    target_lufs: float = TARGET_LUFS,
) -> ImportReport:
    """Import every file it can; the rest go to ``report.skipped`` with the reason.

    Cancelling raises JobCancelled between files (nothing is written, so nothing is torn).
    """
    paths = [Path(p) for p in paths]
    tracker = ProgressTracker(progress, cancel)
    report = ImportReport()
    for index, path in enumerate(paths):
        tracker.step(index, len(paths), f"Reading {path.name}")
        try:
            report.imported.append(import_file(path, sample_rate, target_lufs))
        except JobCancelled:
            raise
        except VoiceStudioError as exc:
            report.skipped.append((path, str(exc)))
        except Exception as exc:  # noqa: BLE001 - a decoder bug must not end the batch
            log.exception("unexpected failure importing %s", path)
            report.skipped.append(
                (
                    path,
                    f"‘{path.name}’ could not be imported ({type(exc).__name__}). It was skipped.",
                )
            )
    tracker.step(len(paths), len(paths), "Import finished")
    return report

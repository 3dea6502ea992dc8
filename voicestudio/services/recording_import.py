"""What the Edit page's import panel knows about a file before anything is imported.

A person drops a folder of old files on the page: before a long import starts they should
see, per file, how long it is, what kind of file it is, and whether it is worth importing
(silent, damaged, a video without sound, very noisy). ``check_recordings`` answers that as
one job; the import itself is ``services.dataset.add_recordings``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voicestudio.audio.quality import (
    CLIP_LEVEL,
    MAX_CLIPPED_FRACTION,
    MIN_SNR_DB,
    MIN_SPEECH_LEVEL_DBFS,
    NOISE_PERCENTILE,
    SPEECH_PERCENTILE,
    frame_levels_db,
)
from voicestudio.errors import JobCancelled, VoiceStudioError
from voicestudio.jobs import CancelToken, ProgressCallback, ProgressTracker

log = logging.getLogger(__name__)

# What a folder is searched for: the formats decode_file reads (sound and video files).
MEDIA_SUFFIXES = frozenset({
    ".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aac", ".wma", ".aif",
    ".aiff", ".amr", ".3gp", ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".wmv",
})
_CHECK_RATE = 16000  # enough to judge level and noise, half the work of 32 kHz


@dataclass(frozen=True)
class RecordingCheck:
    path: Path
    usable: bool
    verdict: str  # a few words for the table ("Good", "Noisy", "Cannot be used")
    detail: str  # a sentence: why, and what to do
    duration_seconds: float | None = None
    format: str = ""  # "FLAC", "MP4 video (aac)"…
    noisy: bool = False  # noise reduction would likely help


def collect_media_files(paths: Iterable[Path | str]) -> list[Path]:
    """Files as given, and the sound and video files inside given folders (sorted, deep)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            found += sorted(p for p in path.rglob("*")
                            if p.is_file() and p.suffix.lower() in MEDIA_SUFFIXES
                            and not any(part.startswith(".") for part in p.parts))
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def describe_format(path: Path) -> str:
    """The kind of file in a few words, from its header only."""
    import av
    import soundfile as sf

    from voicestudio.audio.native_messages import native_stderr_to_log

    try:
        with native_stderr_to_log(path.name):  # libmpg123 prints on damaged ID3 tags
            info = sf.info(str(path))
        return info.format
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError):
        pass
    try:
        with av.open(str(path)) as container:
            audio = [s for s in container.streams if s.type == "audio"]
            video = any(s.type == "video" for s in container.streams)
            # FFmpeg names a family ("mov,mp4,m4a,…"); the file's own ending says which.
            names = container.format.name.split(",")
            suffix = path.suffix.lower().lstrip(".")
            name = (suffix if suffix in names else names[0]).upper()
            codec = f" ({audio[0].codec_context.name})" if audio else " (no sound)"
            return f"{name} video{codec}" if video else f"{name}{codec}"
    except (av.FFmpegError, OSError, ValueError):
        return path.suffix.lstrip(".").upper() or "unknown"


def judge_levels(samples: np.ndarray, sample_rate: int) -> tuple[str, str, bool]:
    """(verdict, detail, noisy) for decoded audio, with the thresholds of the segment checks
    (audio.quality), so the file's verdict and its segments' flags agree."""
    x = np.asarray(samples, dtype=np.float32)
    levels = frame_levels_db(x, sample_rate)
    speech = float(np.percentile(levels, SPEECH_PERCENTILE))
    noise = float(np.percentile(levels, NOISE_PERCENTILE))
    clipped = float(np.mean(np.abs(x) >= CLIP_LEVEL)) if x.size else 0.0
    if clipped > MAX_CLIPPED_FRACTION:
        return ("Distorted", "Parts were recorded too loud and sound distorted; those "
                "segments will be flagged.", False)
    if speech < MIN_SPEECH_LEVEL_DBFS:
        return "Very quiet", "The voice is very quiet; it will be made louder.", False
    if speech - noise < MIN_SNR_DB:
        return ("Noisy", "There is a lot of background noise; tick “Reduce background "
                "noise” before importing.", True)
    return "Good", "Clear enough to use.", False


def check_recording(path: Path) -> RecordingCheck:
    """Duration, format and a quality verdict for one file; never raises for a bad file."""
    from voicestudio.audio.decode import decode_file

    path = Path(path)
    if not path.is_file():
        return RecordingCheck(path, False, "Not found", f"{path} does not exist.")
    kind = describe_format(path)
    try:
        decoded = decode_file(path, _CHECK_RATE)
    except JobCancelled:
        raise
    except VoiceStudioError as exc:
        return RecordingCheck(path, False, "Cannot be used", str(exc), format=kind)
    except Exception as exc:  # noqa: BLE001 - a decoder bug must not end the batch
        log.exception("checking %s failed", path)
        return RecordingCheck(path, False, "Cannot be used",
                              f"‘{path.name}’ could not be read ({type(exc).__name__}).",
                              format=kind)
    verdict, detail, noisy = judge_levels(decoded.samples, decoded.sample_rate)
    return RecordingCheck(path, True, verdict, detail, round(decoded.duration_seconds, 2),
                          kind, noisy)


def check_recordings(
    paths: Sequence[Path],
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> list[RecordingCheck]:
    """``check_recording`` for each file, as one job with progress and cancel."""
    tracker = ProgressTracker(progress, cancel)
    checks = []
    for done, path in enumerate(paths):
        tracker.step(done, len(paths), f"Checking {Path(path).name}")
        checks.append(check_recording(Path(path)))
    tracker.step(1, 1, "Checked")
    return checks

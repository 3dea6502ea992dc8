"""Decode any audio or video file to one mono float32 signal at a chosen sample rate.

libsndfile (soundfile) goes first: it reads WAV/FLAC/OGG/MP3 of every sample format exactly
and quickly. Anything it refuses (M4A/AAC, Opus in WebM, the sound track of MP4/MKV video)
goes to FFmpeg through PyAV, which ships its own FFmpeg, so nothing needs to be installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import soundfile as sf

from voicestudio.audio.problems import (
    AudioNotFoundError,
    EmptyAudioError,
    NoSoundTrackError,
    SilentAudioError,
    UnreadableAudioError,
)
from voicestudio.audio.resample import resample

# Peak below −60 dBFS (0.001 of full scale) counts as silent: that is below the noise of any
# microphone, so such a file is digital silence, a muted input or dither only.
SILENCE_PEAK = 10.0 ** (-60.0 / 20.0)


@dataclass(frozen=True)
class DecodedAudio:
    """A decoded file: mono float32 samples at ``sample_rate``, plus what the file was."""

    source: Path
    samples: np.ndarray
    sample_rate: int
    original_sample_rate: int
    original_channels: int

    @property
    def duration_seconds(self) -> float:
        return self.samples.size / self.sample_rate


def _read_with_soundfile(path: Path) -> tuple[np.ndarray, int] | None:
    """(frames × channels float32, rate), or None when libsndfile does not know the format."""
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError):
        return None
    return data, int(rate)


def _read_with_ffmpeg(path: Path) -> tuple[np.ndarray, int]:
    """Decode the first audio stream with FFmpeg into frames × channels float32."""
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise UnreadableAudioError(path) from exc
    with container:
        streams = [s for s in container.streams if s.type == "audio"]
        if not streams:
            raise NoSoundTrackError(path)
        stream = streams[0]
        rate = int(stream.rate or stream.codec_context.sample_rate or 0)
        chunks: list[np.ndarray] = []
        try:
            for frame in container.decode(stream):
                rate = int(frame.sample_rate) or rate
                planes = frame.to_ndarray()
                channels = len(frame.layout.channels)
                if frame.format.is_planar:
                    chunk = planes.T  # (channels, n) -> (n, channels)
                else:
                    chunk = planes.reshape(-1, channels)  # interleaved (1, n*channels)
                chunks.append(_to_float(chunk))
        except (av.FFmpegError, ValueError) as exc:
            if not chunks:
                raise UnreadableAudioError(path) from exc
            # A truncated tail (interrupted download, cut recording): keep what decoded.
    if not chunks or rate <= 0:
        return np.zeros((0, 1), dtype=np.float32), max(rate, 1)
    widest = max(c.shape[1] for c in chunks)
    chunks = [
        c if c.shape[1] == widest else np.repeat(c.mean(1, keepdims=True), widest, 1)
        for c in chunks
    ]
    return np.concatenate(chunks, axis=0), rate


def _to_float(chunk: np.ndarray) -> np.ndarray:
    """FFmpeg sample formats (s16, s32, u8, flt, dbl) to float32 in [−1, 1]."""
    if chunk.dtype == np.uint8:
        return (chunk.astype(np.float32) - 128.0) / 128.0
    if np.issubdtype(chunk.dtype, np.integer):
        return chunk.astype(np.float32) / float(np.iinfo(chunk.dtype).max + 1)
    return chunk.astype(np.float32, copy=False)


def _downmix(data: np.ndarray) -> np.ndarray:
    """Mean of the channels: keeps the level of a centred voice and favours no microphone.

    When the mean cancels out (one channel wired in reverse polarity, an old tape-deck
    fault), the loudest single channel is used instead of reporting silence.
    """
    if data.shape[1] == 1:
        return data[:, 0]
    mono = data.mean(axis=1, dtype=np.float32)
    peaks = np.max(np.abs(data), axis=0)
    if float(np.max(np.abs(mono))) < 0.1 * float(peaks.max()):
        return np.ascontiguousarray(data[:, int(np.argmax(peaks))])
    return mono


def decode_file(path: Path | str, sample_rate: int | None = None) -> DecodedAudio:
    """Decode ``path`` to mono float32, resampled to ``sample_rate`` (None keeps the file's).

    Raises a distinct error for a missing, unreadable, track-less, empty or silent file, so
    callers can skip it with a message the person understands.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioNotFoundError(path)
    if path.stat().st_size == 0:
        raise EmptyAudioError(path)
    decoded = _read_with_soundfile(path)
    data, rate = decoded if decoded is not None else _read_with_ffmpeg(path)
    if data.shape[0] == 0:
        raise EmptyAudioError(path)
    if not np.all(np.isfinite(data)):
        raise UnreadableAudioError(path, "it contains damaged samples")
    mono = _downmix(data)
    if float(np.max(np.abs(mono))) < SILENCE_PEAK:
        raise SilentAudioError(path)
    target = sample_rate or rate
    return DecodedAudio(
        source=path,
        samples=np.ascontiguousarray(resample(mono, rate, target)),
        sample_rate=target,
        original_sample_rate=rate,
        original_channels=int(data.shape[1]),
    )

"""Decode any audio or video file to one mono float32 signal at a chosen sample rate.

libsndfile (soundfile) goes first: it reads WAV/FLAC/OGG/MP3 of every sample format exactly
and quickly. Anything it refuses (M4A/AAC, Opus in WebM, the sound track of MP4/MKV video)
goes to FFmpeg through PyAV, which ships its own FFmpeg, so nothing needs to be installed.

Files are untrusted, and their headers can lie: a FLAC that claims 2^36 frames, a WAV at
7 Hz or with 0 bits per sample. So nothing is ever sized from what a header claims: the file
is read in blocks, each block is checked, mixed to mono and resampled as it arrives, and
only the mono result at the target rate is kept. A two-hour interview at 48 kHz stereo thus
needs the memory of its 32 kHz mono result (under 1 GB), not several float copies of the
whole file. Every way decoding can fail ends in one of the ``audio.problems`` errors.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import soundfile as sf
import soxr

from voicestudio.audio.native_messages import native_stderr_to_log
from voicestudio.audio.problems import (
    AudioNotFoundError,
    EmptyAudioError,
    NoSoundTrackError,
    SilentAudioError,
    UnreadableAudioError,
)
from voicestudio.audio.resample import resample

log = logging.getLogger(__name__)

# Peak below −60 dBFS (0.001 of full scale) counts as silent: that is below the noise of any
# microphone, so such a file is digital silence, a muted input or dither only.
SILENCE_PEAK = 10.0 ** (-60.0 / 20.0)


# Telephone speech is 8 kHz and studio files go up to 384 kHz (DXD); a header outside
# these bounds is damaged, not a recording (a "7 Hz" WAV would decode as hours of noise).
MIN_SAMPLE_RATE = 4000
MAX_SAMPLE_RATE = 768000
MAX_CHANNELS = 64
# Float files may go over full scale a little (an unlimited mix); by 60 dB, never: such
# samples (±1e30, the format's maximum) are damage, and would overflow the loudness maths.
MAX_FLOAT_PEAK = 1000.0
_BLOCK_FRAMES = 1 << 16


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


class _GrowingBuffer:
    """A float32 array filled block by block; grows in place, never from a header's claim."""

    def __init__(self, capacity: int = 1 << 20) -> None:
        self._data = np.empty(capacity, dtype=np.float32)
        self.size = 0

    def append(self, block: np.ndarray) -> None:
        end = self.size + block.size
        if end > self._data.size:
            self._data.resize(max(end, self._data.size * 3 // 2), refcheck=False)
        self._data[self.size:end] = block
        self.size = end

    def result(self) -> np.ndarray:
        self._data.resize(self.size, refcheck=False)  # shrinks in place, no copy
        return self._data


def _check_rate(path: Path, rate: int) -> None:
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise UnreadableAudioError(
            path, f"its header says {rate} Hz, a sample rate no recording has")


def _check_block(path: Path, block: np.ndarray) -> None:
    if not np.isfinite(block).all():
        raise UnreadableAudioError(path, "it contains damaged samples")
    if block.size and max(float(block.max()), -float(block.min())) > MAX_FLOAT_PEAK:
        raise UnreadableAudioError(path, "its samples lie far outside the range of any sound")


def _soundfile_blocks(path: Path) -> tuple[int, int, Iterator[np.ndarray]] | None:
    """(rate, channels, blocks of frames × channels float32), or None if libsndfile cannot."""
    try:
        with native_stderr_to_log(path.name):
            handle = sf.SoundFile(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError):
        return None
    # Only mpg123 prints while reading; other formats need no capture around each block.
    capture = handle.format == "MP3"

    def blocks() -> Iterator[np.ndarray]:
        with handle:
            while True:
                with native_stderr_to_log(path.name) if capture else nullcontext():
                    block = handle.read(_BLOCK_FRAMES, dtype="float32", always_2d=True)
                if block.shape[0] == 0:
                    return
                yield block

    if not 0 < handle.channels <= MAX_CHANNELS:
        handle.close()
        raise UnreadableAudioError(path, f"its header says {handle.channels} channels")
    return int(handle.samplerate), int(handle.channels), blocks()


def _ffmpeg_blocks(path: Path) -> tuple[int, int, Iterator[np.ndarray]]:
    """Decode the first audio stream with FFmpeg: (rate, channels, frames × channels blocks).

    The rate and channel count are those of the first decoded frame, not the container's
    header; a later frame at another rate is converted to the first one's.
    """
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise UnreadableAudioError(path) from exc
    streams = [s for s in container.streams if s.type == "audio"]
    if not streams:
        container.close()
        raise NoSoundTrackError(path)
    frames = container.decode(streams[0])

    def as_block(frame) -> np.ndarray:
        planes = frame.to_ndarray()
        channels = len(frame.layout.channels)
        chunk = planes.T if frame.format.is_planar else planes.reshape(-1, channels)
        return _to_float(chunk)

    try:
        first = next(frames)
    except StopIteration:
        container.close()
        return MIN_SAMPLE_RATE, 1, iter(())
    except (av.FFmpegError, ValueError) as exc:
        container.close()
        raise UnreadableAudioError(path) from exc
    rate, channels = int(first.sample_rate), len(first.layout.channels)

    def blocks() -> Iterator[np.ndarray]:
        with container:
            yield as_block(first)
            try:
                for frame in frames:
                    block = as_block(frame)
                    if block.shape[1] != channels:  # a layout change mid-stream
                        block = np.repeat(block.mean(1, keepdims=True), channels, 1)
                    if int(frame.sample_rate) != rate:
                        block = np.stack([resample(c, int(frame.sample_rate), rate)
                                          for c in block.T], axis=1)
                    yield block
            except (av.FFmpegError, ValueError):
                return  # a truncated tail (interrupted download, cut recording): keep what decoded

    return rate, channels, blocks()


def _to_float(chunk: np.ndarray) -> np.ndarray:
    """FFmpeg sample formats (s16, s32, u8, flt, dbl) to float32 in [−1, 1]."""
    if chunk.dtype == np.uint8:
        return (chunk.astype(np.float32) - 128.0) / 128.0
    if np.issubdtype(chunk.dtype, np.integer):
        return chunk.astype(np.float32) / float(np.iinfo(chunk.dtype).max + 1)
    return chunk.astype(np.float32, copy=False)


class _MonoAtRate:
    """Mixes blocks to mono and resamples them as they come (soxr's streaming resampler)."""

    def __init__(self, rate: int, target: int, channel: int | None) -> None:
        self._stream = None if rate == target else soxr.ResampleStream(
            rate, target, 1, dtype="float32", quality="VHQ")
        self._channel = channel
        self.out = _GrowingBuffer()
        self.frames = 0
        self.channel_peaks: np.ndarray | None = None
        self.mono_peak = 0.0

    def add(self, block: np.ndarray) -> None:
        self.frames += block.shape[0]
        if self._channel is not None:
            mono = np.ascontiguousarray(block[:, self._channel])
        else:
            peaks = np.abs(block).max(axis=0)
            self.channel_peaks = peaks if self.channel_peaks is None else np.maximum(
                self.channel_peaks, peaks)
            mono = block[:, 0] if block.shape[1] == 1 else block.mean(axis=1, dtype=np.float32)
        if mono.size:
            self.mono_peak = max(self.mono_peak, float(np.abs(mono).max()))
        self.out.append(mono if self._stream is None else self._stream.resample_chunk(mono))

    def finish(self) -> np.ndarray:
        if self._stream is not None:
            self.out.append(self._stream.resample_chunk(np.zeros(0, np.float32), last=True))
        return self.out.result()


def _open(path: Path) -> tuple[int, int, Iterator[np.ndarray]]:
    opened = _soundfile_blocks(path)
    return opened if opened is not None else _ffmpeg_blocks(path)


def _decode(path: Path, target: int | None, channel: int | None) -> tuple[_MonoAtRate, int, int]:
    rate, channels, blocks = _open(path)
    _check_rate(path, rate)
    mono = _MonoAtRate(rate, target or rate, channel)
    for block in blocks:
        _check_block(path, block)
        mono.add(block)
    return mono, rate, channels


def decode_file(path: Path | str, sample_rate: int | None = None) -> DecodedAudio:
    """Decode ``path`` to mono float32, resampled to ``sample_rate`` (None keeps the file's).

    Channels are averaged, which keeps the level of a centred voice and favours no
    microphone; when the average cancels out (one channel wired in reverse polarity, an old
    tape-deck fault) the loudest channel is decoded again on its own instead of reporting
    silence. Raises a distinct error for a missing, unreadable, track-less, empty or silent
    file, so callers can skip it with a message the person understands.
    """
    path = Path(path)
    try:
        if not path.is_file():
            raise AudioNotFoundError(path)
        if path.stat().st_size == 0:
            raise EmptyAudioError(path)
        mono, rate, channels = _decode(path, sample_rate, None)
        peaks = mono.channel_peaks
        if channels > 1 and peaks is not None and mono.mono_peak < 0.1 * float(peaks.max()):
            mono, rate, channels = _decode(path, sample_rate, int(np.argmax(peaks)))
        samples = mono.finish()
    except OSError as exc:
        raise UnreadableAudioError(path, exc.strerror or type(exc).__name__) from exc
    except (UnreadableAudioError, AudioNotFoundError, EmptyAudioError, NoSoundTrackError):
        raise
    except Exception as exc:  # noqa: BLE001 - a decoder's surprise is still a damaged file
        log.exception("unexpected failure decoding %s", path)
        raise UnreadableAudioError(path, type(exc).__name__) from exc
    if mono.frames == 0 or samples.size == 0:
        raise EmptyAudioError(path)
    if mono.mono_peak < SILENCE_PEAK:
        raise SilentAudioError(path)
    return DecodedAudio(
        source=path,
        samples=samples,
        sample_rate=sample_rate or rate,
        original_sample_rate=rate,
        original_channels=channels,
    )

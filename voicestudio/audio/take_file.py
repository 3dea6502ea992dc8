"""A take streamed to disk while it is recorded, and the recovery of one cut short.

The take grows as ``<name>.wav.partial``: a WAV header with unknown sizes followed by
16-bit samples, flushed to the disk every quarter second. Finishing writes the real sizes
and renames it to ``<name>.wav``. A crash, a kill or a power cut leaves the ``.partial``
file; ``recover_partial_takes`` turns each one into a normal WAV of everything that reached
the disk, so the most a person loses is the last fraction of a second.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np

from voicestudio.project.atomic import fsync_dir

PARTIAL_SUFFIX = ".partial"
HEADER_BYTES = 44
_BYTES_PER_SAMPLE = 2  # mono 16-bit PCM


def _header(sample_rate: int, data_bytes: int) -> bytes:
    return (
        b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
        + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, sample_rate,
                                sample_rate * _BYTES_PER_SAMPLE, _BYTES_PER_SAMPLE, 16)
        + b"data" + struct.pack("<I", data_bytes)
    )


def to_int16(samples: np.ndarray) -> np.ndarray:
    x = np.clip(np.asarray(samples, dtype=np.float32).reshape(-1), -1.0, 1.0)
    return np.round(x * 32767.0).astype("<i2")


class TakeFile:
    """One take being written; ``finish`` makes it a complete WAV at ``path``."""

    def __init__(self, path: Path, sample_rate: int) -> None:
        self.path = Path(path)
        self.sample_rate = int(sample_rate)
        self.partial_path = self.path.with_name(self.path.name + PARTIAL_SUFFIX)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: BinaryIO | None = open(self.partial_path, "wb")  # noqa: SIM115
        self._file.write(_header(self.sample_rate, 0))
        self.samples_written = 0
        self.samples_durable = 0

    def append(self, samples: np.ndarray) -> None:
        if self._file is None:
            raise ValueError("the take is already finished")
        data = to_int16(samples)
        self._file.write(data.tobytes())
        self.samples_written += data.size

    def make_durable(self) -> None:
        """Push what was written to the disk: a crash after this keeps it."""
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self.samples_durable = self.samples_written

    def finish(self) -> Path:
        if self._file is None:
            return self.path
        self._file.seek(0)
        self._file.write(_header(self.sample_rate, self.samples_written * _BYTES_PER_SAMPLE))
        self.make_durable()
        self._file.close()
        self._file = None
        os.replace(self.partial_path, self.path)
        fsync_dir(self.path.parent)
        return self.path

    @property
    def seconds(self) -> float:
        return self.samples_written / self.sample_rate


def _read_rate(handle: BinaryIO) -> int:
    handle.seek(24)
    return struct.unpack("<I", handle.read(4))[0]


def recover_partial_take(partial: Path) -> Path:
    """Close a take cut short by a crash; returns the WAV it became."""
    size = partial.stat().st_size
    data_bytes = max(size - HEADER_BYTES, 0)
    data_bytes -= data_bytes % _BYTES_PER_SAMPLE  # a torn last sample is dropped
    with open(partial, "r+b") as handle:
        rate = _read_rate(handle)
        handle.truncate(HEADER_BYTES + data_bytes)
        handle.seek(0)
        handle.write(_header(rate, data_bytes))
        handle.flush()
        os.fsync(handle.fileno())
    target = partial.with_name(partial.name[: -len(PARTIAL_SUFFIX)])
    if target.exists():
        target = target.with_name(f"{target.stem}-recovered{target.suffix}")
    os.replace(partial, target)
    fsync_dir(target.parent)
    return target


def recover_partial_takes(folder: Path) -> list[Path]:
    """Recover every take in ``folder`` that a crash left unfinished (oldest first)."""
    if not Path(folder).is_dir():
        return []
    partials = sorted(Path(folder).glob(f"*.wav{PARTIAL_SUFFIX}"), key=lambda p: p.stat().st_mtime)
    return [recover_partial_take(p) for p in partials if p.stat().st_size >= HEADER_BYTES]

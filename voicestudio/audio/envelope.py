"""The waveform of a long recording for drawing: a min/max envelope pyramid.

Drawing an hour of 32 kHz audio sample by sample means 115 million points; a screen is a
thousand or two pixels wide. The pyramid holds, for blocks of 256 samples, each block's
minimum and maximum, and then the same for blocks twice, four times, … as long. A view picks
the coarsest level that still gives at least one block per pixel, so every zoom draws about
as many points as the screen has pixels, and a peak never disappears between two pixels.

It is computed once per take and saved beside the segments (``segments/waveforms/``), so
opening a long recording again reads a few megabytes instead of decoding the file.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voicestudio.project.atomic import atomic_write_bytes

BASE_BLOCK = 256  # samples per bin of the finest level: 8 ms at 32 kHz
ENVELOPE_FORMAT = 1


@dataclass(frozen=True)
class Envelope:
    """Min/max per block at each level; level k has blocks of ``BASE_BLOCK * 2**k`` samples."""

    sample_rate: int
    n_samples: int
    lows: tuple[np.ndarray, ...]  # float16, one array per level
    highs: tuple[np.ndarray, ...]
    source: str = ""  # what it was computed from (the take's hash and cleaning)

    @property
    def duration_seconds(self) -> float:
        return self.n_samples / self.sample_rate

    @classmethod
    def compute(cls, samples: np.ndarray, sample_rate: int, source: str = "") -> Envelope:
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        blocks = max(1, -(-x.size // BASE_BLOCK))
        padded = np.zeros(blocks * BASE_BLOCK, np.float32)
        padded[: x.size] = x
        grid = padded.reshape(blocks, BASE_BLOCK)
        low, high = grid.min(axis=1), grid.max(axis=1)
        lows, highs = [low], [high]
        while low.size > 1:
            if low.size % 2:  # a lone last block pairs with itself
                low, high = np.append(low, low[-1]), np.append(high, high[-1])
            low = np.minimum(low[0::2], low[1::2])
            high = np.maximum(high[0::2], high[1::2])
            lows.append(low)
            highs.append(high)
        return cls(sample_rate, int(x.size), tuple(a.astype(np.float16) for a in lows),
                   tuple(a.astype(np.float16) for a in highs), source)

    def level_for(self, samples_per_pixel: float) -> int:
        """The coarsest level with blocks no longer than a pixel."""
        level = int(np.floor(np.log2(max(samples_per_pixel, 1.0) / BASE_BLOCK))) \
            if samples_per_pixel >= BASE_BLOCK else 0
        return min(max(level, 0), len(self.lows) - 1)

    def view(
        self, start_seconds: float, end_seconds: float, pixels: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(times, lows, highs) to draw ``[start, end]`` about ``pixels`` wide."""
        start = max(0.0, start_seconds) * self.sample_rate
        end = min(self.n_samples, max(end_seconds * self.sample_rate, start + 1))
        level = self.level_for((end - start) / max(pixels, 1))
        block = BASE_BLOCK * 2 ** level
        first = int(start // block)
        last = min(int(-(-end // block)), self.lows[level].size)
        times = (np.arange(first, last) + 0.5) * block / self.sample_rate
        return times, self.lows[level][first:last], self.highs[level][first:last]

    # Saving -------------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        meta = {"format": ENVELOPE_FORMAT, "sample_rate": self.sample_rate,
                "n_samples": self.n_samples, "source": self.source}
        arrays = {f"low{k}": a for k, a in enumerate(self.lows)}
        arrays |= {f"high{k}": a for k, a in enumerate(self.highs)}
        buffer = io.BytesIO()
        np.savez(buffer, meta=np.frombuffer(json.dumps(meta).encode(), np.uint8), **arrays)
        atomic_write_bytes(Path(path), buffer.getvalue())

    @classmethod
    def load(cls, path: Path, source: str = "") -> Envelope | None:
        """The saved envelope, or None when missing, damaged or made from other audio."""
        try:
            with np.load(Path(path), allow_pickle=False) as data:
                meta = json.loads(data["meta"].tobytes().decode())
                if meta.get("format") != ENVELOPE_FORMAT or meta.get("source") != source:
                    return None
                levels = sum(1 for key in data.files if key.startswith("low"))
                return cls(int(meta["sample_rate"]), int(meta["n_samples"]),
                           tuple(data[f"low{k}"] for k in range(levels)),
                           tuple(data[f"high{k}"] for k in range(levels)), source)
        except (OSError, ValueError, KeyError):
            return None

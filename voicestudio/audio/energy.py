"""Running signal energy read at chosen positions, in bounded memory.

Loudness gating and the slicer's level curve both need the energy of many windows of a
recording. Computed as one cumulative sum they cost several float64 copies of the whole file
(gigabytes for a two-hour interview); here the signal is walked in chunks, optionally through
IIR filters whose state carries from chunk to chunk, and only the sums at the wanted
positions are kept.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.signal import lfilter

_CHUNK = 1 << 18  # samples at a time: a few MB of float64 whatever the recording's length


def cumulative_energy_at(
    samples: np.ndarray,
    positions: np.ndarray,
    filters: Sequence[tuple[np.ndarray, np.ndarray]] = (),
) -> np.ndarray:
    """Sum of the (filtered) signal's squares before each position, in float64.

    ``positions`` are sample indices in [0, len(samples)] (0 gives 0); ``filters`` are
    (b, a) pairs applied in order, as ``lfilter`` would apply them to the whole signal.
    """
    x = np.asarray(samples)
    positions = np.asarray(positions, dtype=np.int64)
    states = [np.zeros(max(len(a), len(b)) - 1) for b, a in filters]
    order = np.argsort(positions, kind="stable")
    wanted = positions[order]
    found = np.zeros(positions.size)
    total = 0.0
    done = int(np.searchsorted(wanted, 0, side="right"))  # position 0: nothing before it
    for begin in range(0, x.size, _CHUNK):
        y = np.asarray(x[begin:begin + _CHUNK], dtype=np.float64)
        for i, (b, a) in enumerate(filters):
            y, states[i] = lfilter(b, a, y, zi=states[i])
        running = np.cumsum(y * y)
        running += total
        stop = int(np.searchsorted(wanted, begin + y.size, side="right"))
        found[done:stop] = running[wanted[done:stop] - begin - 1]
        done = stop
        total = float(running[-1])
    result = np.empty(positions.size)
    result[order] = found
    return result

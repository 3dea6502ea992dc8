"""Byte progress for jobs that move many files (downloads, imports) as one bar with an ETA."""

from __future__ import annotations

import time
from collections.abc import Callable

from voicestudio.jobs import Progress, ProgressCallback
from voicestudio.project.disk import format_bytes


class ByteMeter:
    """Progress over the bytes of a whole job, with an ETA from this run's transfer rate.

    ``done`` may start above zero (a resumed download); the rate counts only bytes moved in
    this run, so resuming from 90 % does not promise an absurdly short ETA. Reports are
    throttled so that a fast disk or a loopback server does not flood the UI with signals.
    """

    def __init__(self, total: int, done: int, progress: ProgressCallback, verb: str,
                 clock: Callable[[], float] = time.monotonic, interval: float = 0.2) -> None:
        self.total = max(total, 1)
        self.done = done
        self._progress = progress
        self._verb = verb
        self._clock = clock
        self._t0 = clock()
        self._moved = 0
        self._interval = interval
        self._last = float("-inf")

    def advance(self, n: int, label: str, force: bool = False) -> None:
        """Count ``n`` bytes (negative to take back bytes that must be fetched again)."""
        self.done += n
        if n > 0:
            self._moved += n
        now = self._clock()
        if not force and now - self._last < self._interval:
            return
        self._last = now
        elapsed = now - self._t0
        rate = self._moved / elapsed if elapsed > 0.5 and self._moved else 0.0
        eta = max(self.total - self.done, 0) / rate if rate else None
        speed = f", {format_bytes(rate)}/s" if rate else ""
        message = (f"{self._verb} {label}: {format_bytes(self.done)} of "
                   f"{format_bytes(self.total)}{speed}")
        self._progress(Progress(min(max(self.done / self.total, 0.0), 1.0), message, eta))

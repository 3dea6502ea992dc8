"""Plumbing every long job uses: a progress callback and a cancel token.

A job is a plain function (or object) that takes ``progress`` and ``cancel`` arguments. It
never imports Qt: the app wraps it in a QThread worker that turns the callbacks into signals,
and the CLI prints the same callbacks as a progress line. Both sides therefore see exactly
the same progress messages and cancel points.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from voicestudio.errors import JobCancelled


@dataclass(frozen=True)
class Progress:
    """One progress report. ``fraction`` is in [0, 1]; ``eta_seconds`` is None until known."""

    fraction: float
    message: str = ""
    eta_seconds: float | None = None


ProgressCallback = Callable[[Progress], None]


def ignore_progress(_: Progress) -> None:
    """Progress sink for callers that do not display progress (tests, nested helpers)."""


class CancelToken:
    """Thread-safe flag a UI or a signal handler sets and a job polls at safe points."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        """Called by jobs between units of work; raising here keeps state consistent."""
        if self._event.is_set():
            raise JobCancelled("Cancelled. Nothing was lost; you can start again at any time.")


class ProgressTracker:
    """Turns "done k of n" into Progress reports with an ETA, and checks for cancel.

    ``start``/``end`` map this tracker onto a slice of a parent job's range, so a job made of
    stages (import, slice, transcribe) reports one monotonic bar without each stage knowing
    where it sits.
    """

    def __init__(
        self,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        start: float = 0.0,
        end: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        job_started: float | None = None,
    ) -> None:
        self._progress = progress or ignore_progress
        self.cancel = cancel or CancelToken()
        self._start = start
        self._end = end
        self._clock = clock
        # The time left is the whole job's: a fast first stage must not say "almost done"
        # at 3 %. Stages made with ``sub`` share the job's start time.
        self._job_started = clock() if job_started is None else job_started

    def report(self, fraction: float, message: str = "") -> None:
        """Report progress within this tracker's range, then honour a pending cancel."""
        fraction = min(max(fraction, 0.0), 1.0)
        overall = self._start + (self._end - self._start) * fraction
        elapsed = self._clock() - self._job_started
        eta = elapsed * (1.0 - overall) / overall if overall > 0.01 and elapsed > 0 else None
        self._progress(Progress(overall, message, eta))
        self.cancel.raise_if_cancelled()

    def step(self, done: int, total: int, message: str = "") -> None:
        self.report(done / total if total else 1.0, message)

    def callback(self) -> ProgressCallback:
        """A progress callback that reports into this tracker's range, for handing a stage
        to a job function that takes ``progress`` rather than a tracker."""
        return lambda p: self.report(p.fraction, p.message)

    def sub(self, start: float, end: float) -> ProgressTracker:
        """A tracker for a stage that covers [start, end] of this tracker's range."""
        span = self._end - self._start
        return ProgressTracker(
            self._progress,
            self.cancel,
            self._start + span * start,
            self._start + span * end,
            self._clock,
            self._job_started,
        )

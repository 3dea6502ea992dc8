"""The process-wide list of heavy jobs: one model-training-sized job at a time.

Training a voice takes every core (or the whole GPU) for minutes to hours; a second one
started beside it, or a narration render, would make both crawl and could run the machine
out of memory. So a heavy job claims the one slot here before it starts, and whoever comes
second is told plainly what is running. The slot names the voice, so pages can show that a
voice is busy; the voice's own cross-process lock (``project.locks.voice_lock``) is what
actually refuses a rename or delete meanwhile, also from another window or command.

Plain Python (no Qt): the app's pages and the CLI claim the same slot.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from voicestudio.project.locks import BusyError


@dataclass(frozen=True)
class HeavyJob:
    """What holds the slot, in words for a person ("Training “Rose”")."""

    description: str
    voice_id: str | None
    started: str


class HeavyJobs:
    """One slot, thread-safe. ``claim`` holds it for a ``with`` block."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._running: HeavyJob | None = None

    @property
    def running(self) -> HeavyJob | None:
        return self._running

    def busy_with_voice(self, voice_id: str) -> bool:
        job = self._running
        return job is not None and job.voice_id == voice_id

    @contextmanager
    def claim(self, description: str, voice_id: str | None = None) -> Iterator[HeavyJob]:
        """Hold the slot, or raise BusyError naming the job that holds it."""
        job = HeavyJob(description, voice_id, datetime.now(UTC).isoformat(timespec="seconds"))
        with self._guard:
            if self._running is not None:
                raise BusyError(
                    f"{self._running.description} is running, and only one such job runs at "
                    "a time so that it finishes as fast as it can. Wait for it to finish or "
                    "cancel it, then try again.")
            self._running = job
        try:
            yield job
        finally:
            with self._guard:
                self._running = None


HEAVY_JOBS = HeavyJobs()

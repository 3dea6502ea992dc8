"""The process-wide slot for heavy jobs: one model-sized job at a time, and the voice it uses.

Training a voice takes every core (or the whole GPU) for minutes to hours; a narration
render, a dataset build or an import of recordings started beside it would make both crawl
and could run the machine out of memory. So every heavy job claims the one slot here before
it starts, and whoever comes second is refused with the name of what is running. Refused,
not queued: a job waiting invisibly behind an hours-long training would start when nobody
expects it (overnight, on battery), and the person would not know why nothing happens; a
refusal names what runs, and the page keeps the button off until the slot is free.

What counts as heavy: whatever loads models over many items or takes minutes of every core
(training, computing training features, adding recordings with transcription, importing a
training list, rendering chapters). Light, allowed beside a heavy job: playing audio,
speaking one try-out sentence or one new take of a sentence (seconds, and the person is
waiting for it; refusing it for the hours a training takes would lock the app), editing
segments, saving a recorded take, exporting a rendered narration (encoding audio that
exists), downloading base models (the network, not the CPU, is what they wait for), writing
or reading a voice bank (a copy of files). The slot is per process: a command run beside the
app meets the app's jobs only through the voice's lock.

A heavy job that uses a voice also holds that voice's lock (``project.locks.voice_lock``)
for its whole length, with the job's purpose as the lock's note. That lock is the one
decision about a voice being in use: the Voices page's rename and delete, another window and
a command all meet it and are told by what ("training, in this window, since 14:02"). The
slot only adds what a lock per voice cannot say: that another voice's job is running.

Plain Python (no Qt): the services claim it, so the app's pages and the CLI share it; pages
listen (``subscribe``) to switch their buttons.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from voicestudio.project.locks import BusyError, voice_lock
from voicestudio.project.voice import Voice

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HeavyJob:
    """What holds the slot: ``description`` in words for a person ("Training “Rose”"),
    ``purpose`` as the voice's lock note says it ("training")."""

    description: str
    purpose: str
    voice_id: str | None
    voice_name: str | None
    started: str
    thread: int


class HeavyJobs:
    """One slot, thread-safe; ``claim`` holds it for a ``with`` block.

    Re-entrant within the thread that holds it: a training computes its features with the
    same service a "Build" button runs, and that inner claim must pass, not refuse itself.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._running: HeavyJob | None = None
        self._depth = 0
        self._listeners: list[Callable[[], Callable[[HeavyJob | None], None] | None]] = []

    @property
    def running(self) -> HeavyJob | None:
        return self._running

    def job_using(self, voice_id: str | None) -> HeavyJob | None:
        """The running job if it uses this voice (by manifest id), else None."""
        job = self._running
        return job if job is not None and voice_id and job.voice_id == voice_id else None

    def busy_with_voice(self, voice_id: str) -> bool:
        return self.job_using(voice_id) is not None

    def refusal(self) -> str | None:
        """Why a heavy job cannot start now (naming the running one), or None when it can.

        For a page's button and tooltip; ``claim`` is what decides, race-free."""
        job = self._running
        if job is None or job.thread == threading.get_ident():
            return None
        return busy_message(job)

    def subscribe(self, listener: Callable[[HeavyJob | None], None]) -> Callable[[], None]:
        """Call ``listener(job or None)`` whenever the slot is taken or freed, from the thread
        that did it (a Qt object must hand it to its own thread: a signal does). A bound
        method is held weakly, so a window that goes away stops listening by itself.
        Returns the unsubscribe."""
        ref: Callable[[], Callable[[HeavyJob | None], None] | None] = (
            weakref.WeakMethod(listener) if inspect.ismethod(listener) else lambda: listener)
        with self._guard:
            self._listeners.append(ref)

        def unsubscribe() -> None:
            with self._guard, contextlib.suppress(ValueError):
                self._listeners.remove(ref)

        return unsubscribe

    @contextmanager
    def claim(self, description: str, voice: Voice | None = None,
              purpose: str = "") -> Iterator[HeavyJob]:
        """Hold the slot (and ``voice``'s lock, noted as ``purpose``) for the block.

        Raises BusyError naming the running job when another thread holds the slot, and
        VoiceInUseError (a BusyError) naming the holder when another window or command is
        changing the voice; in both cases nothing has started.
        """
        me = threading.get_ident()
        purpose = purpose or description
        with self._guard:
            running = self._running
            if running is not None and running.thread != me:
                raise BusyError(busy_message(running))
            outer = running is None
            named = voice is not None and (outer or running.voice_id is None)
            if outer:
                self._running = HeavyJob(
                    description, purpose, None, None,
                    datetime.now(UTC).isoformat(timespec="seconds"), me)
            if named:  # an inner claim names the voice an outer one only found later
                self._running = replace(self._running, voice_id=voice.manifest.id,
                                        voice_name=voice.name)
            self._depth += 1
            job = self._running
        assert job is not None
        try:
            if outer or named:
                self._notify(job)
            with voice_lock(voice, purpose) if voice is not None else contextlib.nullcontext():
                yield job
        finally:
            with self._guard:
                self._depth -= 1
                freed = self._depth == 0
                if freed:
                    self._running = None
            if freed:
                self._notify(None)

    def _notify(self, job: HeavyJob | None) -> None:
        with self._guard:
            self._listeners = [ref for ref in self._listeners if ref() is not None]
            listeners = [ref() for ref in self._listeners]
        for listener in listeners:
            if listener is None:
                continue
            try:
                listener(job)
            except Exception:  # a page's refresh must never break the job itself
                log.exception("heavy-job listener failed")


def busy_message(job: HeavyJob) -> str:
    """The refusal a second heavy job gets: what runs, why one at a time, what to do."""
    try:
        since = datetime.fromisoformat(job.started).astimezone().strftime("%H:%M")
    except ValueError:
        since = job.started
    return (f"{job.description} is running (since {since}), and only one such job runs at a "
            "time so that it finishes as fast as it can. Wait for it to finish or cancel "
            "it, then try again.")


HEAVY_JOBS = HeavyJobs()

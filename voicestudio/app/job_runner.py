"""Runs a long job off the UI thread and turns its callbacks into Qt signals.

A job is any callable ``job(progress, cancel) -> result`` from the layers below (see
:mod:`voicestudio.jobs`). It never imports Qt; this module is the one place that bridges the
two, so every page shows progress, ETA, failure and cancel the same way and the window never
freezes while a model trains or a chapter renders.

Usage::

    runner = JobRunner(lambda progress, cancel: build_dataset(voice, progress, cancel))
    runner.progress.connect(...)      # (fraction, message, eta_seconds or None)
    runner.finished.connect(...)      # (result)
    runner.failed.connect(...)        # (message for the user, exception)
    runner.cancelled.connect(...)     # ()
    runner.start()
    ...
    runner.cancel()                   # sets the job's CancelToken

Exactly one of finished / failed / cancelled is emitted, after every progress signal, and
then ``ended``. All signals arrive on the UI thread in the order the job produced them.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer, Signal

from voicestudio.errors import JobCancelled, VoiceStudioError
from voicestudio.jobs import CancelToken, Progress

log = logging.getLogger(__name__)

Job = Callable[[Callable[[Progress], None], CancelToken], Any]

# Threads still running. Holding them here means a page may drop its runner (or be closed
# and deleted) mid-job without Python destroying a running QThread, which aborts the process.
_ACTIVE: set[_JobThread] = set()

UNEXPECTED_FAILURE = (
    "Something went wrong while working on this. The details were written to the log file; "
    "you can try again, and attach that file if you ask for help."
)


class _UiThreadGarbageCollector(QObject):
    """Runs Python's cyclic garbage collector on the UI thread only.

    Left automatic, the collector runs in whichever thread happens to allocate; when a job
    thread triggers it, it may free Qt widgets from that thread, which crashes Qt (seen as a
    segfault inside a job's ``import torch``). So automatic collection is switched off and
    this timer applies the same thresholds from the UI thread.
    """

    def __init__(self, parent: QObject, interval_ms: int = 500) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.collect)
        self._timer.start(interval_ms)

    def collect(self) -> None:
        count0, count1, count2 = gc.get_count()
        if count0 > self.thresholds[0]:
            gc.collect(0)
            if count1 > self.thresholds[1]:
                gc.collect(1)
                if count2 > self.thresholds[2]:
                    gc.collect(2)


_collector: _UiThreadGarbageCollector | None = None


def collect_garbage_on_ui_thread() -> None:
    """Install the UI-thread collector once (JobRunner.start does; so does run_app)."""
    global _collector
    app = QCoreApplication.instance()
    if _collector is None and app is not None:
        if QThread.currentThread() is not app.thread():
            raise RuntimeError("collect_garbage_on_ui_thread() must run on the UI thread")
        _collector = _UiThreadGarbageCollector(app)


def stop_collecting_on_ui_thread() -> None:
    """Undo :func:`collect_garbage_on_ui_thread` once no job runs (app exit, end of a test):
    collect now, on this thread, and give automatic collection back to Python."""
    global _collector
    if _collector is None:
        return
    _collector._timer.stop()
    _collector.setParent(None)
    _collector = None
    gc.enable()
    gc.collect()


class _JobThread(QThread):
    """The worker thread: calls the job and emits its outcome (queued to the UI thread)."""

    progressed = Signal(float, str, object)
    succeeded = Signal(object)
    errored = Signal(str, object)
    was_cancelled = Signal()

    def __init__(self, job: Job, cancel: CancelToken, min_interval: float) -> None:
        super().__init__()
        self._job = job
        self.cancel_token = cancel
        self._min_interval = min_interval
        self._last_emit = float("-inf")
        self._pending: Progress | None = None

    def _report(self, progress: Progress) -> None:
        # Jobs may report thousands of times a second; coalesce so the UI event queue stays
        # short. The newest report is never lost: it is flushed before the outcome.
        now = time.monotonic()
        if now - self._last_emit >= self._min_interval:
            self._last_emit = now
            self._pending = None
            self._emit_progress(progress)
        else:
            self._pending = progress

    def _emit_progress(self, progress: Progress) -> None:
        self.progressed.emit(float(progress.fraction), progress.message, progress.eta_seconds)

    def _flush(self) -> None:
        if self._pending is not None:
            self._emit_progress(self._pending)
            self._pending = None

    def run(self) -> None:
        try:
            result = self._job(self._report, self.cancel_token)
        except JobCancelled:
            self._flush()
            self.was_cancelled.emit()
        except VoiceStudioError as exc:
            log.info("job failed: %s", exc)
            self._flush()
            self.errored.emit(str(exc), exc)
        except Exception as exc:  # a bug in a job must not take the app down
            log.exception("job crashed")
            self._flush()
            self.errored.emit(UNEXPECTED_FAILURE, exc)
        else:
            self._flush()
            self.succeeded.emit(result)


class JobRunner(QObject):
    """One run of one job on its own thread; create a new runner for each run."""

    progress = Signal(float, str, object)  # fraction 0..1, message, eta seconds or None
    finished = Signal(object)  # the job's return value
    failed = Signal(str, object)  # message for the user, the exception
    cancelled = Signal()
    ended = Signal()  # after any of finished / failed / cancelled

    def __init__(
        self, job: Job, parent: QObject | None = None, min_interval: float = 0.05
    ) -> None:
        super().__init__(parent)
        self.cancel_token = CancelToken()
        self._thread = _JobThread(job, self.cancel_token, min_interval)
        self._thread.progressed.connect(self.progress)
        self._thread.succeeded.connect(self._on_succeeded)
        self._thread.errored.connect(self._on_errored)
        self._thread.was_cancelled.connect(self._on_cancelled)
        self._thread.finished.connect(lambda thread=self._thread: _ACTIVE.discard(thread))
        self._started = False
        self._running = False

    @property
    def is_running(self) -> bool:
        return self._running

    def start(self) -> None:
        if self._started:
            raise RuntimeError("a JobRunner runs its job once; create a new one")
        collect_garbage_on_ui_thread()
        self._started = True
        self._running = True
        _ACTIVE.add(self._thread)
        self._thread.start()

    def cancel(self) -> None:
        """Ask the job to stop at its next safe point; ``cancelled`` follows when it has."""
        self.cancel_token.cancel()

    def wait(self, msecs: int = 5000) -> bool:
        """Block until the thread ends (for shutdown and tests); True if it has ended."""
        return self._thread.wait(msecs)

    def _on_succeeded(self, result: object) -> None:
        self._running = False
        self.finished.emit(result)
        self.ended.emit()

    def _on_errored(self, message: str, exc: object) -> None:
        self._running = False
        self.failed.emit(message, exc)
        self.ended.emit()

    def _on_cancelled(self) -> None:
        self._running = False
        self.cancelled.emit()
        self.ended.emit()


SHUTDOWN_WAIT_MSECS = 20000  # how long closing the app waits, in all, for jobs to stop


def cancel_all_jobs(wait_msecs: int | None = None) -> int:
    """At shutdown: ask every running job to stop and wait for them, up to ``wait_msecs`` in
    all (``SHUTDOWN_WAIT_MSECS``). Returns how many are still running then.

    A job stops at its next safe point, but some work cannot be interrupted: the start-up
    device check's first ``import torch`` takes many seconds on a slow or busy machine, a
    download may sit in a blocking read. A caller that gets a nonzero count must not let
    Python destroy those threads' QThread objects (that aborts the process):
    ``run_app`` leaves with ``os._exit`` instead.
    """
    for thread in list(_ACTIVE):
        thread.cancel_token.cancel()
    wait_msecs = SHUTDOWN_WAIT_MSECS if wait_msecs is None else wait_msecs
    deadline = time.monotonic() + wait_msecs / 1000
    for thread in list(_ACTIVE):
        thread.wait(max(0, round((deadline - time.monotonic()) * 1000)))
    # Ended threads leave _ACTIVE through a queued signal the closed event loop may not
    # deliver any more, so ask each thread instead of counting the set.
    return sum(1 for thread in list(_ACTIVE) if thread.isRunning())

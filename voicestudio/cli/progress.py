"""Progress line and Ctrl-C handling shared by every long CLI command.

The first Ctrl-C sets the job's cancel token, so the job stops at its next safe point and
leaves a consistent state; a second Ctrl-C interrupts at once.
"""

from __future__ import annotations

import math
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from voicestudio.jobs import CancelToken, Progress

# Piped (a log file, CI, `| tee`), a line per 10 % could mean nothing for many minutes of
# training; a line at least this often shows the job is alive and where it is.
PIPED_HEARTBEAT_SECONDS = 30.0


class ProgressLine:
    """Prints job progress as one self-overwriting line; piped, a line per 10 % and at
    least one every ``PIPED_HEARTBEAT_SECONDS``."""

    def __init__(self, stream=None, clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream or sys.stderr
        self._tty = bool(getattr(self._stream, "isatty", lambda: False)())
        self._width = 0
        self._last_decile = -1
        self._clock = clock
        self._last_line = -math.inf

    def __call__(self, p: Progress) -> None:
        eta = ""
        if p.eta_seconds is not None:
            minutes, seconds = divmod(int(p.eta_seconds), 60)
            eta = f", {minutes // 60}:{minutes % 60:02d}:{seconds:02d} left"
        text = f"{p.fraction * 100:5.1f}% {p.message}{eta}"
        if self._tty:
            self._stream.write("\r" + text.ljust(self._width))
            self._width = len(text)
        else:
            decile = int(p.fraction * 10)
            now = self._clock()
            if decile == self._last_decile and now - self._last_line < PIPED_HEARTBEAT_SECONDS:
                return
            self._last_decile, self._last_line = decile, now
            self._stream.write(text + "\n")
        self._stream.flush()

    def close(self) -> None:
        if self._tty and self._width:
            self._stream.write("\n")
            self._stream.flush()


@contextmanager
def cancel_on_ctrl_c() -> Iterator[CancelToken]:
    """A cancel token that the first Ctrl-C sets; a second Ctrl-C interrupts immediately."""
    token = CancelToken()
    if threading.current_thread() is not threading.main_thread():
        yield token
        return

    def first(signum, frame) -> None:
        token.cancel()
        print("\nCancelling… (press Ctrl-C again to stop at once)", file=sys.stderr)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, first)
    try:
        yield token
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def progress_job() -> Iterator[tuple[ProgressLine, CancelToken]]:
    """A progress line and a Ctrl-C cancel token for one job; the line is closed after."""
    line = ProgressLine()
    try:
        with cancel_on_ctrl_c() as token:
            yield line, token
    finally:
        line.close()

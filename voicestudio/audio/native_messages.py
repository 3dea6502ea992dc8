"""What native decoders print on the process's stderr, sent to the log instead.

libmpg123 (libsndfile's MP3 decoder) reports damaged tags and headers by writing straight to
file descriptor 2 ("[src/libmpg123/id3.c:…] error: Unknown text encoding 9, I take no
chances, sorry!"), and libsndfile has no switch for mpg123's quiet flag. On a terminal those
lines break the one-line progress of `dataset add`, and they tell the person nothing they can
act on: the audio still decodes. So fd 2 is pointed at a private file for the length of each
native call and what was written there goes to the log, where a support request finds it.

The redirect is process-wide, so it is held only around single library calls (milliseconds),
under a lock; anything another thread prints in that moment is logged, never dropped.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

log = logging.getLogger(__name__)

_STDERR_FD = 2
_MAX_KEPT_BYTES = 8192  # a damaged file can repeat one warning per frame; the start says it
_lock = threading.Lock()
_sink: IO[bytes] | None = None


def _sink_file() -> IO[bytes]:
    global _sink
    if _sink is None:
        _sink = tempfile.TemporaryFile()
    return _sink


@contextmanager
def native_stderr_to_log(source: str) -> Iterator[None]:
    """Run the block with fd 2 captured; what native code wrote is logged under ``source``."""
    with _lock:
        try:
            sys.stderr.flush()
            saved = os.dup(_STDERR_FD)
        except (OSError, ValueError, AttributeError):  # no stderr at all (a windowed app)
            yield
            return
        sink = _sink_file()
        os.dup2(sink.fileno(), _STDERR_FD)
        try:
            yield
        finally:
            os.dup2(saved, _STDERR_FD)
            os.close(saved)
            _log_captured(sink, source)


def _log_captured(sink: IO[bytes], source: str) -> None:
    size = sink.seek(0, os.SEEK_END)
    if size:
        sink.seek(0)
        text = sink.read(_MAX_KEPT_BYTES).decode("utf-8", errors="replace")
        sink.seek(0)
        sink.truncate()
        more = f" (+{size - _MAX_KEPT_BYTES} bytes)" if size > _MAX_KEPT_BYTES else ""
        log.info("decoder messages for %s%s:\n%s", source, more, text.rstrip())

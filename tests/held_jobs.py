"""Something held by another thread for the length of a ``with`` block: a heavy job in the
slot or a voice's lock, as the app's job thread holds them while the UI thread carries on.

Shared by the service tests and the page tests of the heavy-job slot."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from voicestudio.project.voice import Voice
from voicestudio.services.heavy_jobs import HEAVY_JOBS


@contextmanager
def held_elsewhere(holding: Callable[[], AbstractContextManager]) -> Iterator[None]:
    """``holding()`` entered by another thread until the block ends."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with holding():
            held.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(30)
    try:
        yield
    finally:
        release.set()
        thread.join(30)


def running_elsewhere(description: str, voice: Voice | None = None,
                      purpose: str = "") -> AbstractContextManager[None]:
    """A heavy job ("Training “Lily”") holding the slot, and ``voice``, from another thread."""
    return held_elsewhere(lambda: HEAVY_JOBS.claim(description, voice, purpose))

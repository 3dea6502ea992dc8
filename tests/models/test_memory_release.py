"""Memory a finished job freed goes back to the system, so the next job does not start on top."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from voicestudio.models.memory import _malloc_trim, release_freed_memory

STATM = Path("/proc/self/statm")


def _resident_bytes() -> int:
    return int(STATM.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not STATM.exists() or _malloc_trim() is None, reason="needs Linux glibc")
def test_freed_heap_blocks_are_returned():
    # Blocks below glibc's mmap threshold live on the heap; the one kept at the end pins the
    # heap's top, so glibc's own trimming cannot give the freed ones back.
    blocks = [bytearray(b"\x01" * 60_000) for _ in range(2_000)]  # about 120 MB
    keep = bytearray(b"\x01" * 60_000)
    del blocks
    before = _resident_bytes()
    assert release_freed_memory()
    assert before - _resident_bytes() > 60_000_000
    assert keep[0] == 1

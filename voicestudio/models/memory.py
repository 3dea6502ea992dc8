"""Handing memory that Python and PyTorch have freed back to the operating system.

glibc's allocator keeps freed blocks for reuse instead of returning them: loading a model file
frees the file's bytes and its fp16 tensors (hundreds of MB for the v2 models), and a decode
frees its key/value cache, yet the process's resident size stays at its high-water mark. The
next job then starts from that mark and a chapter's cache lands on top of it, so the peak a
person sees is the sum of jobs that never overlapped. ``release_freed_memory`` asks glibc to
unmap whatever is free (``malloc_trim``); on other C libraries it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError, TypeError):  # not glibc (musl, macOS, Windows)
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_freed_memory() -> bool:
    """Return freed heap pages to the system; True when the C library did (glibc)."""
    trim = _malloc_trim()
    return trim is not None and bool(trim(0))

"""A really full disk for the tests: a tiny tmpfs, mounted where the machine lets tests do so.

Simulated ENOSPC tests show one failing call; a real full filesystem also fails the writes
nobody thought to simulate (the temporary file, the index after the audio, a lock file).
"""

from __future__ import annotations

import errno
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def mounted_tmpfs(parent: Path, size: str = "3m") -> Iterator[Path]:
    """A fresh tmpfs of ``size`` under ``parent``; skips the test where mounting is refused."""
    mount = parent / f"disk-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    """Write zeros into ``folder`` until the disk refuses; returns the filler (delete it to
    free the space again)."""
    filler = folder / f"filler-{uuid.uuid4().hex[:6]}.bin"
    with open(filler, "wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 65536)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler

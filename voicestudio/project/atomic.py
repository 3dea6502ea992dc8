"""Atomic saves: a crash or kill at any moment leaves the old file or the new one, never a torn one.

The recipe is write to a temporary file in the same folder, flush and fsync it, rename it over
the target (atomic on POSIX and on Windows through os.replace), then fsync the folder so the
rename itself survives a power cut.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from voicestudio.project.disk import as_disk_full


def _read_umask() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


# Read once at import: probing the umask later would race with other threads.
# Files get the permissions a plain open() would give, not mkstemp's 0600, so backups and
# other accounts the person shares the voice folder with can read them.
_FILE_MODE = 0o666 & ~_read_umask()


@contextmanager
def atomic_writer(path: Path) -> Iterator[BinaryIO]:
    """A binary file to stream into; when the block ends cleanly it replaces ``path``.

    Large saves (a training state of a gigabyte, a copied recording) stream through this
    instead of being built in memory first. If the block raises, the temporary file is
    removed and ``path`` is untouched. A full disk becomes a DiskFullError that says so,
    with how much was being written, instead of an ``OSError`` traceback.
    """
    path = Path(path)
    written = 0
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise as_disk_full(exc, path, 0) from exc
    try:
        tmp = os.fdopen(fd, "wb")
    except BaseException as exc:
        os.close(fd)
        Path(tmp_name).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise as_disk_full(exc, path, 0) from exc
        raise
    try:
        with tmp:
            if hasattr(os, "fchmod"):
                os.fchmod(tmp.fileno(), _FILE_MODE)
            try:
                yield tmp
                tmp.flush()
                os.fsync(tmp.fileno())
            finally:
                written = _position(tmp)
        os.replace(tmp_name, path)
    except BaseException as exc:
        Path(tmp_name).unlink(missing_ok=True)
        if isinstance(exc, Exception):
            raise as_disk_full(exc, path, written) from exc
        raise
    fsync_dir(path.parent)


def _position(handle: BinaryIO) -> int:
    try:
        return handle.tell()
    except (OSError, ValueError):
        return 0


def atomic_write_bytes(path: Path, data: bytes) -> None:
    with atomic_writer(path) as out:
        out.write(data)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, value: Any) -> None:
    atomic_write_text(path, json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def fsync_dir(folder: Path) -> None:
    """Persist a rename; a no-op where the platform cannot open folders (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

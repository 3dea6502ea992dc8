"""Disk space as a person reads it, and a full disk as a message instead of a traceback.

A full disk is met in the middle of a save (``OSError`` ENOSPC, or a library's own error
wrapping it). Every save is atomic, so the previous state is still there: the message says
that the disk is full, roughly how much more was needed, and that nothing was changed.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

from voicestudio.errors import DiskFullError

_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
# Libraries that write through their own layer (torch.save, libsndfile) may wrap ENOSPC
# in an error without the errno; with less than this left, a failed write means "full".
_NEARLY_FULL_BYTES = 1_000_000
_MARGIN_BYTES = 50_000_000  # room for logs, the marker and whatever else runs meanwhile


def format_bytes(n: float) -> str:
    """Sizes as people read them (decimal units, like file managers and the hub)."""
    for unit in ("B", "kB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def nearest_existing(path: Path) -> Path:
    """``path`` or its closest existing parent (the drive a not-yet-created folder will be on)."""
    path = Path(path)
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def free_bytes(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(nearest_existing(Path(folder))).free
    except OSError:
        return None


def is_disk_full(exc: BaseException, folder: Path) -> bool:
    """Whether a failed write failed because the drive holding ``folder`` is full."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in _FULL_ERRNOS:
            return True
        seen = seen.__cause__ or seen.__context__
    if isinstance(exc, (OSError, RuntimeError)):
        free = free_bytes(folder)
        return free is not None and free < _NEARLY_FULL_BYTES
    return False


def disk_full_error(folder: Path, needed: int = 0, what: str = "", *,
                    outcome: str = "", stopped_after: int = 0) -> DiskFullError:
    """The message for a write that ran out of space.

    ``needed`` is a size known in advance (a folder to copy); ``stopped_after`` is how far a
    streamed save got, which is less than it needed, so it is said as such. ``outcome``
    replaces "Nothing was changed{what}." where a job had saved part of its work already.
    """
    free = free_bytes(folder)
    have = f" ({format_bytes(free)} free)" if free is not None else ""
    if needed:
        have += f"; about {format_bytes(needed)} more were needed"
    elif stopped_after:
        have += f"; the save stopped after writing {format_bytes(stopped_after)}"
    return DiskFullError(
        f"The disk holding {nearest_existing(Path(folder))} is full{have}. "
        f"{outcome or f'Nothing was changed{what}.'} Free some space (at least "
        f"{format_bytes(max(needed, stopped_after, 0) + _MARGIN_BYTES)}), or choose another "
        "data folder in Settings, then try again.")


def as_disk_full(exc: Exception, path: Path, written: int) -> Exception:
    """``exc``, or a DiskFullError for ``path`` when the disk ran full while writing it."""
    if isinstance(exc, DiskFullError) or not is_disk_full(exc, Path(path).parent):
        return exc
    return disk_full_error(Path(path).parent, what=f": {Path(path).name} is as it was",
                           stopped_after=written)


def ensure_free_space(folder: Path, needed: int, what: str) -> None:
    """Refuse to start a job that cannot fit, instead of failing near the end of it."""
    free = free_bytes(folder)
    if free is not None and needed + _MARGIN_BYTES > free:
        raise DiskFullError(
            f"Not enough disk space for {what}: {format_bytes(needed)} are needed but only "
            f"{format_bytes(free)} are free on the drive holding {folder}. Free some space, "
            "or choose another data folder in Settings.")

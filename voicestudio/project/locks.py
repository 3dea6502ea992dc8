"""Cross-process locks: one change of a voice at a time, and who holds it.

Two VoiceStudio processes (the app and a command, or two commands) must not change one voice
at once: two ``dataset add`` runs of the same files would each add every segment, and a
delete during an add would leave the voice split between the trash and a damaged folder.

``voice_lock`` is the one lock a voice has. It is an OS file lock (``filelock``), so it goes
away with the process that held it: a crash never leaves a stale lock to clear by hand. It
lives in ``voices/.locks/<voice id>.lock``, outside the voice folder, so renaming, deleting or
restoring the folder never moves or re-creates it, and it is keyed by the manifest's id, which
a rename keeps. Beside it a small JSON note says what holds it, so whoever is refused can be
told by what ("adding recordings, by `voicestudio dataset add`, since 10:31").

The lock is re-entrant within one thread (an add that saves the manifest, a rename inside a
job that already holds the voice); another thread of the same process is refused like another
process, which is what the app's job registry relies on.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from voicestudio.errors import NotFoundError, VoiceStudioError
from voicestudio.project.voice import Voice

LOCKS_DIRNAME = ".locks"
# A job holds a voice for minutes; waiting a moment only spares a refusal when another
# process merely peeks (``voice_in_use``) or finishes a short change just then.
DEFAULT_WAIT_S = 0.5


class BusyError(VoiceStudioError):
    """Another window, command or job is using the thing; nothing was changed."""


class VoiceInUseError(BusyError):
    """The voice is being changed by something else (named in the message)."""


@contextmanager
def exclusive_file_lock(
    path: Path, *, timeout: float | None = None, busy_message: str = ""
) -> Iterator[None]:
    """Hold an OS lock on ``path`` (created with its folder) across processes and threads.

    ``timeout`` None waits as long as it takes (for short read-modify-writes); a number of
    seconds, 0 included, raises ``BusyError(busy_message)`` when the lock is still taken then.
    The (empty) lock file stays after release: deleting it would let a waiting process lock a
    file that the next process no longer opens.
    """
    lock = FileLock(Path(path), thread_local=False)
    try:
        lock.acquire(timeout=-1 if timeout is None else timeout)
    except Timeout:
        raise BusyError(busy_message or f"{path} is in use by another process.") from None
    try:
        yield
    finally:
        lock.release()


@dataclass(frozen=True)
class LockHolder:
    """What holds a voice, for the message shown to whoever has to wait."""

    purpose: str
    command: str
    pid: int
    since: str

    def describe(self) -> str:
        try:
            started = datetime.fromisoformat(self.since).astimezone().strftime("%H:%M")
        except ValueError:
            started = self.since
        if self.pid == os.getpid():  # a job of this very window (the app's heavy jobs)
            return f"{self.purpose}, in this window, since {started}"
        return f"{self.purpose}, by {self.command} (process {self.pid}), since {started}"


@dataclass
class _Held:
    thread: int
    depth: int


_HELD: dict[str, _Held] = {}
_HELD_GUARD = threading.Lock()


def voice_lock_path(voice_folder: Path, voice_id: str | None) -> Path:
    """Where a voice's lock lives: by manifest id, or by folder name for a damaged folder."""
    key = voice_id or f"folder-{Path(voice_folder).name}"
    return Path(voice_folder).parent / LOCKS_DIRNAME / f"{key}.lock"


def _holder_path(lock_path: Path) -> Path:
    return lock_path.with_suffix(".json")


def _this_command() -> str:
    argv = [Path(sys.argv[0]).name if sys.argv else "python", *sys.argv[1:3]]
    if argv[0] in ("__main__.py", "-m", "python", "python3"):
        argv[0] = "voicestudio"
    return "`" + " ".join(a for a in argv if not a.startswith("-")) + "`"


def read_holder(lock_path: Path) -> LockHolder | None:
    """The note of what holds this lock; None when there is none or it cannot be read."""
    try:
        raw = json.loads(_holder_path(lock_path).read_text(encoding="utf-8"))
        return LockHolder(str(raw["purpose"]), str(raw["command"]), int(raw["pid"]),
                          str(raw["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_holder(lock_path: Path, purpose: str) -> None:
    note = {"purpose": purpose, "command": _this_command(), "pid": os.getpid(),
            "since": datetime.now(UTC).isoformat(timespec="seconds")}
    # The note only improves a refusal message; a full disk must not stop the job here.
    with contextlib.suppress(OSError):
        _holder_path(lock_path).write_text(json.dumps(note), encoding="utf-8")


def in_use_message(name: str, holder: LockHolder | None, refused_as: str) -> str:
    """The refusal of a change ("renamed") to a voice that ``holder`` is using."""
    by = holder.describe() if holder else "another VoiceStudio window or command"
    return (f"“{name}” is in use ({by}), so it cannot be {refused_as} now. Nothing was "
            "changed; wait for that to finish, or stop it, then try again.")


def _busy_message(name: str, lock_path: Path, purpose: str) -> str:
    return in_use_message(name, read_holder(lock_path), purpose)


@contextmanager
def voice_lock(
    voice: Voice, purpose: str, *, refused_as: str | None = None,
    timeout: float = DEFAULT_WAIT_S,
) -> Iterator[None]:
    """Hold the voice's lock while changing it; refuse with who holds it when it is taken.

    ``purpose`` says what this holder does, for others' messages ("adding recordings");
    ``refused_as`` how this change reads in our own refusal ("renamed"); ``timeout`` how
    long to wait for the holder to finish. After the lock is taken the voice folder is
    checked again: a voice renamed or deleted meanwhile is a NotFoundError, never a folder
    written anew.
    """
    with folder_lock(voice.folder, voice.manifest.id, voice.name, purpose,
                     refused_as=refused_as, timeout=timeout):
        yield


@contextmanager
def folder_lock(
    voice_folder: Path, voice_id: str | None, name: str, purpose: str, *,
    refused_as: str | None = None, timeout: float = DEFAULT_WAIT_S,
) -> Iterator[None]:
    """``voice_lock`` for a library folder that may have no readable manifest (a damaged one)."""
    lock_path = voice_lock_path(voice_folder, voice_id)
    key = str(lock_path.resolve())
    me = threading.get_ident()
    with _HELD_GUARD:
        held = _HELD.get(key)
        if held is not None and held.thread == me:
            held.depth += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _HELD_GUARD:
                _HELD[key].depth -= 1
        return
    lock = FileLock(lock_path, thread_local=False)
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise VoiceInUseError(
            _busy_message(name, lock_path, refused_as or f"used for {purpose}")) from None
    try:
        if not Path(voice_folder).is_dir():
            raise NotFoundError(
                f"“{name}” was renamed or deleted by another window or command meanwhile; "
                "nothing was changed. Look it up again in `voicestudio voices list`.")
        with _HELD_GUARD:
            _HELD[key] = _Held(me, 1)
        _write_holder(lock_path, purpose)
        try:
            yield
        finally:
            with _HELD_GUARD:
                _HELD.pop(key, None)
            _holder_path(lock_path).unlink(missing_ok=True)
    finally:
        lock.release()


def voice_in_use(voice: Voice) -> LockHolder | None:
    """What holds the voice now, or None when it is free (for a list's "in use" mark)."""
    lock_path = voice_lock_path(voice.folder, voice.manifest.id)
    with _HELD_GUARD:
        if str(lock_path.resolve()) in _HELD:
            return read_holder(lock_path) or LockHolder("in use", "this window", os.getpid(), "")
    try:
        with exclusive_file_lock(lock_path, timeout=0):
            return None
    except BusyError:
        return read_holder(lock_path) or LockHolder(
            "in use", "another VoiceStudio window or command", 0, "")

"""Installing a base model: one install of a model at a time, and a folder that is never half made.

Every install (download, import, tiny set) goes through :func:`finalize_install`: files are
written into ``.incoming/<id>/``, hashed, ``model.json`` is written there, then the folder is
swapped into place, so an installed folder is always complete and a crash leaves at worst an
unfinished ``.incoming`` folder that the next attempt resumes or replaces.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from voicestudio.errors import DiskFullError, UserInputError
from voicestudio.hub.catalogue import get_spec
from voicestudio.hub.layout import (
    MARKER_NAME,
    PART_SUFFIX,
    bytes_in,
    install_dir,
    lock_path,
    staging_dir,
)
from voicestudio.hub.marker import SOURCES, InstalledModel, read_marker, write_marker
from voicestudio.project.atomic import fsync_dir
from voicestudio.project.checksums import sha256_file
from voicestudio.project.disk import disk_full_error, is_disk_full
from voicestudio.project.locks import exclusive_file_lock
from voicestudio.project.settings import base_models_dir


def finalize_install(
    data_dir: Path,
    spec_id: str,
    staging: Path,
    source: str,
    *,
    origin: Mapping[str, Any] | None = None,
    note: str = "",
    sha256: Mapping[str, str] | None = None,
    file_origins: Mapping[str, str] | None = None,
) -> InstalledModel:
    """Turn a filled staging folder into an installed model, atomically.

    Writes ``model.json`` (every file with size and sha256; ``sha256`` gives digests the
    caller already computed while writing) and swaps the folder into place, replacing any
    earlier install of the same id (a tiny set is replaced by real weights this way).
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}")
    spec = get_spec(spec_id)
    staging = Path(staging)
    present = sorted(p.name for p in staging.iterdir()
                     if p.is_file() and p.name != MARKER_NAME and not p.name.endswith(PART_SUFFIX)
                     and not p.name.startswith("."))
    for wanted in spec.files:
        if wanted.found_in(set(present)) is None:
            raise UserInputError(
                f"{spec.title}: {wanted.name} is missing, so it was not installed.")
    known = dict(sha256 or {})
    origins = dict(file_origins or {})
    files = []
    for name in present:
        path = staging / name
        files.append({
            "name": name, "size": path.stat().st_size,
            "sha256": known.get(name) or sha256_file(path), "origin": origins.get(name, ""),
        })
    write_marker(staging, spec, source, files, origin=origin, note=note)
    for leftover in staging.glob(f"*{PART_SUFFIX}"):
        leftover.unlink()
    target = install_dir(data_dir, spec_id)
    _swap_into_place(staging, target)
    return read_marker(target)


def _swap_into_place(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging``; the old folder is removed only once the new is in."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if target.exists():
        old = staging.parent / f"{target.name}.old-{uuid.uuid4().hex[:8]}"
        os.replace(target, old)
    os.replace(staging, target)
    fsync_dir(target.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def staged_install(
    data_dir: Path, spec_id: str, source: str, *, origin: Mapping[str, Any] | None = None,
    note: str = "", sha256: Mapping[str, str] | None = None,
    file_origins: Mapping[str, str] | None = None,
) -> Iterator[Path]:
    """Write a model's files into the yielded folder; it is installed when the block ends.

    For writers that produce files locally (the tiny random set, imports)::

        with staged_install(data_dir, "hubert", "tiny") as folder:
            model.save_pretrained(folder)

    ``sha256``/``file_origins`` may be filled inside the block; they are read at the end.
    On an exception nothing is installed and the half-written folder is removed. Downloads
    do not use this: their staging folder must outlive a failure so it can be resumed.
    """
    get_spec(spec_id)
    with install_lock(data_dir, spec_id):
        staging = staging_dir(data_dir, spec_id, purpose=source)
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(parents=True)
        try:
            yield staging
            finalize_install(data_dir, spec_id, staging, source, origin=origin, note=note,
                             sha256=sha256, file_origins=file_origins)
        except (OSError, RuntimeError, DiskFullError) as exc:
            if isinstance(exc, DiskFullError) or is_disk_full(exc, staging):
                raise disk_full_error(base_models_dir(Path(data_dir)),
                                      what=f": {get_spec(spec_id).title} was not installed",
                                      stopped_after=bytes_in(staging)) from exc
            raise
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)


@contextmanager
def install_lock(data_dir: Path, spec_id: str) -> Iterator[None]:
    """Keep two installs of one model (the app and a command, say) from mixing their files.

    An OS file lock, so it disappears with the process that held it: no stale lock to clear
    after a crash.
    """
    busy = (f"{get_spec(spec_id).title} is being installed by another VoiceStudio window or "
            "command. Wait for it to finish, then try again.")
    with exclusive_file_lock(lock_path(data_dir, spec_id), timeout=0, busy_message=busy):
        yield

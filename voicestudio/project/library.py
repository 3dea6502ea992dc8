"""The voice library: every voice folder under ``<data-dir>/voices`` plus a recoverable trash.

Delete never removes files: it moves the folder into ``<data-dir>/trash`` with a time stamp,
so a mistaken click can be undone from the app or with ``voicestudio voices restore``.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from voicestudio.errors import CorruptFileError, DiskFullError, NotFoundError, UserInputError
from voicestudio.project.disk import disk_full_error, is_disk_full
from voicestudio.project.locks import folder_lock, voice_lock
from voicestudio.project.voice import (
    ConsentRecord,
    Voice,
    VoiceManifest,
    now_iso,
    validate_languages,
    validate_name,
)

_TRASH_STAMP = "%Y%m%dT%H%M%S%f"


@dataclass(frozen=True)
class LibraryEntry:
    """A folder in the library: either an opened voice or the reason it cannot be opened."""

    folder: Path
    voice: Voice | None
    problem: str | None = None

    @property
    def name(self) -> str:
        return self.voice.name if self.voice else self.folder.name


@dataclass(frozen=True)
class TrashEntry:
    folder: Path
    name: str
    deleted: datetime


def folder_name_for(name: str) -> str:
    """A readable, portable folder name for a voice name (Unicode letters are kept)."""
    return re.sub(r"\s+", "-", name.strip()).strip(".-") or "voice"


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _any_disk_full(exc: BaseException) -> bool:
    """copytree gathers per-file errors into one shutil.Error of (src, dst, reason) rows."""
    rows = exc.args[0] if isinstance(exc, shutil.Error) and exc.args else []
    return any("No space left" in str(row[-1]) for row in rows if isinstance(row, tuple))


class VoiceLibrary:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.voices_dir = self.data_dir / "voices"
        self.trash_dir = self.data_dir / "trash"

    def entries(self) -> list[LibraryEntry]:
        """All voice folders, sorted by name; unreadable ones are listed with their problem."""
        if not self.voices_dir.is_dir():
            return []
        entries = []
        for folder in sorted(p for p in self.voices_dir.iterdir() if p.is_dir()):
            if folder.name.startswith("."):
                continue
            try:
                entries.append(LibraryEntry(folder, Voice.open(folder)))
            except CorruptFileError as exc:
                entries.append(LibraryEntry(folder, None, str(exc)))
        return sorted(entries, key=lambda e: e.name.casefold())

    def voices(self) -> list[Voice]:
        return [e.voice for e in self.entries() if e.voice is not None]

    def entry(self, name: str) -> LibraryEntry:
        """Look a library folder up by its voice name or folder name, case-insensitively."""
        wanted = name.strip().casefold()
        for entry in self.entries():
            if wanted in (entry.name.casefold(), entry.folder.name.casefold()):
                return entry
        raise NotFoundError(f"There is no voice called “{name}”. See `voicestudio voices list`.")

    def find(self, name: str) -> Voice:
        """The voice with this name; a damaged one is a CorruptFileError naming its problem."""
        entry = self.entry(name)
        if entry.voice is None:
            raise CorruptFileError(entry.problem or f"{entry.folder} cannot be opened.")
        return entry.voice

    def check_new_name(self, name: str) -> None:
        """Refuse, as ``create`` would, a name that is invalid or taken: for a job that makes
        a voice only after minutes of work, to say so before that work, not after."""
        self._check_free(validate_name(name))

    def _check_free(self, name: str, ignore: Path | None = None) -> Path:
        for entry in self.entries():
            if entry.folder == ignore:
                continue
            if entry.name.casefold() == name.casefold():
                raise UserInputError(f"A voice called “{entry.name}” already exists.")
        folder = self.voices_dir / folder_name_for(name)
        if folder.exists() and folder != ignore:
            folder = self.voices_dir / f"{folder_name_for(name)}-{uuid.uuid4().hex[:6]}"
        return folder

    def create(
        self, name: str, languages: list[str], consent: ConsentRecord | None = None
    ) -> Voice:
        name = validate_name(name)
        manifest = VoiceManifest(name=name, languages=validate_languages(languages))
        manifest.consent = consent
        folder = self._check_free(name)
        # Build the voice in a hidden folder and rename it into place, so a crash never
        # leaves a half-made voice that shows up in the library.
        staging = self.voices_dir / f".creating-{uuid.uuid4().hex}"
        try:
            staging.mkdir(parents=True)
            Voice(staging, manifest).save()
            os.rename(staging, folder)
        except Exception as exc:
            shutil.rmtree(staging, ignore_errors=True)  # no half-made voice is left behind
            if isinstance(exc, DiskFullError) or is_disk_full(exc, self.voices_dir):
                raise disk_full_error(self.voices_dir, what=f": “{name}” was not created") \
                    from exc
            raise
        return Voice(folder, manifest)

    def rename(self, name: str, new_name: str) -> Voice:
        """Rename a voice (and its folder); refused while something else uses the voice."""
        voice = self.find(name)
        new_name = validate_name(new_name)
        with voice_lock(voice, "renaming", refused_as="renamed"):
            voice = Voice.open(voice.folder)
            target = self._check_free(new_name, ignore=voice.folder)
            voice.manifest.name = new_name
            voice.save()
            if target != voice.folder:
                os.rename(voice.folder, target)
                voice.folder = target
        return voice

    def duplicate(self, name: str, new_name: str) -> Voice:
        source = self.find(name)
        new_name = validate_name(new_name)
        target = self._check_free(new_name)
        staging = self.voices_dir / f".copying-{uuid.uuid4().hex}"
        with voice_lock(source, "copying", refused_as="copied"):
            try:
                shutil.copytree(source.folder, staging, ignore=shutil.ignore_patterns(".*.tmp"))
            except (OSError, shutil.Error) as exc:
                shutil.rmtree(staging, ignore_errors=True)
                if is_disk_full(exc, self.voices_dir) or _any_disk_full(exc):
                    raise disk_full_error(self.voices_dir, _folder_bytes(source.folder),
                                          f": “{source.name}” was not copied") from exc
                raise
        copy = Voice.open(staging)
        copy.manifest.name = new_name
        copy.manifest.id = uuid.uuid4().hex
        copy.manifest.created = now_iso()
        copy.save()
        os.rename(staging, target)
        copy.folder = target
        return copy

    def delete(self, name: str) -> TrashEntry:
        """Move a voice (or a damaged voice folder) to the trash; nothing is erased."""
        entry = self.entry(name)
        voice_id = entry.voice.manifest.id if entry.voice else None
        with folder_lock(entry.folder, voice_id, entry.name, "deleting", refused_as="deleted"):
            stamp = datetime.now(UTC)
            self.trash_dir.mkdir(parents=True, exist_ok=True)
            target = self.trash_dir / f"{entry.folder.name}@{stamp.strftime(_TRASH_STAMP)}"
            os.rename(entry.folder, target)
        return TrashEntry(target, entry.name, stamp)

    def trash(self) -> list[TrashEntry]:
        """Deleted voices, newest first; a damaged one is listed under its folder name."""
        if not self.trash_dir.is_dir():
            return []
        found = []
        for folder in self.trash_dir.iterdir():
            base, _, stamp = folder.name.rpartition("@")
            try:
                deleted = datetime.strptime(stamp, _TRASH_STAMP).replace(tzinfo=UTC)
            except ValueError:
                continue
            try:
                name = Voice.open(folder).name
            except CorruptFileError:
                name = base
            found.append(TrashEntry(folder, name, deleted))
        return sorted(found, key=lambda e: e.deleted, reverse=True)

    def restore(self, name: str) -> Voice | None:
        """Bring back the most recently deleted voice with this name."""
        wanted = name.strip().casefold()
        for entry in self.trash():
            if entry.name.casefold() == wanted:
                return self.restore_entry(entry)
        raise NotFoundError(f"There is no deleted voice called “{name}” in the trash.")

    def restore_entry(self, entry: TrashEntry) -> Voice | None:
        """Bring back one trashed folder; returns None if it is a damaged voice (still listed)."""
        if not entry.folder.is_dir():
            raise NotFoundError(f"“{entry.name}” is no longer in the trash.")
        base = entry.folder.name.rpartition("@")[0] or entry.name
        try:
            voice = Voice.open(entry.folder)
        except CorruptFileError:
            voice = None
        target = self._check_free(voice.name) if voice else self.voices_dir / base
        if target.exists():
            raise UserInputError(f"A voice folder called “{base}” already exists.")
        self.voices_dir.mkdir(parents=True, exist_ok=True)
        os.rename(entry.folder, target)
        return Voice.open(target) if voice else None

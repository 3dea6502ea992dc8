"""What the window is working on: settings, the data folder, its voice library, the open voice.

Pages never keep their own copy of these. They read them from one :class:`AppState` and
listen to its signals, so a change made on one page (a new data folder, a renamed voice)
reaches every other page and the status bar without pages knowing about each other.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from voicestudio.errors import CorruptFileError, NotFoundError, UserInputError
from voicestudio.hub.layout import installed_signature
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.settings import Settings, resolve_data_dir
from voicestudio.project.voice import Voice
from voicestudio.services.heavy_jobs import HEAVY_JOBS

log = logging.getLogger(__name__)
BASE_MODELS_POLL_MS = 2000  # a glance at a few folder entries; cheap enough to do often


class AppState(QObject):
    """Shared state of one main window, with a signal for each kind of change."""

    settings_changed = Signal()
    data_dir_changed = Signal(Path)
    library_changed = Signal()
    current_voice_changed = Signal(object)  # Voice | None
    base_models_changed = Signal()
    # The heavy-job slot was taken or freed (HeavyJob | None); emitted from the job's thread,
    # delivered on the UI thread, so pages switch their buttons when another page's job ends.
    heavy_job_changed = Signal(object)

    def __init__(self, cli_data_dir: str | os.PathLike[str] | None = None) -> None:
        super().__init__()
        self.settings = Settings.load()
        if cli_data_dir:
            self.data_dir_locked_by: str | None = "--data-dir"
        elif os.environ.get("VOICESTUDIO_DATA_DIR"):
            self.data_dir_locked_by = "VOICESTUDIO_DATA_DIR"
        else:
            self.data_dir_locked_by = None
        self.data_dir = resolve_data_dir(cli_data_dir)
        self.library = VoiceLibrary(self.data_dir)
        self.current_voice: Voice | None = None
        self._reopen_last_voice()
        # Base models installed or removed outside the window (`voicestudio models
        # install-tiny` in a terminal) must reach the status bar and pages without a restart.
        self._models_seen = installed_signature(self.data_dir)
        self._models_timer = QTimer(self)
        self._models_timer.setInterval(BASE_MODELS_POLL_MS)
        self._models_timer.timeout.connect(self.check_base_models)
        self._models_timer.start()
        HEAVY_JOBS.subscribe(self._relay_heavy_job)  # held weakly: ends with the window

    # --- settings -------------------------------------------------------------------------

    def update_settings(self, **changes: str) -> None:
        """Apply and save Settings fields at once, so nothing chosen is lost on a crash."""
        for key, value in changes.items():
            if not hasattr(self.settings, key):
                raise AttributeError(f"Settings has no field {key!r}")
            setattr(self.settings, key, value)
        self.settings.save()
        self.settings_changed.emit()

    def set_data_dir(self, folder: Path) -> None:
        """Switch to another data folder now (and remember it), reloading the library."""
        if self.data_dir_locked_by:
            raise UserInputError(
                f"The data folder is set by {self.data_dir_locked_by} for this session; "
                "start VoiceStudio without it to choose a folder here."
            )
        folder = Path(folder).expanduser()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".voicestudio-write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise UserInputError(
                f"VoiceStudio cannot write to {folder} ({exc.strerror or exc}). "
                "Choose a folder you own, for example one inside your Documents."
            ) from exc
        self.data_dir = folder
        self.library = VoiceLibrary(folder)
        self.update_settings(data_dir=str(folder))
        self.data_dir_changed.emit(folder)
        self._reopen_last_voice()
        self.library_changed.emit()
        self.notify_base_models_changed()

    # --- voices ---------------------------------------------------------------------------

    def open_voice(self, name: str) -> Voice:
        """Make a voice the one the other pages work on, and remember it for next time."""
        voice = self.library.find(name)
        self._set_current(voice)
        return voice

    def close_voice(self) -> None:
        self._set_current(None)

    def reload_library(self) -> None:
        """Call after changing the library: re-finds the open voice (by id, so renames keep it)."""
        if self.current_voice is not None:
            wanted = self.current_voice.manifest.id
            match = next((v for v in self.library.voices() if v.manifest.id == wanted), None)
            self._set_current(match)
        self.library_changed.emit()

    def _set_current(self, voice: Voice | None) -> None:
        self.current_voice = voice
        name = voice.name if voice else ""
        if self.settings.last_voice != name:
            self.update_settings(last_voice=name)
        self.current_voice_changed.emit(voice)

    def _reopen_last_voice(self) -> None:
        voice = None
        if self.settings.last_voice:
            try:
                voice = self.library.find(self.settings.last_voice)
            except (NotFoundError, CorruptFileError) as exc:
                # Remembered voice was deleted or damaged meanwhile: start with none open,
                # but keep the name saved in case its folder comes back (another data folder).
                log.info("last voice %r not reopened: %s", self.settings.last_voice, exc)
        self.current_voice = voice
        self.current_voice_changed.emit(voice)

    def _relay_heavy_job(self, job: object) -> None:
        self.heavy_job_changed.emit(job)

    # --- base models ----------------------------------------------------------------------

    def notify_base_models_changed(self) -> None:
        """Pages that install or remove base models call this so the status bar updates."""
        self._models_seen = installed_signature(self.data_dir)
        self.base_models_changed.emit()

    def check_base_models(self) -> bool:
        """Emit ``base_models_changed`` if the installed set changed since last seen."""
        now = installed_signature(self.data_dir)
        if now == self._models_seen:
            return False
        self._models_seen = now
        self.base_models_changed.emit()
        return True

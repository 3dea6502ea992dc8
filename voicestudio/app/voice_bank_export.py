"""Saving the open voice's bank from any page: the Edit page's "Export voice bank…" and the
Record page's "Save a copy…" at the end of a session, where a family banking a relative's
voice should be offered a second copy while the recordings are fresh.

One way to do it, so both ask the same question, run the same job and say the same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QWidget

from voicestudio.app import dialogs
from voicestudio.app.job_runner import JobRunner
from voicestudio.app.widgets.progress import run_in_progress_dialog
from voicestudio.project.voice import Voice
from voicestudio.services.voice_bank import BANK_SUFFIX, export_bank

BANK_FILTER = f"Voice bank (*{BANK_SUFFIX} *.zip);;All files (*)"


def export_voice_bank(parent: QWidget, data_dir: Path, voice: Voice,
                      saved: Callable[[str], None]) -> JobRunner | None:
    """Ask where, then write ``voice``'s bank in the background; ``saved`` gets the words to
    show when it is written. None when the person chose no file."""
    target = dialogs.choose_save_file(parent, "Export voice bank",
                                      Path.home() / f"{voice.name}{BANK_SUFFIX}", BANK_FILTER)
    if target is None:
        return None

    def job(progress, cancel):
        return export_bank(data_dir, voice.name, target, progress, cancel)

    return run_in_progress_dialog(parent, "Saving the voice bank", job, lambda report: saved(
        f"Saved {report.clips} clips of {report.voice} to {report.path}. Keep a second copy "
        "somewhere safe."))

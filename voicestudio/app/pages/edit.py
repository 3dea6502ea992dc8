"""The Edit page: import old recordings, fix their segments, keep the voice bank.

Two tabs share the open voice: Import (``edit_import``) and Segments (``edit_segments``).
The voice-bank buttons sit above both: export writes the open, documented archive of the
voice's data; import restores one as a new voice; a GPT-SoVITS training list can be brought
in as the open voice's segments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QLabel, QPushButton, QTabWidget, QWidget

from voicestudio.app import dialogs
from voicestudio.app.job_runner import JobRunner
from voicestudio.app.pages.base import BasePage
from voicestudio.app.pages.edit_import import ImportPanel
from voicestudio.app.pages.edit_segments import SegmentEditor
from voicestudio.app.state import AppState
from voicestudio.app.voice_bank_export import BANK_FILTER, export_voice_bank
from voicestudio.app.widgets.flow_layout import FlowLayout
from voicestudio.app.widgets.notice import NoticeBar
from voicestudio.app.widgets.progress import run_in_progress_dialog
from voicestudio.project.voice import Voice
from voicestudio.services.heavy_jobs import HEAVY_JOBS
from voicestudio.services.list_import import import_list
from voicestudio.services.voice_bank import import_bank

LIST_FILTER = "GPT-SoVITS list (*.list *.txt);;All files (*)"


class EditPage(BasePage):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        layout = self.page_layout(
            "Edit", "Bring in old recordings, then listen to each piece and fix what the "
            "computer got wrong. Everything is saved as you go.")
        self.notice = NoticeBar()
        self.voice_label = QLabel()
        self.export_button = QPushButton("Export voice bank…")
        self.export_button.setToolTip(
            "Save every clip, its words, the consent and a README in one open archive, to "
            "rebuild this voice on any future program.")
        self.export_button.clicked.connect(self.export_voice_bank)
        self.import_bank_button = QPushButton("Import voice bank…")
        self.import_bank_button.clicked.connect(self.import_voice_bank)
        self.import_list_button = QPushButton("Import GPT-SoVITS list…")
        self.import_list_button.clicked.connect(self.import_training_list)
        self.voice_label.setWordWrap(True)  # a long voice name wraps, it is never cut
        bar = FlowLayout()
        for button in (self.export_button, self.import_bank_button, self.import_list_button):
            bar.addWidget(button)

        self.importer = ImportPanel(lambda: self.state.data_dir)
        self.editor = SegmentEditor()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.importer, "Import recordings")
        self.tabs.addTab(self.editor, "Segments")
        self.importer.imported.connect(self._after_import)
        self.editor.changed.connect(self.state.reload_library)
        self.bank_runner: JobRunner | None = None

        layout.addWidget(self.voice_label)
        layout.addLayout(bar)
        layout.addWidget(self.notice)
        layout.addWidget(self.tabs, 1)
        state.current_voice_changed.connect(self._set_voice)
        state.heavy_job_changed.connect(self._heavy_job_changed)
        self._voice_id: str | None = None
        self._set_voice(state.current_voice)

    def on_shown(self) -> None:
        if self.state.current_voice is not None and self.editor.dataset is not None:
            self.editor.reload()

    def confirm_close(self) -> bool:
        if self.importer.busy:
            self.importer.runner.cancel()
        self.editor.stop()
        return True

    def _set_voice(self, voice: Voice | None) -> None:
        voice_id = voice.manifest.id if voice else None
        if voice is None:
            self.voice_label.setText("No voice is open: open one on the Voices page.")
        else:
            self.voice_label.setText(f"Working on {voice.name}")
        self.export_button.setEnabled(voice is not None)
        self.importer.set_voice(voice)
        self._heavy_job_changed(None)
        if voice_id != self._voice_id:  # not on a rename or a summary update
            self._voice_id = voice_id
            self.editor.set_voice(voice)

    def _heavy_job_changed(self, _job: object) -> None:
        """An import of a list is a heavy job: off while another one runs, saying which."""
        refusal = HEAVY_JOBS.refusal()
        self.import_list_button.setEnabled(self.state.current_voice is not None
                                           and refusal is None)
        self.import_list_button.setToolTip(refusal or "")
        self.importer.heavy_job_changed()

    def _after_import(self) -> None:
        self.editor.reload()
        self.state.reload_library()

    # Voice bank ---------------------------------------------------------------------------
    def _run_bank_job(self, title: str, job: Any, on_done: Any) -> None:
        self.bank_runner = run_in_progress_dialog(self, title, job, on_done)

    def export_voice_bank(self) -> None:
        voice = self.state.current_voice
        if voice is None:
            return
        runner = export_voice_bank(self, self.state.data_dir, voice, self.notice.show_notice)
        if runner is not None:
            self.bank_runner = runner

    def import_voice_bank(self) -> None:
        source = dialogs.choose_file(self, "Import voice bank", Path.home(), BANK_FILTER)
        if source is None:
            return
        data_dir = self.state.data_dir
        self._run_bank_job("Restoring the voice bank", lambda progress, cancel: import_bank(
            data_dir, source, None, progress, cancel), self._bank_imported)

    def _bank_imported(self, report: Any) -> None:
        self.state.reload_library()
        self.state.open_voice(report.voice)
        self.notice.show_notice(f"Restored {report.voice} with {report.segments} segments.")
        self.tabs.setCurrentWidget(self.editor)

    def import_training_list(self) -> None:
        voice = self.state.current_voice
        if voice is None:
            return
        source = dialogs.choose_file(self, "Import a GPT-SoVITS training list", Path.home(),
                                     LIST_FILTER)
        if source is None:
            return
        data_dir = self.state.data_dir
        self._run_bank_job("Importing the list", lambda progress, cancel: import_list(
            data_dir, voice.name, source, None, progress, cancel), self._list_imported)

    def _list_imported(self, report: Any) -> None:
        lines = len(report.skipped)
        skipped = f"; {lines} line{'' if lines == 1 else 's'} skipped" if lines else ""
        count = len(report.imported)
        self.notice.show_notice(f"Imported {count} clip{'' if count == 1 else 's'}{skipped}.")
        self._after_import()
        self.tabs.setCurrentWidget(self.editor)

"""The Import tab of the Edit page: old recordings in, transcribed segments out.

Files (or whole folders) are added by button or dropped on the tab; each is checked at once
in the background (length, kind of file, a quality verdict). "Import" then runs one job for
all usable files: decode, optional noise reduction, cut at pauses, transcribe, check. Files
that cannot be used are listed with the reason and never stop the others. The voice-bank
and GPT-SoVITS list buttons live here too: they are imports and exports of the same data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from voicestudio.app import dialogs
from voicestudio.app.job_runner import JobRunner
from voicestudio.app.widgets.flow_layout import FlowLayout
from voicestudio.app.widgets.progress import ProgressPanel
from voicestudio.audio.denoise import DENOISE_RECIPE
from voicestudio.project.voice import Voice
from voicestudio.services.dataset import AddReport, SpeechRecognizer, add_recordings
from voicestudio.services.heavy_jobs import HEAVY_JOBS
from voicestudio.services.recording_import import (
    RecordingCheck,
    check_recordings,
    collect_media_files,
)

COLUMNS = ("File", "Length", "Kind", "Check", "Result")
MEDIA_FILTER = dialogs.AUDIO_FILTER
DROP_HINT = "Drop sound or video files, or a whole folder, here."
NO_VOICE_HINT = "Open a voice on the Voices page first: recordings are added to it."


def choose_files(parent: QWidget, start: Path) -> list[Path]:
    """The system's picker for several recordings at once (tests replace this)."""
    chosen, _ = QFileDialog.getOpenFileNames(parent, "Add recordings", str(start),
                                             MEDIA_FILTER)
    return [Path(p) for p in chosen]


def length_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


def result_lines(report: AddReport) -> dict[Path, str]:
    """What the Result column says for each file of an import."""
    lines = {path: f"{count} segment{'' if count == 1 else 's'}"
             for path, count in report.added}
    lines |= {path: "Already in this voice" for path in report.already_added}
    lines |= {path: f"Skipped: {message}" for path, message in report.skipped}
    return lines


class ImportPanel(QWidget):
    imported = Signal()  # segments were added (the editor reloads)
    job_started = Signal()
    job_ended = Signal()

    def __init__(self, data_dir: Callable[[], Path], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data_dir = data_dir
        self.voice: Voice | None = None
        self.transcriber: SpeechRecognizer | None = None  # None: the installed Whisper model
        self.files: list[Path] = []
        self.checks: dict[Path, RecordingCheck] = {}
        self.results: dict[Path, str] = {}
        self.runner: JobRunner | None = None
        self.setAcceptDrops(True)

        self.add_files_button = QPushButton("Add files…")
        self.add_files_button.clicked.connect(self._pick_files)
        self.add_folder_button = QPushButton("Add folder…")
        self.add_folder_button.clicked.connect(self._pick_folder)
        self.clear_button = QPushButton("Clear list")
        self.clear_button.clicked.connect(self.clear)
        self.denoise_box = QCheckBox("Reduce background noise (old tapes, voicemails)")
        self.denoise_box.setToolTip(
            "Turns down steady hiss and hum before cutting. Your original files are kept "
            "unchanged.")
        self.import_button = QPushButton("Import")
        self.import_button.setObjectName("primary")
        self.import_button.clicked.connect(self.start_import)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        for column in ("File", "Kind", "Check"):
            header.setSectionResizeMode(COLUMNS.index(column),
                                        QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMNS.index("Result"), QHeaderView.ResizeMode.Stretch)
        self.drop_hint = QLabel(DROP_HINT)
        self.drop_hint.setObjectName("hint")
        self.progress = ProgressPanel()
        self.progress.hide()
        self.summary = QLabel()
        self.summary.setWordWrap(True)

        buttons = FlowLayout()
        for button in (self.add_files_button, self.add_folder_button, self.clear_button):
            buttons.addWidget(button)
        buttons.addStretch()
        buttons.addWidget(self.denoise_box)
        buttons.addWidget(self.import_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.drop_hint)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        self._update_buttons()

    # Files --------------------------------------------------------------------------------
    def set_voice(self, voice: Voice | None) -> None:
        self.voice = voice
        self._update_buttons()

    def add_paths(self, paths: Sequence[Path | str]) -> None:
        """Add files and folders' media files; the new ones are checked straight away."""
        new = [p for p in collect_media_files(paths) if p not in self.files]
        self.files += new
        for path in new:
            self.results.pop(path, None)
        self._fill()
        self._check_pending()

    def clear(self) -> None:
        if self.busy:
            return
        self.files, self.checks, self.results = [], {}, {}
        self.summary.clear()
        self._fill()

    def _pick_files(self) -> None:
        chosen = choose_files(self, Path.home())
        if chosen:
            self.add_paths(chosen)

    def _pick_folder(self) -> None:
        folder = dialogs.choose_folder(self, "Add a folder of recordings", Path.home())
        if folder is not None:
            self.add_paths([folder])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and self.voice is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if paths and self.voice is not None:
            event.acceptProposedAction()
            self.add_paths(paths)

    def _fill(self) -> None:
        self.table.setRowCount(len(self.files))
        for row, path in enumerate(self.files):
            check = self.checks.get(path)
            cells = (path.name,
                     length_text(check.duration_seconds) if check else "",
                     check.format if check else "",
                     check.verdict if check else "Checking…",
                     self.results.get(path, "" if check is None or check.usable
                                      else f"Cannot be used: {check.detail}"))
            for column, value in enumerate(cells):
                item = QTableWidgetItem(value)
                item.setToolTip(str(path) if column == 0 else
                                check.detail if check and column == 3 else value)
                item.setData(Qt.ItemDataRole.UserRole, str(path))
                self.table.setItem(row, column, item)
        if any(c.noisy for c in self.checks.values()) and not self.denoise_box.isChecked():
            self.summary.setText("Some files are noisy: tick “Reduce background noise” "
                                 "before importing.")
        self._update_buttons()

    def row_of(self, path: Path) -> dict[str, str]:
        """The table row of a file, by column name (for tests and the screen reader)."""
        row = self.files.index(Path(path))
        return {name: self.table.item(row, c).text() for c, name in enumerate(COLUMNS)}

    # Jobs ---------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.runner is not None and self.runner.is_running

    def usable_files(self) -> list[Path]:
        return [p for p in self.files
                if (p not in self.checks or self.checks[p].usable) and p not in self.results]

    def _check_pending(self) -> None:
        pending = [p for p in self.files if p not in self.checks]
        if not pending or self.busy:
            return
        self._run("Checking the files", lambda progress, cancel: check_recordings(
            pending, progress, cancel), self._checked)

    def _checked(self, checks: list[RecordingCheck]) -> None:
        self.checks |= {c.path: c for c in checks}
        self._fill()

    def start_import(self) -> None:
        files = self.usable_files()
        if self.voice is None or not files or self.busy:
            return
        voice, data_dir = self.voice, self._data_dir()
        cleaning = DENOISE_RECIPE if self.denoise_box.isChecked() else ""
        transcriber = self.transcriber
        self.summary.clear()
        self._run("Importing", lambda progress, cancel: add_recordings(
            data_dir, voice.name, files, progress=progress, cancel=cancel,
            transcriber=transcriber, cleaning=cleaning), self._imported)

    def _imported(self, report: AddReport) -> None:
        self.results |= result_lines(report)
        self._fill()
        unusable = sum(1 for c in self.checks.values() if not c.usable)
        parts = [f"{report.segments} new segments from {len(report.added)} files."]
        if report.skipped or unusable:
            parts.append(f"{len(report.skipped) + unusable} files could not be used; "
                         "the list says why.")
        self.summary.setText(" ".join(parts) + " Fix them on the Segments tab.")
        self.imported.emit()

    def _run(self, title: str, job: Callable[..., Any], on_done: Callable[[Any], None]) -> None:
        runner = JobRunner(job, self)
        self.progress.title_label.setText(title)
        self.progress.title_label.show()
        self.progress.attach(runner)
        self.progress.show()
        runner.finished.connect(on_done)
        runner.failed.connect(lambda message, _exc: self.summary.setText(message))
        runner.cancelled.connect(lambda: self.summary.setText(
            "Stopped. Every file finished before the stop is saved; import again to go on."))
        runner.ended.connect(self._ended)
        self.runner = runner
        runner.start()
        self._update_buttons()
        self.job_started.emit()

    def _ended(self) -> None:
        self._update_buttons()
        self.job_ended.emit()
        self._check_pending()  # files added while the job ran

    def heavy_job_changed(self) -> None:
        self._update_buttons()

    def _update_buttons(self) -> None:
        busy = self.busy
        refusal = HEAVY_JOBS.refusal()  # adding recordings is a heavy job
        self.import_button.setEnabled(self.voice is not None and not busy and refusal is None
                                      and bool(self.usable_files()))
        no_voice = "" if self.voice is not None else NO_VOICE_HINT
        self.import_button.setToolTip(refusal or no_voice)
        for button in (self.add_files_button, self.add_folder_button):
            button.setEnabled(not no_voice)  # the files are checked for a voice
            button.setToolTip(no_voice)
        self.clear_button.setEnabled(not busy and bool(self.files))
        self.drop_hint.setText(no_voice or DROP_HINT)
        self.drop_hint.setVisible(not self.files)

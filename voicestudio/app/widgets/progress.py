"""The one way a long job looks: a bar, what is happening, the time left, and Cancel.

Every page that starts a job attaches a :class:`ProgressPanel` (inline) or a
:class:`ProgressDialog` (on top) to its :class:`JobRunner`, so people learn one pattern.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from voicestudio.app import dialogs
from voicestudio.app.job_runner import Job, JobRunner

_BAR_STEPS = 1000


def format_eta(seconds: float | None) -> str:
    """Time left in words a person reads at a glance; rounded, because ETAs are rough."""
    if seconds is None or seconds != seconds or seconds < 0:  # None or NaN or negative
        return ""
    if seconds < 10:
        return "Almost done"
    if seconds < 60:
        return f"About {int(round(seconds / 5.0) * 5)} seconds left"
    minutes = int(round(seconds / 60.0))
    if minutes < 60:
        return "About 1 minute left" if minutes == 1 else f"About {minutes} minutes left"
    hours, minutes = divmod(minutes, 60)
    if minutes == 0:
        return "About 1 hour left" if hours == 1 else f"About {hours} hours left"
    return f"About {hours} h {minutes} min left"


class ProgressPanel(QWidget):
    """Shows one runner's progress; Cancel asks the job to stop at its next safe point."""

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner: JobRunner | None = None
        self.title_label = QLabel(title)
        self.title_label.setObjectName("progressTitle")
        self.bar = QProgressBar()
        self.bar.setRange(0, _BAR_STEPS)
        self.bar.setTextVisible(True)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.eta_label = QLabel()
        self.eta_label.setObjectName("hint")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)

        footer = QHBoxLayout()
        footer.addWidget(self.eta_label, 1)
        footer.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(self.title_label)
        layout.addWidget(self.bar)
        layout.addWidget(self.message_label)
        layout.addLayout(footer)
        self.title_label.setVisible(bool(title))

    def attach(self, runner: JobRunner) -> None:
        """Follow a runner (call before ``runner.start()`` so no report is missed)."""
        self._runner = runner
        self.bar.setValue(0)
        self.bar.show()
        self.message_label.setText("Starting…")
        self.eta_label.clear()
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")
        runner.progress.connect(self._on_progress)
        runner.finished.connect(lambda _result: self._on_end("Done."))
        runner.failed.connect(lambda message, _exc: self._on_end(message, stopped=True))
        runner.cancelled.connect(lambda: self._on_end("Cancelled. Nothing was lost.",
                                                      stopped=True))

    def cancel(self) -> None:
        if self._runner is not None and self._runner.is_running:
            self._runner.cancel()
            self.cancel_button.setEnabled(False)
            self.cancel_button.setText("Stopping…")

    def _on_progress(self, fraction: float, message: str, eta: float | None) -> None:
        self.bar.setValue(int(round(min(max(fraction, 0.0), 1.0) * _BAR_STEPS)))
        if message:
            self.message_label.setText(message)
        self.eta_label.setText(format_eta(eta))

    def _on_end(self, message: str, stopped: bool = False) -> None:
        # A bar left part-way under a failure reads as a job stuck there; only the words stay.
        self.bar.setVisible(not stopped)
        self.message_label.setText(message)
        self.eta_label.clear()
        self.cancel_button.setEnabled(False)


class ProgressDialog(QDialog):
    """A window-modal progress box that closes itself when the job ends.

    Closing it (Esc or the title-bar button) means Cancel: the dialog stays until the job
    has actually stopped, so nothing keeps running unseen.
    """

    def __init__(self, title: str, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumWidth(420)
        self.panel = ProgressPanel(title, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 20)
        layout.addWidget(self.panel)
        self._runner = runner
        self.panel.attach(runner)
        runner.ended.connect(self.accept)

    def reject(self) -> None:  # Esc / close button
        if self._runner.is_running:
            self.panel.cancel()
            return
        super().reject()


def run_in_progress_dialog(parent: QWidget, title: str, job: Job, on_done: Callable,
                           on_failed: Callable[[str], None] | None = None) -> JobRunner:
    """Run ``job`` under a window-modal progress box that closes when it ends; a failure is
    told in a message box unless ``on_failed`` takes the message (it runs once the box has
    closed, so it may open another dialog)."""
    runner = JobRunner(job, parent)
    runner.finished.connect(on_done)
    if on_failed is None:
        runner.failed.connect(lambda message, _exc: dialogs.show_error(parent, message))
    else:
        runner.failed.connect(lambda message, _exc: QTimer.singleShot(
            0, lambda: on_failed(message)))
    dialog = ProgressDialog(title, runner, parent)
    runner.start()
    dialog.open()
    return runner

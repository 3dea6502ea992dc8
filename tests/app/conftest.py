"""Helpers for driving the app in tests: a window without torch, and dialogs that answer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog

from voicestudio.app import dialogs, job_runner
from voicestudio.app.main import build_window, get_application
from voicestudio.app.main_window import MainWindow
from voicestudio.errors import UserInputError


@pytest.fixture(scope="module", autouse=True)
def automatic_gc_after_each_module():
    """Job runners move garbage collection onto the UI thread; once a module's jobs are done,
    hand it back so tests elsewhere in the session run with Python's normal collector."""
    yield
    job_runner.cancel_all_jobs()
    job_runner.stop_collecting_on_ui_thread()


def fake_device(preference: str) -> str:
    """Answers like resolve_device on a machine with a CPU only, without importing torch."""
    if preference in ("cuda", "mps"):
        raise UserInputError(f"No {preference} device here. Choose 'auto' or 'cpu' in Settings.")
    return "CPU"


@pytest.fixture
def make_window(qtbot) -> Callable[..., MainWindow]:
    """Builds shown main windows over the isolated data folder (or a given one)."""
    get_application()

    def make(data_dir: str | Path | None = None) -> MainWindow:
        window = build_window(data_dir, device_resolver=fake_device)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: "checking" not in window.status.device_label.text())
        return window

    return make


@pytest.fixture
def window(make_window) -> MainWindow:
    return make_window()


class DialogAnswers:
    """Replaces ``dialogs.run_dialog``: each queued answer fills in the next dialog.

    An answer gets the dialog and returns True to press its OK button (validation and the
    library call then run for real), or False to leave it as the person left it.
    """

    def __init__(self) -> None:
        self.queue: list[Callable[[QDialog], bool]] = []
        self.seen: list[QDialog] = []

    def add(self, answer: Callable[[QDialog], bool]) -> None:
        self.queue.append(answer)

    def run(self, dialog: QDialog) -> bool:
        if not self.queue:
            raise AssertionError(f"unexpected dialog {type(dialog).__name__}")
        self.seen.append(dialog)
        press_ok = self.queue.pop(0)(dialog)
        if press_ok:
            dialog.ok_button.click()
        return dialog.result() == QDialog.DialogCode.Accepted


@pytest.fixture
def answers(monkeypatch) -> DialogAnswers:
    fake = DialogAnswers()
    monkeypatch.setattr(dialogs, "run_dialog", fake.run)
    return fake


@pytest.fixture
def heard(monkeypatch) -> list[tuple]:
    """Every (model files, request) that reached a synthesizer; the real one still speaks."""
    from voicestudio.synthesis import pipeline  # torch: only the tests that speak

    seen: list[tuple[pipeline.ModelFiles, pipeline.SynthesisRequest]] = []
    real = pipeline._cached_synthesizer

    class Watched:
        def __init__(self, files: pipeline.ModelFiles, device: str) -> None:
            self.files, self.inner = files, real(files, device)

        def speak(self, request, progress=None, cancel=None, frontend=None):
            seen.append((self.files, request))
            return self.inner.speak(request, progress, cancel, frontend)

    monkeypatch.setattr(pipeline, "_cached_synthesizer", Watched)
    return seen

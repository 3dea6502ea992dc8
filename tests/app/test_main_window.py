"""The window: navigation, planned pages, remembered geometry/page/voice, run_app."""

from __future__ import annotations

import gc
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSize, Qt, QTimer
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel

from voicestudio.app import main as app_main
from voicestudio.app.pages import PAGES
from voicestudio.app.pages.base import PlannedPage
from voicestudio.app.pages.settings import SettingsPage
from voicestudio.app.pages.voices import VoicesPage
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.settings import Settings

PLANNED = [spec.key for spec in PAGES if not spec.available]


def test_window_opens_on_the_voices_page(window):
    assert window.windowTitle() == "VoiceStudio"
    assert window.current_page_key() == "voices"
    assert isinstance(window.pages.currentWidget(), VoicesPage)
    assert window.nav_button("voices").isChecked()
    assert window.status.device_label.text() == "Device: CPU"
    assert window.status.models_label.text() == "Base models: not installed"


def test_navigation_between_pages(window, qtbot):
    qtbot.mouseClick(window.nav_button("settings"), Qt.MouseButton.LeftButton)
    assert window.current_page_key() == "settings"
    assert isinstance(window.pages.currentWidget(), SettingsPage)
    qtbot.mouseClick(window.nav_button("voices"), Qt.MouseButton.LeftButton)
    assert window.current_page_key() == "voices"


def test_pages_not_landed_are_greyed_and_cannot_be_entered(window, qtbot):
    assert set(PLANNED) <= {"edit", "narrate"}  # pages land one by one
    for key in PLANNED:
        button = window.nav_button(key)
        assert not button.isEnabled()
        assert button.toolTip().startswith("Coming soon:")
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert window.current_page_key() == "voices"
        assert window.show_page(key) is False
        assert window.current_page_key() == "voices"


@pytest.mark.skipif(not PLANNED, reason="every page has landed")
def test_a_planned_page_is_just_its_one_line(window):
    spec = next(s for s in PAGES if s.key == PLANNED[0])
    page = window.page(spec.key)
    assert isinstance(page, PlannedPage)
    labels = page.findChildren(QLabel)
    assert [label.text() for label in labels] == [spec.summary]
    assert page.findChildren(QAbstractButton) == []


def test_geometry_page_and_last_voice_are_remembered(make_window, isolated_user_dirs):
    library = VoiceLibrary(isolated_user_dirs)
    library.create("Grandma Rose", ["zh"])
    library.create("Uncle Bo", ["en"])

    first = make_window()
    first.resize(QSize(760, 580))
    first.move(QPoint(12, 20))
    first.state.open_voice("Uncle Bo")
    first.show_page("settings")
    first.close()
    assert Settings.load().last_voice == "Uncle Bo"

    second = make_window()
    assert second.size() == QSize(760, 580)
    assert second.current_page_key() == "settings"
    assert second.state.current_voice is not None
    assert second.state.current_voice.name == "Uncle Bo"
    assert second.windowTitle() == "Uncle Bo — VoiceStudio"
    assert second.voice_label.text() == "Uncle Bo"


def test_a_remembered_voice_that_was_deleted_opens_nothing(make_window, isolated_user_dirs):
    library = VoiceLibrary(isolated_user_dirs)
    library.create("Grandma Rose", ["zh"])
    settings = Settings.load()
    settings.last_voice = "Grandma Rose"
    settings.save()
    library.delete("Grandma Rose")

    window = make_window()
    assert window.state.current_voice is None
    assert window.windowTitle() == "VoiceStudio"


def test_run_app_shows_the_window_and_returns_when_it_closes(qtbot, caplog, tmp_path):
    hooks_before = sys.excepthook
    seen: dict[str, object] = {}

    def close_when_shown() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if w.isVisible()
                   and type(w).__name__ == "MainWindow"]
        if not windows:
            QTimer.singleShot(20, close_when_shown)
            return
        seen["title"] = windows[0].windowTitle()
        seen["hook_installed"] = sys.excepthook is not hooks_before
        windows[0].status.wait_for_device()
        QTimer.singleShot(0, windows[0].close)

    QTimer.singleShot(0, close_when_shown)
    with caplog.at_level(logging.INFO):
        code = app_main.run_app(data_dir=str(tmp_path / "data"))
    assert code == 0
    assert seen == {"title": "VoiceStudio", "hook_installed": True}
    assert sys.excepthook is hooks_before
    assert gc.isenabled()  # the UI-thread collector is handed back at exit
    assert QApplication.applicationName() == "VoiceStudio"
    assert any("window shown" in r.message for r in caplog.records)


STUCK_JOB_AT_EXIT = """
import threading
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from voicestudio.app import job_runner, main

job_runner.SHUTDOWN_WAIT_MSECS = 300
held = []

def start_stuck_job_and_close():
    runner = job_runner.JobRunner(lambda _p, _c: threading.Event().wait(600))
    runner.start()
    held.append(runner)
    for widget in QApplication.topLevelWidgets():
        widget.close()

main.get_application()
QTimer.singleShot(200, start_stuck_job_and_close)
main.run_app(data_dir={data_dir!r})
print("run_app returned")
"""


def test_closing_while_a_job_cannot_stop_leaves_cleanly_instead_of_aborting(
    isolated_user_dirs, tmp_path
):
    """A person who closes the app straight after starting it, on a busy machine, closes it
    while the device check is still importing torch; before, Python then destroyed that
    running thread and the process aborted. It must leave with its own exit code, at once
    after the shutdown wait, and say so in the log."""
    script = STUCK_JOB_AT_EXIT.format(data_dir=str(tmp_path / "data"))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Destroyed while thread" not in done.stderr
    assert "run_app returned" not in done.stdout  # it left from run_app, past Python's teardown
    log_text = (Path(os.environ["VOICESTUDIO_LOG_DIR"]) / "voicestudio.log").read_text()
    assert "background job(s) had not stopped" in log_text


def test_a_page_with_unfinished_work_can_keep_the_window_open(window, monkeypatch):
    voices = window.page("voices")
    monkeypatch.setattr(voices, "confirm_close", lambda: False)
    assert window.close() is False
    assert window.isVisible()
    monkeypatch.setattr(voices, "confirm_close", lambda: True)
    assert window.close() is True

"""Uncaught exceptions become a friendly dialog; the window stays usable."""

from __future__ import annotations

import logging
import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from voicestudio.app.error_dialog import ErrorReporter
from voicestudio.app.pages import voices as voices_module
from voicestudio.errors import NotFoundError
from voicestudio.logs import setup_logging

# pytest-qt would turn exceptions in slots into test failures; here they are the subject.
pytestmark = pytest.mark.qt_no_exception_capture


@pytest.fixture
def reporter(window):
    log_path = setup_logging()
    reporter = ErrorReporter(log_path)
    reporter.window = window
    reporter.install()
    yield reporter
    reporter.uninstall()
    if reporter.dialog is not None:
        reporter.dialog.close()


def crash_the_trash_button(monkeypatch, exc: BaseException) -> None:
    def boom(*_args, **_kwargs):
        raise exc

    monkeypatch.setattr(voices_module, "TrashDialog", boom)


def test_an_exception_in_a_slot_shows_the_dialog_and_the_app_goes_on(
    window, reporter, monkeypatch, qtbot, caplog
):
    crash_the_trash_button(monkeypatch, RuntimeError("the trash can is on fire"))
    page = window.page("voices")
    qtbot.mouseClick(page.trash_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())

    dialog = reporter.dialog
    assert dialog.windowTitle() == "Something went wrong"
    assert dialog.message_label.text() == "RuntimeError: the trash can is on fire"
    assert str(reporter.log_path) in dialog.log_label.text()
    dialog.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith("Traceback") and "the trash can is on fire" in copied
    assert "show_trash" in copied
    logged = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "Uncaught exception" in logged[-1].message
    assert "the trash can is on fire" in logged[-1].message

    dialog.close()
    qtbot.mouseClick(window.nav_button("settings"), Qt.MouseButton.LeftButton)
    assert window.current_page_key() == "settings"


def test_a_voicestudio_error_shows_just_its_message(window, reporter, monkeypatch, qtbot):
    crash_the_trash_button(monkeypatch, NotFoundError("The trash folder has gone away."))
    window.page("voices").trash_button.click()
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
    assert reporter.dialog.message_label.text() == "The trash folder has gone away."
    assert reporter.dialog.copy_button is None
    assert reporter.dialog.windowTitle() == "VoiceStudio"


def test_the_same_fault_again_is_counted_not_stacked(window, reporter, monkeypatch, qtbot):
    crash_the_trash_button(monkeypatch, RuntimeError("again"))
    button = window.page("voices").trash_button
    button.click()
    qtbot.waitUntil(lambda: reporter.dialog is not None)
    first = reporter.dialog
    button.click()
    button.click()
    qtbot.waitUntil(lambda: first.occurrences == 3)
    assert reporter.dialog is first
    assert first.repeat_label.text() == "This happened 3 times."


def test_an_exception_in_a_background_thread_is_shown_too(reporter, qtbot, caplog):
    def work() -> None:
        raise ValueError("bad sample rate")

    thread = threading.Thread(target=work, name="decoder")
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
    assert reporter.dialog.message_label.text() == "ValueError: bad sample rate"
    assert any("thread decoder" in r.message for r in caplog.records)


def test_uninstall_restores_the_previous_hooks(window):
    import sys

    before = (sys.excepthook, threading.excepthook)
    reporter = ErrorReporter(None)
    reporter.install()
    assert sys.excepthook != before[0]
    reporter.uninstall()
    assert (sys.excepthook, threading.excepthook) == before

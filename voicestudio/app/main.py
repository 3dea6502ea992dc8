"""Start-up: logging, the error hooks, the window, the event loop.

``python -m voicestudio`` (no sub-command) lands in :func:`run_app`. Nothing heavy is
imported here: torch is only loaded by the status bar's background device check, so the
window appears as soon as Qt is up.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from voicestudio import __version__
from voicestudio.app.error_dialog import install_error_hooks
from voicestudio.app.job_runner import (
    cancel_all_jobs,
    collect_garbage_on_ui_thread,
    stop_collecting_on_ui_thread,
)
from voicestudio.app.main_window import APP_TITLE, MainWindow
from voicestudio.app.state import AppState
from voicestudio.app.style import apply_style
from voicestudio.logs import setup_logging

log = logging.getLogger(__name__)


def get_application() -> QApplication:
    """The one QApplication (tests already have one from pytest-qt), named and styled."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationName(APP_TITLE)
    app.setApplicationDisplayName(APP_TITLE)
    app.setApplicationVersion(__version__)
    apply_style(app)
    return app


def build_window(
    data_dir: str | os.PathLike[str] | None = None,
    device_resolver: Callable[[str], str] | None = None,
) -> MainWindow:
    """The main window over the data folder (``--data-dir``, env var, Settings, default)."""
    return MainWindow(AppState(data_dir), device_resolver)


def run_app(data_dir: str | os.PathLike[str] | None = None) -> int:
    """Run the desktop app until its window closes; returns the process exit code."""
    started = time.perf_counter()
    log_path = setup_logging()
    log.info("VoiceStudio %s starting (Python %s)", __version__, sys.version.split()[0])
    app = get_application()
    reporter = install_error_hooks(log_path)
    collect_garbage_on_ui_thread()
    # Ctrl-C in a terminal should close the app; Qt's loop alone would swallow it until the
    # next Python call, so a timer lets Python check for signals a few times a second.
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(250)
    code = 1
    try:
        window = build_window(data_dir)
        window.show_first_run_page()
        reporter.window = window
        window.show()
        log.info(
            "window shown %.2f s after run_app (data folder %s)",
            time.perf_counter() - started, window.state.data_dir,
        )
        code = int(app.exec())
        window.save_window_state()
        return code
    finally:
        still_running = cancel_all_jobs()
        stop_collecting_on_ui_thread()
        wake.stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        reporter.uninstall()
        if still_running:
            _leave_without_waiting(still_running, code)


def _leave_without_waiting(jobs: int, code: int) -> None:
    """End the process while jobs that did not stop in time still run.

    Returning would let Python destroy their running QThreads, which aborts the process
    ("QThread: Destroyed while thread is still running"). What they were doing was cancelled
    by closing the window, and every save is atomic, so nothing already written is lost.
    """
    log.warning("%d background job(s) had not stopped after the window closed; leaving "
                "without them", jobs)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

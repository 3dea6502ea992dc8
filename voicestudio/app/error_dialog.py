"""The last line of defence: an uncaught exception becomes a calm dialog, not a dead app.

``install_error_hooks`` replaces ``sys.excepthook`` (which PySide6 calls for exceptions in
slots and event handlers) and ``threading.excepthook``. Each logs the traceback and asks the
UI thread to show an :class:`ErrorDialog`; the event loop keeps running, so the person can
copy the details for a bug report and carry on.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from voicestudio.errors import VoiceStudioError

log = logging.getLogger(__name__)


class ErrorDialog(QDialog):
    """Says what went wrong in words; the traceback is one "Copy details" click away."""

    def __init__(
        self,
        message: str,
        details: str = "",
        log_path: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.details = details
        self.occurrences = 1
        unexpected = bool(details)
        self.setWindowTitle("Something went wrong" if unexpected else "VoiceStudio")
        self.setMinimumWidth(460)

        icon = QLabel()
        pixmap = QStyle.StandardPixmap.SP_MessageBoxCritical if unexpected else (
            QStyle.StandardPixmap.SP_MessageBoxWarning
        )
        icon.setPixmap(self.style().standardIcon(pixmap).pixmap(40, 40))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)

        text = QVBoxLayout()
        text.setSpacing(10)
        if unexpected:
            heading = QLabel("Something went wrong, but VoiceStudio is still running.")
            heading.setObjectName("dialogHeading")
            heading.setWordWrap(True)
            text.addWidget(heading)
        self.message_label = QLabel(message)
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        text.addWidget(self.message_label)
        self.repeat_label = QLabel()
        self.repeat_label.setObjectName("hint")
        self.repeat_label.hide()
        text.addWidget(self.repeat_label)
        if unexpected:
            where = (
                f"The details were written to the log file:\n{log_path}"
                if log_path
                else "The log file could not be written."
            )
            self.log_label = QLabel(where)
            self.log_label.setObjectName("hint")
            self.log_label.setWordWrap(True)
            self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            text.addWidget(self.log_label)

        top = QHBoxLayout()
        top.setSpacing(16)
        top.addWidget(icon)
        top.addLayout(text, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        self.copy_button: QPushButton | None = None
        if unexpected:
            self.copy_button = QPushButton("Copy details")
            self.copy_button.setToolTip("Copy the technical details, to paste into a bug report")
            self.copy_button.clicked.connect(self.copy_details)
            buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 16)
        layout.setSpacing(16)
        layout.addLayout(top)
        layout.addWidget(buttons)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details)
        if self.copy_button is not None:
            self.copy_button.setText("Copied")

    def count_again(self) -> None:
        """The same fault fired again while this dialog is open (e.g. in a paint loop)."""
        self.occurrences += 1
        self.repeat_label.setText(f"This happened {self.occurrences} times.")
        self.repeat_label.show()


class ErrorReporter(QObject):
    """Receives exceptions from any thread and shows them on the UI thread, one at a time."""

    # Emitted from any thread; the queued connection delivers it on the UI thread.
    _report = Signal(str, str)

    def __init__(self, log_path: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.log_path = log_path
        self.window: QWidget | None = None  # dialogs are centred on it once it exists
        self.dialog: ErrorDialog | None = None
        self._report.connect(self._show, Qt.ConnectionType.QueuedConnection)
        self._previous_hooks: tuple[object, object] | None = None

    def report(
        self,
        exc_type: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
        where: str = "the user interface",
    ) -> None:
        if isinstance(exc, VoiceStudioError):
            # A message written for the person: show it as it is, no traceback.
            log.info("unhandled %s in %s: %s", exc_type.__name__, where, exc)
            self._report.emit(str(exc), "")
            return
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("Uncaught exception in %s:\n%s", where, details)
        message = str(exc).strip() or exc_type.__name__
        self._report.emit(f"{exc_type.__name__}: {message}" if str(exc) else message, details)

    def _show(self, message: str, details: str) -> None:
        same = (
            self.dialog is not None
            and self.dialog.isVisible()
            and self.dialog.message_label.text() == message
        )
        if same and self.dialog is not None:
            self.dialog.count_again()
            return
        self.dialog = ErrorDialog(message, details, self.log_path, self.window)
        self.dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog.destroyed.connect(self._forget_dialog)
        # open(), not exec(): no nested event loop inside an exception hook.
        self.dialog.open()

    def _forget_dialog(self) -> None:
        self.dialog = None

    # --- hooks ----------------------------------------------------------------------------

    def _excepthook(
        self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        self.report(exc_type, exc, tb)

    def _threading_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            return
        name = args.thread.name if args.thread else "a background thread"
        self.report(args.exc_type, args.exc_value, args.exc_traceback, f"thread {name}")

    def install(self) -> None:
        self._previous_hooks = (sys.excepthook, threading.excepthook)
        sys.excepthook = self._excepthook
        threading.excepthook = self._threading_hook

    def uninstall(self) -> None:
        if self._previous_hooks is not None:
            sys.excepthook, threading.excepthook = self._previous_hooks  # type: ignore[assignment]
            self._previous_hooks = None


def install_error_hooks(log_path: Path | None) -> ErrorReporter:
    reporter = ErrorReporter(log_path)
    reporter.install()
    return reporter

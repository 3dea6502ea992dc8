"""The main window: a sidebar of pages, the page area, and the status bar.

The sidebar is built from :data:`voicestudio.app.pages.PAGES`; a page is created the first
time it is shown, so start-up only pays for the Voices page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from voicestudio.app.pages import PAGES, PageSpec, page_spec
from voicestudio.app.pages.base import BasePage, PlannedPage
from voicestudio.app.state import AppState
from voicestudio.app.status import AppStatusBar
from voicestudio.hub.status import installed_summary
from voicestudio.project.settings import config_dir
from voicestudio.project.voice import Voice

log = logging.getLogger(__name__)

APP_TITLE = "VoiceStudio"
DEFAULT_SIZE = QSize(1100, 720)
# The smallest window every page is laid out for (pages wrap their button rows and scroll
# below it); the sidebar leaves the pages about 720 - 180 px at that size.
MINIMUM_SIZE = QSize(720, 520)
SIDEBAR_WIDTH = 170  # at the least; wider where the fonts need it


def window_settings() -> QSettings:
    """Window geometry lives next to settings.json, so tests and portable installs stay put."""
    return QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat)


class MainWindow(QMainWindow):
    def __init__(
        self,
        state: AppState,
        device_resolver: Callable[[str], str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.state = state
        self._pages: dict[str, QWidget] = {}
        self._nav: dict[str, QToolButton] = {}
        self._device_checked = False

        self.pages = QStackedWidget()
        self.pages.setObjectName("pages")
        sidebar = self._build_sidebar()
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(sidebar)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        if device_resolver is None:
            self.status = AppStatusBar(state, self)
        else:
            self.status = AppStatusBar(state, self, device_resolver)
        self.setStatusBar(self.status)

        state.current_voice_changed.connect(self._show_current_voice)
        self._show_current_voice(state.current_voice)
        self.resize(DEFAULT_SIZE)
        self.setMinimumSize(MINIMUM_SIZE)
        self._restore_window_state()

    # --- sidebar --------------------------------------------------------------------------

    def _build_sidebar(self) -> QFrame:
        sidebar = QFrame()
        sidebar.setObjectName("sidebar")
        name = QLabel(APP_TITLE)
        name.setObjectName("appName")
        caption = QLabel("Open voice")
        caption.setObjectName("voiceCaption")
        self.voice_label = QLabel()
        self.voice_label.setObjectName("voiceName")
        self.voice_label.setWordWrap(True)

        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        top = QVBoxLayout()
        top.setSpacing(4)
        bottom = QVBoxLayout()
        bottom.setSpacing(4)
        for spec in PAGES:
            button = self._nav_button(spec)
            (bottom if spec.bottom else top).addWidget(button)

        layout = QVBoxLayout(sidebar)
        layout.setContentsMargins(14, 20, 14, 14)
        layout.setSpacing(4)
        layout.addWidget(name)
        layout.addSpacing(14)
        layout.addWidget(caption)
        layout.addWidget(self.voice_label)
        layout.addSpacing(18)
        layout.addLayout(top)
        layout.addStretch(1)
        layout.addLayout(bottom)
        # As wide as the app's name and the longest page name need in the fonts in use.
        needed = [name, *self._nav.values()]
        for widget in needed:
            widget.ensurePolished()
        margins = layout.contentsMargins()
        sidebar.setFixedWidth(max(SIDEBAR_WIDTH, margins.left() + margins.right() + max(
            widget.sizeHint().width() for widget in needed)))
        return sidebar

    def _nav_button(self, spec: PageSpec) -> QToolButton:
        button = QToolButton()
        button.setObjectName("navButton")
        button.setText(spec.title)
        button.setIcon(self.style().standardIcon(spec.icon))
        button.setIconSize(QSize(20, 20))
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setCheckable(True)
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        button.setToolTip(spec.summary)
        button.setEnabled(spec.available)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        button.clicked.connect(lambda _checked=False, key=spec.key: self.show_page(key))
        self._group.addButton(button)
        self._nav[spec.key] = button
        return button

    def nav_button(self, key: str) -> QToolButton:
        return self._nav[key]

    # --- pages ----------------------------------------------------------------------------

    def page(self, key: str) -> QWidget:
        """The page widget for ``key``, created on first use."""
        if key not in self._pages:
            spec = page_spec(key)
            widget = spec.load()(self.state) if spec.available else PlannedPage(spec.summary)
            self._pages[key] = widget
            self.pages.addWidget(widget)
        return self._pages[key]

    def current_page_key(self) -> str | None:
        current = self.pages.currentWidget()
        return next((k for k, w in self._pages.items() if w is current), None)

    def show_page(self, key: str) -> bool:
        """Bring a page to the front; a page whose feature has not landed is refused."""
        spec = page_spec(key)
        if not spec.available:
            return False
        widget = self.page(key)
        self.pages.setCurrentWidget(widget)
        self._nav[key].setChecked(True)
        on_shown = getattr(widget, "on_shown", None)
        if on_shown is not None:
            on_shown()
        return True

    def show_first_run_page(self) -> bool:
        """At start-up: while a required base model is missing, open on the Base models page
        instead of the remembered one, since nothing beyond recording works without them."""
        if installed_summary(self.state.data_dir).ready:
            return False
        return self.show_page("base_models")

    # --- title / voice --------------------------------------------------------------------

    def _show_current_voice(self, voice: Voice | None) -> None:
        if voice is None:
            self.setWindowTitle(APP_TITLE)
            self.voice_label.setText("None — open one on the Voices page")
            self.voice_label.setProperty("none", True)
        else:
            self.setWindowTitle(f"{voice.name} — {APP_TITLE}")
            self.voice_label.setText(voice.name)
            self.voice_label.setProperty("none", False)
        self.voice_label.style().unpolish(self.voice_label)
        self.voice_label.style().polish(self.voice_label)

    # --- geometry -------------------------------------------------------------------------

    def _restore_window_state(self) -> None:
        stored = window_settings()
        geometry = stored.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        last_page = str(stored.value("page", "voices"))
        try:
            shown = self.show_page(last_page)
        except KeyError:  # a page that was removed since
            shown = False
        if not shown:
            self.show_page("voices")

    def save_window_state(self) -> None:
        stored = window_settings()
        stored.setValue("geometry", self.saveGeometry())
        stored.setValue("page", self.current_page_key() or "voices")
        stored.sync()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._device_checked:
            # After the first paint request, so the window is up before torch is imported.
            self._device_checked = True
            self.status.refresh_device()

    def closeEvent(self, event: QCloseEvent) -> None:
        for widget in self._pages.values():
            if isinstance(widget, BasePage) and not widget.confirm_close():
                event.ignore()
                return
        self.save_window_state()
        super().closeEvent(event)

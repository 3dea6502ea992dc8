"""What every page is: a widget that gets the shared :class:`AppState` and knows when it shows."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from voicestudio.app.state import AppState
from voicestudio.project.voice import Voice


class BasePage(QWidget):
    """Subclass this for a page; build widgets in ``__init__``, refresh in ``on_shown``."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state

    def on_shown(self) -> None:
        """Called each time the navigation brings this page to the front."""

    def confirm_close(self) -> bool:
        """Asked before the window closes; a page with unfinished work (a running job)
        asks the person and returns False to keep the window open."""
        return True

    def page_layout(self, title: str, subtitle: str) -> QVBoxLayout:
        """The page's main layout, opened by its title and one line on what it is for, so
        every page starts the same way; add the page's own widgets below."""
        title_label = QLabel(title)
        title_label.setObjectName("pageTitle")
        subtitle_label = QLabel(subtitle)
        subtitle_label.setObjectName("pageSubtitle")
        subtitle_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 20)
        layout.setSpacing(14)
        layout.addWidget(title_label)
        layout.addWidget(subtitle_label)
        return layout


class PlannedPage(QWidget):
    """Stands in for a feature that has not landed: one line saying what it will do.

    Its navigation entry is disabled, so people normally never see it; it exists so that
    ``MainWindow.show_page`` never has to special-case a missing page.
    """

    def __init__(self, summary: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        label = QLabel(summary)
        label.setObjectName("plannedLine")
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(label)


class VoicePanel(QWidget):
    """A panel the Voices page shows under the selected voice's details ("Try this voice").

    Subclass it, then list the class in ``voicestudio.app.pages.voices.VOICE_PANELS``; the
    page creates one of each and calls ``set_voice`` whenever the selection changes.
    """

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state

    def set_voice(self, voice: Voice | None) -> None:
        """The selected voice changed (None: nothing, or a damaged voice, is selected)."""

"""What every page is: a widget that gets the shared :class:`AppState` and knows when it shows."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from voicestudio.app.state import AppState
from voicestudio.app.widgets.page_scroll import PageScrollArea
from voicestudio.project.voice import Voice

# Left, top, right, bottom around a page's content: room to breathe, yet at the window's
# minimum width (720 px less the sidebar) a row of three buttons still fits.
PAGE_MARGINS = (24, 20, 24, 16)


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
        every page starts the same way; add the page's own widgets below.

        It lies in a scroll area: at the window's minimum size a tall page scrolls instead
        of squeezing its widgets on top of each other (the window's minimum is smaller
        than most pages' natural height, and Qt would otherwise clip their rows)."""
        title_label = QLabel(title)
        title_label.setObjectName("pageTitle")
        subtitle_label = QLabel(subtitle)
        subtitle_label.setObjectName("pageSubtitle")
        subtitle_label.setWordWrap(True)
        content = QWidget()
        content.setObjectName("pageContent")
        layout = QVBoxLayout(content)
        layout.setContentsMargins(*PAGE_MARGINS)
        layout.setSpacing(14)
        layout.addWidget(title_label)
        layout.addWidget(subtitle_label)
        self.scroll_area = PageScrollArea(content)
        self.scroll_area.setObjectName("pageScroll")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll_area)
        return layout


def reveal(widget: QWidget) -> None:
    """Scroll the page so ``widget`` is in view, once the layout has made room for it (a
    result or an error appears below fields that may already fill a small window)."""

    def scroll() -> None:
        parent = widget.parentWidget()
        while parent is not None and not isinstance(parent, QScrollArea):
            parent = parent.parentWidget()
        if parent is not None and widget.isVisible():
            parent.ensureWidgetVisible(widget, 0, 8)

    QTimer.singleShot(0, widget, scroll)  # dropped if the widget is gone by then


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

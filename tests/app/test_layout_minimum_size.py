"""At the window's own minimum size every page shows its words whole: no button label cut
("reate v" for "Create voice…"), no label squeezed under its neighbours, no voice name
ending in "…", and nothing wider than the window (the page scrolls down, never sideways).

The Train page is left out here: its layout is owned and tested with the Train page.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QCheckBox,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QWidget,
)
from voice_fakes import add_segments

from voicestudio.app.main_window import MINIMUM_SIZE
from voicestudio.app.pages import PAGES
from voicestudio.app.pages.try_voice import TryVoicePanel

PAGE_KEYS = [spec.key for spec in PAGES if spec.available and spec.key != "train"]
LONG_NAME = "Grandma Rose Whitfield-Montgomery"
BOOK = "# Tale\n\n## One\n\nThe sun rose. The birds sang loudly.\n\n## Two\n\nNight fell.\n"


@pytest.fixture
def small_window(make_window, with_models, tmp_path, qtbot):
    """The window at its minimum size over a voice with clips and a narration."""
    from voicestudio.services.narration import import_book

    window = make_window()
    voice = window.state.library.create(LONG_NAME, ["en"])
    add_segments(voice, [("take-001", 3.0, "The sun rose over the hills.", True),
                         ("take-002", 2.5, "Birds sang in the old oak tree.", False)], "en")
    window.state.library.create("Uncle Bo", ["en", "zh"])
    book = tmp_path / "tale.md"
    book.write_text(BOOK, encoding="utf-8")
    import_book(voice, book)
    window.state.reload_library()
    window.state.open_voice(LONG_NAME)
    window.resize(MINIMUM_SIZE)
    qtbot.waitUntil(lambda: window.size() == MINIMUM_SIZE)
    return window


def settle(qtbot, page: QWidget) -> None:
    """Let the page's scroll area size it (queued) and the layouts follow."""
    for _ in range(3):
        QApplication.processEvents()
        qtbot.wait(20)
    area = page.findChild(QScrollArea, "pageScroll")
    if area is not None:
        area.fit()
        QApplication.processEvents()


def shown(widget: QWidget, page: QWidget) -> bool:
    return widget.isVisibleTo(page) and widget.window() is page.window()


def button_text_problems(page: QWidget) -> list[str]:
    problems = []
    for button in page.findChildren(QAbstractButton):
        if not shown(button, page) or not button.text():
            continue
        text = button.text().replace("&", "")
        room = button.width()
        if isinstance(button, QPushButton):
            room -= 2 * 14  # the style sheet's padding
            if not button.icon().isNull():
                room -= button.iconSize().width() + 4
        elif isinstance(button, (QCheckBox, QRadioButton)):
            room -= 20  # the box or circle beside the text
        advance = button.fontMetrics().horizontalAdvance(text)
        if advance > room or button.width() < button.sizeHint().width():
            problems.append(f"button {text!r}: {button.width()} px for {advance} px of text")
    return problems


def label_problems(page: QWidget) -> list[str]:
    problems = []
    for label in page.findChildren(QLabel):
        if not shown(label, page) or not label.text() or label.pixmap() and not label.text():
            continue
        if label.wordWrap():
            needed = label.heightForWidth(label.width())
            if label.height() < needed:
                problems.append(f"label {label.text()[:40]!r}: {label.height()} px high, "
                                f"its lines need {needed}")
        elif label.width() < label.minimumSizeHint().width() or (
                label.height() < label.minimumSizeHint().height()):
            problems.append(f"label {label.text()[:40]!r}: {label.size().toTuple()} for "
                            f"{label.minimumSizeHint().toTuple()}")
    return problems


@pytest.mark.parametrize("key", PAGE_KEYS)
def test_at_the_minimum_size_no_page_cuts_its_words(small_window, qtbot, key):
    assert small_window.show_page(key)
    page = small_window.page(key)
    settle(qtbot, page)
    assert button_text_problems(page) == []
    assert label_problems(page) == []
    area = page.findChild(QScrollArea, "pageScroll")
    assert area is not None
    assert not area.horizontalScrollBar().isVisible(), "the page is wider than the window"


def test_the_segments_tab_fits_too(small_window, qtbot):
    small_window.show_page("edit")
    page = small_window.page("edit")
    page.tabs.setCurrentWidget(page.editor)
    settle(qtbot, page)
    assert button_text_problems(page) == []
    assert label_problems(page) == []
    assert not page.scroll_area.horizontalScrollBar().isVisible()


@pytest.mark.parametrize("step", ["mic", "consent", "prompts", "done"])
def test_every_recording_step_fits_too(small_window, qtbot, step):
    small_window.show_page("record")
    page = small_window.page("record")
    page.steps.setCurrentWidget(getattr(page, step))
    settle(qtbot, page)
    assert button_text_problems(page) == []
    assert label_problems(page) == []
    assert not page.scroll_area.horizontalScrollBar().isVisible()


def test_the_sidebar_shows_every_page_name_whole(small_window):
    for spec in PAGES:
        button = small_window.nav_button(spec.key)
        assert button.width() >= button.sizeHint().width(), spec.title


def test_a_long_voice_name_wraps_in_the_list_instead_of_ending_in_dots(small_window, qtbot):
    small_window.show_page("voices")
    page = small_window.page("voices")
    settle(qtbot, page)
    tree = page.tree
    item = next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
                if tree.topLevelItem(i).text(0) == LONG_NAME)
    row = tree.visualItemRect(item)
    text_width = tree.columnWidth(0) - tree.iconSize().width() - 16
    metrics = tree.fontMetrics()
    assert metrics.horizontalAdvance(LONG_NAME) > text_width  # the case this is about
    lines = metrics.boundingRect(QRect(0, 0, text_width, 10_000),
                                 int(Qt.TextFlag.TextWordWrap), LONG_NAME)
    assert row.height() >= lines.height()


def test_the_try_panel_takes_the_height_it_needs_instead_of_scrolling_inside(
        small_window, qtbot):
    small_window.resize(1280, 800)
    small_window.show_page("voices")
    page = small_window.page("voices")
    settle(qtbot, page)
    panel = page.findChild(TryVoicePanel)
    assert panel.isVisible()
    assert panel.findChildren(QScrollArea) == []
    needed = (panel.heightForWidth(panel.width()) if panel.hasHeightForWidth()
              else panel.sizeHint().height())
    assert panel.height() >= needed
    # Everything it holds is on screen at once: the page itself does not need to scroll.
    assert not page.scroll_area.verticalScrollBar().isVisible()

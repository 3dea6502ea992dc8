"""The scroll area a page lies in: it scrolls only when the page truly does not fit.

``QScrollArea.setWidgetResizable`` sizes a page whose text wraps by its *preferred* height
for the width (every table and editor at its comfortable size), so a page would scroll even
in a large window. Here the page is as tall as the window, or as tall as it needs so that
wrapped text and button rows get all their lines and everything else its minimum, when
that is more.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QLabel,
    QLayoutItem,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QWidget,
    QWidgetItem,
)


def needed_height(item: QLayoutItem, width: int) -> int:
    """The least height ``item`` can have at ``width`` without cutting anything off.

    Text and button rows that wrap need their height for the width; a list or an editor
    that grows with the window needs only its minimum; a layout adds up its parts."""
    layout = item.layout()
    widget = item.widget()
    if layout is None and widget is not None:
        if isinstance(widget, QSplitter):
            return max(splitter_height(widget, width), item.minimumSize().height())
        if isinstance(widget, (QStackedWidget, QTabWidget)) and widget.currentWidget():
            # Only the page on show needs its lines; a tab bar sits above it.
            bar = widget.tabBar().sizeHint().height() + 4 if isinstance(
                widget, QTabWidget) else 0
            page = widget.currentWidget()
            return max(item.minimumSize().height(),
                       bar + needed_height(QWidgetItem(page), width))
        layout = widget.layout()  # look inside: its parts may wrap or grow
    if isinstance(layout, QBoxLayout):
        return max(layout_height(layout, width), item.minimumSize().height())
    if item.hasHeightForWidth() and not (
            item.expandingDirections() & Qt.Orientation.Vertical):
        return max(item.minimumSize().height(), item.heightForWidth(width))
    return item.minimumSize().height()


def splitter_height(splitter: QSplitter, width: int) -> int:
    """Panes side by side need as much as the tallest; panes above each other, the sum."""
    panes = [splitter.widget(i) for i in range(splitter.count())]
    needs = [needed_height(QWidgetItem(pane), pane.width() or width) for pane in panes
             if not pane.isHidden()]
    if splitter.orientation() == Qt.Orientation.Horizontal:
        return max(needs, default=0)
    return sum(needs) + max(0, len(needs) - 1) * splitter.handleWidth()


def layout_height(layout: QBoxLayout, width: int) -> int:
    margins = layout.contentsMargins()
    inner = max(1, width - margins.left() - margins.right())
    parts = [layout.itemAt(i) for i in range(layout.count())]
    parts = [p for p in parts if not p.isEmpty()]
    if layout.direction() in (QBoxLayout.Direction.TopToBottom,
                              QBoxLayout.Direction.BottomToTop):
        total = sum(needed_height(p, inner) for p in parts)
        total += max(0, len(parts) - 1) * max(0, layout.spacing())
    else:  # side by side: each part at the width it has now
        total = max((needed_height(p, p.geometry().width() or inner) for p in parts),
                    default=0)
    return max(total + margins.top() + margins.bottom(), layout.totalMinimumSize().height())


class PageScrollArea(QScrollArea):
    def __init__(self, content: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidget(content)
        self.setWidgetResizable(False)
        content.installEventFilter(self)
        # A child timer, so a fit queued just before the page closes dies with it.
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self.fit)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self._schedule()
        return super().eventFilter(watched, event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit()

    def _schedule(self) -> None:
        if not self._fit_timer.isActive():
            self._fit_timer.start()

    def fit(self) -> None:
        """Size the page to the window, or to what it needs when that is more."""
        self._fit_timer.stop()
        content = self.widget()
        layout = content.layout() if content is not None else None
        if not isinstance(layout, QBoxLayout):
            return
        room = self.maximumViewportSize()
        least_width = layout.totalMinimumSize().width()
        width = max(room.width(), least_width)
        height = layout_height(layout, width)
        if height > room.height():  # a vertical scroll bar takes some of the width
            width = max(room.width() - self.verticalScrollBar().sizeHint().width(),
                        least_width)
            height = layout_height(layout, width)
        before = content.width()
        height = max(height, room.height())
        content.resize(width, height)
        # The estimate above can fall a pixel or two short of what Qt's own layouts ask
        # for; grow until no wrapped text is cut (a few rounds at most).
        for _round in range(4):
            short = _cut_text(content)
            if not short:
                break
            height += short
            content.resize(width, height)
        if content.width() != before:
            # Panes side by side are measured at the widths they have: once the layout has
            # given them their new widths, measure again.
            self._schedule()


def _cut_text(content: QWidget) -> int:
    """How many pixels the wrapped labels on show lack, all together."""
    return sum(max(0, label.heightForWidth(label.width()) - label.height())
               for label in content.findChildren(QLabel)
               if label.wordWrap() and label.isVisibleTo(content))


def size_by_current_page(stack: QStackedWidget) -> None:
    """A stack of steps asks for the room of the step on show, not of its tallest step, so
    a short step leaves no empty scrolling below it."""

    def follow(_index: int = 0) -> None:
        for index in range(stack.count()):
            page = stack.widget(index)
            policy = (QSizePolicy.Policy.Preferred if page is stack.currentWidget()
                      else QSizePolicy.Policy.Ignored)
            page.setSizePolicy(policy, policy)
        stack.updateGeometry()

    stack.currentChanged.connect(follow)
    follow()

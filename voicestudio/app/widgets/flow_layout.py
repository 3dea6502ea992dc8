"""A row of buttons that wraps onto more lines when the window is narrow.

Qt has no wrapping layout of its own; a plain ``QHBoxLayout`` squeezes its buttons below
their text width at the window's minimum size, so "Create voice…" reads "reate v". Here
every item keeps its preferred width and the row breaks instead. A row that has room to
spare gives it to its expanding items (a combo box), or else to a stretch
(:meth:`FlowLayout.addStretch`), so what follows the stretch sits at the right edge as it
did in the one-line row.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QSizePolicy, QSpacerItem, QWidget


class FlowLayout(QLayout):
    def __init__(self, parent: QWidget | None = None, spacing: int = 8) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)

    # --- QLayout's item list ----------------------------------------------------------------

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def addStretch(self) -> None:
        """Room to spare in the line this lands in goes here (when no item expands)."""
        self.addItem(QSpacerItem(0, 0, QSizePolicy.Policy.Expanding,
                                 QSizePolicy.Policy.Minimum))

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    # --- sizes --------------------------------------------------------------------------------

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def sizeHint(self) -> QSize:
        """Everything on one line, as wide as a plain row would ask for."""
        visible = self._visible()
        margins = self.contentsMargins()
        width = sum(i.sizeHint().width() for i in visible)
        width += self.spacing() * max(0, len(visible) - 1)
        height = max((i.sizeHint().height() for i in visible), default=0)
        return QSize(width + margins.left() + margins.right(),
                     height + margins.top() + margins.bottom())

    def minimumSize(self) -> QSize:
        """As narrow as the widest single item: everything else can wrap. The height of
        one line; the lines a width needs come from :meth:`heightForWidth`, which the
        layouts and scroll areas around us ask."""
        margins = self.contentsMargins()
        visible = self._visible()
        width = max((i.minimumSize().width() for i in visible), default=0)
        height = max((i.sizeHint().height() for i in visible), default=0)
        return QSize(width + margins.left() + margins.right(),
                     height + margins.top() + margins.bottom())

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    # --- placing ------------------------------------------------------------------------------

    def _visible(self) -> list[QLayoutItem]:
        return [i for i in self._items if not i.isEmpty() or isinstance(i, QSpacerItem)]

    def _lines(self, width: int) -> list[list[QLayoutItem]]:
        lines: list[list[QLayoutItem]] = [[]]
        used = 0
        for item in self._visible():
            item_width = min(item.sizeHint().width(), width)
            if isinstance(item, QSpacerItem):
                item_width = 0
            needed = item_width if not lines[-1] else used + self.spacing() + item_width
            if lines[-1] and needed > width and not isinstance(item, QSpacerItem):
                lines.append([item])
                used = item_width
            else:
                lines[-1].append(item)
                used = needed
        return [line for line in lines if any(not isinstance(i, QSpacerItem) for i in line)]

    def _arrange(self, rect: QRect, move: bool) -> int:
        """Lay the items out in ``rect`` (or only measure); returns the height used."""
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        width = max(1, area.width())
        y = area.y()
        for line in self._lines(width):
            widths = [0 if isinstance(i, QSpacerItem) else min(i.sizeHint().width(), width)
                      for i in line]
            items = [i for i in line if not isinstance(i, QSpacerItem)]
            spare = width - sum(widths) - self.spacing() * max(0, len(items) - 1)
            growing = [n for n, i in enumerate(line) if not isinstance(i, QSpacerItem)
                       and i.expandingDirections() & Qt.Orientation.Horizontal]
            if not growing:
                growing = [n for n, i in enumerate(line) if isinstance(i, QSpacerItem)]
            for share, n in enumerate(growing):
                widths[n] += spare // len(growing) + (share < spare % len(growing))
            heights = {id(i): _height_at(i, w) for i, w in zip(line, widths, strict=True)}
            height = max(heights[id(i)] for i in items)
            if move:
                x = area.x()
                for item, item_width in zip(line, widths, strict=True):
                    if isinstance(item, QSpacerItem):
                        x += item_width
                        continue
                    item_height = heights[id(item)]
                    top = y + (height - item_height) // 2
                    item.setGeometry(QRect(QPoint(x, top), QSize(item_width, item_height)))
                    x += item_width + self.spacing()
            y += height + self.spacing()
        used = y - self.spacing() - area.y() if y > area.y() else 0
        return used + margins.top() + margins.bottom()


def _height_at(item: QLayoutItem, width: int) -> int:
    """A wrapped label given less than its preferred width grows taller instead."""
    if item.hasHeightForWidth():
        return max(item.sizeHint().height(), item.heightForWidth(width))
    return item.sizeHint().height()

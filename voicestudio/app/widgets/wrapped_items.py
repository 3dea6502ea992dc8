"""Tree columns whose text wraps onto more lines instead of ending in "…".

Qt's tree asks its delegate for a row's height without saying how wide the column is, so a
wrapped name is drawn into a row one line high and cut. The delegate here measures at the
column's width, and the rows are measured again whenever a column changes width.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem, QTreeWidget


class WrappedTextDelegate(QStyledItemDelegate):
    def __init__(self, tree: QTreeWidget) -> None:
        super().__init__(tree)
        self._tree = tree

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        measured = QStyleOptionViewItem(option)
        measured.rect = QRect(0, 0, self._tree.columnWidth(index.column()),
                              max(1, option.rect.height()))
        return super().sizeHint(measured, index)


def wrap_tree_columns(tree: QTreeWidget, columns: list[int],
                      on_measured: Callable[[], None] | None = None) -> None:
    """Let the text of ``columns`` wrap; ``on_measured`` runs after rows are re-measured
    (for a tree that keeps itself as tall as its rows)."""
    tree.setWordWrap(True)
    tree.setUniformRowHeights(False)
    tree.setTextElideMode(Qt.TextElideMode.ElideNone)
    for column in columns:
        tree.setItemDelegateForColumn(column, WrappedTextDelegate(tree))

    def measure_again(*_args: object) -> None:
        tree.scheduleDelayedItemsLayout()
        if on_measured is not None:
            on_measured()

    tree.header().sectionResized.connect(measure_again)

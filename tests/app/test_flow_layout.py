"""The wrapping button row: one line when there is room, more lines when there is not, every
button at its full width either way, and what follows a stretch kept at the right edge."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QComboBox, QPushButton, QSizePolicy, QWidget

from voicestudio.app.main import get_application
from voicestudio.app.widgets.flow_layout import FlowLayout


@pytest.fixture
def row(qtbot):
    get_application()
    holder = QWidget()
    qtbot.addWidget(holder)
    layout = FlowLayout(holder)
    buttons = [QPushButton(text) for text in ("Create voice…", "Rename…", "Duplicate…")]
    for button in buttons:
        layout.addWidget(button)
    layout.addStretch()
    trash = QPushButton("Trash…")
    layout.addWidget(trash)
    holder.show()
    return holder, layout, buttons + [trash]


def lay_out(holder: QWidget, width: int) -> None:
    holder.resize(width, holder.layout().heightForWidth(width))
    holder.layout().activate()


def test_with_room_everything_is_on_one_line_and_the_last_at_the_right(row):
    holder, layout, buttons = row
    lay_out(holder, layout.sizeHint().width() + 200)
    assert len({b.y() for b in buttons}) == 1
    assert buttons[-1].geometry().right() == holder.width() - 1
    assert buttons[2].geometry().right() < buttons[-1].x() - 100  # the stretch is between


def test_without_room_it_wraps_and_no_button_is_squeezed(row):
    holder, layout, buttons = row
    narrow = max(b.sizeHint().width() for b in buttons) + 10
    lay_out(holder, narrow)
    assert len({b.y() for b in buttons}) == len(buttons)  # one per line at this width
    for button in buttons:
        assert button.width() >= button.sizeHint().width()
    assert holder.height() >= sum(b.height() for b in buttons)
    assert layout.minimumSize().width() <= narrow


def test_an_expanding_field_takes_the_room_left_on_its_line(qtbot):
    get_application()
    holder = QWidget()
    qtbot.addWidget(holder)
    layout = FlowLayout(holder)
    combo = QComboBox()
    combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    button = QPushButton("Import a book…")
    layout.addWidget(combo)
    layout.addWidget(button)
    holder.show()
    lay_out(holder, 600)
    assert combo.y() == button.y()
    assert button.geometry().right() == 599
    assert combo.width() > combo.sizeHint().width()

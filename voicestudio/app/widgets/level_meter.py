"""A live microphone level meter: loudness bar, held peak tick and a clipping light.

It only draws what a :class:`~voicestudio.audio.meters.LevelMeter` holds, polled with a
``QTimer`` at display rate; the numbers are computed on the recorder's writer thread, never
here and never on the audio callback.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from voicestudio.audio.meters import SILENCE_DB, LevelMeter, MeterReading

REFRESH_MS = 33  # ~30 frames a second: smooth to the eye, cheap on the CPU
FLOOR_DB = -60.0
# Speech belongs in the green zone; yellow is loud; red is about to distort.
GOOD_FROM_DB, LOUD_FROM_DB, HOT_FROM_DB = -36.0, -12.0, -3.0
_GREEN, _YELLOW, _RED = QColor("#3a9d5d"), QColor("#e0a526"), QColor("#d0342c")


def _fraction(db: float) -> float:
    return min(max((db - FLOOR_DB) / -FLOOR_DB, 0.0), 1.0)


class LevelBar(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reading = MeterReading(SILENCE_DB, SILENCE_DB, False, 0)
        self.setMinimumSize(240, 22)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(QColor("#c4cbd4"))
        painter.setBrush(QColor("#f2f4f7"))
        painter.drawRoundedRect(rect, 4, 4)
        level = _fraction(self.reading.rms_db)
        color = _GREEN if self.reading.rms_db < LOUD_FROM_DB else (
            _YELLOW if self.reading.rms_db < HOT_FROM_DB else _RED)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawRoundedRect(QRectF(rect.x() + 1, rect.y() + 1,
                                       (rect.width() - 2) * level, rect.height() - 2), 3, 3)
        # The zone where speech should be: marked so a person can aim for it.
        painter.setPen(QColor("#8fa1b3"))
        for db in (GOOD_FROM_DB, LOUD_FROM_DB):
            x = rect.x() + rect.width() * _fraction(db)
            painter.drawLine(int(x), int(rect.top() + 3), int(x), int(rect.bottom() - 3))
        if self.reading.peak_db > FLOOR_DB:
            x = rect.x() + rect.width() * _fraction(self.reading.peak_db)
            painter.setPen(QColor("#1f2933"))
            painter.drawLine(int(x), int(rect.top() + 1), int(x), int(rect.bottom() - 1))
        painter.end()


class LevelMeterWidget(QWidget):
    """Bar, peak tick and clipping light for one ``LevelMeter`` (or none: empty)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.meter: LevelMeter | None = None
        self.bar = LevelBar()
        self.clip_light = QLabel("Too loud")
        self.clip_light.setObjectName("clipLight")
        self.clip_light.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.clip_light.setMinimumWidth(80)
        self.clip_light.setToolTip("Lights up when the sound distorts: move back a little "
                                   "or turn the microphone down.")
        self._set_clipping(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.clip_light)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)

    def set_meter(self, meter: LevelMeter | None) -> None:
        self.meter = meter
        if meter is None:
            self.timer.stop()
            self.bar.reading = MeterReading(SILENCE_DB, SILENCE_DB, False, 0)
            self.bar.update()
            self._set_clipping(False)
        else:
            self.timer.start()

    def refresh(self) -> None:
        if self.meter is None:
            return
        reading = self.meter.reading()
        self.bar.reading = reading
        self.bar.update()
        self._set_clipping(reading.clipping)

    @property
    def clipping(self) -> bool:
        return bool(self.clip_light.property("on"))

    def _set_clipping(self, on: bool) -> None:
        if self.clip_light.property("on") == on:
            return
        self.clip_light.setProperty("on", on)
        self.clip_light.setStyleSheet(
            "QLabel { border-radius: 5px; padding: 2px 8px; font-weight: 600; "
            + ("background: #d0342c; color: white; }" if on else
               "background: #eef1f5; color: #9aa4b1; }"))

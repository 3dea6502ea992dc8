"""The waveform of one recording with its segments as draggable regions and a playhead.

Only what is on screen is drawn: on every zoom or scroll the view asks the envelope pyramid
(``audio.envelope``) for about one min/max pair per pixel, so an hour-long take scrolls as
smoothly as a ten-second one. The widget knows nothing about datasets: it shows the spans
it is given and reports what the person did (a region dragged, a click).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from voicestudio.audio.envelope import BASE_BLOCK, Envelope

_WAVE = QColor("#3b6ea5")
_REGION = {  # fill of a segment by its state
    "kept": QColor(80, 160, 90, 60),
    "left_out": QColor(150, 150, 150, 60),
    "other": QColor(230, 140, 40, 70),
}
_SELECTED = QColor(40, 110, 220, 90)
_MIN_VIEW_SECONDS = 0.5


@dataclass(frozen=True)
class SegmentSpan:
    """What the waveform draws of one segment."""

    id: str
    start: float  # seconds in the take
    end: float
    state: str  # a key of _REGION


class WaveformView(pg.PlotWidget):
    region_moved = Signal(str, float, float)  # segment id, new start, new end (seconds)
    region_clicked = Signal(str)
    position_clicked = Signal(float)  # seconds: the playhead goes there

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        self.setObjectName("waveform")
        self.envelope: Envelope | None = None
        self.samples: np.ndarray | None = None  # the take itself, once loaded: close zooms
        self._regions: dict[str, pg.LinearRegionItem] = {}
        self._spans: dict[str, SegmentSpan] = {}
        self._selected: str | None = None
        item = self.getPlotItem()
        item.hideAxis("left")
        item.setMenuEnabled(False)
        item.hideButtons()
        item.setMouseEnabled(x=True, y=False)
        item.setLabel("bottom", "seconds")
        item.setYRange(-1.0, 1.0, padding=0.02)
        self._curve = pg.PlotCurveItem(pen=pg.mkPen(_WAVE, width=1), connect="pairs")
        self.addItem(self._curve)
        # Placed by a click. It often sits on a segment's edge, so it is drawn under the
        # segments: a drag there moves the edge.
        self.playhead = pg.InfiniteLine(0.0, angle=90, movable=False,
                                        pen=pg.mkPen("#d03030", width=2))
        self.playhead.setZValue(4)
        self.addItem(self.playhead)
        item.getViewBox().sigXRangeChanged.connect(lambda *_: self._redraw())
        self.scene().sigMouseClicked.connect(self._on_click)

    # Content ------------------------------------------------------------------------------
    def set_envelope(self, envelope: Envelope | None) -> None:
        self.envelope = envelope
        duration = envelope.duration_seconds if envelope else 1.0
        box = self.getPlotItem().getViewBox()
        box.setLimits(xMin=0.0, xMax=duration, minXRange=min(_MIN_VIEW_SECONDS, duration))
        box.setXRange(0.0, min(duration, 60.0), padding=0.0)
        self._redraw()

    def set_samples(self, samples: np.ndarray | None) -> None:
        """The take's samples, drawn one by one when zoomed closer than the envelope."""
        self.samples = samples
        self._redraw()

    def set_segments(self, spans: Sequence[SegmentSpan], selected: str | None) -> None:
        """Show these segments (replacing what was shown); ``selected`` is highlighted."""
        for segment_id in list(self._regions):
            if segment_id not in {s.id for s in spans}:
                self.removeItem(self._regions.pop(segment_id))
        self._spans = {s.id: s for s in spans}
        for span in spans:
            region = self._regions.get(span.id)
            if region is None:
                region = pg.LinearRegionItem(values=(span.start, span.end), movable=True,
                                             swapMode="block")
                region.setZValue(5)
                region.sigRegionChangeFinished.connect(
                    lambda r, segment_id=span.id: self._on_region_moved(segment_id, r))
                region.mouseClickEvent = (
                    lambda event, segment_id=span.id: self._on_region_click(segment_id, event))
                self.addItem(region)
                self._regions[span.id] = region
            region.blockSignals(True)
            region.setRegion((span.start, span.end))
            region.blockSignals(False)
        self.select(selected)

    def select(self, segment_id: str | None) -> None:
        self._selected = segment_id
        for span_id, region in self._regions.items():
            color = _SELECTED if span_id == segment_id else _REGION[self._spans[span_id].state]
            region.setBrush(pg.mkBrush(color))
            region.update()

    def region(self, segment_id: str) -> pg.LinearRegionItem:
        return self._regions[segment_id]

    def set_playhead(self, seconds: float) -> None:
        self.playhead.setValue(seconds)

    @property
    def playhead_seconds(self) -> float:
        return float(self.playhead.value())

    # View ---------------------------------------------------------------------------------
    def visible_range(self) -> tuple[float, float]:
        low, high = self.getPlotItem().getViewBox().viewRange()[0]
        return float(low), float(high)

    def zoom(self, factor: float) -> None:
        """Zoom around the playhead (factor < 1 zooms in)."""
        low, high = self.visible_range()
        centre = self.playhead_seconds if low <= self.playhead_seconds <= high \
            else (low + high) / 2
        half = max((high - low) * factor / 2, _MIN_VIEW_SECONDS / 2)
        self.getPlotItem().getViewBox().setXRange(centre - half, centre + half, padding=0.0)

    def show_span(self, start: float, end: float) -> None:
        """Scroll (not zoom) so that ``[start, end]`` is on screen."""
        low, high = self.visible_range()
        if start >= low and end <= high:
            return
        width = max(high - low, end - start + 1.0)
        self.getPlotItem().getViewBox().setXRange(start - 0.5, start - 0.5 + width,
                                                  padding=0.0)

    def _redraw(self) -> None:
        if self.envelope is None:
            self._curve.setData([], [])
            return
        low, high = self.visible_range()
        pixels = max(self.width(), 200)
        rate = self.envelope.sample_rate
        if self.samples is not None and (high - low) * rate < pixels * BASE_BLOCK:
            first = max(0, int(low * rate))
            last = min(self.samples.size, int(high * rate) + 2)
            x = np.arange(first, last) / rate
            self._curve.setData(x, self.samples[first:last], connect="all")
            return
        times, lows, highs = self.envelope.view(low, high, pixels)
        x = np.repeat(times, 2)
        y = np.column_stack([lows.astype(np.float32), highs.astype(np.float32)]).ravel()
        self._curve.setData(x, y, connect="pairs")

    # Mouse --------------------------------------------------------------------------------
    def _on_region_moved(self, segment_id: str, region: pg.LinearRegionItem) -> None:
        start, end = region.getRegion()
        span = self._spans.get(segment_id)
        if span is not None and (abs(start - span.start) > 1e-4 or abs(end - span.end) > 1e-4):
            self.region_moved.emit(segment_id, float(start), float(end))

    def _on_region_click(self, segment_id: str, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            event.accept()
            self.region_clicked.emit(segment_id)
            seconds = self.getPlotItem().getViewBox().mapSceneToView(event.scenePos()).x()
            self.position_clicked.emit(float(seconds))

    def _on_click(self, event) -> None:
        if event.isAccepted() or event.button() != Qt.MouseButton.LeftButton:
            return
        box = self.getPlotItem().getViewBox()
        if box.sceneBoundingRect().contains(event.scenePos()):
            self.position_clicked.emit(float(box.mapSceneToView(event.scenePos()).x()))

"""The segment editor: a take's waveform, its segments as regions and rows, and the edits.

Every edit goes through ``project.segments.Dataset`` (which saves it at once) and is pushed
on a ``QUndoStack`` as the ``SegmentChange`` it made, so undo and redo are that change
applied backwards or forwards, saved the same way. The take's audio (needed to play and to
cut) loads in a background job; until it is there the waveform and table still show.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QElapsedTimer, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from voicestudio.app import dialogs
from voicestudio.app.job_runner import JobRunner
from voicestudio.app.widgets.flow_layout import FlowLayout
from voicestudio.app.widgets.waveform import SegmentSpan, WaveformView
from voicestudio.audio.playback import AudioPlayer, SoundDevicePlayer
from voicestudio.audio.quality import FLAG_MESSAGES, QualityFlag
from voicestudio.errors import VoiceStudioError
from voicestudio.project.segments import Dataset, SegmentChange, SegmentRecord
from voicestudio.project.voice import Voice
from voicestudio.services.segment_editing import OpenedTake, cached_envelope, open_take

log = logging.getLogger(__name__)

COLUMNS = ("Start", "Length", "Text", "Flags", "Training")
TEXT_COLUMN = COLUMNS.index("Text")
_PLAYHEAD_MS = 30


def segment_state(segment: SegmentRecord) -> str:
    """How the segment is used, for its colour and its Training column."""
    if segment.other_speaker_mark or (
            segment.other_speaker_mark is None and QualityFlag.OTHER_SPEAKER in segment.flags
            and not segment.kept):
        return "other"
    return "kept" if segment.kept else "left_out"


def training_text(segment: SegmentRecord) -> str:
    if segment.deleted:
        return "Deleted"
    if not segment.text.strip():
        return "Needs text"
    return {"kept": "Used", "left_out": "Left out", "other": "Other speaker"}[
        segment_state(segment)]


def take_label(name: str, segments: int) -> str:
    return f"{name} ({segments} segment{'' if segments == 1 else 's'})"


def flags_text(segment: SegmentRecord) -> str:
    return ", ".join(str(f).replace("_", " ") for f in segment.flags)


def flags_tooltip(segment: SegmentRecord) -> str:
    return "\n".join(FLAG_MESSAGES.get(QualityFlag(f), f) for f in segment.flags
                     if f in QualityFlag._value2member_map_)


class SegmentCommand(QUndoCommand):
    """One edit on the undo stack; it was already applied when pushed."""

    def __init__(self, editor: SegmentEditor, change: SegmentChange, text: str) -> None:
        super().__init__(text)
        self._editor = editor
        self._change = change
        self._applied = True

    def redo(self) -> None:
        if self._applied:  # QUndoStack.push calls redo: the edit is already saved
            self._applied = False
            return
        self._editor.apply_change(self._change)

    def undo(self) -> None:
        self._editor.apply_change(self._change.inverse())


@dataclass
class _Playing:
    segment_id: str
    start: float
    end: float


class SegmentEditor(QWidget):
    """The Segments tab of the Edit page."""

    changed = Signal()  # the dataset was saved (the page refreshes the voice's summary)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dataset: Dataset | None = None
        self.take: OpenedTake | None = None
        self.take_id: str | None = None
        self.player: AudioPlayer = SoundDevicePlayer()
        self.undo_stack = QUndoStack(self)
        self.runner: JobRunner | None = None
        self._filling = False
        self._playing: _Playing | None = None
        self._clock = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setInterval(_PLAYHEAD_MS)
        self._timer.timeout.connect(self._advance_playhead)

        self.take_combo = QComboBox()
        self.take_combo.setMinimumWidth(240)
        self.take_combo.currentIndexChanged.connect(self._on_take_chosen)
        self.status = QLabel()
        self.status.setObjectName("hint")
        self.waveform = WaveformView()
        self.waveform.setMinimumHeight(180)
        self.waveform.region_moved.connect(self._on_region_moved)
        self.waveform.region_clicked.connect(self.select)
        self.waveform.position_clicked.connect(self._on_position_clicked)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        # The short columns as wide as their contents, the words get the rest (on a narrow
        # window they would otherwise be cut to "The …").
        for column in range(len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(TEXT_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(130)  # a few rows at least, even on a small screen
        self.table.itemChanged.connect(self._on_item_changed)
        self.table.itemSelectionChanged.connect(self._on_row_selected)

        self.actions: dict[str, QAction] = {}
        self.status.setWordWrap(True)
        chooser = FlowLayout()
        chooser.addWidget(QLabel("Recording:"))
        chooser.addWidget(self.take_combo)
        chooser.addWidget(self.status)
        toolbar = FlowLayout(spacing=4)
        for key, text, shortcut, handler, tip in (
            ("play", "Play", "Space", self.toggle_play, "Play the selected segment"),
            ("split", "Split", "S", self.split_at_playhead, "Cut in two at the red line"),
            ("merge", "Merge", "M", self.merge_with_next, "Join with the next segment"),
            ("delete", "Delete", "Delete", self.toggle_deleted, "Delete or restore"),
            ("use", "Use / leave out", "E", self.toggle_kept, "Train on it or not"),
            ("speaker", "Other speaker", "O", self.toggle_other_speaker,
             "Someone else is speaking here"),
            ("zoom_in", "Zoom in", "+", lambda: self.waveform.zoom(0.5), "Zoom in"),
            ("zoom_out", "Zoom out", "-", lambda: self.waveform.zoom(2.0), "Zoom out"),
        ):
            self._add_action(toolbar, key, text, QKeySequence(shortcut), handler, tip)
        undo = self.undo_stack.createUndoAction(self, "Undo")
        redo = self.undo_stack.createRedoAction(self, "Redo")
        for key, action, sequence in (("undo", undo, QKeySequence.StandardKey.Undo),
                                      ("redo", redo, QKeySequence.StandardKey.Redo)):
            action.setShortcuts(QKeySequence.keyBindings(sequence)
                                + ([QKeySequence("Ctrl+Y")] if key == "redo" else []))
            self._install(toolbar, key, action)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.waveform)
        splitter.addWidget(self.table)
        splitter.setSizes([240, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(chooser)
        layout.addLayout(toolbar)
        layout.addWidget(splitter, 1)
        hint = QLabel("Click the waveform to place the red line; drag a segment's edges to "
                      "trim it; double-click a text to correct it. Space plays, S splits, "
                      "M merges, Delete deletes, E leaves out, O marks another speaker, "
                      "Ctrl+Z undoes.")
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self._update_actions()

    def _add_action(self, toolbar: FlowLayout, key: str, text: str, shortcut: QKeySequence,
                    handler: Callable[[], None], tip: str) -> None:
        action = QAction(text, self)
        action.setShortcut(shortcut)
        action.setToolTip(f"{tip} ({shortcut.toString()})")
        action.triggered.connect(lambda _checked=False: self._guarded(handler))
        self._install(toolbar, key, action)

    def _install(self, toolbar: FlowLayout, key: str, action: QAction) -> None:
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(action)
        button = QToolButton()
        button.setDefaultAction(action)
        toolbar.addWidget(button)
        self.actions[key] = action

    # Voice and take -----------------------------------------------------------------------
    def set_voice(self, voice: Voice | None) -> None:
        self.stop()
        self.undo_stack.clear()
        self.dataset = Dataset.open(voice) if voice is not None else None
        self.take = None
        self.take_id = None
        self._fill_takes()

    def reload(self) -> None:
        """Re-read the dataset from disk (after an import); undo history stays valid."""
        if self.dataset is None:
            return
        self.dataset = Dataset.open(Voice.open(self.dataset.voice.folder))
        self._fill_takes()

    def _fill_takes(self) -> None:
        takes = self.dataset.takes if self.dataset else []
        wanted = self.take_id
        self.take_combo.blockSignals(True)
        self.take_combo.clear()
        for take in takes:
            count = sum(1 for s in self.dataset.segments if s.take_id == take.id)
            self.take_combo.addItem(take_label(take.original_name, count), take.id)
        index = max(0, self.take_combo.findData(wanted)) if wanted else 0
        self.take_combo.setCurrentIndex(index if takes else -1)
        self.take_combo.blockSignals(False)
        if takes:
            self._show_take(self.take_combo.currentData())
        else:
            self.waveform.set_envelope(None)
            self.waveform.set_segments([], None)
            self.table.setRowCount(0)
            self.status.setText("No recordings yet: import some on the Import tab."
                                if self.dataset else "Open a voice on the Voices page first.")
            self._update_actions()

    def _on_take_chosen(self, _index: int) -> None:
        take_id = self.take_combo.currentData()
        if take_id:
            self._show_take(take_id)

    def _show_take(self, take_id: str) -> None:
        if take_id != self.take_id:
            self.stop()
            self.take_id = take_id
            self.take = None
            self.waveform.set_samples(None)
            self.waveform.set_envelope(cached_envelope(self.dataset, take_id))
            self._load_take(take_id)
        self._fill_segments()

    def _load_take(self, take_id: str) -> None:
        """Decode the take in the background; the envelope shows as soon as it is known."""
        if self.runner is not None and self.runner.is_running:
            self.runner.cancel()
        dataset = self.dataset
        runner = JobRunner(lambda progress, cancel: open_take(dataset, take_id, progress,
                                                              cancel), self)
        runner.progress.connect(lambda _f, message, _eta: self.status.setText(
            f"Loading the recording: {message}"))
        runner.finished.connect(lambda opened: self._take_loaded(opened))
        runner.failed.connect(lambda message, _exc: self.status.setText(message))
        self.runner = runner
        self.status.setText("Loading the recording…")
        runner.start()

    def _take_loaded(self, opened: OpenedTake) -> None:
        if opened.take_id != self.take_id:
            return  # another take was chosen meanwhile
        self.take = opened
        if self.waveform.envelope is None:
            self.waveform.set_envelope(opened.envelope)
        self.waveform.set_samples(opened.samples)
        self.status.setText("")
        self._update_actions()

    @property
    def take_ready(self) -> bool:
        return self.take is not None and self.take.take_id == self.take_id

    # Segments -----------------------------------------------------------------------------
    def take_segments(self) -> list[SegmentRecord]:
        """This take's segments in order, the deleted ones too (shown greyed to restore)."""
        if self.dataset is None:
            return []
        return [s for s in self.dataset.index.segments if s.take_id == self.take_id]

    def selected_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def selected(self) -> SegmentRecord | None:
        segment_id = self.selected_id()
        return self.dataset.segment(segment_id) if segment_id and self.dataset else None

    def select(self, segment_id: str | None) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == segment_id:
                self.table.selectRow(row)
                return
        self.table.clearSelection()

    def _fill_segments(self, keep: str | None = None) -> None:
        keep = keep or self.selected_id()
        segments = self.take_segments()
        self._filling = True
        self.table.setRowCount(len(segments))
        for row, segment in enumerate(segments):
            cells = (f"{segment.start_seconds:7.2f}", f"{segment.duration_seconds:.1f} s",
                     segment.text, flags_text(segment), training_text(segment))
            for column, value in enumerate(cells):
                item = QTableWidgetItem(value)
                flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
                if column == TEXT_COLUMN and not segment.deleted:
                    flags |= Qt.ItemFlag.ItemIsEditable
                item.setFlags(flags)
                if segment.deleted:
                    font = item.font()
                    font.setStrikeOut(True)
                    item.setFont(font)
                    item.setForeground(Qt.GlobalColor.gray)
                if column == COLUMNS.index("Flags"):
                    item.setToolTip(flags_tooltip(segment))
                item.setData(Qt.ItemDataRole.UserRole, segment.id)
                self.table.setItem(row, column, item)
        self._filling = False
        live = [SegmentSpan(s.id, s.start_seconds, s.end_seconds, segment_state(s))
                for s in segments if not s.deleted]
        self.waveform.set_segments(live, keep)
        if keep:
            self.select(keep)
        elif segments:
            self.table.selectRow(0)
        self._update_actions()

    def _on_row_selected(self) -> None:
        segment = self.selected()
        self.waveform.select(segment.id if segment else None)
        if segment is not None and not segment.deleted:
            self.waveform.show_span(segment.start_seconds, segment.end_seconds)
            low, high = segment.start_seconds, segment.end_seconds
            if not low <= self.waveform.playhead_seconds <= high:
                self.waveform.set_playhead(low)
        self._update_actions()

    def _on_position_clicked(self, seconds: float) -> None:
        self.waveform.set_playhead(seconds)
        inside = next((s for s in self.take_segments()
                       if not s.deleted and s.start_seconds <= seconds <= s.end_seconds), None)
        if inside is not None and inside.id != self.selected_id():
            self.select(inside.id)
            self.waveform.set_playhead(seconds)

    def _update_actions(self) -> None:
        segment = self.selected() if self.dataset else None
        alive = segment is not None and not segment.deleted
        audio = self.take_ready
        self.actions["play"].setEnabled(alive and audio)
        self.actions["split"].setEnabled(alive and audio)
        self.actions["merge"].setEnabled(alive and audio)
        self.actions["delete"].setEnabled(segment is not None)
        self.actions["delete"].setText("Restore" if segment is not None and segment.deleted
                                       else "Delete")
        self.actions["use"].setEnabled(alive)
        self.actions["speaker"].setEnabled(alive)

    # Edits --------------------------------------------------------------------------------
    def _guarded(self, handler: Callable[[], None]) -> None:
        """Run an edit; a refusal ("would overlap", "too near the edge") is shown, not raised."""
        try:
            handler()
        except VoiceStudioError as exc:
            self._fill_segments()  # put a dragged region back where the segment is
            dialogs.show_error(self, str(exc))

    def _push(self, change: SegmentChange, text: str, select: str | None = None) -> None:
        self.undo_stack.push(SegmentCommand(self, change, text))
        self._saved(select or (change.after[0].id if change.after else None))

    def _saved(self, select: str | None) -> None:
        self._fill_takes_counts()
        self._fill_segments(select)
        self.changed.emit()

    def _fill_takes_counts(self) -> None:
        for index in range(self.take_combo.count()):
            take_id = self.take_combo.itemData(index)
            name = next(t.original_name for t in self.dataset.takes if t.id == take_id)
            count = sum(1 for s in self.dataset.segments if s.take_id == take_id)
            self.take_combo.setItemText(index, take_label(name, count))

    def apply_change(self, change: SegmentChange) -> None:
        """Undo/redo: put a change's records back (saved like any edit)."""
        try:
            self.dataset.apply(change, self.take.samples if self.take_ready else None)
        except VoiceStudioError as exc:
            dialogs.show_error(self, str(exc))
        self._saved(change.after[0].id if change.after else None)

    def split_at_playhead(self) -> None:
        segment = self.selected()
        if segment is None or segment.deleted or not self.take_ready:
            return
        change = self.dataset.split(segment.id, self.waveform.playhead_seconds,
                                    self.take.samples)
        self._push(change, "Split")

    def merge_with_next(self) -> None:
        segment = self.selected()
        if segment is None or segment.deleted or not self.take_ready:
            return
        self._push(self.dataset.merge_with_next(segment.id, self.take.samples), "Merge")

    def toggle_deleted(self) -> None:
        segment = self.selected()
        if segment is not None:
            change = self.dataset.set_deleted(segment.id, not segment.deleted)
            self._push(change, "Restore" if segment.deleted else "Delete")

    def toggle_kept(self) -> None:
        segment = self.selected()
        if segment is not None and not segment.deleted:
            self._push(self.dataset.set_kept(segment.id, not segment.kept), "Use / leave out")

    def toggle_other_speaker(self) -> None:
        segment = self.selected()
        if segment is not None and not segment.deleted:
            marked = not (segment_state(segment) == "other")
            self._push(self.dataset.set_other_speaker(segment.id, marked), "Other speaker")

    def _on_region_moved(self, segment_id: str, start: float, end: float) -> None:
        def move() -> None:
            samples = self.take.samples if self.take_ready else None
            self._push(self.dataset.update_bounds(segment_id, start, end, samples),
                       "Move edges", segment_id)

        self._guarded(move)

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != TEXT_COLUMN:
            return
        segment_id = item.data(Qt.ItemDataRole.UserRole)
        text = item.text()
        QTimer.singleShot(0, lambda: self._guarded(lambda: self._push(
            self.dataset.update_text(segment_id, text), "Edit text", segment_id)))

    # Playing ------------------------------------------------------------------------------
    def toggle_play(self) -> None:
        if self._playing is not None:
            self.stop()
            return
        segment = self.selected()
        if segment is None or segment.deleted or not self.take_ready:
            return
        start = self.waveform.playhead_seconds
        if not segment.start_seconds <= start < segment.end_seconds - 0.05:
            start = segment.start_seconds
        rate = self.take.sample_rate
        clip = self.take.samples[round(start * rate):segment.end_sample]
        self.player.play(clip, rate)
        self._playing = _Playing(segment.id, start, segment.end_seconds)
        self._clock.start()
        self._timer.start()
        self.actions["play"].setText("Stop")

    def stop(self) -> None:
        if self._playing is not None:
            self.player.stop()
        self._playing = None
        self._timer.stop()
        if "play" in self.actions:
            self.actions["play"].setText("Play")

    def _advance_playhead(self) -> None:
        playing = self._playing
        if playing is None:
            return
        position = playing.start + self._clock.elapsed() / 1000.0
        if position >= playing.end or not self.player.is_playing:
            self.waveform.set_playhead(min(position, playing.end))
            self.stop()
            return
        self.waveform.set_playhead(position)

"""The Narrate page: a book's chapters, a script editor coloured by sentence state, and export.

Everything it shows comes from the narration engine (``synthesis.narration``) and the
narration services; the page wires widgets to them and runs every long step (preparing the
models, rendering a chapter, a new take, the export) in a JobRunner with progress and
Cancel. A sentence's colour says its state; clicking it selects it (and plays it when it has
audio); the panel under the editor holds its takes, Regenerate, Approve and Pronounce as….
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from voicestudio.app import dialogs
from voicestudio.app.job_runner import JobRunner
from voicestudio.app.pages.base import BasePage
from voicestudio.app.state import AppState
from voicestudio.app.widgets.flow_layout import FlowLayout
from voicestudio.app.widgets.progress import ProgressPanel
from voicestudio.audio.playback import AudioPlayer, NoAudioOutputError, SoundDevicePlayer
from voicestudio.audio.publishing import FORMATS, PRESETS
from voicestudio.errors import VoiceStudioError
from voicestudio.project.book_import import pasted_book
from voicestudio.project.narration import NarrationProject, list_narrations
from voicestudio.project.voice import Voice
from voicestudio.services.heavy_jobs import HEAVY_JOBS

STATE_COLOURS = {  # background of a sentence by its state (see SentenceState)
    "not rendered": "#eceff1", "rendering": "#bbdefb", "rendered": "#c8e6c9",
    "stale": "#ffe0b2", "failed check": "#ffcdd2", "approved": "#81c784",
}
PLAYING_COLOUR = "#fff176"
BOOK_FILTER = "Books (*.txt *.md *.markdown *.epub);;All files (*)"
IMAGE_FILTER = "Images (*.jpg *.jpeg *.png)"
EDIT_SAVE_MS = 700
PLAY_POLL_MS = 100

EngineFactory = Callable[[Voice, NarrationProject], Any]


def default_engine(data_dir: Path) -> EngineFactory:
    def make(voice: Voice, project: NarrationProject) -> Any:
        from voicestudio.services.narration import narration_engine

        return narration_engine(data_dir, voice, project)

    return make


def sentence_at(plan: Any, offset: int) -> int | None:
    """The index of the planned sentence whose characters hold ``offset`` (None: none)."""
    for index, sentence in enumerate(plan.sentences):
        if sentence.start <= offset <= sentence.end and sentence.start >= 0:
            return index
    return None


class ExportDialog(QDialog):
    """Book details, where and how to export, and the plain truth about synthetic voices."""

    def __init__(self, project: NarrationProject, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export the audiobook")
        self.setMinimumWidth(560)
        self.title_edit = QLineEdit(project.title)
        self.author_edit = QLineEdit(project.author)
        self.narrator_edit = QLineEdit(project.narrator)
        self.cover_edit = QLineEdit(project.cover)
        self.cover_edit.setReadOnly(True)
        self.cover_edit.setPlaceholderText("No cover image")
        cover_button = QPushButton("Choose…")
        cover_button.clicked.connect(self._choose_cover)
        cover_row = QHBoxLayout()
        cover_row.addWidget(self.cover_edit, 1)
        cover_row.addWidget(cover_button)
        self.preset_combo = QComboBox()
        self.preset_combo.addItem("No preset (my own format)", None)
        for key, preset in PRESETS.items():
            self.preset_combo.addItem(f"{preset.name} ({preset.format.upper()})", key)
        self.format_combo = QComboBox()
        for fmt in FORMATS:
            self.format_combo.addItem(fmt.upper(), fmt)
        self.folder_edit = QLineEdit(str(project.exports_folder))
        folder_button = QPushButton("Choose…")
        folder_button.clicked.connect(self._choose_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(folder_button)
        self.policy_label = QLabel()
        self.policy_label.setObjectName("hint")
        self.policy_label.setWordWrap(True)
        self.disclosure_label = QLabel(
            "This narration is made with a digital (synthetic) voice. Every file says so in "
            f"its metadata: “{project.disclosure}” Say it in the store description too.")
        self.disclosure_label.setWordWrap(True)
        self.disclosure_label.setObjectName("disclosure")
        form = QFormLayout()
        form.addRow("Title", self.title_edit)
        form.addRow("Author", self.author_edit)
        form.addRow("Narrated by", self.narrator_edit)
        form.addRow("Cover", cover_row)
        form.addRow("Publish for", self.preset_combo)
        form.addRow("Format", self.format_combo)
        form.addRow("Save in", folder_row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.disclosure_label)
        layout.addWidget(self.policy_label)
        layout.addWidget(buttons)
        self.cover_path: Path | None = None
        self.preset_combo.currentIndexChanged.connect(self._preset_changed)
        self._preset_changed()

    def _preset_changed(self) -> None:
        key = self.preset_combo.currentData()
        preset = PRESETS.get(key) if key else None
        self.format_combo.setEnabled(preset is None)
        if preset is None:
            self.policy_label.setText("Figures only: the report measures every file, but "
                                      "nothing is mastered for a distributor.")
            return
        self.format_combo.setCurrentIndex(self.format_combo.findData(preset.format))
        rules = preset.rules
        self.policy_label.setText(
            f"{preset.name}: {preset.format.upper()}, {preset.sample_rate / 1000:g} kHz, "
            f"RMS {rules.rms_db[0]:g} to {rules.rms_db[1]:g} dB, peak ≤ {rules.peak_db:g} dB, "
            f"noise floor ≤ {rules.noise_floor_db:g} dB. Mastered to meet them; a compliance "
            f"report is written beside the files.\n{preset.policy}")

    def _choose_cover(self) -> None:
        path = dialogs.choose_file(self, "Choose a cover image", Path.home(), IMAGE_FILTER)
        if path is not None:
            self.cover_path = path
            self.cover_edit.setText(path.name)

    def _choose_folder(self) -> None:
        path = dialogs.choose_folder(self, "Export into", Path(self.folder_edit.text()))
        if path is not None:
            self.folder_edit.setText(str(path))

    def apply(self, project: NarrationProject) -> None:
        """Save the book details the person typed into the project."""
        project.title = self.title_edit.text().strip() or project.title
        project.author = self.author_edit.text().strip()
        project.narrator = self.narrator_edit.text().strip()
        if self.cover_path is not None:
            project.set_cover(self.cover_path)
        project.save()


def editor_hint(has_voice: bool, has_project: bool, has_chapter: bool) -> str:
    """What the empty script editor says to do next, so an empty page is never a dead end."""
    if not has_voice:
        return "Open a voice on the Voices page first: it is the voice that reads the book."
    if not has_project:
        return ("No narration yet. Press “Import a book…” (a .txt, .md or .epub file) or "
                "“Paste text…” to start.")
    if not has_chapter:
        return "This narration has no chapters yet: press “Add chapter”."
    return "Type or paste the chapter's text here."


class NarratePage(BasePage):
    """Import a book, render it chapter by chapter, fix sentences, export."""

    def __init__(self, state: AppState, parent: QWidget | None = None,
                 engine_factory: EngineFactory | None = None) -> None:
        super().__init__(state, parent)
        self.engine_factory = engine_factory or default_engine(state.data_dir)
        self.player: AudioPlayer | None = None
        self.project: NarrationProject | None = None
        self.engine: Any = None
        self.plan: Any = None
        self.runner: JobRunner | None = None
        self.rendering: set[int] = set()
        self.selected: int | None = None
        self._playing: list[tuple[float, float, int]] = []  # (start s, end s, sentence)
        self._play_started = 0.0

        layout = self.page_layout(
            "Narrate", "Read a book aloud in this voice: every sentence is rendered, checked "
            "and kept; fix what you hear, then export the chapters.")
        self.voice_hint = QLabel()
        self.voice_hint.setObjectName("hint")
        self.voice_hint.setWordWrap(True)
        top = FlowLayout()
        self.project_combo = QComboBox()
        self.project_combo.setMinimumWidth(200)
        self.project_combo.setSizePolicy(QSizePolicy.Policy.Expanding,
                                         QSizePolicy.Policy.Fixed)
        self.project_combo.currentIndexChanged.connect(self._project_chosen)
        self.import_button = QPushButton("Import a book…")
        self.import_button.clicked.connect(self.import_book)
        self.paste_button = QPushButton("Paste text…")
        self.paste_button.clicked.connect(self.paste_text)
        self.export_button = QPushButton("Export…")
        self.export_button.clicked.connect(self.export)
        self.reference_button = QPushButton("Reference clip…")
        self.reference_button.setToolTip(
            "The clip the whole book copies its delivery from (3-10 s of the person, with what "
            "is said in it). By default the voice's best recording, fixed when rendering starts.")
        self.reference_button.clicked.connect(self.choose_reference)
        self.add_chapter_button = QPushButton("Add chapter")
        self.add_chapter_button.clicked.connect(self.add_chapter)
        self.remove_chapter_button = QPushButton("Remove chapter")
        self.remove_chapter_button.clicked.connect(self.remove_chapter)
        top.addWidget(QLabel("Narration"))
        top.addWidget(self.project_combo)
        top.addWidget(self.import_button)
        top.addWidget(self.paste_button)
        top.addWidget(self.reference_button)
        top.addWidget(self.export_button)

        self.chapter_list = QListWidget()
        self.chapter_list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.chapter_list.currentRowChanged.connect(self._chapter_chosen)
        self.chapter_list.model().rowsMoved.connect(self._chapters_moved)
        self.chapter_list.itemChanged.connect(self._chapter_renamed)
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("scriptEditor")
        self.editor.setReadOnly(True)  # until a chapter is open: typing would go nowhere
        self.editor.textChanged.connect(self._text_edited)
        self.editor.cursorPositionChanged.connect(self._cursor_moved)
        self.legend = QLabel("  ".join(
            f'<span style="background:{c}">&nbsp;{s}&nbsp;</span>'
            for s, c in STATE_COLOURS.items()))
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)

        self.render_button = QPushButton("Render chapter")
        self.render_button.clicked.connect(self.render_chapter)
        self.play_chapter_button = QPushButton("Play chapter")
        self.play_chapter_button.clicked.connect(self.play_chapter)
        self.pause_button = QPushButton("Insert pause")
        self.pause_button.setToolTip("Adds [pause 1] at the cursor: one second of silence "
                                     "after the sentence before it (edit the number).")
        self.pause_button.clicked.connect(lambda: self.insert_marker("[pause 1]"))
        self.speed_button = QPushButton("Paragraph speed")
        self.speed_button.setToolTip("Adds [speed 0.9] at the cursor: the paragraph it is in "
                                     "is read at that speed (0.6 to 1.65).")
        self.speed_button.clicked.connect(lambda: self.insert_marker("[speed 0.9]"))
        chapter_row = FlowLayout()
        chapter_row.addWidget(self.render_button)
        chapter_row.addWidget(self.play_chapter_button)
        chapter_row.addStretch()
        chapter_row.addWidget(self.pause_button)
        chapter_row.addWidget(self.speed_button)
        self.report_label = QLabel()
        self.report_label.setWordWrap(True)

        self.sentence_label = QLabel("Click a sentence to hear it and work on it.")
        self.sentence_label.setWordWrap(True)
        self.take_combo = QComboBox()
        self.take_combo.activated.connect(self._take_chosen)
        self.play_button = QPushButton("Play")
        self.play_button.clicked.connect(self.play_sentence)
        self.regenerate_button = QPushButton("New take")
        self.regenerate_button.clicked.connect(self.regenerate)
        self.approve_button = QPushButton("Approve")
        self.approve_button.clicked.connect(self.toggle_approved)
        self.pronounce_button = QPushButton("Pronounce as…")
        self.pronounce_button.clicked.connect(self.pronounce_selection)
        sentence_row = FlowLayout()
        sentence_row.addWidget(QLabel("Take"))
        self.take_combo.setMinimumWidth(120)
        self.take_combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        sentence_row.addWidget(self.take_combo)
        for button in (self.play_button, self.regenerate_button, self.approve_button,
                       self.pronounce_button):
            sentence_row.addWidget(button)
        self.progress = ProgressPanel()
        self.progress.hide()

        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.addLayout(chapter_row)
        centre_layout.addWidget(self.editor, 1)
        centre_layout.addWidget(self.legend)
        centre_layout.addWidget(self.sentence_label)
        centre_layout.addLayout(sentence_row)
        centre_layout.addWidget(self.report_label)
        centre_layout.addWidget(self.progress)
        chapters = QWidget()
        chapters_layout = QVBoxLayout(chapters)
        chapters_layout.setContentsMargins(0, 0, 0, 0)
        chapters_layout.addWidget(self.chapter_list, 1)
        chapter_buttons = FlowLayout()
        chapter_buttons.addWidget(self.add_chapter_button)
        chapter_buttons.addWidget(self.remove_chapter_button)
        chapters_layout.addLayout(chapter_buttons)
        splitter = QSplitter()
        splitter.addWidget(chapters)
        splitter.addWidget(centre)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([180, 700])
        layout.addWidget(self.voice_hint)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(EDIT_SAVE_MS)
        self._save_timer.timeout.connect(self._save_text)
        self._play_timer = QTimer(self)
        self._play_timer.setInterval(PLAY_POLL_MS)
        self._play_timer.timeout.connect(self._follow_playback)
        self._loading = False
        self._editor_chapter: str | None = None  # the chapter whose text the editor holds
        state.current_voice_changed.connect(lambda _voice: self.on_shown())
        state.heavy_job_changed.connect(self._heavy_job_changed)
        self.on_shown()

    # --- voice and project ----------------------------------------------------------------

    @property
    def voice(self) -> Voice | None:
        return self.state.current_voice

    @property
    def busy(self) -> bool:
        return self.runner is not None and self.runner.is_running

    def on_shown(self) -> None:
        voice = self.voice
        self.voice_hint.setText("" if voice else "Open a voice on the Voices page first: a "
                                "narration is read in one voice.")
        self.voice_hint.setVisible(voice is None)
        self._loading = True
        self.project_combo.clear()
        if voice is not None:
            for project in list_narrations(voice):
                self.project_combo.addItem(project.title, str(project.folder))
        self._loading = False
        if self.project is not None and voice is not None:
            index = self.project_combo.findData(str(self.project.folder))
            if index >= 0:
                self.project_combo.setCurrentIndex(index)
                return
        self._project_chosen()

    def _project_chosen(self) -> None:
        if self._loading:
            return
        folder = self.project_combo.currentData()
        if not folder or self.voice is None:
            self._show_project(None)
            return
        if self.project is not None and str(self.project.folder) == folder:
            return
        try:
            project = NarrationProject.open(Path(folder))
        except VoiceStudioError as exc:
            dialogs.show_error(self, str(exc))
            return
        self._show_project(project)

    def _show_project(self, project: NarrationProject | None) -> None:
        self._save_text()
        self._editor_chapter = None
        self.project, self.engine, self.plan = project, None, None
        self._fill_chapters()
        self._update_buttons()
        if project is not None and self.voice is not None:
            self._prepare_engine()

    def _prepare_engine(self) -> None:
        voice, project = self.voice, self.project

        def job(progress, cancel):
            return self.engine_factory(voice, project)

        self._run(job, self._engine_ready, "Preparing the voice")

    def _engine_ready(self, engine: Any) -> None:
        self.progress.hide()
        if engine is not None and engine.project is self.project:
            self.engine = engine
            self._refresh_states()
        self._update_buttons()

    def import_book(self) -> None:
        if self.voice is None:
            return
        path = dialogs.choose_file(self, "Import a book", Path.home(), BOOK_FILTER)
        if path is None:
            return
        from voicestudio.services.narration import import_book

        try:
            project = import_book(self.voice, path)
        except VoiceStudioError as exc:
            dialogs.show_error(self, str(exc))
            return
        self._add_project(project)

    def paste_text(self) -> None:
        if self.voice is None:
            return
        text, ok = QInputDialog.getMultiLineText(self, "Paste text", "The text to narrate:")
        if not ok:
            return
        from voicestudio.services.narration import project_from_book

        try:
            project = project_from_book(self.voice, pasted_book(text, "Pasted text"))
        except VoiceStudioError as exc:
            dialogs.show_error(self, str(exc))
            return
        self._add_project(project)

    def choose_reference(self) -> None:
        """Pick the clip the book copies its delivery from; the engine is prepared again
        (every sentence made from another clip goes stale)."""
        if self.project is None or self.busy:
            return
        path = dialogs.choose_file(self, "Choose a reference clip of the voice", Path.home(),
                                   dialogs.AUDIO_FILTER)
        if path is None:
            return
        text, ok = QInputDialog.getText(self, "Reference clip",
                                        "Exactly what is said in the clip:")
        if ok:
            self.set_reference(path, text.strip())

    def set_reference(self, path: Path, text: str) -> None:
        from voicestudio.services.narration import keep_reference
        from voicestudio.services.speech import ReferenceClip

        keep_reference(self.project, ReferenceClip(path, text, None))
        self.engine = None
        self._update_buttons()
        self._prepare_engine()

    def add_chapter(self) -> None:
        if self.project is None:
            return
        title, ok = QInputDialog.getText(self, "Add a chapter", "Title of the new chapter:")
        if ok:
            self.project.add_chapter(title, "")
            self.project.save()
            self._fill_chapters()
            self.chapter_list.setCurrentRow(self.chapter_list.count() - 1)

    def remove_chapter(self) -> None:
        """Remove the chapter from the book (its rendered audio stays in the cache)."""
        if self.project is None or self.chapter_id is None or self.busy:
            return
        self._save_text()
        self._editor_chapter = None
        self.project.remove_chapter(self.chapter_id)
        self.project.save()
        self._fill_chapters()

    def _add_project(self, project: NarrationProject) -> None:
        self._loading = True
        self.project_combo.addItem(project.title, str(project.folder))
        self._loading = False
        self.project_combo.setCurrentIndex(self.project_combo.count() - 1)
        self._project_chosen()  # also when it is the first, already current, entry

    # --- chapters -------------------------------------------------------------------------

    def _fill_chapters(self) -> None:
        self._loading = True
        self.chapter_list.clear()
        for chapter in self.project.chapters if self.project else []:
            label = chapter.title + ("" if chapter.kind == "chapter" else f" ({chapter.kind})")
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, chapter.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            self.chapter_list.addItem(item)
        self._loading = False
        if self.chapter_list.count():
            self.chapter_list.setCurrentRow(0)
        else:
            self._chapter_chosen(-1)

    @property
    def chapter_id(self) -> str | None:
        item = self.chapter_list.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def _chapter_chosen(self, _row: int) -> None:
        if self._loading:
            return
        self._save_text()
        self._loading = True
        chapter = self.project.chapter(self.chapter_id) if self.project and self.chapter_id \
            else None
        self.editor.setPlainText(chapter.text if chapter else "")
        self.editor.setReadOnly(chapter is None)
        self.editor.setPlaceholderText(editor_hint(self.voice is not None,
                                                   self.project is not None, chapter is not None))
        self._editor_chapter = chapter.id if chapter else None
        self._loading = False
        self.selected = None
        self._refresh_states()
        self._update_buttons()

    def _chapters_moved(self, *_args: Any) -> None:
        if self.project is None:
            return
        order = [self.chapter_list.item(i).data(Qt.ItemDataRole.UserRole)
                 for i in range(self.chapter_list.count())]
        for index, chapter_id in enumerate(order):
            self.project.move_chapter(chapter_id, index)
        self.project.save()

    def _chapter_renamed(self, item: QListWidgetItem) -> None:
        if self._loading or self.project is None:
            return
        chapter = self.project.chapter(item.data(Qt.ItemDataRole.UserRole))
        chapter.title = item.text().strip() or chapter.title
        self.project.save()
        self._refresh_states()

    def insert_marker(self, marker: str) -> None:
        if not self.editor.isReadOnly():
            self.editor.insertPlainText(f" {marker} ")
            self._save_text()

    def _text_edited(self) -> None:
        if not self._loading:
            self._save_timer.start()

    def _save_text(self) -> None:
        """Keep what was typed (atomically); the sentences it changed turn "not rendered"."""
        self._save_timer.stop()
        if self.project is None or self._editor_chapter is None:
            return
        try:
            chapter = self.project.chapter(self._editor_chapter)
        except VoiceStudioError:  # removed meanwhile
            return
        text = self.editor.toPlainText()
        if text != chapter.text:
            chapter.text = text
            self.project.save()
            self._refresh_states()

    # --- sentence states ------------------------------------------------------------------

    def _refresh_states(self) -> None:
        if self.engine is None or self.chapter_id is None:
            self.plan = None
            self.editor.setExtraSelections([])
            self._show_sentence()
            return
        try:
            self.plan = self.engine.plan(self.chapter_id)
        except VoiceStudioError as exc:  # a bad [pause …] marker while typing
            self.plan = None
            self.report_label.setText(str(exc))
            self.editor.setExtraSelections([])
            return
        self._paint()
        self._show_sentence()

    def sentence_state(self, index: int) -> str:
        if index in self.rendering:
            return "rendering"
        return self.engine.state(self.plan, index).value

    def _paint(self, playing: int | None = None) -> None:
        selections = []
        length = len(self.editor.toPlainText())
        for index, sentence in enumerate(self.plan.sentences):
            if sentence.start < 0 or sentence.end > length:
                continue
            colour = PLAYING_COLOUR if index == playing else \
                STATE_COLOURS[self.sentence_state(index)]
            selection = QTextEdit.ExtraSelection()
            fmt = QTextCharFormat()
            fmt.setBackground(QColor(colour))
            if index == self.selected:
                fmt.setFontUnderline(True)
            selection.format = fmt
            cursor = QTextCursor(self.editor.document())
            cursor.setPosition(sentence.start)
            cursor.setPosition(sentence.end, QTextCursor.MoveMode.KeepAnchor)
            selection.cursor = cursor
            selections.append(selection)
        self.editor.setExtraSelections(selections)

    def _cursor_moved(self) -> None:
        if self.plan is None or self._loading:
            return
        index = sentence_at(self.plan, self.editor.textCursor().position())
        if index != self.selected:
            self.selected = index
            self._paint()
            self._show_sentence()

    def select_sentence(self, index: int) -> None:
        """Select a sentence as a click on it does (and play it when it has audio)."""
        sentence = self.plan.sentences[index]
        cursor = self.editor.textCursor()
        cursor.setPosition(max(sentence.start, 0))
        self.editor.setTextCursor(cursor)
        self.selected = index
        self._paint()
        self._show_sentence()
        if self.plan.records[index].take is not None:
            self.play_sentence()

    def _show_sentence(self) -> None:
        self.take_combo.clear()
        index = self.selected
        if self.plan is None or index is None or index >= len(self.plan.records):
            self.sentence_label.setText("Click a sentence to hear it and work on it.")
            self._update_buttons()
            return
        record = self.plan.records[index]
        state = self.sentence_state(index)
        lines = [f"Sentence {index + 1}: {state}."]
        take = record.take
        if take is not None and take.problems:
            lines.append("Check: " + "; ".join(take.problems) + ".")
        self.sentence_label.setText(" ".join(lines))
        for number, item in enumerate(record.takes):
            verdict = "passed" if item.passed else "flagged"
            self.take_combo.addItem(f"Take {number + 1} · {item.seconds:.1f} s · {verdict}",
                                    number)
        if record.takes:
            self.take_combo.setCurrentIndex(record.chosen)
        self.approve_button.setText("Unlock" if record.approved else "Approve")
        self._update_buttons()

    def _heavy_job_changed(self, _job: object) -> None:
        self._update_buttons()

    def _update_buttons(self) -> None:
        ready = self.engine is not None and self.plan is not None and not self.busy
        record = (self.plan.records[self.selected] if ready and self.selected is not None
                  and self.selected < len(self.plan.records) else None)
        self.import_button.setEnabled(self.voice is not None and not self.busy)
        self.paste_button.setEnabled(self.voice is not None and not self.busy)
        self.export_button.setEnabled(ready)
        self.reference_button.setEnabled(self.project is not None and not self.busy)
        self.add_chapter_button.setEnabled(self.project is not None)
        self.remove_chapter_button.setEnabled(self.project is not None and not self.busy
                                              and self.chapter_id is not None)
        refusal = HEAVY_JOBS.refusal()
        self.render_button.setEnabled(ready and refusal is None)
        self.render_button.setToolTip(refusal or "")
        self.play_chapter_button.setEnabled(ready)
        has_take = record is not None and record.take is not None
        self.play_button.setEnabled(has_take)
        self.take_combo.setEnabled(has_take and not record.approved)
        self.regenerate_button.setEnabled(record is not None and not record.approved)
        self.approve_button.setEnabled(has_take)
        self.pronounce_button.setEnabled(ready)
        # The markers go into the open chapter's text, so they need one, like the rest.
        editable = self._editor_chapter is not None and not self.editor.isReadOnly()
        self.pause_button.setEnabled(editable)
        self.speed_button.setEnabled(editable)

    # --- jobs -----------------------------------------------------------------------------

    def _run(self, job: Callable, done: Callable[[Any], None], title: str) -> None:
        runner = JobRunner(job, self)
        self.progress.title_label.setText(title)
        self.progress.title_label.show()
        self.progress.show()
        self.progress.attach(runner)
        runner.finished.connect(done)
        runner.failed.connect(lambda message, _exc: dialogs.show_error(self, message))
        runner.ended.connect(self._job_ended)
        self.runner = runner
        runner.start()
        self._update_buttons()

    def _job_ended(self) -> None:
        self.rendering.clear()
        self._refresh_states()
        self._update_buttons()

    def render_chapter(self) -> None:
        if self.engine is None or self.chapter_id is None or self.busy:
            return
        self._save_text()
        chapter_id, engine = self.chapter_id, self.engine
        self.rendering = {i for i in range(len(self.plan.records))
                          if self.sentence_state(i) in ("not rendered", "stale")}
        self._paint()

        voice = self.voice

        def job(progress, cancel):  # a heavy job: refused while another one runs
            from voicestudio.services.narration import render_book

            return render_book(voice, engine, [chapter_id], progress, cancel)[0]

        self._run(job, self._rendered, "Rendering the chapter")

    def _rendered(self, report: Any) -> None:
        self.report_label.setText(report.summary())

    def regenerate(self) -> None:
        if self.engine is None or self.selected is None or self.busy:
            return
        chapter_id, index, engine = self.chapter_id, self.selected, self.engine
        self.rendering = {index}
        self._paint()

        def job(progress, cancel):
            return engine.regenerate(chapter_id, index, progress, cancel)

        self._run(job, lambda _take: self.play_sentence(), "Making a new take")

    def _take_chosen(self, row: int) -> None:
        if self.engine is None or self.selected is None:
            return
        self._act(lambda: self.engine.choose_take(self.chapter_id, self.selected,
                                                  self.take_combo.itemData(row)))
        self.play_sentence()

    def toggle_approved(self) -> None:
        if self.engine is None or self.selected is None:
            return
        record = self.plan.records[self.selected]
        self._act(lambda: self.engine.approve(self.chapter_id, self.selected,
                                              not record.approved))

    def pronounce_selection(self) -> None:
        """"Pronounce as…" for the selected word: a project lexicon entry; every sentence
        that uses the word goes stale."""
        if self.engine is None or self.voice is None:
            return
        word = self.editor.textCursor().selectedText().strip()
        if not word:
            dialogs.show_error(self, "Select a word in the text first.")
            return
        current = self.engine.lexicon.entries.get(word, "")
        pronunciation, ok = QInputDialog.getText(
            self, "Pronounce as", f"How to say “{word}”: ARPAbet for English (N W IH1 N), "
            "pinyin with tones for Chinese (hang2 zhang3). Empty removes it.", text=current)
        if ok:
            self.set_pronunciation(word, pronunciation)

    def set_pronunciation(self, word: str, pronunciation: str) -> None:
        from voicestudio.services.narration import set_pronunciation

        def change() -> None:
            set_pronunciation(self.voice, self.project, word, pronunciation)
            if pronunciation.strip():
                self.engine.lexicon.set(word, pronunciation)
            else:
                self.engine.lexicon.remove(word)

        self._act(change)

    def _act(self, change: Callable[[], None]) -> None:
        try:
            change()
        except VoiceStudioError as exc:
            dialogs.show_error(self, str(exc))
        self._refresh_states()

    # --- listening ------------------------------------------------------------------------

    def _play(self, audio: Any, sample_rate: int) -> bool:
        try:
            if self.player is None:
                self.player = SoundDevicePlayer()
            self.player.play(audio, sample_rate)
        except NoAudioOutputError as exc:
            dialogs.show_error(self, str(exc))
            return False
        return True

    def play_sentence(self) -> None:
        if self.engine is None or self.selected is None or self.plan is None:
            return
        audio = self.engine.sentence_audio(self.plan, self.selected)
        if audio is not None and self._play(audio, self.engine.renderer.sample_rate):
            self._playing = [(0.0, audio.size / self.engine.renderer.sample_rate,
                              self.selected)]
            self._start_following()

    def play_chapter(self) -> None:
        """Play the chosen takes joined; the sentence being heard is highlighted."""
        if self.engine is None or self.chapter_id is None:
            return
        try:
            chapter = self.engine.chapter_audio(self.chapter_id)
        except VoiceStudioError as exc:
            dialogs.show_error(self, str(exc))
            return
        if self._play(chapter.audio, chapter.sample_rate):
            rate = chapter.sample_rate
            self._playing = [(s / rate, e / rate, i) for i, (s, e) in enumerate(chapter.spans)]
            self._start_following()

    def _start_following(self) -> None:
        self._play_started = time.monotonic()
        self._play_timer.start()
        self._follow_playback()

    def playing_sentence(self) -> int | None:
        elapsed = time.monotonic() - self._play_started
        for start, end, index in self._playing:
            if start <= elapsed < end:
                return index
        return None

    def _follow_playback(self) -> None:
        if self.player is None or not self.player.is_playing or self.plan is None:
            self._play_timer.stop()
            if self.plan is not None:
                self._paint()
            return
        self._paint(self.playing_sentence())

    # --- export ---------------------------------------------------------------------------

    def export(self) -> None:
        if self.engine is None or self.project is None or self.busy:
            return
        self._save_text()
        dialog = ExportDialog(self.project, self)
        if not dialogs.run_dialog(dialog):
            return
        try:
            dialog.apply(self.project)
        except VoiceStudioError as exc:
            dialogs.show_error(self, str(exc))
            return
        self.start_export(Path(dialog.folder_edit.text()), dialog.format_combo.currentData(),
                          dialog.preset_combo.currentData())

    def start_export(self, folder: Path, fmt: str | None, preset: str | None) -> None:
        engine = self.engine

        def job(progress, cancel):
            from voicestudio.synthesis.narration_export import export_narration

            return export_narration(engine, folder, fmt, preset, None, progress, cancel)

        self._run(job, self._exported, "Exporting")

    def _exported(self, result: Any) -> None:
        verdict = "Every file complies." if result.passed else \
            "Some files do not comply; read the report."
        self.report_label.setText(f"Exported {len(result.files)} file(s) to "
                                  f"{result.report_path.parent}. {verdict}")

    def confirm_close(self) -> bool:
        self._save_text()
        if self.busy:
            self.runner.cancel()
        return True

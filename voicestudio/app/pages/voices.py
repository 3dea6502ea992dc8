"""The Voices page: the voice library, and which voice the other pages work on.

The list, its buttons and the details card only call :class:`VoiceLibrary` (through the
dialogs) and :class:`AppState`; everything they show comes from the voice manifests.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QIcon, QKeySequence, QPixmap, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from voicestudio.app import dialogs
from voicestudio.app.dialogs import LANGUAGE_NAMES, CreateVoiceDialog, NameDialog, TrashDialog
from voicestudio.app.model_import_dialog import ImportModelDialog, ModelImport
from voicestudio.app.pages.base import BasePage, VoicePanel
from voicestudio.app.pages.settings import family_combo
from voicestudio.app.pages.try_voice import TryVoicePanel
from voicestudio.app.state import AppState
from voicestudio.app.widgets.flow_layout import FlowLayout
from voicestudio.app.widgets.notice import NoticeBar
from voicestudio.app.widgets.progress import run_in_progress_dialog
from voicestudio.app.widgets.wrapped_items import wrap_tree_columns
from voicestudio.errors import VoiceStudioError
from voicestudio.hub.families import chosen_family, voice_family
from voicestudio.project.library import LibraryEntry, TrashEntry
from voicestudio.project.locks import in_use_message, voice_in_use
from voicestudio.project.voice import ACCENT_CHOICES, Voice
from voicestudio.services.voice_settings import change_accent, change_model_family

# Panels shown under the selected voice's details, top to bottom (see VoicePanel).
VOICE_PANELS: list[type[VoicePanel]] = [TryVoicePanel]

# The side column (details, try-out) needs this much; below STACK_BELOW_WIDTH of page
# width it goes under the list instead of squeezing the list's names.
SIDE_MIN_WIDTH = 360
STACK_BELOW_WIDTH = 760

COLUMNS = ("Name", "Languages", "Clips", "Models")
NO_CONSENT_TIP = ("No consent recorded for this voice yet. The Record page asks the speaker "
                  "(or a family member on their behalf) to say it before the first sentence.")


def _languages_text(codes: list[str]) -> str:
    return ", ".join(LANGUAGE_NAMES.get(code, code).split(" (")[0] for code in codes)


def _speech_text(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s of speech"
    return f"{seconds / 60:.1f} min of speech"


def family_text(voice: Voice) -> str:
    """Which GPT-SoVITS family a trained voice speaks with, and why that one."""
    family = voice_family(voice)
    if voice.manifest.model_family:
        return f"{family.id}, what its trained models use"
    return f"{family.id}, as chosen in Settings"  # trained before training recorded it


class VoiceDetails(QFrame):
    """The card on the right: everything the manifest says about the selected voice, and the
    one setting a person may want to change after the Record page asked it (the accent)."""

    accent_chosen = Signal(str)  # an ACCENT_CHOICES key the person picked
    family_chosen = Signal(object)  # a model family id, or None for the Settings choice

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.title = QLabel()
        self.title.setObjectName("cardTitle")
        self.title.setWordWrap(True)
        self.badge = QLabel("Open")
        self.badge.setObjectName("badge")
        self.badge.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.problem = QLabel()
        self.problem.setObjectName("fieldError")
        self.problem.setWordWrap(True)
        self.values: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setVerticalSpacing(8)
        form.setHorizontalSpacing(16)
        # An untrained voice may choose its model family here; a trained one shows the
        # family its models were trained in (training records it).
        self.family_box = family_combo()
        self.family_box.insertItem(0, "", None)  # "as chosen in Settings", named when shown
        self.family_box.setToolTip(
            "Which GPT-SoVITS base models this voice speaks with before it is trained, and "
            "trains from. Each family needs its own base models (see Base models).")
        self.family_box.activated.connect(
            lambda index: self.family_chosen.emit(self.family_box.itemData(index)))
        for key in ("Languages", "Recordings", "Trained models", "Voice models", "Consent",
                    "Created", "Folder"):
            value = QLabel()
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[key] = value
            if key == "Voice models":  # the family text, or the choice of an untrained voice
                row = QHBoxLayout()
                row.setContentsMargins(0, 0, 0, 0)
                row.addWidget(value, 1)
                row.addWidget(self.family_box, 1)
                form.addRow(f"{key}:", row)
            else:
                form.addRow(f"{key}:", value)
        self.accent_box = QComboBox()
        for key, (title, explanation) in ACCENT_CHOICES.items():
            self.accent_box.addItem(title, key)
            self.accent_box.setItemData(self.accent_box.count() - 1, explanation,
                                        Qt.ItemDataRole.ToolTipRole)
        self.accent_box.activated.connect(
            lambda index: self.accent_chosen.emit(self.accent_box.itemData(index)))
        form.insertRow(5, "Pronunciation:", self.accent_box)  # after Consent
        self.form_widget = QWidget()
        self.form_widget.setLayout(form)
        form.setContentsMargins(0, 0, 0, 0)

        heading = QHBoxLayout()
        heading.addWidget(self.title, 1)
        heading.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 16)
        layout.setSpacing(12)
        layout.addLayout(heading)
        layout.addWidget(self.problem)
        layout.addWidget(self.form_widget)

    def show_entry(self, entry: LibraryEntry | None, is_open: bool) -> None:
        self.setVisible(entry is not None)
        if entry is None:
            return
        self.title.setText(entry.name)
        self.badge.setVisible(is_open)
        self.problem.setVisible(entry.voice is None)
        self.problem.setText(f"This voice cannot be opened. {entry.problem or ''}")
        voice = entry.voice
        self.form_widget.setVisible(voice is not None)
        if voice is None:
            return
        m = voice.manifest
        self.values["Languages"].setText(_languages_text(m.languages))
        if m.dataset.segments:
            clips = f"{m.dataset.segments} clips, {_speech_text(m.dataset.speech_seconds)}"
        else:
            clips = "None yet"
        self.values["Recordings"].setText(clips)
        self.values["Trained models"].setText(str(len(m.models)) if m.models else "None yet")
        self.show_family(voice)
        if m.consent:
            self.values["Consent"].setText(
                f"Given by {m.consent.given_by} on {m.consent.date[:10]}"
            )
        else:
            self.values["Consent"].setText("No consent recorded yet (the Record page asks for it)")
        self.values["Created"].setText(m.created[:10])
        self.values["Folder"].setText(str(voice.folder))
        self.show_accent(m.accent)

    def show_family(self, voice: Voice) -> None:
        trained = bool(voice.manifest.models)
        self.values["Voice models"].setVisible(trained)
        self.family_box.setVisible(not trained)
        if trained:
            self.values["Voice models"].setText(family_text(voice))
            return
        self.family_box.setItemText(0, f"As chosen in Settings ({chosen_family().id})")
        self.family_box.setCurrentIndex(self.family_box.findData(voice.manifest.model_family))

    def show_accent(self, accent: str) -> None:
        self.accent_box.setCurrentIndex(self.accent_box.findData(accent))

    def set_accent_editable(self, editable: bool, busy_reason: str = "") -> None:
        """Off while a job holds the voice (``busy_reason`` says which); else its tip is what
        the shown choice does, as the Record page explains it."""
        self.accent_box.setEnabled(editable)
        shown = ACCENT_CHOICES.get(self.accent_box.currentData())
        self.accent_box.setToolTip(shown[1] if editable and shown else busy_reason)


class VoicesPage(BasePage):
    """List, create, open, rename, duplicate, delete and restore voices."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        style = self.style()

        self.create_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_FileDialogNewFolder), "Create voice…"
        )
        self.create_button.setObjectName("primary")
        self.create_button.clicked.connect(self.create_voice)
        self.open_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_DialogOpenButton), "Open"
        )
        self.open_button.setToolTip("Work with this voice on the Record, Edit, Train and "
                                    "Narrate pages")
        self.open_button.clicked.connect(self.open_selected)
        self.rename_button = QPushButton("Rename…")
        self.rename_button.clicked.connect(self.rename_selected)
        self.duplicate_button = QPushButton("Duplicate…")
        self.duplicate_button.setToolTip("Make a copy of this voice under a new name")
        self.duplicate_button.clicked.connect(self.duplicate_selected)
        self.import_button = QPushButton("Import model…")
        self.import_button.setToolTip("Make a voice from a model trained in GPT-SoVITS "
                                      "(its .ckpt and .pth files)")
        self.import_button.clicked.connect(lambda: self.import_model())
        self.delete_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_TrashIcon), "Delete"
        )
        self.delete_button.clicked.connect(self.delete_selected)
        self.trash_button = QPushButton("Trash…")
        self.trash_button.setToolTip("See deleted voices and restore them")
        self.trash_button.clicked.connect(self.show_trash)

        actions = FlowLayout()
        for button in (self.create_button, self.open_button, self.rename_button,
                       self.duplicate_button, self.import_button, self.delete_button):
            actions.addWidget(button)
        actions.addStretch()
        actions.addWidget(self.trash_button)

        self.notice = NoticeBar()

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setMinimumHeight(150)
        wrap_tree_columns(self.tree, [0])  # a long name gets a second line, not "…"
        self.tree.setAlternatingRowColors(True)
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            self.tree.header().setSectionResizeMode(
                column, QHeaderView.ResizeMode.ResizeToContents
            )
        self.tree.headerItem().setToolTip(2, "Recorded or imported clips (segments)")
        self.tree.headerItem().setToolTip(3, "Trained model versions")
        self.tree.itemSelectionChanged.connect(self._on_selection_changed)
        self.tree.itemDoubleClicked.connect(lambda _item, _col: self.open_selected())

        empty = QWidget()
        empty.setObjectName("emptyStatePanel")
        empty_label = QLabel("No voices yet — create your first voice.")
        empty_label.setObjectName("emptyState")
        empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty_hint = QLabel(
            "A voice holds about a minute of someone's speech and the models trained on it."
        )
        empty_hint.setObjectName("hint")
        empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty_hint.setWordWrap(True)
        self.empty_create_button = QPushButton("Create your first voice")
        self.empty_create_button.setObjectName("primary")
        self.empty_create_button.clicked.connect(self.create_voice)
        self.empty_import_button = QPushButton("Import a model trained in GPT-SoVITS…")
        self.empty_import_button.clicked.connect(lambda: self.import_model())
        empty_layout = QVBoxLayout(empty)
        empty_layout.addStretch(1)
        empty_layout.addWidget(empty_label)
        empty_layout.addWidget(empty_hint)
        empty_layout.addSpacing(8)
        empty_layout.addWidget(self.empty_create_button, 0, Qt.AlignmentFlag.AlignCenter)
        empty_layout.addWidget(self.empty_import_button, 0, Qt.AlignmentFlag.AlignCenter)
        empty_layout.addStretch(2)
        self.list_stack = QStackedWidget()
        self.list_stack.addWidget(self.tree)
        self.list_stack.addWidget(empty)
        self._empty = empty

        self.details = VoiceDetails()
        self.details.accent_chosen.connect(self.change_accent)
        self.details.family_chosen.connect(self.change_family)
        self.panels: list[VoicePanel] = [panel(state) for panel in VOICE_PANELS]
        side = QVBoxLayout()
        side.setSpacing(12)
        side.addWidget(self.details)
        # The slot for per-voice panels ("Try this voice"), below the details card.
        self.panel_slot = QVBoxLayout()
        self.panel_slot.setSpacing(12)
        for panel_widget in self.panels:
            self.panel_slot.addWidget(panel_widget)
        side.addLayout(self.panel_slot)
        side.addStretch(1)
        side_widget = QWidget()
        side_widget.setLayout(side)
        side.setContentsMargins(0, 0, 0, 0)
        side_widget.setMinimumWidth(SIDE_MIN_WIDTH)  # the try-out card's fields need room
        self.side = side_widget

        # Side by side where the page is wide enough; on a narrow window the details and the
        # try-out card go under the list, and the page scrolls.
        self.body = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.body.setSpacing(16)
        self.body.addWidget(self.list_stack, 1)
        self.body.addWidget(side_widget, 1)

        layout = self.page_layout(
            "Voices",
            "Each voice keeps its recordings and trained models together. "
            "Open a voice to record, train or narrate with it.",
        )
        layout.addLayout(actions)
        layout.addWidget(self.notice)
        layout.addLayout(self.body, 1)

        self._add_shortcuts()
        state.library_changed.connect(self.reload)
        state.current_voice_changed.connect(lambda _voice: self._mark_open_voice())
        state.heavy_job_changed.connect(self._update_in_use)
        self.reload()
        self._update_in_use()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        narrow = event.size().width() < STACK_BELOW_WIDTH
        self.body.setDirection(QBoxLayout.Direction.TopToBottom if narrow
                               else QBoxLayout.Direction.LeftToRight)

    def _add_shortcuts(self) -> None:
        """The usual keys, for people who do not use a mouse well (Enter opens, F2 renames,
        Delete moves to the trash); they act on the list, so typing elsewhere is safe."""
        page_keys = [(QKeySequence(QKeySequence.StandardKey.New), self.create_voice)]
        list_keys = [
            (QKeySequence(Qt.Key.Key_Return), self.open_selected),
            (QKeySequence(Qt.Key.Key_Enter), self.open_selected),
            (QKeySequence(Qt.Key.Key_F2), self.rename_selected),
            (QKeySequence(QKeySequence.StandardKey.Delete), self.delete_selected),
        ]
        for keys, slot in page_keys:
            QShortcut(keys, self, slot, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        for keys, slot in list_keys:
            QShortcut(keys, self.tree, slot, context=Qt.ShortcutContext.WidgetShortcut)
        self.create_button.setToolTip(f"Create a new voice ({page_keys[0][0].toString()})")

    # --- list -----------------------------------------------------------------------------

    def reload(self) -> None:
        """Re-read the library from disk, keeping the selection where it can."""
        previous = self.selected_entry()
        keep = previous.folder if previous else None
        if previous and previous.voice:
            keep_id = previous.voice.manifest.id
        else:
            keep_id = None
        self.tree.clear()
        select: QTreeWidgetItem | None = None
        # Damaged folders go last: people look for their voices, not for problems.
        entries = sorted(self.state.library.entries(), key=lambda e: e.voice is None)
        for entry in entries:
            item = self._item_for(entry)
            self.tree.addTopLevelItem(item)
            if entry.voice is None:
                item.setFirstColumnSpanned(True)
            same_voice = entry.voice is not None and entry.voice.manifest.id == keep_id
            if same_voice or entry.folder == keep:
                select = item
        has_voices = self.tree.topLevelItemCount() > 0
        self.list_stack.setCurrentIndex(0 if has_voices else 1)
        self.side.setVisible(has_voices)  # the empty state gets the whole width
        if select is None and has_voices:
            select = self._item_for_open_voice() or self._first_healthy_item()
        if select is not None:
            self.tree.setCurrentItem(select)
        self._mark_open_voice()  # also updates the details, buttons and panels

    def _item_for(self, entry: LibraryEntry) -> QTreeWidgetItem:
        if entry.voice is None:
            item = QTreeWidgetItem([f"{entry.name} — cannot be opened (select it for details)"])
            item.setIcon(0, self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
            item.setToolTip(0, entry.problem or "")
        else:
            m = entry.voice.manifest
            item = QTreeWidgetItem(
                [m.name, _languages_text(m.languages), str(m.dataset.segments), str(len(m.models))]
            )
            for column in (2, 3):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignCenter)
        item.setData(0, Qt.ItemDataRole.UserRole, entry)
        return item

    def _item_for_open_voice(self) -> QTreeWidgetItem | None:
        current = self.state.current_voice
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            entry: LibraryEntry = item.data(0, Qt.ItemDataRole.UserRole)
            if current is not None and entry.voice is not None and (
                entry.voice.manifest.id == current.manifest.id
            ):
                return item
        return None

    def _first_healthy_item(self) -> QTreeWidgetItem:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, Qt.ItemDataRole.UserRole).voice is not None:
                return item
        return self.tree.topLevelItem(0)

    def _mark_open_voice(self) -> None:
        open_item = self._item_for_open_voice()
        check = self.style().standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton)
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            entry: LibraryEntry = item.data(0, Qt.ItemDataRole.UserRole)
            if entry.voice is None:
                continue
            font = QFont(item.font(0))
            font.setBold(item is open_item)
            item.setFont(0, font)
            no_consent = entry.voice.manifest.consent is None
            mark = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
            item.setIcon(0, check if item is open_item else
                         mark if no_consent else self._blank_icon())
            tips = ["The open voice"] if item is open_item else []
            item.setToolTip(0, "\n".join(tips + [NO_CONSENT_TIP] * no_consent))
        self._on_selection_changed()

    @staticmethod
    def _blank_icon() -> QIcon:
        # Same width as the open-voice tick, so names stay aligned in one column.
        pixmap = QPixmap(16, 16)
        pixmap.fill(Qt.GlobalColor.transparent)
        return QIcon(pixmap)

    def selected_entry(self) -> LibraryEntry | None:
        items = self.tree.selectedItems()
        return items[0].data(0, Qt.ItemDataRole.UserRole) if items else None

    def selected_voice(self) -> Voice | None:
        entry = self.selected_entry()
        return entry.voice if entry else None

    def select_voice(self, name: str) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, Qt.ItemDataRole.UserRole).name == name:
                self.tree.setCurrentItem(item)
                return

    def _on_selection_changed(self) -> None:
        entry = self.selected_entry()
        voice = entry.voice if entry else None
        current = self.state.current_voice
        is_open = bool(voice and current and voice.manifest.id == current.manifest.id)
        self.details.show_entry(entry, is_open)
        self.duplicate_button.setEnabled(voice is not None)
        self._update_in_use()
        self.open_button.setEnabled(voice is not None and not is_open)
        self.open_button.setText("Opened" if is_open else "Open")
        for panel in self.panels:
            panel.set_voice(voice)

    def _update_in_use(self, _job: object = None) -> None:
        """Rename and Delete are off while a job uses the voice (its lock says which job)."""
        voice = self.selected_voice()
        holder = voice_in_use(voice) if voice is not None else None
        for button, tip, verb in (
                (self.rename_button, "Give this voice another name (F2)", "Rename"),
                (self.delete_button, "Move this voice to the trash; you can restore it "
                 "(Delete)", "Delete")):
            button.setEnabled(voice is not None and holder is None)
            button.setToolTip(f"In use ({holder.describe()}).\n{verb} it once that has "
                              "finished." if holder is not None else tip)
        self.details.set_accent_editable(
            voice is not None and holder is None,
            f"In use ({holder.describe()}).\nChange it once that has finished."
            if holder is not None else "")
        self.details.family_box.setEnabled(voice is not None and holder is None)

    def _refused_in_use(self, voice: Voice, refused_as: str) -> bool:
        """Say at once, before asking anything, that a voice in use cannot be changed."""
        holder = voice_in_use(voice)
        if holder is None:
            return False
        dialogs.show_error(self, in_use_message(voice.name, holder, refused_as))
        return True

    # --- actions --------------------------------------------------------------------------

    def create_voice(self) -> None:
        dialog = CreateVoiceDialog(
            self.state.library, self.state.settings.default_language, self
        )
        if dialogs.run_dialog(dialog) and dialog.voice is not None:
            self.notice.hide()
            self._after_change(dialog.voice.name)
            if self.state.current_voice is None:
                self.state.open_voice(dialog.voice.name)

    def open_selected(self) -> None:
        voice = self.selected_voice()
        if voice is None:
            return
        try:
            self.state.open_voice(voice.name)
        except VoiceStudioError as exc:
            dialogs.show_error(self, str(exc))
            self.state.reload_library()

    def rename_selected(self) -> None:
        voice = self.selected_voice()
        if voice is not None and not self._refused_in_use(voice, "renamed"):
            self._ask_name(
                "Rename voice", f"New name for “{voice.name}”:", voice.name, "Rename",
                lambda new: self.state.library.rename(voice.name, new),
            )

    def duplicate_selected(self) -> None:
        voice = self.selected_voice()
        if voice is not None:
            self._ask_name(
                "Duplicate voice",
                f"Copy “{voice.name}” with all its recordings and models, under the name:",
                f"{voice.name} (copy)", "Duplicate",
                lambda new: self.state.library.duplicate(voice.name, new),
            )

    def change_accent(self, accent: str) -> None:
        voice = self.selected_voice()
        if voice is not None and accent != voice.manifest.accent:
            self._change_setting(voice, lambda: change_accent(voice, accent))

    def change_family(self, family: str | None) -> None:
        voice = self.selected_voice()
        if voice is not None and family != voice.manifest.model_family:
            self._change_setting(voice, lambda: change_model_family(voice, family))

    def _change_setting(self, voice: Voice, change: Callable[[], Voice]) -> None:
        """Save a setting at once, as Settings does; a refusal puts the saved one back."""
        try:
            if not self._refused_in_use(voice, "changed"):
                voice = change()
        except VoiceStudioError as exc:
            dialogs.show_error(self, str(exc))
        self._after_change(voice.name)

    def import_model(self, previous: ModelImport | None = None, problem: str = "") -> None:
        """Ask for the pair, then read and copy it in the background; a refusal (not a
        model pair, a name taken meanwhile) brings the dialog back as it was, saying why."""
        dialog = ImportModelDialog(self.state.library, self.state.settings.default_language,
                                   self, previous)
        if problem:
            dialog.fail(problem)
        if not dialogs.run_dialog(dialog) or dialog.request is None:
            return
        request, data_dir = dialog.request, self.state.data_dir

        def job(progress, cancel):
            from voicestudio.services.versions import import_version  # imports torch

            return import_version(data_dir, request.name, request.s1_file, request.s2_file,
                                  request.languages, request.consent, progress, cancel)

        self.import_runner = run_in_progress_dialog(
            self, "Importing the model", job, lambda result: self._model_imported(result[0]),
            lambda message: self.import_model(request, message))

    def _model_imported(self, voice: Voice) -> None:
        self._after_change(voice.name)
        self.notice.show_notice(
            f"“{voice.name}” speaks with the imported model. Open it, then try it with a "
            "3–10 s clip of the speaker.")

    def _ask_name(self, title: str, prompt: str, initial: str, ok_text: str,
                  action: Callable[[str], Voice]) -> None:
        dialog = NameDialog(title, prompt, initial, ok_text, action, self)
        if dialogs.run_dialog(dialog) and dialog.voice is not None:
            self._after_change(dialog.voice.name)

    def delete_selected(self) -> None:
        voice = self.selected_voice()
        if voice is None or self._refused_in_use(voice, "deleted"):
            return
        try:
            entry = self.state.library.delete(voice.name)
        except VoiceStudioError as exc:
            dialogs.show_error(self, str(exc))
            self.state.reload_library()
            return
        self.state.reload_library()
        self.notice.show_notice(
            f"“{entry.name}” was moved to the trash.", "Undo",
            lambda: self.restore(entry),
        )

    def restore(self, entry: TrashEntry) -> None:
        try:
            voice = self.state.library.restore_entry(entry)
        except VoiceStudioError as exc:
            dialogs.show_error(self, str(exc))
            return
        if voice is None:  # a damaged folder came back as it was; it lists with its problem
            self.state.reload_library()
            return
        self._after_change(voice.name)
        self.notice.show_notice(f"“{voice.name}” is back.")

    def show_trash(self) -> None:
        def restored(voice: Voice | None) -> None:
            if voice is None:  # a damaged folder: it is back in the list with its problem
                self.state.reload_library()
                return
            self._after_change(voice.name)
            self.notice.show_notice(f"“{voice.name}” is back.")

        dialogs.run_dialog(TrashDialog(self.state.library, restored, self))

    def _after_change(self, select_name: str) -> None:
        self.state.reload_library()
        self.select_voice(select_name)

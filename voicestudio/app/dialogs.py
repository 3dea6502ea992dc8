"""Dialogs for the voice library, and the helpers every page uses to ask and to warn.

Each dialog checks its own input and calls the library itself (the ``submit`` callable), so
a refused name ("already exists") is shown right under the field and the person fixes it
without retyping everything. Pages call these through the module (``dialogs.run_dialog(...)``,
``dialogs.show_error``, ``dialogs.choose_folder``) so tests can replace ``run_dialog`` and
``choose_folder`` to fill a dialog in instead of blocking on it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from voicestudio.errors import VoiceStudioError
from voicestudio.project.library import TrashEntry, VoiceLibrary
from voicestudio.project.voice import ConsentRecord, Voice

LANGUAGE_NAMES = {"zh": "Chinese (中文)", "en": "English"}
CONSENT_STATEMENT = "I have permission from this person to clone their voice."


def run_dialog(dialog: QDialog) -> bool:
    """Show a dialog modally; True when the person confirmed it."""
    return dialog.exec() == QDialog.DialogCode.Accepted


def choose_folder(parent: QWidget | None, title: str, start: Path) -> Path | None:
    """The system's folder picker, so nobody has to type a path; None when cancelled."""
    chosen = QFileDialog.getExistingDirectory(parent, title, str(start))
    return Path(chosen) if chosen else None


AUDIO_FILTER = (
    "Audio (*.wav *.flac *.mp3 *.m4a *.ogg *.opus *.aac *.wma *.mp4 *.webm);;All files (*)"
)


def choose_file(parent: QWidget | None, title: str, start: Path, filter: str) -> Path | None:
    """The system's file picker for opening one file; None when cancelled."""
    chosen, _ = QFileDialog.getOpenFileName(parent, title, str(start), filter)
    return Path(chosen) if chosen else None


def choose_save_file(parent: QWidget | None, title: str, start: Path, filter: str) -> Path | None:
    """The system's "save as" picker (it asks before overwriting); None when cancelled."""
    chosen, _ = QFileDialog.getSaveFileName(parent, title, str(start), filter)
    return Path(chosen) if chosen else None


def show_error(parent: QWidget | None, message: str, title: str = "VoiceStudio") -> QMessageBox:
    """Tell the person what went wrong in one box; returns without waiting for OK."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok,
                      parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def _error_label() -> QLabel:
    label = QLabel()
    label.setObjectName("fieldError")
    label.setWordWrap(True)
    label.hide()
    return label


class _Incomplete(VoiceStudioError):
    """A dialog field left in a state the library would not understand."""


class _SubmitDialog(QDialog):
    """A dialog whose OK runs an action; a VoiceStudioError keeps it open with the message."""

    def __init__(
        self, title: str, ok_text: str, submit: Callable[[], object], parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self._submit = submit
        self.setWindowTitle(title)
        self.setMinimumWidth(440)
        self.error_label = _error_label()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        self.ok_button.setObjectName("primary")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.voice: Voice | None = None

    def _finish_layout(self, body: QWidget | QFormLayout) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 16)
        layout.setSpacing(14)
        if isinstance(body, QFormLayout):
            layout.addLayout(body)
        else:
            layout.addWidget(body)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        # A message about the input is only true of the input it was about: once the
        # person changes anything it goes, rather than blaming the fixed name.
        for edit in self.findChildren(QLineEdit):
            edit.textChanged.connect(self._input_changed)
        for box in self.findChildren(QCheckBox):
            box.toggled.connect(self._input_changed)

    def _input_changed(self) -> None:
        if not self.error_label.isHidden():
            self.error_label.hide()
            self.error_label.clear()

    def fail(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()
        self.adjustSize()  # grow to fit the message instead of squeezing the fields

    def accept(self) -> None:
        try:
            self._keep(self._submit())
        except VoiceStudioError as exc:
            self.fail(str(exc))
            return
        super().accept()

    def _keep(self, outcome: object) -> None:
        """What a confirmed dialog holds for its caller: the voice its action made."""
        assert isinstance(outcome, Voice)
        self.voice = outcome


class CreateVoiceDialog(_SubmitDialog):
    """Name, languages and (optionally) who consented to cloning this voice."""

    def __init__(
        self,
        library: VoiceLibrary,
        default_language: str,
        parent: QWidget | None = None,
        title: str = "Create a voice",
        ok_text: str = "Create",
    ) -> None:
        super().__init__(title, ok_text, self._create, parent)
        self._library = library
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("For example: Grandma Rose")
        self.language_boxes = {
            code: QCheckBox(label) for code, label in LANGUAGE_NAMES.items()
        }
        # "auto" means the person expects both languages; tick both rather than guess one.
        for code, box in self.language_boxes.items():
            box.setChecked(default_language in (code, "auto"))
        languages = QHBoxLayout()
        for box in self.language_boxes.values():
            languages.addWidget(box)
        languages.addStretch(1)

        self.consent_by_edit = QLineEdit()
        self.consent_by_edit.setPlaceholderText("The speaker, or their next of kin")
        self.consent_box = QCheckBox(CONSENT_STATEMENT)
        consent = QGroupBox("Consent (optional, kept with the voice)")
        who = QHBoxLayout()
        who.addWidget(QLabel("Who gives consent:"))
        who.addWidget(self.consent_by_edit, 1)
        consent_layout = QVBoxLayout(consent)
        consent_layout.setSpacing(10)
        consent_layout.addLayout(who)
        consent_layout.addWidget(self.consent_box)

        body = QWidget()
        self.form = QFormLayout(body)  # dialogs that make a voice from more add rows to it
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setVerticalSpacing(12)
        self.form.addRow("Name:", self.name_edit)
        self.form.addRow("Languages:", languages)
        self.form.addRow(consent)
        self._finish_layout(body)

    def languages(self) -> list[str]:
        return [code for code, box in self.language_boxes.items() if box.isChecked()]

    def consent(self) -> ConsentRecord | None:
        given_by = " ".join(self.consent_by_edit.text().split())
        if not given_by and not self.consent_box.isChecked():
            return None
        if not given_by:
            raise _Incomplete("Type who gave permission, or untick the consent box.")
        if not self.consent_box.isChecked():
            raise _Incomplete(
                "Tick “I have permission…” to record consent, or leave “Who gives consent” "
                "empty."
            )
        return ConsentRecord(
            speaker=" ".join(self.name_edit.text().split()),
            given_by=given_by,
            statement=CONSENT_STATEMENT,
        )

    def checked_languages(self) -> list[str]:
        """The ticked languages; refused when none is."""
        languages = self.languages()
        if not languages:
            raise _Incomplete("Tick at least one language the voice will speak.")
        return languages

    def _create(self) -> Voice:
        languages = self.checked_languages()
        return self._library.create(self.name_edit.text(), languages, self.consent())


class NameDialog(_SubmitDialog):
    """Asks for one new name (rename, duplicate) and runs ``action(name)`` on OK."""

    def __init__(
        self,
        title: str,
        prompt: str,
        initial: str,
        ok_text: str,
        action: Callable[[str], Voice],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(title, ok_text, lambda: action(self.name_edit.text()), parent)
        self.name_edit = QLineEdit(initial)
        self.name_edit.selectAll()
        form = QFormLayout()
        form.addRow(QLabel(prompt))
        form.addRow("Name:", self.name_edit)
        self._finish_layout(form)


class TrashDialog(QDialog):
    """Deleted voices, newest first; Restore puts one back in the library."""

    def __init__(
        self,
        library: VoiceLibrary,
        on_restored: Callable[[Voice | None], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Trash")
        self.setMinimumSize(460, 320)
        self._library = library
        self._on_restored = on_restored

        intro = QLabel("Deleted voices are kept in this folder until you remove them yourself:\n"
                       f"{library.trash_dir}")
        intro.setObjectName("hint")
        intro.setWordWrap(True)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.list = QListWidget()
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.list.itemDoubleClicked.connect(lambda _item: self.restore_selected())
        self.empty_label = QLabel("The trash is empty.")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setObjectName("emptyState")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.list)
        self.stack.addWidget(self.empty_label)
        self.error_label = _error_label()

        self.restore_button = QPushButton("Restore")
        self.restore_button.setObjectName("primary")
        self.restore_button.clicked.connect(self.restore_selected)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 16)
        layout.setSpacing(12)
        layout.addWidget(intro)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.reload()

    def reload(self) -> None:
        self.list.clear()
        for entry in self._library.trash():
            when = entry.deleted.astimezone().strftime("%d %b %Y, %H:%M")
            item = QListWidgetItem(f"{entry.name}    —    deleted {when}")
            item.setData(Qt.ItemDataRole.UserRole, entry)
            self.list.addItem(item)
        self.stack.setCurrentWidget(self.list if self.list.count() else self.empty_label)
        if self.list.count():
            self.list.setCurrentRow(0)
        self._update_buttons()

    def entries(self) -> list[TrashEntry]:
        return [
            self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())
        ]

    def _update_buttons(self) -> None:
        self.restore_button.setEnabled(bool(self.list.selectedItems()))

    def restore_selected(self) -> None:
        items = self.list.selectedItems()
        if not items:
            return
        entry: TrashEntry = items[0].data(Qt.ItemDataRole.UserRole)
        try:
            voice = self._library.restore_entry(entry)
        except VoiceStudioError as exc:
            self.error_label.setText(str(exc))
            self.error_label.show()
            return
        self.error_label.hide()
        self.reload()
        self._on_restored(voice)

"""The Settings page: compute device, data folder, default language for new voices, and
the GPT-SoVITS model family new voices are built on.

Every change is saved the moment it is made (``Settings.save`` is atomic), so there is no
Save button to forget; the status bar and the library follow through :class:`AppState`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from voicestudio.app import dialogs
from voicestudio.app.pages.base import BasePage
from voicestudio.app.state import AppState
from voicestudio.errors import VoiceStudioError
from voicestudio.hub.families import FAMILIES
from voicestudio.project.settings import DEVICE_CHOICES, LANGUAGE_CHOICES, log_dir

DEVICE_LABELS = {
    "auto": "Automatic — the fastest this computer has",
    "cuda": "NVIDIA graphics card (CUDA)",
    "mps": "Apple graphics (MPS)",
    "cpu": "Processor only (slow training)",
}
_ROW_HEIGHT = 32  # a combo box or line edit with our style sheet

LANGUAGE_LABELS = {**dialogs.LANGUAGE_NAMES, "auto": "Both Chinese and English"}


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("hint")
    label.setWordWrap(True)
    return label


class SettingsPage(BasePage):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.device_combo = QComboBox()
        self.device_combo.setMaximumWidth(520)
        self.device_combo.setFixedHeight(_ROW_HEIGHT)
        for choice in DEVICE_CHOICES:
            self.device_combo.addItem(DEVICE_LABELS[choice], choice)
        self.device_combo.currentIndexChanged.connect(self._device_chosen)

        self.folder_edit = QLineEdit()
        self.folder_edit.setReadOnly(True)
        self.folder_edit.setFixedHeight(_ROW_HEIGHT)
        self.folder_button = QPushButton("Choose…")
        self.folder_button.clicked.connect(self.choose_data_dir)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.folder_button)
        self.folder_hint = _hint("")

        self.language_combo = QComboBox()
        self.language_combo.setMaximumWidth(520)
        self.language_combo.setFixedHeight(_ROW_HEIGHT)
        for choice in LANGUAGE_CHOICES:
            self.language_combo.addItem(LANGUAGE_LABELS[choice], choice)
        self.language_combo.currentIndexChanged.connect(self._language_chosen)

        self.family_combo = family_combo()
        self.family_combo.currentIndexChanged.connect(self._family_chosen)

        self.log_label = QLabel(str(log_dir()))
        self.log_label.setMinimumHeight(_ROW_HEIGHT)
        self.log_label.setWordWrap(True)  # a long path breaks after a "/" instead of being cut
        self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        card = QFrame()
        card.setObjectName("card")
        form = QFormLayout(card)
        form.setContentsMargins(16, 18, 16, 18)
        form.setVerticalSpacing(18)
        form.setHorizontalSpacing(14)
        # On a narrow window a label goes above its field instead of squeezing it.
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        rows = [
            ("Compute device:", self.device_combo,
             _hint("Where training and speaking run. A graphics card is many times faster; "
                   "the status bar shows what is in use.")),
            ("Data folder:", folder_row, self.folder_hint),
            ("New voices speak:", self.language_combo,
             _hint("The languages ticked when you create a voice.")),
            ("Voice models:", self.family_combo, _hint(FAMILY_HINT)),
            ("Log files:", self.log_label,
             _hint("Attach the newest file when you ask for help.")),
        ]
        for text, control, hint in rows:
            form.addRow(_label(text), _field(control, hint))

        layout = self.page_layout("Settings", "Changes are saved as you make them.")
        layout.addWidget(card)
        layout.addStretch(1)

        state.settings_changed.connect(self.load_values)
        state.data_dir_changed.connect(lambda _folder: self.load_values())
        self.load_values()

    def on_shown(self) -> None:
        self.load_values()

    def load_values(self) -> None:
        """Show what is saved (without re-saving: the combos' signals are blocked)."""
        settings = self.state.settings
        for combo, value in (
            (self.device_combo, settings.compute_device),
            (self.language_combo, settings.default_language),
            (self.family_combo, settings.model_family),
        ):
            combo.blockSignals(True)
            combo.setCurrentIndex(max(combo.findData(value), 0))
            combo.blockSignals(False)
        self.folder_edit.setText(str(self.state.data_dir))
        locked = self.state.data_dir_locked_by
        self.folder_button.setEnabled(locked is None)
        if locked == "--data-dir":
            self.folder_hint.setText("Set with --data-dir for this session; "
                                     "start VoiceStudio without it to change it here.")
        elif locked:
            self.folder_hint.setText(f"Set by the {locked} environment variable; "
                                     "unset it to change the folder here.")
        else:
            self.folder_hint.setText("Voices, base models and the trash live here.")

    def _device_chosen(self) -> None:
        self.state.update_settings(compute_device=self.device_combo.currentData())

    def _language_chosen(self) -> None:
        self.state.update_settings(default_language=self.language_combo.currentData())

    def _family_chosen(self) -> None:
        self.state.update_settings(model_family=self.family_combo.currentData())

    def choose_data_dir(self) -> None:
        folder = dialogs.choose_folder(self, "Choose the data folder", self.state.data_dir)
        if folder is None:
            return
        try:
            self.state.set_data_dir(folder)
        except VoiceStudioError as exc:
            dialogs.show_error(self, str(exc))


FAMILY_HINT = (
    "Which GPT-SoVITS base models untrained voices speak with and new trainings start from. "
    "A trained voice keeps the models it was trained with. Each choice needs its own base "
    "models (see Base models)."
)


def family_combo() -> QComboBox:
    """The model-family choice in plain words, shared by Settings and Base models."""
    combo = QComboBox()
    combo.setMaximumWidth(520)
    combo.setFixedHeight(_ROW_HEIGHT)
    for family in FAMILIES.values():
        combo.addItem(f"{family.id}: {family.summary}", family.id)
    return combo


def _label(text: str) -> QLabel:
    label = QLabel(text)
    label.setFixedHeight(_ROW_HEIGHT)  # centred on the first line of its field
    return label


def _field(control: QWidget | QHBoxLayout, hint: QLabel) -> QWidget:
    """A control with its explanation right under it, kept together as one form field."""
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(4)
    if isinstance(control, QHBoxLayout):
        column.addLayout(control)
    else:
        column.addWidget(control)
    column.addWidget(hint)
    return box

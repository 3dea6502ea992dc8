"""The dialog that makes a voice from a GPT-SoVITS model pair trained elsewhere.

GPT-SoVITS keeps a trained voice as two files: the GPT (S1) ``.ckpt`` in ``GPT_weights*``
and the SoVITS (S2) ``.pth`` in ``SoVITS_weights*``. The dialog asks for both, the new
voice's name, languages and consent (as creating a voice does), and checks what it can
without reading the files; reading and copying them is a job the Voices page runs
(``services.versions.import_version``), and a refusal there brings this dialog back
filled in, with the reason under the fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from voicestudio.app import dialogs
from voicestudio.app.dialogs import CreateVoiceDialog
from voicestudio.errors import UserInputError
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.voice import ConsentRecord

GPT_FILTER = "GPT-SoVITS GPT model (*.ckpt);;All files (*)"
SOVITS_FILTER = "GPT-SoVITS SoVITS model (*.pth);;All files (*)"
# What GPT-SoVITS appends to a model's name when it saves one: "-e15", "_e8_s200".
_TRAINING_SUFFIX = re.compile(r"[-_]e\d+(?:_s\d+)?$")


@dataclass(frozen=True)
class ModelImport:
    """What the person asked for: the voice to make and the two files it speaks with."""

    name: str
    languages: list[str]
    consent: ConsentRecord | None
    s1_file: Path
    s2_file: Path


def name_from_model_file(path: Path) -> str:
    """The voice name a GPT-SoVITS file suggests: "rose-e15.ckpt" -> "rose"."""
    return _TRAINING_SUFFIX.sub("", path.stem).replace("_", " ").strip()


class ImportModelDialog(CreateVoiceDialog):
    """Name, languages, consent and the two model files of the voice to import."""

    def __init__(
        self,
        library: VoiceLibrary,
        default_language: str,
        parent: QWidget | None = None,
        previous: ModelImport | None = None,
    ) -> None:
        super().__init__(library, default_language, parent, "Import a GPT-SoVITS model",
                         "Import")
        self.request: ModelImport | None = None
        self.setMinimumWidth(600)  # room for the paths of the two files
        intro = QLabel("A voice trained in GPT-SoVITS is two files: the GPT model (.ckpt, "
                       "in GPT_weights) and the SoVITS model (.pth, in SoVITS_weights). "
                       "VoiceStudio makes a new voice that speaks with them.")
        intro.setObjectName("hint")
        intro.setWordWrap(True)
        self.s1_edit, s1_row = self._file_row("Choose the GPT model (.ckpt)", GPT_FILTER)
        self.s2_edit, s2_row = self._file_row("Choose the SoVITS model (.pth)", SOVITS_FILTER)
        self.form.insertRow(0, intro)
        self.form.insertRow(1, "GPT model:", s1_row)
        self.form.insertRow(2, "SoVITS model:", s2_row)
        self.s1_edit.textChanged.connect(self._suggest_name)
        if previous is not None:
            self._fill(previous)

    def _file_row(self, title: str, file_filter: str) -> tuple[QLineEdit, QHBoxLayout]:
        edit = QLineEdit()
        edit.setPlaceholderText(title.removeprefix("Choose the "))
        edit.textChanged.connect(self._input_changed)
        button = QPushButton("Choose…")
        button.clicked.connect(lambda: self._choose(edit, title, file_filter))
        row = QHBoxLayout()
        row.addWidget(edit, 1)
        row.addWidget(button)
        return edit, row

    def _choose(self, edit: QLineEdit, title: str, file_filter: str) -> None:
        start = Path(edit.text()).parent if edit.text() else Path.home()
        chosen = dialogs.choose_file(self, title, start, file_filter)
        if chosen is not None:
            edit.setText(str(chosen))

    def _suggest_name(self, path: str) -> None:
        """A name from the GPT file until the person types their own."""
        if path and not self.name_edit.isModified():
            self.name_edit.setText(name_from_model_file(Path(path)))

    def _fill(self, previous: ModelImport) -> None:
        self.s1_edit.setText(str(previous.s1_file))
        self.s2_edit.setText(str(previous.s2_file))
        self.name_edit.setText(previous.name)
        self.name_edit.setModified(True)  # the person's name: another file does not replace it
        for code, box in self.language_boxes.items():
            box.setChecked(code in previous.languages)
        if previous.consent is not None:
            self.consent_by_edit.setText(previous.consent.given_by)
            self.consent_box.setChecked(True)

    def _model_file(self, edit: QLineEdit, what: str, suffix: str) -> Path:
        text = edit.text().strip()
        if not text:
            raise UserInputError(f"Choose the {what} file ({suffix}).")
        path = Path(text).expanduser()
        if not path.is_file():
            raise UserInputError(f"The {what} file {path} does not exist.")
        return path

    def _create(self) -> ModelImport:  # type: ignore[override]
        """Checks the input only: the files are read by the import job afterwards."""
        s1_file = self._model_file(self.s1_edit, "GPT model", ".ckpt")
        s2_file = self._model_file(self.s2_edit, "SoVITS model", ".pth")
        languages = self.checked_languages()
        name = " ".join(self.name_edit.text().split())
        self._library.check_new_name(name)
        return ModelImport(name, languages, self.consent(), s1_file, s2_file)

    def _keep(self, outcome: object) -> None:
        assert isinstance(outcome, ModelImport)
        self.request = outcome

"""The Import model dialog: what it suggests and what it refuses before any file is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicestudio.app.main import get_application
from voicestudio.app.model_import_dialog import ImportModelDialog, name_from_model_file
from voicestudio.project.library import VoiceLibrary


@pytest.mark.parametrize(("file", "name"), [
    ("rose-e15.ckpt", "rose"), ("rose_e8_s200.pth", "rose"), ("Nana_Rose-e5.ckpt", "Nana Rose"),
    ("my voice.ckpt", "my voice"), ("e15.ckpt", "e15"),
])
def test_the_name_comes_from_the_file_without_gpt_sovits_training_suffix(file, name):
    assert name_from_model_file(Path(file)) == name


def test_a_typed_name_stays_and_missing_files_are_named_before_anything_is_read(
        qtbot, isolated_user_dirs, tmp_path):
    get_application()
    library = VoiceLibrary(isolated_user_dirs)
    library.create("Rose", ["en"])
    dialog = ImportModelDialog(library, "en")
    qtbot.addWidget(dialog)
    dialog.s1_edit.setText(str(tmp_path / "rose-e15.ckpt"))
    assert dialog.name_edit.text() == "rose"
    dialog.ok_button.click()
    assert "The GPT model file" in dialog.error_label.text()
    assert "does not exist" in dialog.error_label.text()
    (tmp_path / "rose-e15.ckpt").write_bytes(b"not read by the dialog")
    dialog.ok_button.click()
    assert "Choose the SoVITS model file (.pth)" in dialog.error_label.text()
    dialog.s2_edit.setText(str(tmp_path / "rose_e8.pth"))
    (tmp_path / "rose_e8.pth").write_bytes(b"nor this")
    dialog.ok_button.click()
    assert "A voice called “Rose” already exists" in dialog.error_label.text()
    dialog.name_edit.setText("Grandma Rose")
    dialog.name_edit.setModified(True)  # as typing does
    dialog.s1_edit.setText(str(tmp_path / "rose-e16.ckpt"))  # another file: the name stays
    assert dialog.name_edit.text() == "Grandma Rose"
    dialog.s1_edit.setText(str(tmp_path / "rose-e15.ckpt"))
    dialog.ok_button.click()
    assert dialog.result() == ImportModelDialog.DialogCode.Accepted
    assert dialog.request.name == "Grandma Rose" and dialog.request.languages == ["en"]
    assert dialog.request.s2_file == tmp_path / "rose_e8.pth"

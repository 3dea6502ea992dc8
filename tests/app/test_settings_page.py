"""Settings: device, default language and data folder are applied, shown and saved."""

from __future__ import annotations

import json

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from voicestudio.app import dialogs
from voicestudio.app.pages.settings import SettingsPage
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.settings import Settings, config_dir


def choose(combo, value: str) -> None:
    combo.setCurrentIndex(combo.findData(value))


@pytest.fixture
def settings_page(window) -> SettingsPage:
    window.show_page("settings")
    return window.page("settings")


def test_device_choice_is_saved_and_shown_in_the_status_bar(settings_page, window, qtbot):
    choose(settings_page.device_combo, "cpu")
    assert Settings.load().compute_device == "cpu"
    label = window.status.device_label
    qtbot.waitUntil(lambda: label.text() == "Device: CPU (chosen in Settings)")

    choose(settings_page.device_combo, "cuda")
    assert Settings.load().compute_device == "cuda"
    qtbot.waitUntil(lambda: label.text() == "Device: NVIDIA GPU (CUDA) not available")
    assert "auto" in label.toolTip()
    assert label.property("problem") is True

    choose(settings_page.device_combo, "auto")
    qtbot.waitUntil(lambda: label.text() == "Device: CPU")
    assert label.property("problem") is False


def test_default_language_is_saved_and_used_for_new_voices(settings_page, window, answers):
    choose(settings_page.language_combo, "en")
    saved = json.loads((config_dir() / "settings.json").read_text("utf-8"))
    assert saved["default_language"] == "en"

    answers.add(lambda dialog: False)
    window.page("voices").create_button.click()
    assert answers.seen[-1].languages() == ["en"]


def test_page_shows_what_is_saved(make_window):
    settings = Settings(compute_device="cpu", default_language="auto")
    settings.save()
    window = make_window()
    window.show_page("settings")
    page = window.page("settings")
    assert page.device_combo.currentData() == "cpu"
    assert page.language_combo.currentData() == "auto"


def test_an_env_var_data_folder_is_shown_and_locked(settings_page, isolated_user_dirs):
    assert settings_page.folder_edit.text() == str(isolated_user_dirs)
    assert settings_page.folder_edit.isReadOnly()
    assert not settings_page.folder_button.isEnabled()
    assert "VOICESTUDIO_DATA_DIR" in settings_page.folder_hint.text()


def test_a_command_line_data_folder_is_shown_as_such(make_window, tmp_path):
    window = make_window(tmp_path / "cli-data")
    window.show_page("settings")
    page = window.page("settings")
    assert page.folder_edit.text() == str(tmp_path / "cli-data")
    assert not page.folder_button.isEnabled()
    assert "--data-dir" in page.folder_hint.text()


def test_choosing_a_data_folder_switches_the_library_now_and_next_time(
    make_window, monkeypatch, tmp_path
):
    monkeypatch.delenv("VOICESTUDIO_DATA_DIR")
    first_dir = tmp_path / "first"
    Settings(data_dir=str(first_dir)).save()
    VoiceLibrary(first_dir).create("Grandma Rose", ["zh"])
    other = tmp_path / "other"
    VoiceLibrary(other).create("Uncle Bo", ["en"])
    (other / "base-models" / "s1-v2").mkdir(parents=True)
    (other / "base-models" / "s1-v2" / "model.ckpt").write_bytes(b"x")

    window = make_window()
    voices = window.page("voices")
    assert window.state.data_dir == first_dir
    window.state.open_voice("Grandma Rose")
    window.show_page("settings")
    page = window.page("settings")
    assert page.folder_button.isEnabled()

    monkeypatch.setattr(dialogs, "choose_folder", lambda *_args: other)
    page.folder_button.click()

    assert window.state.data_dir == other
    assert page.folder_edit.text() == str(other)
    assert Settings.load().data_dir == str(other)
    assert [voices.tree.topLevelItem(i).text(0)
            for i in range(voices.tree.topLevelItemCount())] == ["Uncle Bo"]
    assert window.state.current_voice is None  # Grandma Rose lives in the other folder
    assert window.windowTitle() == "VoiceStudio"
    # The status bar re-checked the new folder (whatever the registry counts as installed).
    assert window.status.models_label.toolTip() != ""

    window.close()
    again = make_window()
    assert again.state.data_dir == other


def test_an_unwritable_data_folder_is_refused_with_a_message(make_window, monkeypatch,
                                                             tmp_path):
    monkeypatch.delenv("VOICESTUDIO_DATA_DIR")
    Settings(data_dir=str(tmp_path / "data")).save()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    window = make_window()
    window.show_page("settings")
    page = window.page("settings")

    monkeypatch.setattr(dialogs, "choose_folder", lambda *_args: blocker / "voices")
    page.folder_button.click()

    boxes = [w for w in QApplication.topLevelWidgets()
             if isinstance(w, QMessageBox) and w.isVisible()]
    assert len(boxes) == 1 and "cannot write to" in boxes[0].text()
    assert window.state.data_dir == tmp_path / "data"
    assert Settings.load().data_dir == str(tmp_path / "data")

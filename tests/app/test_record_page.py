"""The Record page walked through as a person would: set-up, microphone, room check, test
sentence, consent, sentences (good, bad, kept anyway, deleted and undone), an unplugged
microphone, and the finished session — against a fake microphone that speaks real speech."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from recording_fakes import LiveFakeInput, Speaker
from speech import piper_speech
from voice_fakes import FakePlayer

from voicestudio.app import dialogs
from voicestudio.app.pages import record as record_page
from voicestudio.audio.resample import resample
from voicestudio.project.segments import Dataset
from voicestudio.project.voice import Voice
from voicestudio.services.recording import TEST_SENTENCES

RATE = 48000
TIMEOUT = 20000


def spoken(text: str, gain: float = 0.5) -> np.ndarray:
    speech, rate = piper_speech(text)
    return resample(speech / np.abs(speech).max() * gain, rate, RATE)


@pytest.fixture
def rig(make_window, monkeypatch, isolated_user_dirs):
    speaker = Speaker()
    microphone = LiveFakeInput(speaker, speed=8.0)
    player = FakePlayer()
    monkeypatch.setattr(record_page, "SoundDeviceInput", lambda: microphone)
    monkeypatch.setattr(record_page, "SoundDevicePlayer", lambda: player)
    window = make_window()
    window.state.library.create("Rose", ["en"])
    window.state.reload_library()
    window.state.open_voice("Rose")
    window.show_page("record")
    page = window.page("record")
    yield window, page, speaker, microphone, player
    page.confirm_close()


def take(qtbot, page, speaker, audio: np.ndarray, button) -> None:
    """Press Record, say ``audio``, wait until it is said, press Stop."""
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert page.recorder.is_recording
    speaker.say(audio)
    qtbot.waitUntil(lambda: speaker.idle, timeout=TIMEOUT)
    qtbot.wait(150)  # the breath after the last word
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert not page.recorder.is_recording


def finished_job(qtbot, page) -> None:
    qtbot.waitUntil(lambda: page.runner is not None and not page.runner.is_running,
                    timeout=TIMEOUT)


def test_whole_wizard_from_microphone_check_to_finished_session(rig, qtbot, monkeypatch,
                                                                tmp_path):
    window, page, speaker, microphone, player = rig
    voice_folder = window.state.current_voice.folder

    # Set-up: a target and the accent question, asked in plain words.
    assert page.steps.currentWidget() is page.setup
    assert page.setup.accent_card.isVisibleTo(page)
    page.setup.target_buttons["better"].setChecked(True)
    page.setup.accent_buttons["standard"].setChecked(True)
    qtbot.mouseClick(page.setup.continue_button, Qt.MouseButton.LeftButton)
    assert Voice.open(voice_folder).manifest.accent == "standard"

    # Microphone: the device is listed, the meter moves with the voice.
    assert page.steps.currentWidget() is page.mic
    assert page.mic.device_box.currentText() == "Test microphone"
    speaker.say(spoken("Hello there."))
    qtbot.waitUntil(lambda: page.mic.meter.bar.reading.peak_db > -20, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: speaker.idle, timeout=TIMEOUT)

    # Room check: quiet room, and "listen to your silence" plays it back.
    qtbot.mouseClick(page.mic.room_button, Qt.MouseButton.LeftButton)
    finished_job(qtbot, page)
    assert page.mic.room_result.text().startswith("Quiet room")
    qtbot.mouseClick(page.mic.listen_button, Qt.MouseButton.LeftButton)
    assert player.played and player.played[-1][1] == RATE

    # Test sentence with its checks.
    test_text = TEST_SENTENCES["en"].text
    assert page.mic.test_text.text() == test_text
    take(qtbot, page, speaker, spoken(test_text), page.mic.test_button)
    finished_job(qtbot, page)
    assert page.mic.test_result.text() == "Sounds good. You are ready to record."
    assert "Words are not checked" in page.error_notice.label.text()  # no recogniser here

    # Consent, given by a daughter on the speaker's behalf.
    qtbot.mouseClick(page.mic.next_button, Qt.MouseButton.LeftButton)
    assert page.steps.currentWidget() is page.consent
    assert not page.consent.next_button.isEnabled()
    page.consent.proxy_box.setChecked(True)
    page.consent.given_by_edit.setText("Ann")
    page.consent.relation_edit.setText("daughter")
    sentence = page.consent.sentence.text()
    assert "Ann, daughter of Rose" in sentence
    take(qtbot, page, speaker, spoken(sentence), page.consent.record_button)
    finished_job(qtbot, page)
    assert "Consent saved" in page.consent.result.text()
    consent = Voice.open(voice_folder).manifest.consent
    assert consent.given_by == "Ann" and consent.relation == "daughter"
    assert len(consent.audio_sha256) == 64

    # Sentences: two good takes move on and fill the coverage.
    qtbot.mouseClick(page.consent.next_button, Qt.MouseButton.LeftButton)
    assert page.steps.currentWidget() is page.prompts
    assert page.prompts.coverage_label.text().startswith("No sounds recorded yet")
    for _ in range(2):
        prompt = page.prompt
        take(qtbot, page, speaker, spoken(prompt.text), page.prompts.record_button)
        finished_job(qtbot, page)
        assert page.prompts.result_title.text() == "Good take, saved.", \
            page.prompts.result_text.text()
        assert page.prompt.id != prompt.id
    assert "2 sentences" in page.prompts.progress_label.text()
    assert "still missing" in page.prompts.coverage_label.text()
    assert page.prompts.progress_bar.value() > 0

    # A distorted take: marked, kept on disk, then kept anyway by the person.
    prompt = page.prompt
    take(qtbot, page, speaker, np.clip(spoken(prompt.text) * 8, -1, 1),
         page.prompts.record_button)
    finished_job(qtbot, page)
    assert page.prompts.result_title.text() == "Please record this sentence again."
    assert "distorted" in page.prompts.result_text.text()
    assert page.prompt.id == prompt.id and page.prompts.keep_button.isVisible()
    qtbot.mouseClick(page.prompts.keep_button, Qt.MouseButton.LeftButton)
    assert page.prompt.id != prompt.id

    # Delete the last take, then undo it.
    qtbot.mouseClick(page.prompts.delete_button, Qt.MouseButton.LeftButton)
    kept = [s for s in Dataset.open(Voice.open(voice_folder)).segments if s.kept]
    assert len(kept) == 2
    qtbot.mouseClick(page.prompts.notice.action_button, Qt.MouseButton.LeftButton)
    assert len([s for s in Dataset.open(Voice.open(voice_folder)).segments if s.kept]) == 3

    # Space starts and stops a take too.
    prompt = page.prompt
    page.prompts.record_button.setFocus()
    qtbot.keyClick(page.prompts.record_button, Qt.Key.Key_Space)
    assert page.recorder.is_recording
    speaker.say(spoken(prompt.text))
    qtbot.waitUntil(lambda: speaker.idle, timeout=TIMEOUT)
    qtbot.wait(150)
    qtbot.keyClick(page.prompts.record_button, Qt.Key.Key_Space)
    finished_job(qtbot, page)
    assert page.prompts.result_title.text() == "Good take, saved."

    # The microphone is unplugged mid-take: clear message, partial take kept, and
    # recording goes on once it is back.
    qtbot.mouseClick(page.prompts.record_button, Qt.MouseButton.LeftButton)
    speaker.say(spoken(page.prompt.text)[: RATE // 2])
    qtbot.waitUntil(lambda: speaker.idle, timeout=TIMEOUT)
    microphone.present = False
    qtbot.waitUntil(lambda: "unplugged" in page.error_notice.label.text(), timeout=TIMEOUT)
    assert "kept" in page.error_notice.label.text()
    assert not page.prompts.record_button.isEnabled()
    finished_job(qtbot, page)
    microphone.present = True
    qtbot.waitUntil(lambda: page.error_notice.label.text().startswith("The microphone is back"),
                    timeout=TIMEOUT)
    assert page.prompts.record_button.isEnabled()
    takes = Dataset.open(Voice.open(voice_folder)).takes
    assert len(takes) == 5  # every sentence take, the cut-short one included

    # Finish: a summary, and everything resumes from here next time.
    qtbot.mouseClick(page.prompts.finish_button, Qt.MouseButton.LeftButton)
    assert page.steps.currentWidget() is page.done
    assert "4 sentences" in page.done.summary.text()
    # Recordings that cannot be made again: a second copy, offered right here.
    bank = tmp_path / "Rose.voicebank.zip"
    monkeypatch.setattr(dialogs, "choose_save_file", lambda *_args: bank)
    page.done.copy_button.click()
    qtbot.waitUntil(lambda: page.bank_runner is not None and not page.bank_runner.is_running,
                    timeout=TIMEOUT)
    assert bank.is_file() and "Saved 4 clips of Rose" in page.error_notice.label.text()
    voices = window.page("voices")
    window.show_page("voices")
    item = voices.tree.topLevelItem(0)
    assert "No consent" not in item.toolTip(0)  # consent given: no mark
    assert item.text(2) == "4"  # the kept clips, counted on the Voices page


def test_no_microphone_says_so_and_retry_finds_it(rig, qtbot):
    window, page, speaker, microphone, player = rig
    microphone.present = False
    qtbot.mouseClick(page.setup.continue_button, Qt.MouseButton.LeftButton)
    assert "No microphone was found" in page.mic.device_error.text()
    assert not page.mic.test_button.isEnabled()
    microphone.present = True
    qtbot.mouseClick(page.mic.retry_button, Qt.MouseButton.LeftButton)
    assert page.mic.device_error.text() == "" and page.mic.test_button.isEnabled()


def test_voices_page_marks_a_voice_without_consent(rig, qtbot):
    window, page, *_ = rig
    window.show_page("voices")
    item = window.page("voices").tree.topLevelItem(0)
    assert "No consent recorded" in item.toolTip(0)

"""The "Try this voice" panel speaks under pytest-qt with the tiny base-model set."""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from voice_fakes import FakePlayer, NoOutputPlayer, add_segments, speech_like

from voicestudio.app import dialogs
from voicestudio.app.pages.try_voice import TryVoicePanel
from voicestudio.audio.playback import NoAudioOutputError, SoundDevicePlayer
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.voice import ModelVersion

SAMPLE_RATE = 32000


@pytest.fixture
def clips(tmp_path) -> dict[str, Path]:
    paths = {name: tmp_path / f"{name}.wav" for name in ("good", "short", "silent")}
    sf.write(paths["good"], speech_like(4.0), SAMPLE_RATE)
    sf.write(paths["short"], speech_like(1.0), SAMPLE_RATE)
    sf.write(paths["silent"], np.zeros(SAMPLE_RATE * 4, dtype=np.float32), SAMPLE_RATE)
    return paths


def panel_for(make_window, data_dir: Path, languages: list[str] = ["en"]) -> TryVoicePanel:  # noqa: B006
    VoiceLibrary(data_dir).create("Grandma Rose", languages)
    window = make_window()
    window.show_page("voices")
    panels = [p for p in window.page("voices").panels if isinstance(p, TryVoicePanel)]
    assert len(panels) == 1
    return panels[0]


def choose_clip(panel: TryVoicePanel, monkeypatch, qtbot, path: Path) -> None:
    monkeypatch.setattr(dialogs, "choose_file", lambda *_args: path)
    panel.reference_button.click()
    qtbot.waitUntil(lambda: not panel.check_runner.is_running, timeout=20_000)


def test_speak_play_and_save_zero_shot(make_window, with_models, clips, monkeypatch, qtbot,
                                       tmp_path):
    panel = panel_for(make_window, with_models)
    assert panel.isVisible()
    assert panel.mode_label.text() == "Not trained yet"
    assert "copy it from the clip" in panel.mode_label.toolTip()
    assert panel.models_box.isHidden()
    assert panel.result_box.isHidden()  # nothing to play or save yet
    assert panel.language_combo.currentData() == "en"  # from the voice's language
    assert not panel.speak_button.isEnabled()  # no clip, no text yet

    choose_clip(panel, monkeypatch, qtbot, clips["good"])
    assert panel.reference_edit.text() == "good.wav"
    assert panel.reference_info.text() == "4.0 s."
    panel.transcript_edit.setText("One two three, four five.")
    qtbot.keyClicks(panel.text_edit, "Hello there, my friend. How are you today?")
    assert panel.speak_button.isEnabled()

    panel.speak_button.click()
    assert panel.progress.isVisible() and not panel.speak_button.isEnabled()
    with qtbot.waitSignal(panel.runner.finished, timeout=120_000) as finished:
        pass
    qtbot.waitUntil(lambda: panel.runner is not None and not panel.runner.is_running)
    result = finished.args[0]
    assert result is panel.result
    assert result.sample_rate == SAMPLE_RATE and result.audio.dtype == np.float32
    assert len(result.sentences) == 2
    # Tiny models end each sentence after about 0.5-1.2 s: plausible lengths, not a cap.
    assert 0.3 < result.seconds < 20.0
    assert np.isfinite(result.audio).all() and np.abs(result.audio).max() > 0
    assert panel.result_label.text() == f"{result.seconds:.1f} s, 2 sentences"
    assert panel.result_box.isVisible()
    assert panel.progress.isHidden() and panel.speak_button.isEnabled()

    fake = FakePlayer()
    panel.player = fake
    panel.play_button.click()
    assert fake.played[0][0] is result.audio and fake.played[0][1] == SAMPLE_RATE
    assert panel.play_button.text() == "Stop"
    panel.play_button.click()
    assert not fake.is_playing and panel.play_button.text() == "Play"

    monkeypatch.setattr(dialogs, "choose_save_file", lambda *_args: tmp_path / "try")
    panel.save_button.click()
    info = sf.info(tmp_path / "try.wav")
    assert info.samplerate == SAMPLE_RATE and info.channels == 1
    assert info.frames == result.audio.size
    assert f"Saved to {tmp_path / 'try.wav'}" in panel.result_notes.text()
    assert list(tmp_path.glob("*.tmp*")) == []  # the atomic save left no temp file


def test_cancel_stops_speaking_and_keeps_what_was_typed(make_window, with_models, clips,
                                                         monkeypatch, qtbot):
    panel = panel_for(make_window, with_models)
    choose_clip(panel, monkeypatch, qtbot, clips["good"])
    panel.text_edit.setPlainText("A sentence that will not be spoken.")
    panel.speak_button.click()
    with qtbot.waitSignal(panel.runner.cancelled, timeout=60_000):
        panel.progress.cancel_button.click()
    qtbot.waitUntil(lambda: not panel.runner.is_running)
    assert panel.result is None and panel.result_box.isHidden()
    assert panel.error_label.text() == "Stopped. Press Speak to try again."
    assert panel.text_edit.toPlainText() == "A sentence that will not be spoken."
    assert panel.speak_button.isEnabled()


def test_without_a_sound_card_play_explains_instead_of_crashing(make_window, with_models,
                                                                clips, monkeypatch, qtbot):
    panel = panel_for(make_window, with_models)
    panel.result = types.SimpleNamespace(audio=np.zeros(3200, np.float32),
                                         sample_rate=SAMPLE_RATE, sentences=[1], warnings=[],
                                         seconds=0.1)
    panel._show_result()
    panel.player = NoOutputPlayer()
    panel.play_button.click()
    assert panel.error_label.isVisible()
    assert panel.error_label.text().startswith("No speakers or headphones were found")
    assert panel.play_button.text() == "Play"


def test_bad_reference_clips_are_explained(make_window, with_models, clips, monkeypatch, qtbot):
    panel = panel_for(make_window, with_models)
    qtbot.keyClicks(panel.text_edit, "Hello.")
    choose_clip(panel, monkeypatch, qtbot, clips["silent"])
    assert "is silent" in panel.reference_info.text()
    assert panel.reference_info.objectName() == "fieldError"
    assert not panel.speak_button.isEnabled()
    choose_clip(panel, monkeypatch, qtbot, clips["short"])
    assert "is 1.0 s long" in panel.reference_info.text()
    assert not panel.speak_button.isEnabled()
    choose_clip(panel, monkeypatch, qtbot, clips["good"])
    assert panel.reference_info.objectName() == "hint"
    assert panel.speak_button.isEnabled()


def test_missing_base_models_point_to_the_base_models_page(make_window, isolated_user_dirs,
                                                           clips, monkeypatch, qtbot):
    panel = panel_for(make_window, isolated_user_dirs, ["zh", "en"])
    assert panel.language_combo.currentData() == "auto"
    assert panel.models_box.isVisible()
    assert "base models are not installed" in panel.models_label.text()
    choose_clip(panel, monkeypatch, qtbot, clips["good"])
    panel.text_edit.setPlainText("你好。")
    assert not panel.speak_button.isEnabled()
    panel.models_button.click()
    assert panel.window().current_page_key() == "base_models"


def test_a_trained_voice_speaks_with_its_latest_model(make_window, with_models, clips,
                                                     monkeypatch, qtbot):
    import shutil

    from voicestudio.synthesis import pipeline

    voice = VoiceLibrary(with_models).create("Uncle Bo", ["en"])
    version_dir = voice.folder / "models" / "v2"
    version_dir.mkdir(parents=True)
    # The tiny base S1/S2 stand in for a trained version: real files in the official format.
    shutil.copy(with_models / "base-models" / "s1-v2" / "s1.ckpt", version_dir / "s1.ckpt")
    shutil.copy(with_models / "base-models" / "s2g-v2" / "s2G.pth", version_dir / "s2G.pth")
    voice.add_model_version(ModelVersion("v2", "2026-05-01T10:00:00Z", "standard", 60.0,
                                         "models/v2/s1.ckpt", "models/v2/s2G.pth"))
    used = []
    real_get_synthesizer = pipeline.get_synthesizer

    def recording_get_synthesizer(files, device="auto"):
        used.append(files)
        return real_get_synthesizer(files, device)

    monkeypatch.setattr(pipeline, "get_synthesizer", recording_get_synthesizer)
    panel = panel_for(make_window, with_models)
    window = panel.window()
    window.page("voices").select_voice("Uncle Bo")
    assert panel.mode_label.text() == "Trained model v2"
    assert "trained model v2 from 2026-05-01" in panel.mode_label.toolTip()

    choose_clip(panel, monkeypatch, qtbot, clips["good"])
    panel.transcript_edit.setText("One two three, four five.")
    qtbot.keyClicks(panel.text_edit, "Hello there.")
    panel.speak_button.click()
    with qtbot.waitSignal(panel.runner.finished, timeout=120_000) as finished:
        pass
    result = finished.args[0]
    assert result.seconds > 0.3 and np.abs(result.audio).max() > 0  # it spoke
    assert [(f.s1, f.s2) for f in used] == [(version_dir / "s1.ckpt", version_dir / "s2G.pth")]

    window.page("voices").select_voice("Grandma Rose")
    assert panel.mode_label.text() == "Not trained yet"


def test_a_voice_with_recordings_offers_its_best_clip(make_window, with_models, qtbot):
    voice = VoiceLibrary(with_models).create("Auntie May", ["zh"])
    segments = add_segments(voice, [("long", 12.0, "太长了。", True),
                                    ("good", 5.0, "今天天气很好。", True),
                                    ("unsure", 5.0, "也许吧。", False)], "zh")

    window = make_window()
    window.show_page("voices")
    page = window.page("voices")
    page.select_voice("Auntie May")
    panel = next(p for p in page.panels if isinstance(p, TryVoicePanel))
    qtbot.waitUntil(lambda: panel.check_runner is not None
                    and not panel.check_runner.is_running, timeout=20_000)
    assert panel.reference_edit.text() == Path(segments[1].audio_path).name
    assert panel.transcript_edit.text() == "今天天气很好。"
    assert panel.reference_info.text() == "5.0 s. One of this voice's own recordings."
    panel.text_edit.setPlainText("你好。")
    assert panel.speak_button.isEnabled()


def test_typed_text_is_kept_per_voice(make_window, with_models):
    VoiceLibrary(with_models).create("Uncle Bo", ["zh"])
    panel = panel_for(make_window, with_models)
    page = panel.window().page("voices")
    page.select_voice("Grandma Rose")
    panel.text_edit.setPlainText("For Grandma.")
    page.select_voice("Uncle Bo")
    assert panel.text_edit.toPlainText() == ""
    assert panel.language_combo.currentData() == "zh"
    page.select_voice("Grandma Rose")
    assert panel.text_edit.toPlainText() == "For Grandma."
    assert panel.language_combo.currentData() == "en"


def test_sounddevice_player_turns_a_missing_output_into_a_message(monkeypatch):
    class PortAudioError(Exception):
        pass

    def no_device(**_kwargs):
        raise PortAudioError("Error querying device -1")

    def no_stream():
        raise RuntimeError("play()/rec()/playrec() was not called yet")

    fake_sd = types.SimpleNamespace(PortAudioError=PortAudioError, query_devices=no_device,
                                    get_stream=no_stream)
    player = SoundDevicePlayer()
    monkeypatch.setattr(player, "_sd", fake_sd)
    with pytest.raises(NoAudioOutputError, match="No speakers or headphones") as caught:
        player.play(np.zeros(10, np.float32), SAMPLE_RATE)
    assert caught.value.detail == "Error querying device -1"
    assert player.is_playing is False

"""The Train page's try-out: which model speaks (before training, after the voice-model
stage of a run, each saved version), sentences to try it on, A/B and saving to a file; and
the paused runs, with their size, resumed or discarded.

No training runs here: a saved version and a paused run whose S2 stage finished are put on
disk as training leaves them (copies of the tiny base models), and the ``heard`` spy shows
which model files reach the synthesizer. Audio output is replaced at the device layer only.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import soundfile as sf
from voice_fakes import FakePlayer, add_segments

from voicestudio.app import dialogs
from voicestudio.hub.status import require_file
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.voice import ConsentRecord, ModelVersion, Voice, now_iso
from voicestudio.text.prompt_corpus import load_corpus
from voicestudio.training.scoring import held_out_ids

SENTENCES = ("The cat sat on the mat.", "A dog ran in the park.", "We like to read books.",
             "She sells sea shells.", "It is a sunny day.", "Open the window please.",
             "My friend has a red car.", "Time to go home now.")


def _voice_with_version_and_paused_run(data_dir: Path) -> tuple[Voice, Path]:
    voice = VoiceLibrary(data_dir).create("Rose", ["en"])
    voice.manifest.consent = ConsentRecord("Rose", "Rose", "I agree to clone my voice.")
    voice.save()
    add_segments(voice, [(f"seg{i}", 3.0 + i / 4, text, True)
                         for i, text in enumerate(SENTENCES)], "en")
    models = voice.subfolder("models")
    (models / "v1").mkdir(parents=True)
    shutil.copy(require_file(data_dir, "s1-v2"), models / "v1" / "s1.ckpt")
    shutil.copy(require_file(data_dir, "s2g-v2"), models / "v1" / "s2.pth")
    voice.add_model_version(ModelVersion("v1", now_iso(), "quick", 24.0, "models/v1/s1.ckpt",
                                         "models/v1/s2.pth"))
    run = models / "run2"  # paused while its text model trains: S2 done, S1 not yet
    (run / "state").mkdir(parents=True)
    (run / "state" / "plan.json").write_text(json.dumps({"preset": "quick"}))
    (run / "state" / "s2.done").write_text(json.dumps({"steps": 4}))
    shutil.copy(require_file(data_dir, "s2g-v2"), run / "s2.pth")
    return Voice.open(voice.folder), run / "s2.pth"


def _speak(panel, qtbot) -> None:
    panel.speak_button.click()
    qtbot.waitUntil(lambda: not panel.runner.is_running, timeout=120_000)
    assert panel.result is not None and panel.result.seconds > 0


def test_try_out_before_training_after_a_stage_and_each_version(
        make_window, with_models, heard, qtbot, monkeypatch, tmp_path):
    voice, run_s2 = _voice_with_version_and_paused_run(with_models)
    window = make_window()
    window.state.open_voice("Rose")
    assert window.show_page("train")
    panel = window.page("train").try_panel

    labels = [panel.model_combo.itemText(i) for i in range(panel.model_combo.count())]
    assert labels[0] == "Version v1 (speaks for the voice)"
    assert "run2 after the voice model (S2)" in labels[1]
    assert labels[2].startswith("Base models, no training")
    assert panel.speaking_model().version_id == "v1"  # what speaks for the voice, first

    # Sentences to try: first the ones kept out of training (their real recording exists),
    # then recording prompts of the voice's language that the person has not read.
    qtbot.waitUntil(lambda: panel.suggestion_combo.count() > 1, timeout=20_000)
    suggestions = [panel.suggestion_combo.itemData(i)
                   for i in range(1, panel.suggestion_combo.count())]
    offered = [s.text for s in suggestions]
    held_ids = held_out_ids([f"seg{j}" for j in range(len(SENTENCES))])
    held = {SENTENCES[int(i.removeprefix("seg"))]: i for i in held_ids}
    assert len(held) == 2 and set(offered[:2]) == set(held)
    assert [s.recording.stem for s in suggestions[:2]] == [held[t] for t in offered[:2]]
    assert all(s.recording is None for s in suggestions[2:])
    prompts = {p.text for p in load_corpus("en").prompts}
    assert len(offered) > 3 and all(s in prompts and s not in SENTENCES for s in offered[2:])
    panel.suggestion_combo.setCurrentIndex(3)
    panel.suggestion_combo.activated.emit(3)
    assert panel.text_edit.toPlainText() == offered[2]

    qtbot.waitUntil(lambda: panel.check_runner is not None
                    and not panel.check_runner.is_running, timeout=20_000)
    panel.model_combo.setCurrentIndex(1)  # the run's new voice model, base text model
    _speak(panel, qtbot)
    files, _request = heard[-1]
    assert files.s2 == run_s2 and files.s1 == require_file(with_models, "s1-v2")

    panel.model_combo.setCurrentIndex(2)  # zero-shot, as before any training
    _speak(panel, qtbot)
    files, request = heard[-1]
    assert files.s2 == require_file(with_models, "s2g-v2")
    assert Path(request.reference).parent == voice.folder / "segments"

    panel.model_combo.setCurrentIndex(0)
    _speak(panel, qtbot)
    assert heard[-1][0].s2 == voice.folder / "models" / "v1" / "s2.pth"

    fake = FakePlayer()
    panel.player = fake
    panel.play_button.click()
    panel.real_button.click()  # A/B: a sentence never recorded: the person's clip
    assert fake.played[0][0] is panel.result.audio
    assert fake.played[1][0] is panel._prepared.wav_32k
    panel.suggestion_combo.activated.emit(1)  # a held-out sentence: its real recording
    panel.real_button.click()
    seconds = 3.0 + int(held[offered[0]].removeprefix("seg")) / 4
    assert fake.played[2][1] == 32000 and fake.played[2][0].size == int(seconds * 32000)

    monkeypatch.setattr(dialogs, "choose_save_file", lambda *_a: tmp_path / "try.flac")
    panel.save_button.click()
    info = sf.info(tmp_path / "try.flac")
    assert info.format == "FLAC" and info.frames == panel.result.audio.size


def test_paused_runs_show_their_size_and_are_discarded_only_when_confirmed(
        make_window, with_models, monkeypatch, qtbot):
    from PySide6.QtWidgets import QMessageBox

    from voicestudio.project.disk import format_bytes

    voice, run_s2 = _voice_with_version_and_paused_run(with_models)
    run = run_s2.parent
    size = sum(p.stat().st_size for p in run.rglob("*") if p.is_file())
    window = make_window()
    window.state.open_voice("Rose")
    assert window.show_page("train")
    page = window.page("train")
    qtbot.waitUntil(lambda: page.readiness is not None, timeout=60_000)
    assert page.paused_card.isVisible() and page.paused_list.count() == 1
    row = page.paused_list.item(0).text()
    assert row.startswith("run2 · paused 20") and f"{format_bytes(size)} kept to resume" in row
    assert page.discard_button.isEnabled() and page.resume_selected_button.isEnabled()

    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: answers.pop(0))
    page.discard_button.click()  # "No": nothing is deleted
    assert run.is_dir() and page.paused_card.isVisible()
    page.discard_button.click()
    qtbot.waitUntil(lambda: not page.discard_runner.is_running, timeout=20_000)
    assert not run.exists() and (voice.folder / "models" / "v1" / "s2.pth").is_file()
    assert not page.paused_card.isVisible() and not page.resume_button.isVisible()
    labels = [page.try_panel.model_combo.itemText(i)
              for i in range(page.try_panel.model_combo.count())]
    assert not any("run2" in label for label in labels)


def test_the_page_fits_the_smallest_window(make_window, with_models, qtbot):
    """At 720x520 nothing is wider than the page (no sideways scrolling, no cut buttons):
    the plots stack, long sentences and version names do not widen their choosers."""
    _voice_with_version_and_paused_run(with_models)
    window = make_window()
    window.resize(720, 520)
    window.state.open_voice("Rose")
    assert window.show_page("train")
    page = window.page("train")
    qtbot.waitUntil(lambda: page.readiness is not None, timeout=60_000)
    qtbot.waitUntil(lambda: page.try_panel.suggestion_combo.count() > 1, timeout=20_000)
    page.advanced_button.setChecked(True)
    page.run_card.show()
    qtbot.waitUntil(lambda: page._plot_columns == 1)  # stacked
    assert window.width() == 720 and page.paused_card.isVisible()
    body = page.scroll.widget()
    assert body.minimumSizeHint().width() <= page.scroll.viewport().width()
    window.resize(1280, 800)
    qtbot.waitUntil(lambda: page._plot_columns == len(page.plots))

"""The Train page: readiness, train, cancel, resume, scores, the chosen version, try-out.

Runs a real (tiny) training through the page: the tiny base-model set (with its narrow
discriminator), a voice with eight short segments, and an injected checkpoint scorer that
stands in for listening (the real scorers run end to end in tests/services). Audio output is
replaced only at the device layer (FakePlayer).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from voice_fakes import FakePlayer, add_segments

from voicestudio.project.library import VoiceLibrary
from voicestudio.project.voice import ConsentRecord, Voice
from voicestudio.services.training import LossCurves
from voicestudio.training.loop import TrainingProgress
from voicestudio.training.notices import Notice
from voicestudio.training.scoring import SCORING_OFF_TOO_FEW, CheckpointScore

SENTENCES = ("The cat sat on the mat.", "A dog ran in the park.", "We like to read books.",
             "She sells sea shells.", "It is a sunny day.", "Open the window please.",
             "My friend has a red car.", "Time to go home now.")


class ScriptedScorer:
    """Scores each checkpoint from a script: the second S2 check is the best one."""

    def __init__(self) -> None:
        self.held_out: list[str] = []
        self.calls: list[tuple[str, int, Path, Path | None]] = []

    def prepare(self, voice_folder: Path, held_out) -> None:
        self.held_out = [f.segment_id for f in held_out]

    def score(self, stage: str, epoch: int, s2_path: Path, s1_path: Path | None
              ) -> CheckpointScore:
        self.calls.append((stage, epoch, s2_path, s1_path))
        similarity = {("s2", 1): 0.6, ("s2", 2): 0.8}.get((stage, epoch), 0.7)
        return CheckpointScore(similarity, 0.2)


@pytest.fixture(autouse=True)
def short_epochs(monkeypatch):
    """8 items per epoch instead of upstream's 100, to keep the suite fast."""
    from voicestudio.training import batches

    monkeypatch.setattr(batches, "MIN_EPOCH_ITEMS", 8)


@pytest.fixture(autouse=True)
def one_cpu_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _voice(data_dir: Path, consent: bool = True) -> Voice:
    voice = VoiceLibrary(data_dir).create("Rose", ["en"])
    if consent:
        voice.manifest.consent = ConsentRecord("Rose", "Rose", "I agree to clone my voice.")
        voice.save()
    add_segments(voice, [(f"seg{i}", 3.0, text, True) for i, text in enumerate(SENTENCES)],
                 "en")
    return Voice.open(voice.folder)


def _page(make_window, qtbot, voice_name: str = "Rose"):
    window = make_window()
    window.state.open_voice(voice_name)
    assert window.show_page("train")
    page = window.page("train")
    qtbot.waitUntil(lambda: page.readiness is not None, timeout=180_000)
    return window, page


def test_a_voice_without_consent_cannot_start(make_window, with_models, qtbot):
    _voice(with_models, consent=False)
    _window, page = _page(make_window, qtbot)
    assert page.readiness.verdict == "blocked"
    assert page.verdict_label.text().startswith("Cannot start: No consent is recorded")
    assert not page.train_button.isEnabled()


def test_train_cancel_resume_scores_and_try_out(make_window, with_models, qtbot):
    voice = _voice(with_models)
    window, page = _page(make_window, qtbot)
    assert page.readiness.verdict == "short"  # 24 s of speech: usable, but record more
    assert "record 36 seconds more" in page.verdict_label.text()
    assert page.train_button.isEnabled() and page.resume_button.isHidden()

    scorer = ScriptedScorer()
    page.scorer = scorer
    page.advanced_button.click()
    assert page.advanced.isVisible()
    page.s2_epochs.setValue(2)
    page.s1_epochs.setValue(1)
    page.s2_batch.setValue(4)
    page.save_every.setValue(1)
    page.train_button.click()
    assert page.is_training and not page.train_button.isEnabled()
    # The other pages stay usable meanwhile.
    assert window.show_page("voices") and window.show_page("train")

    qtbot.waitUntil(lambda: len(page.curves.series("s2", "mel")[0]) >= 2, timeout=120_000)
    assert page.progress.bar.value() > 0
    with qtbot.waitSignal(page.runner.cancelled, timeout=120_000):
        page.progress.cancel_button.click()
    qtbot.waitUntil(lambda: not page.is_training)
    assert "Paused" in page.log.toPlainText()
    assert page.resume_button.isVisible() and page.resume_button.isEnabled()
    steps_before = len(page.curves.series("s2", "mel")[0])

    with qtbot.waitSignal(page.runner_started, timeout=5_000):
        page.resume_button.click()
    with qtbot.waitSignal(page.runner.finished, timeout=300_000):
        pass
    qtbot.waitUntil(lambda: not page.is_training)
    # The curves continued from the saved steps, not from zero.
    xs, _ys = page.curves.series("s2", "mel")
    assert len(xs) > steps_before and xs == sorted(xs)
    assert len(page.curves.series("s1", "loss_per_token")[0]) >= 1

    assert len(scorer.held_out) == 2  # of eight segments, two were kept out of training
    assert [(stage, epoch) for stage, epoch, *_ in scorer.calls] == [
        ("s2", 1), ("s2", 2), ("s1", 1)]
    assert page.curves.series("scores", "similarity")[1] == [0.6, 0.8, 0.7]
    version = Voice.open(voice.folder).active_version()
    assert version is not None and version.version_id == page.last_version.version_id
    assert version.scores == {"similarity": 0.7, "wer": 0.2}
    assert "Done:" in page.result_label.text()
    top = page.versions_list.item(0).text()
    assert version.version_id in top and "(speaks for the voice)" in top
    assert "sounds 70% like the person" in top

    panel = page.try_panel
    assert panel.mode_label.text() == f"Trained model {version.version_id}"
    qtbot.waitUntil(lambda: panel.check_runner is not None
                    and not panel.check_runner.is_running, timeout=20_000)
    panel.text_edit.setPlainText("Hello there.")
    assert panel.speak_button.isEnabled()
    panel.speak_button.click()
    qtbot.waitUntil(lambda: not panel.runner.is_running, timeout=120_000)
    assert panel.result is not None and panel.result.seconds > 0
    fake = FakePlayer()
    panel.player = fake
    panel.play_button.click()
    assert fake.played and fake.played[0][0] is panel.result.audio
    panel.real_button.click()  # A/B: the person's own clip, as the model heard it
    assert len(fake.played) == 2 and fake.played[1][1] == 32000
    assert fake.played[1][0].size == pytest.approx(3.0 * 32000, rel=0.01)
    # The run measured this machine: the presets now say what they take here.
    page.check()
    qtbot.waitUntil(lambda: not page.check_runner.is_running, timeout=60_000)
    assert "here (measured)" in page.preset_info.text()


def test_versions_can_be_chosen_exported_and_deleted(make_window, with_models, qtbot,
                                                     monkeypatch, tmp_path):
    import shutil

    from PySide6.QtWidgets import QMessageBox

    from voicestudio.app import dialogs
    from voicestudio.hub.status import require_file
    from voicestudio.project.voice import ModelVersion, now_iso

    voice = _voice(with_models)
    for version_id in ("v1", "v2"):
        folder = voice.subfolder("models") / version_id
        folder.mkdir(parents=True)
        shutil.copy(require_file(with_models, "s1-v2"), folder / "s1.ckpt")
        shutil.copy(require_file(with_models, "s2g-v2"), folder / "s2.pth")
        voice.add_model_version(ModelVersion(version_id, now_iso(), "quick", 24.0,
                                             f"models/{version_id}/s1.ckpt",
                                             f"models/{version_id}/s2.pth"))
    _window, page = _page(make_window, qtbot)
    assert page.versions_list.count() == 2
    assert "(speaks for the voice)" in page.versions_list.item(0).text()  # v2, the newest
    assert not page.activate_button.isEnabled()
    page.versions_list.setCurrentRow(1)
    page.activate_button.click()
    assert Voice.open(voice.folder).active_version().version_id == "v1"
    assert page.try_panel.mode_label.text() == "Trained model v1"

    monkeypatch.setattr(dialogs, "choose_folder", lambda *_a: tmp_path / "out")
    page.versions_list.setCurrentRow(0)
    page.export_button.click()
    qtbot.waitUntil(lambda: not page.export_runner.is_running, timeout=20_000)
    assert sorted(p.suffix for p in (tmp_path / "out").iterdir()) == [".ckpt", ".pth", ".txt"]

    monkeypatch.setattr(QMessageBox, "question",
                        lambda *_a, **_k: QMessageBox.StandardButton.Yes)
    page.delete_button.click()
    assert [m.version_id for m in Voice.open(voice.folder).manifest.models] == ["v1"]
    assert page.versions_list.count() == 1


def test_a_run_whose_checks_are_off_shows_no_empty_checks_plot(make_window, with_models, qtbot):
    _voice(with_models)
    window, page = _page(make_window, qtbot)
    window.resize(1300, 900)
    window.show()
    page.run_card.show()
    qtbot.waitUntil(lambda: page.plots["scores"].isVisible())
    notice = TrainingProgress("s2", 1, 2, 0, 10, 4, {}, 0.0, None,
                              SCORING_OFF_TOO_FEW.format(count=5, needed=8),
                              notice=Notice.CHECKS_OFF)
    page._on_update(notice)  # as the run's worker delivers it
    assert page.plots["scores"].isHidden()
    assert page.plots["s2"].isVisible() and page.plots["s1"].isVisible()
    assert "Checkpoint checks are off" in page.log.toPlainText()  # the reason, in words
    page.curves = LossCurves()  # the next run listens again
    page._redraw()
    assert page.plots["scores"].isVisible()

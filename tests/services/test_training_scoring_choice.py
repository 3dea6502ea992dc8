"""Training judges checkpoints by listening when it can, and says so plainly when it cannot:
the optional speaker-check model never stands between a person and their trained voice."""

from __future__ import annotations

from voicestudio.project.library import VoiceLibrary
from voicestudio.services.checkpoint_scoring import ListeningScorer
from voicestudio.services.training import LossCurves, check_readiness, train_voice
from voicestudio.training.loop import TrainingProgress
from voicestudio.training.notices import Notice
from voicestudio.training.scoring import SCORING_OFF_TOO_FEW


class _Plan:
    device = "cpu"


class _Run:
    """The training itself, reduced to noting which scorer it was given."""

    plan, version_id = _Plan(), "run-1"

    def __init__(self) -> None:
        self.scorer: object = "not run"

    def run(self, progress, cancel, on_update, scorer):
        self.scorer = scorer
        return "version"


def test_without_the_speaker_model_training_keeps_the_last_checkpoint_and_says_so(with_models):
    voice = VoiceLibrary(with_models).create("Rose", ["en"])
    notices, run = [], _Run()

    assert train_voice(with_models, voice, run=run, on_update=notices.append) == "version"

    assert run.scorer is None
    [notice] = notices
    assert notice.notice == Notice.CHECKS_OFF  # the Train page and the CLI pick it by kind
    assert "speaker-check model is not installed" in notice.message
    assert "Base models" in notice.message
    notes = check_readiness(with_models, voice, "cpu").notes
    assert any("speaker-check model is not installed" in note for note in notes)


def test_with_the_speaker_model_each_checkpoint_is_judged_by_listening(
        tmp_path, install_speaker_encoder):
    install_speaker_encoder(tmp_path)
    voice = VoiceLibrary(tmp_path).create("Rose", ["en"])
    notices, run = [], _Run()

    train_voice(tmp_path, voice, run=run, on_update=notices.append)

    assert isinstance(run.scorer, ListeningScorer) and notices == []


def _report(message: str, losses: dict | None = None, scores: dict | None = None,
            notice: Notice = Notice.NONE):
    return TrainingProgress("s2", 1, 2, 3, 10, 4, losses or {}, 0.1, None, message,
                            scores or {}, notice)


def test_the_train_page_shows_no_checks_plot_for_a_run_whose_checks_are_off():
    curves = LossCurves()
    curves.add(_report("Epoch 1/2", {"mel": 1.0, "gen": 2.0, "d": 3.0}))
    assert curves.plots() == ["s2", "s1", "scores"]  # a run that listens shows its checks

    curves.add(_report(SCORING_OFF_TOO_FEW.format(count=5, needed=8),
                       notice=Notice.CHECKS_OFF))
    assert curves.plots() == ["s2", "s1"]
    assert curves.checks_off.startswith("Checkpoint checks are off")
    curves.add(_report("Text model (S1): no better for 3 checks, so this stage stops early",
                       notice=Notice.EARLY_STOP))  # another notice
    assert curves.plots() == ["s2", "s1"]
    assert curves.series("s2", "mel") == ([3.0], [1.0])  # the losses are kept as before


def test_a_scored_checkpoint_keeps_the_checks_plot():
    curves = LossCurves()
    curves.add(_report("Checkpoint 1 sounds 60% like them", scores={"similarity": 0.6,
                                                                     "wer": 0.1},
                       notice=Notice.SCORES))
    assert curves.plots() == ["s2", "s1", "scores"]
    assert curves.series("scores", "similarity") == ([1.0], [0.6])

"""Training judges checkpoints by listening when it can, and says so plainly when it cannot:
the optional speaker-check model never stands between a person and their trained voice."""

from __future__ import annotations

from voicestudio.project.library import VoiceLibrary
from voicestudio.services.checkpoint_scoring import ListeningScorer
from voicestudio.services.training import check_readiness, train_voice


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

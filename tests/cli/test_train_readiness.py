"""``voicestudio train`` runs the Train page's readiness check first: a voice that cannot be
trained is refused in one line (exit 2) before anything starts; what would make it better is
printed as warnings and training goes ahead."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))  # the shared voice fakes

from voice_fakes import add_segments  # noqa: E402

from voicestudio.cli import main  # noqa: E402
from voicestudio.errors import JobCancelled  # noqa: E402
from voicestudio.project.library import VoiceLibrary  # noqa: E402
from voicestudio.project.voice import ConsentRecord  # noqa: E402
from voicestudio.services import training  # noqa: E402


def _never_trains(*_args, **_kwargs):
    raise AssertionError("training started although the voice cannot be trained")


def test_a_voice_that_cannot_be_trained_is_refused_before_anything_starts(
        with_models, monkeypatch, capsys):
    voice = VoiceLibrary(with_models).create("Rose", ["en"])  # no consent, no recordings
    monkeypatch.setattr(training, "train_voice", _never_trains)
    assert main(["train", "Rose", "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: Cannot start: There is 0 seconds")
    assert not any((voice.folder / "models").glob("*"))  # no run was opened

    add_segments(voice, [(f"seg{i}", 4.0, f"Sentence number {i}.", True) for i in range(4)],
                 "en")
    assert main(["train", "Rose", "--device", "cpu"]) == 2
    assert capsys.readouterr().err.startswith("error: Cannot start: No consent is recorded")


def test_warnings_are_printed_and_training_goes_ahead(with_models, monkeypatch, capsys):
    voice = VoiceLibrary(with_models).create(
        "Rose", ["en"], ConsentRecord("Rose", "Rose", "I agree to clone my voice."))
    add_segments(voice, [(f"seg{i}", 4.0, f"Sentence number {i}.", True) for i in range(6)],
                 "en")
    started = []

    def pause_at_once(*args, **kwargs):
        started.append(kwargs["run"])
        raise JobCancelled("Training paused.")

    monkeypatch.setattr(training, "train_voice", pause_at_once)
    assert main(["train", "Rose", "--device", "cpu"]) == 130
    err = capsys.readouterr().err
    assert "warning: Usable but short: record 36 seconds more for better results." in err
    # No speaker-check model in this data folder: the person learns checkpoints go unjudged.
    assert "note: The speaker-check model is not installed" in err
    assert len(started) == 1

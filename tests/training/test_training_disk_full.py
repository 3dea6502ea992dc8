"""Training on a really full disk (a tmpfs that fills): a message, a paused run, no litter.

A disk that is full before the run leaves no half-made run folder; one that fills during the
run leaves the run paused with what it had saved, and it resumes to the end once there is
room.
"""

from __future__ import annotations

import pytest
from small_disk import fill, mounted_tmpfs
from tiny_training import TinyBaseModels, write_features

from voicestudio.errors import DiskFullError
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.voice import Voice
from voicestudio.training import batches
from voicestudio.training.run import TrainingPlan, TrainingRun

PLAN = TrainingPlan(preset="quick", s2_epochs=2, s1_epochs=1, device="cpu", s2_batch_size=4,
                    s1_batch_size=2, save_every_epoch=1)


@pytest.fixture(autouse=True)
def short_epochs(monkeypatch):
    monkeypatch.setattr(batches, "MIN_EPOCH_ITEMS", 8)


@pytest.fixture
def voice_on_small_disk(tmp_path):
    """A tiny voice with features on a 20 MB tmpfs (a run's exports and state need ~25 MB)."""
    with mounted_tmpfs(tmp_path, "20m") as mount:
        voice = VoiceLibrary(mount / "data").create("Tiny", ["en"])
        write_features(voice.folder)
        yield mount, Voice.open(voice.folder)


def test_a_full_disk_before_training_leaves_no_run_folder(voice_on_small_disk):
    disk, voice = voice_on_small_disk
    fill(disk)
    with pytest.raises(DiskFullError, match="Nothing was changed"):
        TrainingRun(voice, PLAN, "run", TinyBaseModels()).run()
    assert not (voice.folder / "models" / "run").exists()
    assert TrainingRun.unfinished(Voice.open(voice.folder)) == []


def test_a_disk_that_fills_during_training_pauses_the_run(voice_on_small_disk):
    disk, voice = voice_on_small_disk
    fillers = []

    def fill_after_the_first_step(update) -> None:
        if update.stage == "s2" and update.step == 1 and not fillers:
            fillers.append(fill(disk))

    with pytest.raises(DiskFullError) as caught:
        TrainingRun(voice, PLAN, "run", TinyBaseModels()).run(
            on_update=fill_after_the_first_step)
    assert fillers  # the disk really filled inside the run
    message = str(caught.value)
    assert "is full" in message and "“run” is paused" in message
    assert "Nothing was changed" not in message
    assert TrainingRun.unfinished(Voice.open(voice.folder)) == ["run"]

    fillers[0].unlink()
    resumed = TrainingRun.resume(Voice.open(voice.folder), disk / "data", "run",
                                 TinyBaseModels())
    version = resumed.run()
    assert (voice.folder / version.s2_path).is_file() and (voice.folder / version.s1_path).is_file()
    assert TrainingRun.unfinished(Voice.open(voice.folder)) == []

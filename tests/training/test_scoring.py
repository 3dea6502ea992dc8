"""Checkpoint scoring in a training run: held-out segments, the best checkpoint kept,
early stop, and the scores on the version (an injected scorer stands in for listening)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_training import TinyBaseModels, write_features

from voicestudio.project.library import VoiceLibrary
from voicestudio.project.voice import Voice
from voicestudio.training import batches
from voicestudio.training.notices import Notice
from voicestudio.training.run import TrainingPlan, TrainingRun
from voicestudio.training.run_files import read_scores
from voicestudio.training.scoring import CheckpointScore, held_out_ids


@pytest.fixture(autouse=True)
def short_epochs(monkeypatch):
    monkeypatch.setattr(batches, "MIN_EPOCH_ITEMS", 8)


class ScriptedScorer:
    """Returns scripted similarities per (stage, epoch) and remembers the S2 file's bytes
    at each check, to see which checkpoint ends up as the export."""

    def __init__(self, similarities: dict[tuple[str, int], float]) -> None:
        self.similarities = similarities
        self.held_out: list[str] = []
        self.checked: list[tuple[str, int]] = []
        self.s2_bytes: dict[int, bytes] = {}

    def prepare(self, voice_folder: Path, held_out) -> None:
        self.held_out = [f.segment_id for f in held_out]

    def score(self, stage, epoch, s2_path, s1_path):
        self.checked.append((stage, epoch))
        if stage == "s2":
            assert s1_path is None  # S1 is not trained yet: the base S1 speaks
            self.s2_bytes[epoch] = Path(s2_path).read_bytes()
        return CheckpointScore(self.similarities.get((stage, epoch), 0.5), 0.25)


def _voice(data_dir: Path) -> Voice:
    voice = VoiceLibrary(data_dir).create("Scored", ["en"])
    write_features(voice.folder, n_clips=8)
    return voice


def test_held_out_segments_are_spread_and_stable():
    ids = [f"clip{i:02d}" for i in range(12)]
    chosen = held_out_ids(list(reversed(ids)))
    assert chosen == held_out_ids(ids) and len(chosen) == 2
    assert set(chosen) < set(ids) and chosen[0] != chosen[1]
    assert held_out_ids(ids[:7]) == []  # too few to spare any


def test_too_few_recordings_to_spare_says_that_checks_are_off_and_why(isolated_user_dirs):
    """A person who recorded little must learn why no best checkpoint was chosen."""
    voice = VoiceLibrary(isolated_user_dirs).create("Short", ["en"])
    write_features(voice.folder, n_clips=5)
    scorer = ScriptedScorer({})
    plan = TrainingPlan(preset="quick", s2_epochs=1, s1_epochs=1, device="cpu",
                        s2_batch_size=4, s1_batch_size=4, save_every_epoch=1)
    updates = []
    run = TrainingRun.start(voice, plan, isolated_user_dirs, TinyBaseModels())
    version = run.run(on_update=updates.append, scorer=scorer)

    assert scorer.held_out == [] and scorer.checked == []  # all five trained, none scored
    notices = [u.message for u in updates if not u.losses]
    assert [u.notice for u in updates if not u.losses][0] == Notice.CHECKS_OFF
    assert notices[0].startswith("Checkpoint checks are off for this run: with only 5 segments")
    assert "With 8 or more, the best one is kept." in notices[0]
    assert version.scores == {}


def test_best_checkpoint_is_kept_and_a_stalled_stage_stops_early(isolated_user_dirs):
    voice = _voice(isolated_user_dirs)
    scorer = ScriptedScorer({("s2", 1): 0.5, ("s2", 2): 0.9, ("s2", 3): 0.7, ("s2", 4): 0.6,
                             ("s1", 1): 0.6, ("s1", 2): 0.8})
    plan = TrainingPlan(preset="quick", s2_epochs=6, s1_epochs=2, device="cpu",
                        s2_batch_size=4, s1_batch_size=4, save_every_epoch=1, patience=2)
    run = TrainingRun.start(voice, plan, isolated_user_dirs, TinyBaseModels())
    updates = []
    version = run.run(on_update=updates.append, scorer=scorer)

    assert len(scorer.held_out) == 2
    # what the CLI and the Train page pick notices by: their kind, not their words
    kinds = [u.notice for u in updates if not u.losses]
    assert kinds.count(Notice.SCORES) == 6 and kinds.count(Notice.LISTENING) == 6
    [stop] = [u for u in updates if u.notice == Notice.EARLY_STOP]
    assert stop.stage == "s2" and "stops early" in stop.message
    # Epochs 3 and 4 were no better than 2: S2 stopped there instead of running 6 epochs.
    assert scorer.checked == [("s2", 1), ("s2", 2), ("s2", 3), ("s2", 4), ("s1", 1), ("s1", 2)]
    assert (voice.folder / version.s2_path).read_bytes() == scorer.s2_bytes[2]
    assert version.scores == {"similarity": 0.8, "wer": 0.25}
    assert Voice.open(voice.folder).active_version().version_id == version.version_id
    records = read_scores(run.folder)
    assert [(r["stage"], r["epoch"], r["best"]) for r in records] == [
        ("s2", 1, False), ("s2", 2, True), ("s2", 3, False), ("s2", 4, False),
        ("s1", 1, False), ("s1", 2, True)]
    assert not list(run.folder.glob("*.best*"))  # the best copies were swapped in


def test_early_stop_off_trains_every_epoch_and_still_keeps_the_best(isolated_user_dirs):
    voice = _voice(isolated_user_dirs)
    scorer = ScriptedScorer({("s2", 1): 0.9, ("s2", 2): 0.5, ("s2", 3): 0.4})
    plan = TrainingPlan(preset="quick", s2_epochs=3, s1_epochs=1, device="cpu",
                        s2_batch_size=4, s1_batch_size=4, save_every_epoch=1, patience=1,
                        early_stop=False)
    version = TrainingRun.start(voice, plan, isolated_user_dirs, TinyBaseModels()).run(
        scorer=scorer)
    assert scorer.checked == [("s2", 1), ("s2", 2), ("s2", 3), ("s1", 1)]
    assert (voice.folder / version.s2_path).read_bytes() == scorer.s2_bytes[1]


def test_without_a_speech_recogniser_likeness_alone_ranks(isolated_user_dirs):
    voice = _voice(isolated_user_dirs)

    class LikenessOnly(ScriptedScorer):
        def score(self, stage, epoch, s2_path, s1_path):
            return CheckpointScore(super().score(stage, epoch, s2_path, s1_path).similarity,
                                   None)

    scorer = LikenessOnly({("s2", 1): 0.4, ("s2", 2): 0.6, ("s1", 1): 0.7})
    plan = TrainingPlan(preset="quick", s2_epochs=2, s1_epochs=1, device="cpu",
                        s2_batch_size=4, s1_batch_size=4, save_every_epoch=1)
    version = TrainingRun.start(voice, plan, isolated_user_dirs, TinyBaseModels()).run(
        scorer=scorer)
    assert version.scores == {"similarity": 0.7}  # no WER claimed that was never measured

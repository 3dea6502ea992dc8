"""TrainingRun end to end with tiny models: cancel/resume equality, exports, OOM, bad data."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from tiny_training import TinyBaseModels, write_features

from voicestudio.errors import JobCancelled, MissingModelError, UserInputError
from voicestudio.jobs import CancelToken
from voicestudio.models.s1 import SamplingParams, decode, load_s1_checkpoint
from voicestudio.models.s2 import load_s2_checkpoint
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.voice import Voice
from voicestudio.training import batches
from voicestudio.training.batches import TrainingDataError
from voicestudio.training.feature_store import FeatureStore
from voicestudio.training.loop import TrainingProgress
from voicestudio.training.run import TrainingPlan, TrainingRun
from voicestudio.training.s2 import S2FineTuner
from voicestudio.training.state import load_training_state

PLAN = TrainingPlan(preset="quick", s2_epochs=2, s1_epochs=2, device="cpu", s2_batch_size=4,
                    s1_batch_size=2, save_every_epoch=1)
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def short_epochs(monkeypatch):
    """8 items per epoch (4 clips x 2) instead of upstream's 100, to keep the suite fast."""
    monkeypatch.setattr(batches, "MIN_EPOCH_ITEMS", 8)


def new_voice(data_dir: Path, name: str) -> Voice:
    voice = VoiceLibrary(data_dir).create(name, ["en"])
    write_features(voice.folder)
    return voice


class Recorder:
    """Collects step reports; optionally cancels once a given (stage, step) was reported."""

    def __init__(self, cancel_at: tuple[str, int] | None = None) -> None:
        self.cancel = CancelToken()
        self.cancel_at = cancel_at
        self.updates: list[TrainingProgress] = []

    def __call__(self, update: TrainingProgress) -> None:
        self.updates.append(update)
        if (update.stage, update.step) == self.cancel_at:
            self.cancel.cancel()

    def steps(self) -> dict[tuple[str, int], dict[str, float]]:
        return {(u.stage, u.step): u.losses for u in self.updates if u.losses}


def test_cancel_then_resume_continues_with_identical_losses(isolated_user_dirs: Path) -> None:
    straight = Recorder()
    voice_a = new_voice(isolated_user_dirs, "Straight")
    TrainingRun(voice_a, PLAN, "run", TinyBaseModels()).run(cancel=straight.cancel,
                                                             on_update=straight)
    expected = straight.steps()
    assert len([k for k in expected if k[0] == "s2"]) == 4  # 2 epochs x 8 items / batch 4
    assert len([k for k in expected if k[0] == "s1"]) == 8  # 2 epochs x 8 items / batch 2

    voice_b = new_voice(isolated_user_dirs, "Paused")
    first = Recorder(cancel_at=("s2", 3))  # mid-epoch 2 of S2
    with pytest.raises(JobCancelled):
        TrainingRun(voice_b, PLAN, "run", TinyBaseModels()).run(cancel=first.cancel,
                                                                 on_update=first)
    saved = load_training_state(voice_b.folder / "models/run/state/s2.pt")
    assert saved["position"]["step"] == 3 and saved["position"]["item"] == 4

    second = Recorder(cancel_at=("s1", 6))  # S1 mid-accumulation (updates after batch 4)
    with pytest.raises(JobCancelled):
        TrainingRun.resume(voice_b, isolated_user_dirs, base_models=TinyBaseModels()).run(
            cancel=second.cancel, on_update=second)
    third = Recorder()
    version = TrainingRun.resume(voice_b, isolated_user_dirs, base_models=TinyBaseModels()).run(
        cancel=third.cancel, on_update=third)

    resumed = {**first.steps(), **second.steps(), **third.steps()}
    assert min(k[1] for k in second.steps() if k[0] == "s2") == 4  # continued, not restarted
    assert min(k[1] for k in third.steps()) == 7
    assert resumed == expected  # every loss of every step, bit for bit
    a = load_s1_checkpoint(voice_a.folder / "models/run/s1.ckpt").model.state_dict()
    b = load_s1_checkpoint(voice_b.folder / version.s1_path).model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not (voice_b.folder / "models/run/state").exists()  # removed once registered
    history = TrainingRun(Voice.open(voice_b.folder), PLAN, "run", TinyBaseModels()).loss_history()
    assert history["s2"] == [expected[("s2", i)] for i in range(1, 5)]
    assert history["s1"] == [expected[("s1", i)] for i in range(1, 9)]
    assert TrainingRun.unfinished(Voice.open(voice_b.folder)) == []


def test_run_registers_a_version_whose_exports_synthesise(tiny_voice: Voice,
                                                          isolated_user_dirs: Path) -> None:
    messages = []
    run = TrainingRun.start(tiny_voice, PLAN, isolated_user_dirs, TinyBaseModels())
    version = run.run(progress=messages.append)
    voice = Voice.open(tiny_voice.folder)
    assert voice.latest_model() == version
    assert version.preset == "quick" and version.data_seconds == pytest.approx(4 + 1.2, abs=0.05)
    assert messages[-1].fraction == pytest.approx(1.0)
    assert any("epoch 2/2" in m.message and m.eta_seconds is not None for m in messages)

    s2 = load_s2_checkpoint(voice.folder / version.s2_path)
    assert s2.info == "2epoch_4iteration" and not s2.has_posterior
    features = FeatureStore(voice.folder).load("clip0")
    codes = s2.generator.extract_latent(torch.from_numpy(features.ssl).float()[None])
    phones = torch.from_numpy(features.phone_ids)[None]
    refer = torch.rand(1, 1025, 60)
    audio = s2.generator.decode(codes.transpose(0, 1), phones, refer)
    assert audio.shape[-1] == codes.shape[-1] * 2 * 640 and torch.isfinite(audio).all()

    s1 = load_s1_checkpoint(voice.folder / version.s1_path)
    assert s1.info == "GPT-e2"
    result = decode(s1.model, torch.from_numpy(features.phone_ids),
                    torch.from_numpy(features.bert).float(), codes[0, 0, :5],
                    SamplingParams(top_k=5), seed=1)
    assert len(result.tokens) > 0 and int(result.tokens.max()) < 1024


def test_gpu_out_of_memory_halves_the_batch(tiny_voice: Voice, isolated_user_dirs: Path,
                                            monkeypatch) -> None:
    """Simulated: CPU-only test machine; the step raises torch.OutOfMemoryError as CUDA does."""
    real_step = S2FineTuner.train_step

    def step_needing_small_batches(self, indices, batch_index):
        if len(indices) > 1:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real_step(self, indices, batch_index)

    monkeypatch.setattr(S2FineTuner, "train_step", step_needing_small_batches)
    plan = TrainingPlan(s2_epochs=1, s1_epochs=1, device="cpu", s2_batch_size=4, s1_batch_size=4)
    updates: list[TrainingProgress] = []
    TrainingRun.start(tiny_voice, plan, isolated_user_dirs, TinyBaseModels()).run(
        on_update=updates.append)
    notices = [u.message for u in updates if u.stage == "s2" and not u.losses]
    assert notices == [
        "The GPU ran out of memory; continuing with batch size 2.",
        "The GPU ran out of memory; continuing with batch size 1.",
    ]
    s2_steps = [u for u in updates if u.stage == "s2" and u.losses]
    assert len(s2_steps) == 8 and all(u.batch_size == 1 for u in s2_steps)


def test_out_of_memory_at_batch_one_is_a_message(tiny_voice: Voice, isolated_user_dirs: Path,
                                                 monkeypatch) -> None:
    def always_oom(self, indices, batch_index):
        raise torch.OutOfMemoryError("CUDA out of memory")

    monkeypatch.setattr(S2FineTuner, "train_step", always_oom)
    plan = TrainingPlan(s2_epochs=1, s1_epochs=1, device="cpu", s2_batch_size=1)
    run = TrainingRun.start(tiny_voice, plan, isolated_user_dirs, TinyBaseModels())
    with pytest.raises(UserInputError, match="ran out of memory even with one clip") as caught:
        run.run()
    assert "--device cpu" in str(caught.value)  # says what to do, not only what went wrong


def test_empty_or_unusable_datasets_give_actionable_messages(isolated_user_dirs: Path) -> None:
    library = VoiceLibrary(isolated_user_dirs)
    empty = library.create("Empty", ["en"])
    with pytest.raises(TrainingDataError, match="no prepared training data"):
        TrainingRun.start(empty, PLAN, isolated_user_dirs, TinyBaseModels()).run()

    short = library.create("Short", ["en"])
    write_features(short.folder, n_clips=2)
    for path in (short.folder / "segments").glob("*.wav"):
        sf.write(path, np.zeros(8000, np.float32), 32000)  # 0.25 s
    with pytest.raises(TrainingDataError, match="between 0.6 and 54 seconds"):
        TrainingRun.start(short, PLAN, isolated_user_dirs, TinyBaseModels()).run()

    mismatched = library.create("Mismatched", ["en"])
    write_features(mismatched.folder, n_clips=2)
    store = FeatureStore(mismatched.folder)
    for segment_id in store.segment_ids():
        feat = store.load(segment_id)
        feat.phone_ids = feat.phone_ids[:1]  # one phone for a whole second: a wrong transcript
        feat.bert = feat.bert[:, :1]
        store.save(feat)
    with pytest.raises(TrainingDataError, match="Check the transcripts"):
        TrainingRun.start(mismatched, PLAN, isolated_user_dirs, TinyBaseModels()).run()
    assert not list(mismatched.folder.glob("models/*/state/s2.pt"))  # failed before training


def test_missing_base_models_say_how_to_install(tiny_voice: Voice,
                                                isolated_user_dirs: Path) -> None:
    with pytest.raises(MissingModelError, match="voicestudio models download"):
        TrainingRun.start(tiny_voice, PLAN, isolated_user_dirs)


KILL_SCRIPT = """
import os, sys, time
sys.path[:0] = [{tests!r}, {repo!r}]
from pathlib import Path
from tiny_training import TinyBaseModels
from voicestudio.project.voice import Voice
from voicestudio.training import batches
from voicestudio.training import run as run_module
from voicestudio.training.run import TrainingPlan, TrainingRun
batches.MIN_EPOCH_ITEMS = 8
run_module.STATE_SAVE_INTERVAL_S = 0  # a full state after every step
import torch
torch.set_num_threads(1)
voice = Voice.open(Path({folder!r}))
plan = TrainingPlan(s2_epochs=2, s1_epochs=1, device="cpu", s2_batch_size=4, s1_batch_size=4,
                    save_every_epoch=1)

def hang_in_next_save(update):
    if update.stage == "s2" and update.step == 3:  # step 2's state is on disk by now
        real_fsync = os.fsync
        def fsync_hanging_on_state(fd):
            if ".s2.pt." in os.readlink(f"/proc/self/fd/{{fd}}"):
                Path({marker!r}).write_text("saving")
                time.sleep(600)
            real_fsync(fd)
        os.fsync = fsync_hanging_on_state

TrainingRun(voice, plan, "run", TinyBaseModels()).run(on_update=hang_in_next_save)
"""


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to spot the file")
def test_killed_while_saving_leaves_the_previous_state(tiny_voice: Voice, tmp_path: Path,
                                                       isolated_user_dirs: Path) -> None:
    marker = tmp_path / "saving"
    script = KILL_SCRIPT.format(tests=str(Path(__file__).parent), repo=str(REPO),
                                folder=str(tiny_voice.folder), marker=str(marker))
    proc = subprocess.Popen([sys.executable, "-c", script], env={**os.environ})
    try:
        deadline = time.monotonic() + 240
        while not marker.exists():
            assert proc.poll() is None, "the training process ended before saving"
            assert time.monotonic() < deadline
            time.sleep(0.2)
        time.sleep(0.5)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()

    state_dir = tiny_voice.folder / "models/run/state"
    assert list(state_dir.glob(".s2.pt.*.tmp")), "the kill should have hit a save in progress"
    state = load_training_state(state_dir / "s2.pt")
    assert state["position"]["epoch"] == 2 and state["position"]["item"] == 0
    assert load_s2_checkpoint(tiny_voice.folder / "models/run/s2.pth").info == "1epoch_2iteration"

    run = TrainingRun.resume(tiny_voice, isolated_user_dirs, base_models=TinyBaseModels())
    version = run.run()
    assert not list(state_dir.glob("*"))
    assert load_s2_checkpoint(tiny_voice.folder / version.s2_path).info == "2epoch_4iteration"


def test_resume_refuses_a_dataset_rebuilt_in_between(tiny_voice: Voice,
                                                     isolated_user_dirs: Path) -> None:
    recorder = Recorder(cancel_at=("s2", 1))
    with pytest.raises(JobCancelled):
        TrainingRun(tiny_voice, PLAN, "run", TinyBaseModels()).run(cancel=recorder.cancel,
                                                                   on_update=recorder)
    store = FeatureStore(tiny_voice.folder)
    changed = store.load("clip0")
    changed.fingerprint = "transcript fixed"
    store.save(changed)
    run = TrainingRun.resume(tiny_voice, isolated_user_dirs, base_models=TinyBaseModels())
    with pytest.raises(UserInputError, match="dataset changed since this training run started"):
        run.run()

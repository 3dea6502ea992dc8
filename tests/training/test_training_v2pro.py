"""Fine-tuning a v2Pro voice: the S2 trains on each clip's SV vector and exports with its marker."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from tiny_training import TinyBaseModels, write_features

from voicestudio.models.s2 import load_s2_checkpoint
from voicestudio.models.s2.config import TINY_SV_DIM
from voicestudio.models.s2.pro_generator import SoVITSProGenerator
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.voice import Voice
from voicestudio.training import batches
from voicestudio.training.batches import TrainingDataError
from voicestudio.training.run import TrainingPlan, TrainingRun

PLAN = TrainingPlan(preset="quick", s2_epochs=1, s1_epochs=1, device="cpu", s2_batch_size=4,
                    s1_batch_size=4, save_every_epoch=1)


@pytest.fixture(autouse=True)
def short_epochs(monkeypatch):
    monkeypatch.setattr(batches, "MIN_EPOCH_ITEMS", 4)


def test_v2pro_voice_trains_exports_with_marker_and_remembers_family(
    isolated_user_dirs: Path,
) -> None:
    voice = VoiceLibrary(isolated_user_dirs).create("Pro", ["en"])
    write_features(voice.folder, sv_dim=TINY_SV_DIM)
    base = TinyBaseModels(version="v2Pro")
    version = TrainingRun.start(voice, PLAN, isolated_user_dirs, base).run()

    s2_file = voice.folder / version.s2_path
    assert s2_file.read_bytes()[:2] == b"05"  # upstream reads it as v2Pro, not v2
    loaded = load_s2_checkpoint(s2_file)
    assert isinstance(loaded.generator, SoVITSProGenerator) and not loaded.has_posterior
    trained = loaded.generator.state_dict()
    fresh = base.s2().generator.state_dict()
    # the SV fusion is trained, not left at the base model's values
    for key in ("sv_emb.weight", "prelu.weight", "ge_to512.weight"):
        assert not torch.equal(trained[key].float(), fresh[key].half().float()), key
    assert Voice.open(voice.folder).manifest.model_family == "v2Pro"


def test_dataset_without_sv_vectors_is_refused_for_v2pro(isolated_user_dirs: Path) -> None:
    voice = VoiceLibrary(isolated_user_dirs).create("Old", ["en"])
    write_features(voice.folder)  # prepared for v2: no SV vectors
    run = TrainingRun.start(voice, PLAN, isolated_user_dirs, TinyBaseModels(version="v2Pro"))
    with pytest.raises(TrainingDataError, match="prepare it again"):
        run.run()

"""Base models for fine-tuning: discriminator files, and the registry's tiny set end to end."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import torch
from tiny_training import write_features

from voicestudio.errors import CorruptFileError
from voicestudio.models.s2.discriminator import MultiPeriodDiscriminator, load_discriminator
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.voice import Voice
from voicestudio.training import batches
from voicestudio.training.base_models import hub_base_models
from voicestudio.training.run import TrainingPlan, TrainingRun


def save(path: Path, obj: object) -> Path:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    path.write_bytes(buffer.getvalue())
    return path


def test_discriminator_files_load_with_their_periods(tmp_path: Path) -> None:
    torch.manual_seed(0)
    original = MultiPeriodDiscriminator((2,))
    state = original.state_dict()
    pretrained = save(tmp_path / "s2D.pth", {"weight": {k: v.half() for k, v in state.items()}})
    loaded = load_discriminator(pretrained)
    assert loaded.periods == (2,)
    assert all(torch.equal(v.half().float(), loaded.state_dict()[k]) for k, v in state.items())

    training = save(tmp_path / "D_100.pth", {"model": state, "iteration": 100})
    assert torch.equal(load_discriminator(training).state_dict()["discriminators.1.conv_post"
                                                                 ".weight_v"],
                       state["discriminators.1.conv_post.weight_v"])

    broken = dict(state)
    broken.pop("discriminators.0.conv_post.bias")
    with pytest.raises(CorruptFileError, match="does not match"):
        load_discriminator(save(tmp_path / "bad.pth", {"weight": broken}))
    with pytest.raises(CorruptFileError, match="not a SoVITS discriminator"):
        load_discriminator(save(tmp_path / "other.pth", {"something": 1}))


@pytest.mark.slow
def test_training_with_the_registry_tiny_set_and_the_real_discriminator(
    isolated_user_dirs: Path, monkeypatch
) -> None:
    """The production path: base models from the registry, the full-size discriminator."""
    from voicestudio.synthesis.tiny_models import install_tiny_base_models

    install_tiny_base_models(isolated_user_dirs)
    monkeypatch.setattr(batches, "MIN_EPOCH_ITEMS", 2)
    voice = VoiceLibrary(isolated_user_dirs).create("Real D", ["en"])
    write_features(voice.folder, n_clips=2)
    plan = TrainingPlan(s2_epochs=1, s1_epochs=1, device="cpu", s2_batch_size=4,
                        s1_batch_size=4)
    version = TrainingRun.start(voice, plan, isolated_user_dirs).run()
    assert Voice.open(voice.folder).latest_model() == version
    assert isinstance(hub_base_models(isolated_user_dirs).discriminator(),
                      MultiPeriodDiscriminator)

    # `voicestudio speak --voice NAME` picks the trained version up
    import sys

    import soundfile as sf

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from speech import espeak_speech

    from voicestudio.cli import main

    audio, rate = espeak_speech("This is the reference recording of my voice, spoken slowly.")
    sf.write(isolated_user_dirs / "ref.wav", audio, rate)
    out = isolated_user_dirs / "out.wav"
    assert main(["speak", "--voice", "Real D", "--ref", str(isolated_user_dirs / "ref.wav"),
                 "--ref-text", "This is the reference recording of my voice, spoken slowly.",
                 "--text", "Hello there.", "--lang", "en", "--device", "cpu", "--seed", "1",
                 "-o", str(out)]) == 0
    assert sf.info(out).frames > 0

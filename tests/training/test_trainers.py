"""The two fine-tuners on their own: losses fall on one small batch; optimiser; LoRA export."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import torch
from tiny_training import TinyBaseModels

from voicestudio.models.s1 import load_s1_checkpoint
from voicestudio.project.voice import Voice
from voicestudio.training.batches import (
    collate_s1,
    epoch_order,
    load_segment_features,
    s1_examples,
    s2_examples,
)
from voicestudio.training.s1 import S1FineTuner, S1Recipe
from voicestudio.training.s2 import (
    S2FineTuner,
    S2Recipe,
    generator_param_groups,
    spectrogram_config,
)
from voicestudio.training.scaled_adam import ScaledAdam

CPU = torch.device("cpu")


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def test_s2_losses_fall_when_overfitting_one_batch(tiny_voice: Voice) -> None:
    models = TinyBaseModels()
    base = models.s2()
    examples = s2_examples(tiny_voice.folder, load_segment_features(tiny_voice.folder),
                           spectrogram_config(base.generator), base.generator.config.segment_frames)
    trainer = S2FineTuner(base.generator, models.discriminator(), examples, CPU, base.hparams,
                          recipe=S2Recipe(learning_rate=1e-3))
    trainer.begin_epoch(1)
    torch.manual_seed(0)
    history = [trainer.train_step([0, 1], i) for i in range(16)]
    mel = [h["mel"] for h in history]
    total = [h["g"] for h in history]
    print("S2 mel:", [round(m, 1) for m in mel], "G total:", [round(g, 1) for g in total])
    assert mean(mel[-4:]) < 0.9 * mean(mel[:4])
    assert mean(total[-4:]) < mean(total[:4])
    assert all(torch.isfinite(torch.tensor(list(h.values()))).all() for h in history)


def test_s2_recipe_groups_and_frozen_codebook() -> None:
    generator = TinyBaseModels().s2().generator
    base, text_side = generator_param_groups(generator, S2Recipe())
    assert base["lr"] == 1e-4 and text_side["lr"] == pytest.approx(0.4e-4)
    text_ids = {id(p) for p in text_side["params"]}
    for prefix in ("enc_p.text_embedding", "enc_p.encoder_text", "enc_p.mrte"):
        module = generator.get_submodule(prefix)
        assert all(id(p) in text_ids for p in module.parameters())
    everything = {id(p) for p in base["params"]} | text_ids
    assert not any(id(p) in everything for p in generator.quantizer.parameters())
    assert any(id(p) in everything for p in generator.ssl_proj.parameters())  # as upstream
    codebook = generator.quantizer.state_dict()
    trainer = S2FineTuner(generator, TinyBaseModels().discriminator(), [], CPU,
                          generator.config.to_hparams())
    assert not trainer.generator.quantizer.training
    trainer.begin_epoch(3)
    assert trainer.optim_g.param_groups[0]["lr"] == pytest.approx(1e-4 * 0.999875**3)
    assert all(torch.equal(v, generator.quantizer.state_dict()[k]) for k, v in codebook.items())


def test_s1_loss_falls_when_overfitting_one_batch(tiny_voice: Voice) -> None:
    loaded = TinyBaseModels().s1()
    examples = s1_examples(load_segment_features(tiny_voice.folder))
    trainer = S1FineTuner(loaded.model, examples, CPU, loaded.upstream_config,
                          recipe=S1Recipe(accumulate=1))
    torch.manual_seed(0)
    losses = [trainer.train_step([0, 1], i + 1)["loss_per_token"] for i in range(60)]
    print("S1 CE per token:", [round(x, 2) for x in losses[::5]])
    assert mean(losses[-5:]) < 0.9 * mean(losses[:5])
    assert trainer.optim.param_groups[0]["lr"] == 0.002  # after the first update at 0.01


def test_s1_accumulates_four_batches_like_upstream(tiny_voice: Voice) -> None:
    loaded = TinyBaseModels().s1()
    trainer = S1FineTuner(loaded.model, s1_examples(load_segment_features(tiny_voice.folder)),
                          CPU, loaded.upstream_config)
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    for batch_index in range(4):  # batches 0..3: gradients only
        trainer.train_step([0], batch_index)
    assert trainer.updates == 0 and all(
        torch.equal(before[k], v) for k, v in trainer.model.state_dict().items())
    assert trainer.optim.param_groups[0]["lr"] == 0.01
    trainer.train_step([0], 4)  # batch 4: the first update (5 batches of gradients)
    assert trainer.updates == 1
    assert not torch.equal(before["ar_predict_layer.weight"],
                           trainer.model.state_dict()["ar_predict_layer.weight"])


def test_s1_lora_trains_adapters_and_exports_a_plain_checkpoint(tiny_voice: Voice,
                                                                tmp_path: Path) -> None:
    loaded = TinyBaseModels().s1()
    base_weights = {k: v.clone() for k, v in loaded.model.state_dict().items()}
    examples = s1_examples(load_segment_features(tiny_voice.folder))
    trainer = S1FineTuner(loaded.model, examples, CPU, loaded.upstream_config, lora_rank=4,
                          recipe=S1Recipe(accumulate=1))
    trainable = [n for n, p in trainer.lora.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    torch.manual_seed(0)
    losses = [trainer.train_step([0, 1], i + 1)["loss_per_token"] for i in range(20)]
    assert mean(losses[-4:]) < mean(losses[:4])

    trainer.export(tmp_path / "lora.ckpt", 1, 20)
    exported = load_s1_checkpoint(tmp_path / "lora.ckpt")  # strict key-by-key loader
    state = exported.model.state_dict()
    assert state.keys() == base_weights.keys()
    changed = [k for k in state if not torch.equal(state[k], base_weights[k].half().float())]
    assert changed and all(k.endswith(("out_proj.weight", "linear1.weight", "linear2.weight"))
                           for k in changed)
    # the merged weights compute what the adapted model computes
    batch = collate_s1(examples[:2], exported.config.eos)
    args = (batch.phone_ids, batch.phone_lens, batch.semantic_ids, batch.semantic_lens, batch.bert)
    trainer.model.eval()
    with torch.no_grad():
        adapted = trainer.model.teacher_forced(*args).logits
        merged = exported.model.teacher_forced(*args).logits
    assert torch.allclose(adapted, merged, atol=0.05)


def test_scaled_adam_moves_tensors_relative_to_their_size_and_round_trips() -> None:
    torch.manual_seed(0)
    big = torch.nn.Parameter(torch.randn(8, 8) * 10)
    small = torch.nn.Parameter(torch.randn(8, 8) * 0.01)
    scalar = torch.nn.Parameter(torch.ones(1))
    optim = ScaledAdam([big, small, scalar], lr=0.002)
    start = [big.detach().clone(), small.detach().clone(), scalar.detach().clone()]
    for _ in range(10):
        optim.zero_grad()
        (big.sum() + small.sum() + (scalar - 3) ** 2).sum().backward()
        optim.step()
    moved_big = float((big.detach() - start[0]).abs().mean() / start[0].abs().mean())
    moved_small = float((small.detach() - start[1]).abs().mean() / start[1].abs().mean())
    assert moved_big == pytest.approx(moved_small, rel=0.5)  # same relative step size
    assert float(scalar.detach()) > 1.0  # scalars follow plain Adam towards the minimum at 3

    buffer = io.BytesIO()
    torch.save(optim.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)
    clone = ScaledAdam([torch.nn.Parameter(big.detach().clone()),
                        torch.nn.Parameter(small.detach().clone()),
                        torch.nn.Parameter(scalar.detach().clone())], lr=0.002)
    clone.load_state_dict(state)
    assert clone.state_dict()["state"][0]["step"] == 10


def test_epoch_order_is_a_pure_function_of_seed_and_epoch() -> None:
    assert epoch_order(4, 3, 1234) == epoch_order(4, 3, 1234)
    assert epoch_order(4, 3, 1234) != epoch_order(4, 4, 1234)
    assert sorted(epoch_order(4, 1, 1)) == sorted(list(range(4)) * 25)  # upstream's >= 100
    assert len(epoch_order(150, 1, 1)) == 150


def test_s1_lora_state_resumes_to_the_same_next_step(tiny_voice: Voice) -> None:
    examples = s1_examples(load_segment_features(tiny_voice.folder))

    def fresh() -> S1FineTuner:
        loaded = TinyBaseModels().s1()
        return S1FineTuner(loaded.model, examples, CPU, loaded.upstream_config, lora_rank=4)

    trainer = fresh()
    torch.manual_seed(0)
    for batch_index in range(6):  # one update after batch 4, then gradients pending
        trainer.train_step([0, 1], batch_index)
    buffer = io.BytesIO()
    torch.save(trainer.state_dict(), buffer)
    rng = torch.get_rng_state()
    expected = [trainer.train_step([2, 3], b) for b in (6, 7, 8)]

    buffer.seek(0)
    resumed = fresh()
    resumed.load_state_dict(torch.load(buffer, weights_only=True))
    torch.set_rng_state(rng)
    assert [resumed.train_step([2, 3], b) for b in (6, 7, 8)] == expected


def test_training_works_after_synthesis_in_the_same_process(tiny_voice: Voice) -> None:
    """Synthesis runs in inference mode and warms the spectrogram caches; training after it
    (the app does both) must not trip over cached inference tensors."""
    from voicestudio.models import spectrogram
    from voicestudio.models.spectrogram import mel_spectrogram

    spectrogram._hann_window.cache_clear()  # as in a fresh app process
    spectrogram._mel_filterbank.cache_clear()
    models = TinyBaseModels()
    base = models.s2()
    cfg = spectrogram_config(base.generator)
    with torch.inference_mode():
        mel_spectrogram(torch.randn(1, 32000), cfg)
    examples = s2_examples(tiny_voice.folder, load_segment_features(tiny_voice.folder), cfg,
                           base.generator.config.segment_frames)
    trainer = S2FineTuner(base.generator, models.discriminator(), examples, CPU, base.hparams)
    assert torch.isfinite(torch.tensor(trainer.train_step([0], 0)["g"]))


def test_fp16_autocast_and_grad_scaler_path(tiny_voice: Voice) -> None:
    """The CUDA recipe (fp16 autocast + GradScaler), run on the CPU's fp16 autocast since no
    GPU is available to the tests: dtypes flow through both stages and the scaler's state
    is part of the saved state."""
    features = load_segment_features(tiny_voice.folder)
    models = TinyBaseModels()
    base = models.s2()
    s2 = S2FineTuner(base.generator, models.discriminator(),
                     s2_examples(tiny_voice.folder, features, spectrogram_config(base.generator),
                                 base.generator.config.segment_frames),
                     CPU, base.hparams, use_amp=True)
    s2.begin_epoch(1)
    losses = [s2.train_step([0, 1], i) for i in range(2)]
    assert all(torch.isfinite(torch.tensor(list(h.values()))).all() for h in losses)
    assert s2.state_dict()["scaler"]["scale"] <= 65536.0

    loaded = models.s1()
    s1 = S1FineTuner(loaded.model, s1_examples(features), CPU, loaded.upstream_config,
                     use_amp=True)
    for batch_index in range(5):
        s1.train_step([0, 1], batch_index)
    state = s1.state_dict()
    assert state["scaler"] and s1.updates == 1
    again = S1FineTuner(models.s1().model, s1_examples(features), CPU, loaded.upstream_config,
                        use_amp=True)
    again.load_state_dict(state)
    assert again.scaler.get_scale() == s1.scaler.get_scale()

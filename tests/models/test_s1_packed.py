"""The packed S1 decoder computes the model's function: fp32 to 1e-5, bf16 and int8 to their
top-1 bound."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from voicestudio.errors import UserInputError
from voicestudio.models.int8 import Int8Linear, quantize_linears
from voicestudio.models.s1 import (
    KVCache,
    S1Config,
    SamplingParams,
    decode,
    random_s1_model,
    tiny_s1_config,
)
from voicestudio.models.s1 import packed as packed_module
from voicestudio.models.s1.packed import (
    MIN_TOP1_AGREEMENT,
    WeightFormat,
    inference_format,
    packed_for,
    top1_agreement,
    weight_format,
)


@pytest.fixture(scope="module")
def model():
    return random_s1_model(tiny_s1_config(), seed=5).eval()


def _left_padded_batch(lengths: list[int], seed: int):
    gen = torch.Generator().manual_seed(seed)
    width = max(lengths)
    phone_ids = torch.zeros(len(lengths), width, dtype=torch.long)
    bert = torch.zeros(len(lengths), 1024, width)
    for row, n in enumerate(lengths):
        phone_ids[row, width - n :] = torch.randint(0, 732, (n,), generator=gen)
        bert[row, :, width - n :] = 0.3 * torch.randn(1024, n, generator=gen)
    text_ok = phone_ids.new_ones(phone_ids.shape, dtype=torch.bool)
    for row, n in enumerate(lengths):
        text_ok[row, : width - n] = False
    return phone_ids, bert, text_ok


@torch.inference_mode()
def test_packed_fp32_prefill_and_steps_equal_the_model_within_1e_5(model):
    phone_ids, bert, text_ok = _left_padded_batch([9, 5, 7], seed=1)
    prompt = torch.randint(0, 1024, (3, 6), generator=torch.Generator().manual_seed(2))
    packed = packed_for(model)
    capacity = phone_ids.shape[1] + 6 + 20
    want_cache, got_cache = KVCache(model.config.n_layer), KVCache(model.config.n_layer, capacity)
    want = model.prefill(phone_ids, bert, text_ok, prompt, want_cache)
    got = packed.prefill(phone_ids, bert, text_ok, prompt, got_cache)
    keys_before = got_cache.layers[0].keys.data_ptr()
    for step in range(20):
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
        newest = want.argmax(dim=-1, keepdim=True)  # (B, 1): the same token into both
        n_keys = phone_ids.shape[1] + 6 + step + 1
        keys_ok = torch.cat([text_ok, text_ok.new_ones(3, n_keys - text_ok.shape[1])], dim=1)
        want = model.step(newest, 6 + step, keys_ok, want_cache)
        got = packed.step(newest, 6 + step, keys_ok, got_cache)
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    # the static cache was written in place: one buffer for the whole decode, never regrown
    assert got_cache.layers[0].keys.data_ptr() == keys_before
    assert got_cache.layers[0].keys.shape[2] == capacity


def test_packing_is_reused_until_the_weights_change(model):
    first = packed_for(model, "int8")
    assert packed_for(model, "int8") is first
    trained = random_s1_model(tiny_s1_config(), seed=6).eval()
    before = packed_for(trained, "int8")
    with torch.no_grad():
        trained.h.layers[0].linear1.weight.mul_(2.0)  # e.g. a training step in place
    assert packed_for(trained, "int8") is not before


def test_unknown_weight_format_is_a_user_error():
    with pytest.raises(UserInputError, match="fp32"):
        weight_format("fp4")


def test_int8_linear_stays_within_its_rounding_of_the_fp32_product():
    torch.manual_seed(0)
    linear = nn.Linear(64, 48)
    x = torch.randn(5, 3, 64)
    with torch.inference_mode():
        want, got = linear(x), Int8Linear.from_linear(linear)(x)
    assert got.shape == want.shape and got.dtype == want.dtype
    # int8 weight (1/254 of each row's range) and bf16 activations: about 1 % of the scale
    assert (got - want).abs().max() <= 0.02 * want.abs().max()


def test_quantize_linears_replaces_every_linear_in_a_tree():
    tree = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Sequential(nn.Linear(8, 4)))
    assert quantize_linears(tree) == 2
    assert not any(isinstance(m, nn.Linear) for m in tree.modules())
    with torch.inference_mode():
        assert tree(torch.randn(2, 8)).shape == (2, 4)


def _random_cases(seed: int, n: int, n_text: int, n_audio: int):
    gen = torch.Generator().manual_seed(seed)
    return [(torch.randint(0, 732, (n_text,), generator=gen),
             0.1 * torch.randn(1024, n_text, generator=gen),
             torch.randint(0, 1024, (n_audio,), generator=gen)) for _ in range(n)]


@pytest.mark.parametrize("fmt", ["bf16", "int8"])
def test_reduced_format_top1_agreement_on_a_small_random_model(model, fmt):
    assert top1_agreement(model, fmt, _random_cases(3, 4, 30, 60)) >= MIN_TOP1_AGREEMENT


@pytest.mark.parametrize("onednn", [True, False], ids=["onednn_layout", "plain_bf16"])
def test_bf16_linear_gives_the_bf16_product_with_or_without_the_onednn_layout(
    monkeypatch, onednn
):
    if not onednn:  # a build or device without oneDNN's product
        monkeypatch.setattr(packed_module, "_onednn_layout", lambda weight: None)
    torch.manual_seed(0)
    linear = nn.Linear(64, 48)
    x = torch.randn(5, 3, 64).to(torch.bfloat16)
    got = packed_module._Bf16Linear(linear.weight, linear.bias)
    if not onednn:
        assert got.packed is None and got.weight.dtype == torch.bfloat16
    with torch.inference_mode():
        want = linear(x.float())
        out = got(x)
    assert out.shape == want.shape and out.dtype == torch.bfloat16
    assert (out.float() - want).abs().max() <= 0.02 * want.abs().max()  # bf16 rounding


@torch.inference_mode()
def test_bf16_decode_keeps_its_key_value_cache_in_bf16(model):
    """Half the cache bytes is half of what attention reads per step: the point of bf16."""
    phone_ids, bert, text_ok = _left_padded_batch([9, 5], seed=8)
    cache = KVCache(model.config.n_layer, capacity=phone_ids.shape[1] + 3)
    logits = packed_for(model, "bf16").prefill(phone_ids, bert, text_ok, None, cache)
    assert cache.layers[0].keys.dtype == torch.bfloat16
    assert logits.dtype == torch.float32  # the output layer decides every arg-max in fp32


def test_auto_format_is_bf16_only_where_the_cpu_has_native_bf16(monkeypatch):
    monkeypatch.setattr(packed_module, "cpu_has_native_bf16", lambda: True)
    assert inference_format("cpu", "auto") is WeightFormat.BF16
    assert inference_format("cuda", "auto") is WeightFormat.FP32  # fp16 model, as upstream
    assert inference_format("cpu", "fp32") is WeightFormat.FP32
    assert inference_format("cpu", "int8") is WeightFormat.INT8
    monkeypatch.setattr(packed_module, "cpu_has_native_bf16", lambda: False)
    assert inference_format("cpu", "auto") is WeightFormat.FP32
    assert inference_format("cpu", "bf16") is WeightFormat.FP32  # emulated: slower, not faster
    with pytest.raises(UserInputError, match="fp32"):
        inference_format("cpu", "fp8")


def test_int8_decode_runs_the_whole_loop(model):
    phones, bert, _ = _left_padded_batch([8], seed=4)
    params = SamplingParams(top_k=1, max_new_tokens=20, min_token_cap=20)
    result = decode(model, phones[0], bert[0], torch.arange(6), params, seed=1, weights="int8")
    assert 0 < result.tokens.numel() <= 20


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["bf16", "int8"])
def test_reduced_format_top1_agreement_on_a_full_size_random_model(fmt):
    full = random_s1_model(S1Config(), seed=0).eval()
    assert top1_agreement(full, fmt, _random_cases(7, 2, 40, 150)) >= MIN_TOP1_AGREEMENT

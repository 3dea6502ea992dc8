"""The reduced-precision S2 vocoder: close to fp32, chosen once, fp32 where bf16 is not native."""

from __future__ import annotations

import pytest
import torch

from voicestudio.models.s2 import precision as precision_module
from voicestudio.models.s2 import random_s2_generator, v2_s2_config
from voicestudio.models.s2.precision import set_vocoder_precision, vocoder_dtype


def _inputs(seed: int = 0):
    # 60 codes = 120 vocoder frames: longer than one window, so the bf16 path runs (shorter
    # inputs run in fp32, see models/s2/vocoder.py)
    g = torch.Generator().manual_seed(seed)
    codes = torch.randint(0, 1024, (1, 1, 60), generator=g)
    text = torch.randint(1, 732, (1, 12), generator=g)
    refer = torch.rand(1, 1025, 30, generator=g) * 5
    return codes, text, refer


def _snr_db(reference: torch.Tensor, other: torch.Tensor) -> float:
    error = (other.float() - reference).pow(2).mean()
    return float(10 * torch.log10(reference.pow(2).mean() / error))


def _bf16_against_fp32(generator) -> tuple[torch.Tensor, torch.Tensor]:
    codes, text, refer = _inputs()
    with torch.inference_mode():
        exact = generator.decode(codes, text, refer, noise_scale=0.0)
        generator.dec.inference_dtype = torch.bfloat16  # forced: bf16 runs (emulated) anywhere
        reduced = generator.decode(codes, text, refer, noise_scale=0.0)
    assert reduced.dtype == torch.float32 and reduced.shape == exact.shape
    assert not torch.equal(reduced, exact)  # the bf16 path really ran
    return exact, reduced


def test_bf16_vocoder_audio_stays_close_to_fp32_on_the_tiny_model():
    exact, reduced = _bf16_against_fp32(random_s2_generator(seed=3))
    assert _snr_db(exact, reduced) > 20.0  # 26 dB measured: 32 channels round coarsely
    assert float((reduced - exact).abs().max()) < 0.1 * float(exact.abs().max())


@pytest.mark.slow  # builds the full-size generator (a few seconds idle, a minute loaded)
def test_bf16_vocoder_audio_stays_within_the_measured_error_of_fp32_at_full_size():
    exact, reduced = _bf16_against_fp32(random_s2_generator(v2_s2_config(), seed=3))
    # the benchmark's 10 s decode measured 48.7 dB and a worst sample 1.2 % of the peak
    assert _snr_db(exact, reduced) > 40.0
    assert float((reduced - exact).abs().max()) < 0.05 * float(exact.abs().max())


def test_training_ignores_the_inference_precision():
    generator = random_s2_generator(seed=3)
    generator.dec.inference_dtype = torch.bfloat16
    z, g = torch.randn(1, 16, 8), torch.randn(1, 16, 1)
    out = generator.dec(z, g=g)  # gradients enabled: fp32 throughout
    generator.dec.inference_dtype = torch.float32
    torch.testing.assert_close(out, generator.dec(z, g=g), rtol=0, atol=0)
    out.sum().backward()
    assert generator.dec.ups[0].weight_g.grad is not None


def test_bf16_kernel_is_cast_once_and_refreshed_when_weights_change():
    generator = random_s2_generator(seed=3)
    conv = generator.dec.ups[0]
    x = torch.randn(1, conv.in_channels, 5, dtype=torch.bfloat16)
    with torch.inference_mode():
        first, _ = conv.kernel_and_bias(x)
        assert first.dtype == torch.bfloat16
        assert conv.kernel_and_bias(x)[0] is first
    with torch.no_grad():
        conv.weight_g.mul_(2.0)
    with torch.inference_mode():
        again, _ = conv.kernel_and_bias(x)
    torch.testing.assert_close(again.float(), 2.0 * first.float(), rtol=1e-2, atol=1e-3)


def test_precision_choice_falls_back_to_fp32(monkeypatch):
    assert vocoder_dtype("cpu", "fp32") == torch.float32
    assert vocoder_dtype("cuda", "auto") == torch.float32  # CUDA keeps the fp16 autocast path
    monkeypatch.setattr(precision_module, "cpu_has_native_bf16", lambda: False)
    assert vocoder_dtype("cpu", "bf16") == torch.float32  # emulated bf16 would be slower
    monkeypatch.setattr(precision_module, "cpu_has_native_bf16", lambda: True)
    assert vocoder_dtype("cpu", "auto") == torch.bfloat16
    generator = random_s2_generator(seed=3)
    assert set_vocoder_precision(generator, "auto") == torch.bfloat16
    assert generator.dec.inference_dtype == torch.bfloat16
    try:
        vocoder_dtype("cpu", "fp8")
    except ValueError as exc:
        assert "fp8" in str(exc)
    else:
        raise AssertionError("an unknown precision must be refused")

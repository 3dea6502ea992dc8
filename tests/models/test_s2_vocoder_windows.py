"""The bf16 vocoder runs long inputs in windows of one length and gets the whole-input audio."""

from __future__ import annotations

import pytest
import torch

from voicestudio.models.s2 import random_s2_generator, v2_s2_config
from voicestudio.models.s2.vocoder_windows import (
    decode_in_windows,
    plan_windows,
    receptive_radius_frames,
)


@pytest.mark.parametrize("frames", [97, 98, 150, 166, 167, 500, 1001])
@pytest.mark.parametrize(("length", "margin"), [(96, 13), (40, 5), (27, 13)])
def test_windows_keep_every_frame_once_and_only_with_full_context(frames, length, margin):
    windows = plan_windows(frames, length, margin)
    kept = [frame for w in windows for frame in range(w.keep_from, w.keep_to)]
    assert kept == list(range(frames))
    for w in windows:
        assert 0 <= w.start and w.start + length <= frames
        assert w.keep_from == 0 or w.keep_from - w.start >= margin
        assert w.keep_to == frames or w.start + length - w.keep_to >= margin


def test_a_window_too_small_for_its_margins_is_refused():
    with pytest.raises(ValueError):
        plan_windows(200, 26, 13)


def test_the_full_size_radius_covers_what_a_changed_frame_reaches():
    dec = random_s2_generator(seed=3).dec  # the tiny set has the v2 kernels and rates
    radius = receptive_radius_frames(v2_s2_config())
    assert 12 < radius < 14 and dec.window_margin == 13
    z, g = torch.randn(1, dec.conv_pre.in_channels, 80), torch.randn(1, dec.cond.in_channels, 1)
    changed = z.clone()
    changed[..., 40] += 5.0
    with torch.inference_mode():
        diff = (dec(z, g) - dec(changed, g)).abs()[0, 0]
    reached = torch.nonzero(diff > 0).flatten() / dec.hop
    assert reached.min() >= 40 - radius and reached.max() < 41 + radius


@pytest.mark.parametrize("frames", [97, 150, 333])
def test_windowed_audio_equals_the_whole_input_audio(frames):
    dec = random_s2_generator(seed=3).dec
    gen = torch.Generator().manual_seed(frames)
    z = torch.randn(1, dec.conv_pre.in_channels, frames, generator=gen) * 3
    g = torch.randn(1, dec.cond.in_channels, 1, generator=gen)
    with torch.inference_mode():
        whole = dec(z, g)
        windowed = decode_in_windows(lambda a, b: dec._vocode(a, b, None), z, g, dec.hop, 96,
                                     dec.window_margin)
        too_narrow = decode_in_windows(lambda a, b: dec._vocode(a, b, None), z, g, dec.hop, 96, 2)
    assert windowed.shape == whole.shape
    torch.testing.assert_close(windowed, whole, rtol=0, atol=1e-6)
    assert (too_narrow - whole).abs().max() > 1e-4  # the margin is what makes it exact


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float32])
def test_inference_runs_every_long_input_at_one_shape_and_short_ones_whole_in_fp32(
        monkeypatch, dtype):
    dec = random_s2_generator(seed=3).dec
    g = torch.randn(1, dec.cond.in_channels, 1)
    seen: list[tuple[int, torch.dtype | None]] = []
    vocode = dec._vocode

    def recording(z, g_, reduced):
        seen.append((z.shape[-1], reduced))
        return vocode(z, g_, reduced)

    monkeypatch.setattr(dec, "_vocode", recording)
    dec.inference_dtype = dtype
    wanted = None if dtype == torch.float32 else dtype
    with torch.inference_mode():
        for frames in (120, 201, 317):
            z = torch.randn(1, dec.conv_pre.in_channels, frames)
            out = dec(z, g)
            assert out.shape == (1, 1, frames * dec.hop) and out.dtype == torch.float32
            if dtype == torch.float32:
                torch.testing.assert_close(out, vocode(z, g, None), rtol=0, atol=1e-6)
        assert {shape for shape, _ in seen} == {dec.window_frames}
        assert {reduced for _, reduced in seen} == {wanted}
        seen.clear()
        short = torch.randn(1, dec.conv_pre.in_channels, 50)
        out = dec(short, g)
        assert seen == [(50, None)]
        dec.inference_dtype = torch.float32
        torch.testing.assert_close(out, dec(short, g), rtol=0, atol=0)
    seen.clear()
    dec(torch.randn(1, dec.conv_pre.in_channels, 120), g)  # training: whole, 1-D, fp32
    assert seen == [(120, None)]

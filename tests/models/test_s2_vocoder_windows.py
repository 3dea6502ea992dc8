"""The bf16 vocoder runs long inputs in windows of one length and gets the whole-input audio."""

from __future__ import annotations

import pytest
import torch

from voicestudio.models.s2 import random_s2_generator, v2_s2_config
from voicestudio.models.s2.vocoder_windows import (
    computed_samples,
    plan_windows,
    run_in_windows,
    stack_radius,
)


@pytest.mark.parametrize("samples", [97, 98, 150, 166, 167, 500, 1001, 4321])
@pytest.mark.parametrize(("lengths", "margin"), [((96,), 13), ((40,), 5), ((27,), 13),
                                                  ((64, 128), 11), ((240, 480, 960), 17)])
def test_windows_keep_every_sample_once_and_only_with_full_context(samples, lengths, margin):
    if samples <= min(lengths):
        return
    windows = plan_windows(samples, lengths, margin)
    kept = [i for w in windows for i in range(w.keep_from, w.keep_to)]
    assert kept == list(range(samples))
    for w in windows:
        assert w.length in lengths
        assert 0 <= w.start and w.start + w.length <= samples
        assert w.keep_from == 0 or w.keep_from - w.start >= margin
        assert w.keep_to == samples or w.start + w.length - w.keep_to >= margin


def test_a_window_too_small_for_its_margins_is_refused():
    with pytest.raises(ValueError):
        plan_windows(200, (26,), 13)
    with pytest.raises(ValueError):  # fits in one window: it runs whole
        plan_windows(200, (200, 400), 13)


@pytest.mark.parametrize("samples", range(481, 12000, 211))
def test_the_plan_computes_no_more_than_windows_of_any_one_length(samples):
    ladder = (240, 480, 960)
    plan = computed_samples(plan_windows(samples, ladder, 17))
    for length in ladder:
        if length < samples:
            assert plan <= computed_samples(plan_windows(samples, (length,), 17))
    # what a ladder buys: only a short last window is computed beyond the kept samples
    assert plan - samples <= 2 * 17 * len(plan_windows(samples, ladder, 17)) + ladder[0]


def test_the_full_size_radius_covers_what_a_changed_frame_reaches():
    dec = random_s2_generator(seed=3).dec  # the tiny set has the v2 kernels and rates
    config = v2_s2_config()
    radius = stack_radius(config, range(len(config.upsample_rates)), True, True)  # all of it
    assert 12 < radius < 14
    z, g = torch.randn(1, dec.conv_pre.in_channels, 80), torch.randn(1, dec.cond.in_channels, 1)
    changed = z.clone()
    changed[..., 40] += 5.0
    with torch.inference_mode():
        diff = (dec(z, g) - dec(changed, g)).abs()[0, 0]
    reached = torch.nonzero(diff > 0).flatten() / dec.hop
    assert reached.min() >= 40 - radius and reached.max() < 41 + radius


def test_the_tail_margin_covers_what_a_changed_head_sample_reaches():
    dec = random_s2_generator(seed=3).dec
    assert dec.head_margin == 11 and dec.tail_margin == 17  # the v2 rates and kernels
    scale = dec.hop // dec.head_scale
    z, g = torch.randn(1, dec.conv_pre.in_channels, 30), torch.randn(1, dec.cond.in_channels, 1)
    with torch.inference_mode():
        head = dec._head(z, g, None)
        changed = head.clone()
        changed[..., 150] += 5.0
        diff = (dec._tail(head, None) - dec._tail(changed, None)).abs()[0, 0]
    reached = torch.nonzero(diff > 0).flatten() / scale
    assert reached.min() >= 150 - dec.tail_margin and reached.max() < 151 + dec.tail_margin


def _latents(dec, frames: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(frames)
    z = torch.randn(1, dec.conv_pre.in_channels, frames, generator=gen) * 3
    return z, torch.randn(1, dec.cond.in_channels, 1, generator=gen)


@pytest.mark.parametrize("frames", [97, 150, 333])
def test_windowed_audio_equals_the_whole_input_audio(frames):
    dec = random_s2_generator(seed=3).dec
    z, g = _latents(dec, frames)
    scale = dec.hop // dec.head_scale

    def windowed(head_margin: int, tail_margin: int) -> torch.Tensor:
        head = run_in_windows(lambda zw: dec._head(zw, g, None), z,
                              plan_windows(frames, (30, 40), head_margin), dec.head_scale)
        return run_in_windows(lambda x: dec._tail(x, None), head,
                              plan_windows(head.shape[-1], (90, 120), tail_margin), scale)

    with torch.inference_mode():
        whole = dec._tail(dec._head(z, g, None), None)
        exact = windowed(dec.head_margin, dec.tail_margin)
        head_too_narrow = windowed(2, dec.tail_margin)
        tail_too_narrow = windowed(dec.head_margin, 1)
        assert exact.shape == whole.shape == (1, 1, frames * dec.hop)
        torch.testing.assert_close(exact, whole, rtol=0, atol=1e-6)
        torch.testing.assert_close(dec(z, g), whole, rtol=0, atol=1e-6)  # as inference runs
    # the margins are what make it exact (the tail's reach fades fast in the tiny model)
    assert (head_too_narrow - whole).abs().max() > 1e-4
    assert (tail_too_narrow - whole).abs().max() > 1e-5


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float32])
def test_inference_runs_each_level_at_its_few_shapes_and_short_ones_whole_in_fp32(
        monkeypatch, dtype):
    dec = random_s2_generator(seed=3).dec
    g = torch.randn(1, dec.cond.in_channels, 1)
    heads: list[tuple[int, torch.dtype | None]] = []
    tails: list[tuple[int, torch.dtype | None]] = []
    head, tail = dec._head, dec._tail

    def recording_head(z, g_, reduced):
        heads.append((z.shape[-1], reduced))
        return head(z, g_, reduced)

    def recording_tail(x, reduced):
        tails.append((x.shape[-1], reduced))
        return tail(x, reduced)

    monkeypatch.setattr(dec, "_head", recording_head)
    monkeypatch.setattr(dec, "_tail", recording_tail)
    dec.inference_dtype = dtype
    wanted = None if dtype == torch.float32 else dtype
    with torch.inference_mode():
        for frames in (dec.head_windows[0] + 1, 201, 317, 1001):
            z = torch.randn(1, dec.conv_pre.in_channels, frames)
            out = dec(z, g)
            assert out.shape == (1, 1, frames * dec.hop) and out.dtype == torch.float32
        assert {length for length, _ in heads} <= set(dec.head_windows)
        assert {length for length, _ in tails} <= set(dec.tail_windows)
        assert {reduced for _, reduced in heads + tails} == {wanted}
        heads.clear()
        tails.clear()
        # a sentence shorter than a head window: its head whole in fp32, its tail in windows
        medium = torch.randn(1, dec.conv_pre.in_channels, dec.head_windows[0] - 4)
        dec(medium, g)
        assert heads == [(medium.shape[-1], None)]
        assert {reduced for _, reduced in tails} == {wanted} and len(tails) > 1
        heads.clear()
        tails.clear()
        # shorter than a tail window: all of it whole in fp32
        short = torch.randn(1, dec.conv_pre.in_channels, dec.tail_windows[0] // dec.head_scale)
        out = dec(short, g)
        assert heads == [(short.shape[-1], None)]
        assert tails == [(short.shape[-1] * dec.head_scale, None)]
        dec.inference_dtype = torch.float32
        torch.testing.assert_close(out, dec(short, g), rtol=0, atol=0)
    heads.clear()
    tails.clear()
    dec(torch.randn(1, dec.conv_pre.in_channels, 200), g)  # training: whole, 1-D, fp32
    assert heads == [(200, None)] and tails == [(2000, None)]


"""MultiPeriodDiscriminator: key layout of the pretrained file and the reference forward pass."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from voicestudio.models.s2.discriminator import (
    V2PRO_PERIODS,
    MultiPeriodDiscriminator,
    periods_for_version,
)
from voicestudio.models.s2.losses import discriminator_loss, feature_loss, generator_loss
from voicestudio.models.s2.weight_norm import WeightNormConv1d

# "A + B*sin(C*k + (i+D))": the fixture's weight formula, one term per key class.
_NUM = r"\s*([-\d.eE]+)\s*"
_SINE = rf"(?:{_NUM}\+)?{_NUM}\*\s*sin\({_NUM}\*\s*k\s*\+\s*\(\s*i\s*\+{_NUM}\)\s*\)"


def _parse_formula(text: str) -> dict[str, tuple[float, float, float, float]]:
    """{'weight_g': (offset, amp, freq, phase_shift), 'other': ...} from the meta description."""
    g_part, _, other_part = text.partition("every other key")
    terms = {}
    for name, part in (("weight_g", g_part.split("weight_g")[-1]), ("other", other_part)):
        m = re.search(_SINE, part)
        assert m, f"cannot read the {name} weight formula from: {text!r}"
        offset, amp, freq, shift = m.groups()
        terms[name] = (float(offset or 0.0), float(amp), float(freq), float(shift))
    return terms


def formula_weights(meta: dict, shapes: dict[str, torch.Size]) -> dict[str, torch.Tensor]:
    """The fixture's discriminator weights: tensor i in `key_order` with n elements holds
    offset + amp * sin(freq * k + (i + shift)), k = 0..n-1 in C order, float64 then float32."""
    terms = _parse_formula(meta["weights"])
    weights = {}
    for i, key in enumerate(meta["key_order"]):
        offset, amp, freq, shift = terms["weight_g" if key.endswith("weight_g") else "other"]
        n = int(np.prod(shapes[key]))
        values = offset + amp * np.sin(freq * np.arange(n, dtype=np.float64) + (i + shift))
        values = values.astype(np.float32)
        # The listed sums are float64 sums of the float32 tensors.
        expected = meta["weight_sums"][key]
        assert values.sum(dtype=np.float64) == pytest.approx(expected, rel=1e-9, abs=1e-9), key
        weights[key] = torch.from_numpy(values).reshape(shapes[key])
    return weights


def _close(name: str, ours: torch.Tensor, ref: np.ndarray, atol: float, rtol: float) -> float:
    ours_np = ours.detach().numpy()
    assert ours_np.shape == ref.shape, name
    np.testing.assert_allclose(ours_np, ref, atol=atol, rtol=rtol, err_msg=name)
    return float(np.abs(ours_np - ref).max())


@pytest.mark.fixtures
def test_forward_matches_reference(fixtures_dir: Path) -> None:
    meta = json.loads((fixtures_dir / "model_fixtures_meta.json").read_text())["disc"]
    ref = np.load(fixtures_dir / "disc_forward.npz")
    # Period of discriminator j is the width of its first feature map (B, C, T/p, p).
    n_disc = len([k for k in ref.files if re.fullmatch(r"d\d+_real", k)])
    periods = [ref[f"d{j}_fmap0_real"].shape[-1] for j in range(1, n_disc)]

    disc = MultiPeriodDiscriminator(periods=periods).eval()
    state = disc.state_dict()
    assert list(state) == meta["key_order"]
    disc.load_state_dict(formula_weights(meta, {k: v.shape for k, v in state.items()}))

    with torch.no_grad():
        y, y_hat = torch.from_numpy(ref["y"]), torch.from_numpy(ref["y_hat"])
        real, fake, real_fmaps, fake_fmaps = disc(y, y_hat)
        losses = {
            "loss_disc": discriminator_loss(real, fake),
            "loss_gen": generator_loss(fake),
            "loss_fm": feature_loss(real_fmaps, fake_fmaps),
        }

    worst = 0.0
    for j in range(n_disc):
        worst = max(worst, _close(f"d{j}_real", real[j], ref[f"d{j}_real"], 1e-4, 1e-3))
        worst = max(worst, _close(f"d{j}_gen", fake[j], ref[f"d{j}_gen"], 1e-4, 1e-3))
        n_maps = len([k for k in ref.files if re.fullmatch(rf"d{j}_fmap\d+_real", k)])
        assert len(real_fmaps[j]) == n_maps
        for layer in range(n_maps):
            for side, maps in (("real", real_fmaps), ("gen", fake_fmaps)):
                name = f"d{j}_fmap{layer}_{side}"
                worst = max(worst, _close(name, maps[j][layer], ref[name], 1e-4, 1e-3))
    for name, value in losses.items():
        assert value.item() == pytest.approx(float(ref[name]), rel=1e-4), name
    print(f"disc_forward max abs error {worst:.3g}")


@pytest.mark.fixtures
def test_state_dict_matches_full_size_listing(fixtures_dir: Path) -> None:
    listing = json.loads((fixtures_dir / "full_size" / "s2D_v2_state_dict_keys.json").read_text())
    with torch.device("meta"):
        disc = MultiPeriodDiscriminator()
    ours = {
        k: [list(v.shape), str(v.dtype).removeprefix("torch.")]
        for k, v in disc.state_dict().items()
    }
    assert ours == {k: [list(shape), dtype] for k, (shape, dtype) in listing["weight"].items()}
    assert list(ours) == list(listing["weight"])


def test_v2pro_adds_periods_17_and_23() -> None:
    assert periods_for_version("v2") == (2, 3, 5, 7, 11)
    assert periods_for_version("v2ProPlus") == V2PRO_PERIODS
    with torch.device("meta"):
        disc = MultiPeriodDiscriminator(periods=V2PRO_PERIODS)
    assert [d.period for d in disc.discriminators[1:]] == [2, 3, 5, 7, 11, 17, 23]
    assert "discriminators.7.conv_post.weight_v" in disc.state_dict()


def test_weight_norm_conv_applies_g_times_unit_v() -> None:
    torch.manual_seed(0)
    conv = WeightNormConv1d(2, 3, 5, padding=2)
    plain = torch.nn.Conv1d(2, 3, 5, padding=2)
    x = torch.randn(1, 2, 8)
    with torch.no_grad():
        # Fresh weight-norm conv: g = ||v||, so the kernel is v itself.
        plain.weight.copy_(conv.weight_v)
        plain.bias.copy_(conv.bias)
        torch.testing.assert_close(conv(x), plain(x))
        # Doubling g doubles the kernel; scaling v changes nothing.
        conv.weight_g.mul_(2)
        conv.weight_v.mul_(7)
        plain.weight.mul_(2)
        torch.testing.assert_close(conv(x), plain(x))
    assert list(conv.state_dict()) == ["bias", "weight_g", "weight_v"]


def test_gradients_reach_generator_input_not_real_audio() -> None:
    torch.manual_seed(0)
    disc = MultiPeriodDiscriminator(periods=(2,))
    y = torch.randn(1, 1, 641, requires_grad=True)  # odd length exercises the period padding
    y_hat = torch.randn(1, 1, 641, requires_grad=True)
    real, fake, real_fmaps, fake_fmaps = disc(y, y_hat)
    (generator_loss(fake) + feature_loss(real_fmaps, fake_fmaps)).backward()
    assert y_hat.grad is not None and y_hat.grad.abs().sum() > 0
    assert y.grad is None

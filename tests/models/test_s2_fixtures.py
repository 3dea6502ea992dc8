"""S2 generator vs the upstream reference run (README sections 3 and 8 of the fixture folder).

Every case in the fixture files is checked; decode cases are discovered from the `*_audio`
arrays and their settings read from the case name (ns05 = noise scale 0.5, speed125 = speed
1.25, two_refs = every `refer_spec*` array), so another fixture folder of the same format
works unchanged.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from fixture_checks import as_tensor as _t
from fixture_checks import assert_audio, assert_intermediate
from fixture_checks import scaled as _scaled

from voicestudio.models.s2 import load_generator_weights, load_s2_checkpoint
from voicestudio.models.s2.generator import SoVITSGenerator

pytestmark = pytest.mark.fixtures


@pytest.fixture(scope="module")
def loaded(fixtures_dir: Path):
    return load_s2_checkpoint(fixtures_dir / "s2G_small.pth")


def test_extract_latent_codes_and_reference_embedding(loaded, fixtures_dir: Path) -> None:
    data = np.load(fixtures_dir / "s2_extract_latent_refenc.npz")
    generator = loaded.generator
    codes = generator.extract_latent(_t(data["ssl"]))
    assert codes.dtype == torch.int64
    np.testing.assert_array_equal(codes.numpy(), data["codes"])
    with torch.no_grad():
        ge = generator.reference_embedding(_t(data["refer_spec"]))
    assert_intermediate("ge", ge, data["ge"])


def _decode_cases(fixtures_dir: Path) -> list[str]:
    data = np.load(fixtures_dir / "s2_decode.npz")
    return sorted(k[: -len("_audio")] for k in data.files if k.endswith("_audio"))


def test_every_decode_case(loaded, fixtures_dir: Path) -> None:
    data = np.load(fixtures_dir / "s2_decode.npz")
    cases = _decode_cases(fixtures_dir)
    assert cases, "no decode cases in s2_decode.npz"
    refs = [_t(data[k]) for k in sorted(data.files) if re.fullmatch(r"refer_spec\d*", k)]
    for case in cases:
        noise_match = re.search(r"ns(\d+)", case)
        speed_match = re.search(r"speed(\d+)", case)
        noise_scale = _scaled(noise_match.group(1)) if noise_match else 0.5
        speed = _scaled(speed_match.group(1)) if speed_match else 1.0
        refer = refs if case.startswith("two_refs") else refs[0]
        noise = _t(data[f"{case}_noise"]) if f"{case}_noise" in data.files else None
        if noise is None and noise_scale != 0:
            pytest.fail(f"case {case} uses noise but the fixture has no {case}_noise")
        trace = loaded.generator.decode_with_trace(
            _t(data["codes"]), _t(data["text"]), refer, noise_scale, speed, noise
        )
        assert_audio(f"{case}_audio", trace.audio, data[f"{case}_audio"])
        for name in ("ge", "enc_p_x", "m_p", "logs_p", "y_mask", "z"):
            key = f"{case}_{name}"
            if key in data.files:
                assert_intermediate(key, getattr(trace, name), data[key])


def test_training_forward_with_recorded_randomness(loaded, fixtures_dir: Path) -> None:
    weights = dict(loaded.generator.state_dict())
    enc_q = np.load(fixtures_dir / "s2G_small_enc_q.npz")
    weights.update({k: _t(enc_q[k]) for k in enc_q.files})
    generator = SoVITSGenerator(loaded.config, with_posterior=True)
    load_generator_weights(generator, weights, source="s2G_small + enc_q")
    generator.eval()

    data = np.load(fixtures_dir / "s2_train_forward.npz")
    with torch.no_grad():
        out = generator(
            _t(data["ssl"]),
            _t(data["spec"]),
            _t(data["spec_lengths"]),
            _t(data["text"]),
            _t(data["text_lengths"]),
            posterior_noise=_t(data["enc_q_noise"]),
            slice_rand=_t(data["slice_rand"]),
        )
    np.testing.assert_array_equal(out.ids_slice.numpy(), data["ids_slice"])
    assert_audio("y_hat", out.y_hat, data["y_hat"])
    np.testing.assert_allclose(float(out.commit_loss), float(data["commit_loss"]), atol=1e-6)
    for name in ("y_mask", "z", "z_p", "m_p", "logs_p", "m_q", "logs_q", "quantized", "ge"):
        assert_intermediate(name, getattr(out, name), data[name])
